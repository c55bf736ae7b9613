"""Pure-NumPy reference twins, one module per area, same public names as the fast code.

They are written for clarity and follow the seeds' formulas; tests compare the
fast kernels against them and benchmarks race against them.
"""

from . import cluster, decomposition, graph, nn

__all__ = ["nn", "decomposition", "cluster", "graph"]
