"""The studies fastnet was built for, as functions, fanned out with :func:`fastnet.parallel.run`.

- :func:`gmm_vs_kmeans`: adjusted Rand index of a Gaussian mixture and of k-means
  on anisotropic Gaussian blobs, one row per simulation.
- :func:`signal_flow_separation`: signal flow per block of directed feedforward
  SBMs and the separation of adjacent blocks, one row per (graph, block).

Each task draws only from its own child of the study seed, so a table is the same
for any number of workers.  Twins: :mod:`fastnet.reference.studies`.
"""

from .gmm_vs_kmeans import gmm_vs_kmeans
from .signal_flow_separation import signal_flow_separation

__all__ = ["gmm_vs_kmeans", "signal_flow_separation"]
