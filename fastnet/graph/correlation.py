"""Thresholded correlation graph of the columns of a samples x features matrix: the
gene co-expression graph.

The columns of ``X`` are standardised once into a ``features x samples`` matrix ``Z``
(a compiled pass), so that ``Z Z^T`` is their correlation matrix, formed with BLAS:
``syrk`` (one triangle, half the flops) straight into the dense output, or, for
``sparse=True``, one ``block x features`` ``gemm`` slab at a time (upper triangle
only), whose kept entries are collected and mirrored into a ``csr_array`` without any
``features x features`` matrix.  Thresholding, clipping to [-1, 1], zeroing the
diagonal and mirroring are compiled passes.

Twin: :func:`fastnet.reference.graph.correlation_graph`.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike
from scipy.linalg.blas import dsyrk

from .._jit import prange, serial_or_parallel_jit
from .._validation import as_2d_float, check_bool, check_fits_in_memory, check_nonnegative_float
from ._adjacency import mirror_upper
from ._tiles import TILE, paired_index

__all__ = ["correlation_graph"]

COLUMN_CHUNK = 128  # columns per task in the column statistics pass
BLOCK_BYTES = 1 << 26  # sparse correlation graph: one block x features slab of 64 MiB


# ---------------------------------------------------------------- standardisation
@serial_or_parallel_jit
def _column_scales(X, mean, scale):
    """mean[j] and scale[j] = 1 / ||X[:, j] - mean[j]||, or 0 for a constant column."""
    n, m = X.shape
    for c in prange((m + COLUMN_CHUNK - 1) // COLUMN_CHUNK):
        j0 = c * COLUMN_CHUNK
        j1 = min(m, j0 + COLUMN_CHUNK)
        for j in range(j0, j1):
            mean[j] = 0.0
            scale[j] = 0.0
        for i in range(n):
            for j in range(j0, j1):
                mean[j] += X[i, j]
        for j in range(j0, j1):
            mean[j] /= n
        for i in range(n):
            for j in range(j0, j1):
                d = X[i, j] - mean[j]
                scale[j] += d * d
        for j in range(j0, j1):
            constant = True
            for i in range(1, n):
                if X[i, j] != X[0, j]:
                    constant = False
                    break
            scale[j] = 0.0 if constant or scale[j] == 0.0 else 1.0 / np.sqrt(scale[j])


@serial_or_parallel_jit
def _standardized_transpose(X, mean, scale, Z):
    """Z[j, i] = (X[i, j] - mean[j]) * scale[j], tile by tile."""
    n, m = X.shape
    for t in prange((m + TILE - 1) // TILE):
        j0 = t * TILE
        j1 = min(m, j0 + TILE)
        for i0 in range(0, n, TILE):
            i1 = min(n, i0 + TILE)
            for j in range(j0, j1):
                for i in range(i0, i1):
                    Z[j, i] = (X[i, j] - mean[j]) * scale[j]


def _standardized_features(X):
    """Z (features x samples): the columns of X centred and scaled to unit norm, so that
    Z Z^T is their correlation matrix; constant columns become zero rows."""
    n, m = X.shape
    mean = np.empty(m)
    scale = np.empty(m)
    _column_scales(X.size)(X, mean, scale)
    Z = np.empty((m, n))
    _standardized_transpose(X.size)(X, mean, scale, Z)
    return Z


# ---------------------------------------------------------------- dense graph
@serial_or_parallel_jit
def _threshold_lower_and_mirror(C, threshold):
    """C holds a symmetric matrix in its lower triangle: clip to [-1, 1], zero entries
    with |c| <= threshold and the diagonal, then copy the lower triangle to the upper.
    Rows, then tile rows, are taken in balanced pairs (:func:`paired_index`)."""
    m = C.shape[0]
    for p in prange((m + 1) // 2):
        for q in range(2):
            i = paired_index(p, q, m)
            if i < 0:
                continue
            for j in range(i):
                v = min(1.0, max(-1.0, C[i, j]))
                C[i, j] = v if abs(v) > threshold else 0.0
            C[i, i] = 0.0
    n_tiles = (m + TILE - 1) // TILE
    for p in prange((n_tiles + 1) // 2):
        for q in range(2):
            t = paired_index(p, q, n_tiles)
            if t < 0:
                continue
            r0 = t * TILE
            r1 = min(m, r0 + TILE)
            for c0 in range(r0, m, TILE):
                c1 = min(m, c0 + TILE)
                for j in range(c0, c1):
                    for i in range(r0, min(r1, j)):
                        C[i, j] = C[j, i]


def _dense_correlation_graph(Z, threshold):
    m = Z.shape[0]
    # Z.T is Fortran-ordered (samples x features): syrk computes Z Z^T without a copy,
    # into a fresh Fortran array whose upper triangle is the C-order lower triangle
    C = dsyrk(1.0, Z.T, trans=1, lower=0).T
    _threshold_lower_and_mirror(m * m)(C, threshold)
    return C


# ---------------------------------------------------------------- sparse graph
@serial_or_parallel_jit
def _count_upper(S, threshold, counts):
    """counts[r] = #{c > r : |S[r, c]| > threshold} (S[r, c]: correlation of b0 + r and
    b0 + c)."""
    for r in prange(S.shape[0]):
        k = 0
        for c in range(r + 1, S.shape[1]):
            if abs(S[r, c]) > threshold:
                k += 1
        counts[r] = k


@serial_or_parallel_jit
def _collect_upper(S, b0, threshold, starts, indices, data):
    """The entries counted by :func:`_count_upper`, clipped to [-1, 1], row by row."""
    for r in prange(S.shape[0]):
        k = starts[r]
        for c in range(r + 1, S.shape[1]):
            v = S[r, c]
            if abs(v) > threshold:
                indices[k] = b0 + c
                data[k] = min(1.0, max(-1.0, v))
                k += 1


def _sparse_correlation_graph(Z, threshold):
    m = Z.shape[0]
    block = max(1, min(m, BLOCK_BYTES // (8 * max(m, 1))))
    buffer = np.empty(block * m)
    col_dtype = np.int32 if m < 2**31 else np.int64
    up_counts = np.zeros(m, dtype=np.int64)
    up_indices, up_data = [], []
    upper_edges = 0
    for b0 in range(0, m, block):
        b1 = min(m, b0 + block)
        S = buffer[: (b1 - b0) * (m - b0)].reshape(b1 - b0, m - b0)
        np.matmul(Z[b0:b1], Z[b0:].T, out=S)  # correlations of b0..b1 with b0..m
        counts = up_counts[b0:b1]
        _count_upper(S.size)(S, threshold, counts)
        # the upper triangle's blocks, their concatenation, then the mirrored graph:
        # about 3 copies of (value + index) per upper edge, refused before allocating
        upper_edges += int(counts.sum())
        check_fits_in_memory(3 * upper_edges * (8 + np.dtype(col_dtype).itemsize),
                             "threshold", f"a sparse graph of at least {2 * upper_edges} "
                             f"edges (|corr| > {threshold})", "raise threshold")
        starts = np.zeros(b1 - b0 + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        indices = np.empty(starts[-1], dtype=col_dtype)
        data = np.empty(starts[-1])
        _collect_upper(S.size)(S, b0, threshold, starts, indices, data)
        up_indices.append(indices)
        up_data.append(data)
    del Z, S, buffer  # the caller holds no reference: free them before the mirroring
    up_indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(up_counts, out=up_indptr[1:])
    up_indices = np.concatenate(up_indices) if up_indices else np.empty(0, col_dtype)
    up_data = np.concatenate(up_data) if up_data else np.empty(0)
    indptr, indices, data = mirror_upper(up_indptr, up_indices, up_data)
    A = scipy.sparse.csr_array((data, indices, indptr), shape=(m, m))
    A.has_sorted_indices = True
    return A


# ---------------------------------------------------------------- public function
def _check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a real number in [0, 1); "
                        f"got {type(threshold).__name__}")
    value = check_nonnegative_float(threshold, "threshold")
    if value >= 1.0:
        raise ValueError(f"threshold must be in [0, 1) (|corr| > threshold is kept); "
                         f"got {value}")
    return value


def correlation_graph(X: ArrayLike, threshold: float = 0.75, *,
                      sparse: bool = False) -> np.ndarray | scipy.sparse.csr_array:
    """Thresholded correlation graph of the columns of ``X``.

    ``A[i, j]`` is the Pearson correlation of columns i and j where
    ``|corr| > threshold`` (the signed value is kept as the edge weight), 0 elsewhere
    and on the diagonal: the gene co-expression graph of a samples x genes matrix.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Finite real numbers, at least 2 samples.
    threshold : float in [0, 1)
        Correlations with ``|corr| <= threshold`` are dropped.
    sparse : bool
        Return a scipy ``csr_array`` (sorted indices, no stored zeros), computed one
        block of columns at a time without the dense ``n_features x n_features``
        matrix; peak extra memory is one ``n_features x n_samples`` standardised copy
        of ``X``, one ``block x n_features`` slab of at most ``BLOCK_BYTES``
        bytes and the graph's own arrays (a graph whose arrays would take more than
        half of RAM is refused with a ValueError naming ``threshold``).

    Returns
    -------
    A : ndarray or csr_array, shape (n_features, n_features)
        Symmetric, float64.

    Notes
    -----
    A constant column (zero variance) has no defined correlation (``np.corrcoef``
    gives NaN); here it is an isolated node: its row and column are all 0.
    Correlations are clipped to [-1, 1] like ``np.corrcoef``.
    Twin: :func:`fastnet.reference.graph.correlation_graph`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph import correlation_graph
    >>> X = np.array([[1.0, 2.0, 1.0, 5.0], [2.0, 4.0, 0.0, 5.0], [3.0, 7.0, 1.0, 5.0]])
    >>> correlation_graph(X, 0.5).round(4)
    array([[0.    , 0.9934, 0.    , 0.    ],
           [0.9934, 0.    , 0.    , 0.    ],
           [0.    , 0.    , 0.    , 0.    ],
           [0.    , 0.    , 0.    , 0.    ]])
    >>> correlation_graph(X, 0.5, sparse=True).nnz
    2
    """
    X = as_2d_float(X, "X", min_samples=2).astype(np.float64, copy=False)
    threshold = _check_threshold(threshold)
    check_bool(sparse, "sparse")
    m = X.shape[1]
    if sparse:
        check_fits_in_memory(8 * m * X.shape[0], "X", "a standardised copy of X")
        return _sparse_correlation_graph(_standardized_features(X), threshold)
    check_fits_in_memory(8 * m * m, "X", f"a dense {m} x {m} correlation graph",
                         "pass sparse=True")
    return _dense_correlation_graph(_standardized_features(X), threshold)
