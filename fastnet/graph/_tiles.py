"""Tiling shared by the graph kernels that pass over a dense matrix and its transpose.

* :data:`TILE`: rows and columns of a square tile.  A pass that reads ``A[i, j]`` and
  ``A[j, i]`` (or writes a transpose) goes tile by tile, so that a tile and its mirror
  both stay in cache: two 64 x 64 float64 tiles take 64 KiB.
* :func:`paired_index`: a parallel loop over the rows (or tile rows) of a triangle
  takes them in pairs ``p, count - 1 - p``, a long row with a short one, so that every
  pair, and so every thread, gets about the same work.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

TILE = 64


@jit(inline="always")
def paired_index(p, q, count):
    """Member ``q`` (0 or 1) of pair ``p`` of ``range(count)`` taken as the pairs
    ``(p, count - 1 - p)`` for ``p`` in ``range((count + 1) // 2)``, or -1 for the
    second member of the middle pair of an odd count (it is its first).

    Loop as ``for p in prange((count + 1) // 2): for q in range(2): i =
    paired_index(p, q, count)``, skipping ``i < 0``.  The result is int64 (a parallel
    loop index is unsigned, and ``count - 1 - p`` must not wrap around).
    """
    first = np.int64(p)
    if q == 0:
        return first
    second = count - 1 - first
    return second if second != first else np.int64(-1)
