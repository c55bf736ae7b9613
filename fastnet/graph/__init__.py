"""Graphs: stochastic block model sampling (on one machine or sharded on a Dask
cluster), signal flow, the correlation graph and the
spectral tools (degree centrality, normalized Laplacian, connected components, spectral
embedding and bipartition).

Twins: :mod:`fastnet.reference.graph`.
"""

from .centrality import degree_centrality, top_k
from .components import connected_components
from .correlation import correlation_graph
from .laplacian import normalized_laplacian
from .sbm import block_labels, feedforward_block_probs, sbm
from .sharded import ShardedGraph, sharded_sbm
from .signal_flow import signal_flow
from .spectral import spectral_embedding, spectral_partition

__all__ = ["sbm", "sharded_sbm", "ShardedGraph", "feedforward_block_probs", "block_labels",
           "signal_flow",
           "correlation_graph", "degree_centrality", "top_k", "normalized_laplacian",
           "connected_components", "spectral_embedding", "spectral_partition"]
