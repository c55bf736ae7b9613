"""Column statistics of an already validated matrix, shared by every area.

Means and population standard deviations come from one compiled pass per moment
over fixed row chunks whose partial sums are merged in chunk order, so they do not
depend on the number of threads.  Callers validate first (2-D, finite, float32 or
float64, C-contiguous): the checked public version is
:func:`fastnet.decomposition.column_stats`.
"""

from __future__ import annotations

import numpy as np

from ._jit import prange, serial_or_parallel_jit

__all__ = ["column_means", "column_mean_std", "column_sums_squares"]

ROW_CHUNK = 512  # rows per partial sum; fixed, so sums are the same for any thread count


# ---------------------------------------------------------------- kernels
@serial_or_parallel_jit
def _column_partial_moments(X, center, squared, partial):
    """partial[c, j] = sum over the rows of chunk c of (X[i, j] - center[j]), or of its
    square when ``squared``.  Called as ``_column_partial_moments(X.size)(...)``: small
    inputs run serially (see :class:`fastnet._jit.SerialOrParallel`)."""
    n_chunks = partial.shape[0]
    for c in prange(n_chunks):
        start = c * ROW_CHUNK
        stop = min(X.shape[0], start + ROW_CHUNK)
        for j in range(X.shape[1]):
            partial[c, j] = 0.0
        for i in range(start, stop):
            for j in range(X.shape[1]):
                d = X[i, j] - center[j]
                partial[c, j] += d * d if squared else d


@serial_or_parallel_jit
def _column_partial_sums_squares(X, partial):
    """partial[c, 0, j] = sum over the rows of chunk c of X[i, j]; partial[c, 1, j] the
    sum of its squares (one pass over X for both)."""
    for c in prange(partial.shape[0]):
        start = c * ROW_CHUNK
        stop = min(X.shape[0], start + ROW_CHUNK)
        for j in range(X.shape[1]):
            partial[c, 0, j] = 0.0
            partial[c, 1, j] = 0.0
        for i in range(start, stop):
            for j in range(X.shape[1]):
                x = np.float64(X[i, j])
                partial[c, 0, j] += x
                partial[c, 1, j] += x * x


# ---------------------------------------------------------------- statistics
def _n_chunks(n: int) -> int:
    return (n + ROW_CHUNK - 1) // ROW_CHUNK


def column_means(X: np.ndarray) -> np.ndarray:
    """Column means of a validated matrix, in float64 (one compiled pass)."""
    partial = np.empty((_n_chunks(X.shape[0]), X.shape[1]))
    _column_partial_moments(X.size)(X, np.zeros(X.shape[1], dtype=X.dtype), False, partial)
    return partial.sum(axis=0) / X.shape[0]


def column_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and population standard deviations of a validated matrix, in
    float64 (two compiled passes: the second sums squared deviations from the mean,
    which does not cancel as ``E[x^2] - E[x]^2`` would)."""
    n, m = X.shape
    mean = column_means(X)
    partial = np.empty((_n_chunks(n), m))
    _column_partial_moments(X.size)(X, mean.astype(X.dtype), True, partial)
    # the mean in X's dtype is the one subtracted; correct for its rounding (float32)
    shift = mean.astype(X.dtype).astype(np.float64) - mean
    std = np.sqrt(np.maximum(partial.sum(axis=0) / n - shift * shift, 0.0))
    return mean, std


def column_sums_squares(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column sums and sums of squares of a 2-D float matrix, in float64, in one compiled
    pass.  X need not be finite: a NaN or an infinity makes its column's sums non-finite,
    so callers can check finiteness from the result instead of with another pass."""
    partial = np.empty((_n_chunks(X.shape[0]), 2, X.shape[1]))
    _column_partial_sums_squares(X.size)(X, partial)
    total = partial.sum(axis=0)
    return total[0], total[1]
