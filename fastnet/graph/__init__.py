"""Graphs: stochastic block model sampling, signal flow and spectral tools.

Twins: :mod:`fastnet.reference.graph`.
"""

from .sbm import block_labels, feedforward_block_probs, sbm
from .signal_flow import signal_flow
from .spectral import (
    connected_components,
    correlation_graph,
    degree_centrality,
    normalized_laplacian,
    spectral_embedding,
    spectral_partition,
    top_k,
)

__all__ = ["sbm", "feedforward_block_probs", "block_labels", "signal_flow",
           "correlation_graph", "degree_centrality", "top_k", "normalized_laplacian",
           "connected_components", "spectral_embedding", "spectral_partition"]
