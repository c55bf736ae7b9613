"""Spectral graph tools for co-expression networks: the thresholded correlation graph,
weighted degree centrality and its top genes, the normalized Laplacian, connected
components, spectral embedding and spectral bipartition.

Graphs are square adjacency matrices, dense ``ndarray`` or scipy sparse (any format;
taken as a canonical float64 ``csr_array``), read as undirected weighted graphs.

* :func:`correlation_graph` standardises the columns of ``X`` once into a
  ``features x samples`` matrix ``Z`` (a compiled pass) and forms ``Z Z^T`` with BLAS:
  ``syrk`` (one triangle, half the flops) straight into the dense output, or, for
  ``sparse=True``, one ``block x features`` ``gemm`` slab at a time (upper triangle
  only), whose kept entries are collected and mirrored into a ``csr_array`` without
  any ``features x features`` matrix.  Thresholding, clipping to [-1, 1], zeroing the
  diagonal and mirroring are compiled passes.
* :func:`normalized_laplacian` and :func:`degree_centrality` are single compiled
  passes over the dense matrix or over the CSR arrays (O(E)).
* :func:`connected_components` is a compiled union-find over the nonzero pattern.
* :func:`spectral_embedding` solves ``eigh(L, subset_by_index=...)`` for graphs of up
  to :data:`DENSE_MAX` nodes; larger sparse graphs are split into the connected
  components of ``L`` (``L`` is block diagonal over them) and each large component is
  solved by Lanczos (ARPACK ``eigsh``) on ``I - L`` with ``which="LA"``: inside a
  connected component the zero eigenvalue is simple, so the Lanczos iteration never
  has to resolve the many-fold zero eigenvalue of a graph with many components.

Twins: :mod:`fastnet.reference.graph`.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
import scipy.sparse
from scipy.linalg.blas import dsyrk

from .._jit import jit, prange, serial_or_parallel_jit
from .._validation import (
    as_2d_float,
    check_bool,
    check_fits_in_memory,
    check_int,
    check_nonnegative_float,
)
from ._adjacency import as_adjacency, is_sparse, mirror_upper

__all__ = ["correlation_graph", "degree_centrality", "top_k", "normalized_laplacian",
           "connected_components", "spectral_embedding", "spectral_partition"]

TILE = 64  # square tiles for transposing passes (two 32 KiB tiles fit in L1/L2)
COLUMN_CHUNK = 128  # columns per task in the column statistics pass
BLOCK_BYTES = 1 << 26  # sparse correlation graph: one block x features slab of 64 MiB
DENSE_MAX = 2000  # eigenproblems of up to this many nodes are solved densely
SPARSE_DENSITY = 0.1  # larger dense graphs with at most this fill go the sparse way
SYMMETRY_RTOL = 1e-10  # |A_ij - A_ji| <= rtol max(|A_ij|, |A_ji|) + atol ...
SYMMETRY_ATOL = 1e-14  # ... with atol = SYMMETRY_ATOL * max |A|
ZERO_EIGENVALUE = 1e-10  # eigenvalues this close to 0 are ordered as ties (by component)
V0_SEED = 20240229  # fixed start vector of the Lanczos iteration: deterministic results


# ---------------------------------------------------------------- kernels
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


@serial_or_parallel_jit
def _threshold_lower_and_mirror(C, threshold):
    """C holds a symmetric matrix in its lower triangle: clip to [-1, 1], zero entries
    with |c| <= threshold and the diagonal, then copy the lower triangle to the upper.
    Rows (and tile rows) are taken in pairs i, m - 1 - i to balance the triangle."""
    m = C.shape[0]
    for p in prange((m + 1) // 2):
        first = np.int64(p)  # the parallel loop index is unsigned: keep int64 arithmetic
        for q in range(2):
            i = first if q == 0 else m - 1 - first
            if q == 1 and i == first:
                continue
            for j in range(i):
                v = min(1.0, max(-1.0, C[i, j]))
                C[i, j] = v if abs(v) > threshold else 0.0
            C[i, i] = 0.0
    n_tiles = (m + TILE - 1) // TILE
    for p in prange((n_tiles + 1) // 2):
        first = np.int64(p)
        for q in range(2):
            t = first if q == 0 else n_tiles - 1 - first
            if q == 1 and t == first:
                continue
            r0 = t * TILE
            r1 = min(m, r0 + TILE)
            for c0 in range(r0, m, TILE):
                c1 = min(m, c0 + TILE)
                for j in range(c0, c1):
                    for i in range(r0, min(r1, j)):
                        C[i, j] = C[j, i]


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


@serial_or_parallel_jit
def _csr_row_sums(indptr, data, out):
    for i in prange(out.shape[0]):
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            total += data[k]
        out[i] = total


@serial_or_parallel_jit
def _dense_abs_max(A, out):
    for i in prange(A.shape[0]):
        best = 0.0
        for v in A[i]:
            best = max(best, abs(v))
        out[i] = best


@serial_or_parallel_jit
def _dense_asymmetry(A, rtol, atol, bad):
    """bad[t] = i * n + j of an entry of tile row t with j > i and |A_ij - A_ji| above
    tolerance, or -1.  Tile rows are taken in pairs to balance the triangle."""
    n = A.shape[0]
    n_tiles = bad.shape[0]
    for p in prange((n_tiles + 1) // 2):
        first = np.int64(p)
        for q in range(2):
            t = first if q == 0 else n_tiles - 1 - first
            if q == 1 and t == first:
                continue
            bad[t] = -1
            r0 = t * TILE
            r1 = min(n, r0 + TILE)
            for c0 in range(r0, n, TILE):
                c1 = min(n, c0 + TILE)
                for i in range(r0, r1):
                    for j in range(max(c0, i + 1), c1):
                        a = A[i, j]
                        b = A[j, i]
                        if abs(a - b) > rtol * max(abs(a), abs(b)) + atol:
                            bad[t] = i * n + j
                            break
                    if bad[t] >= 0:
                        break
                if bad[t] >= 0:
                    break


@serial_or_parallel_jit
def _csr_asymmetry(indptr, indices, data, rtol, atol, bad):
    """bad[i] = a column j of row i whose mirror entry (j, i) is missing or differs by
    more than the tolerance, or -1 (sorted column indices: binary search)."""
    for i in prange(bad.shape[0]):
        bad[i] = -1
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            lo = indptr[j]
            hi = indptr[j + 1]
            while lo < hi:
                mid = (lo + hi) // 2
                if indices[mid] < i:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == indptr[j + 1] or indices[lo] != i:
                bad[i] = j
                break
            a = data[k]
            b = data[lo]
            if abs(a - b) > rtol * max(abs(a), abs(b)) + atol:
                bad[i] = j
                break


@serial_or_parallel_jit
def _dense_laplacian(A, inv_sqrt, positive, L):
    """L = diag(positive) - D^-1/2 A D^-1/2 (products in the twin's order)."""
    n = A.shape[0]
    for i in prange(n):
        s = inv_sqrt[i]
        for j in range(n):
            v = (s * A[i, j]) * inv_sqrt[j]
            L[i, j] = -v if v != 0.0 else 0.0  # no -0.0 (the twin has 0.0 - 0.0)
        L[i, i] = positive[i] - (s * A[i, i]) * s


@jit(inline="always")
def _laplacian_row(i, indptr, indices, data, inv_sqrt, positive, out_indices, out_data,
                   start, write):
    """Row i of the normalized Laplacian in CSR: the nonzero values in column order, the
    diagonal merged in; returns how many there are (written only when ``write``)."""
    k = start
    diagonal_done = False
    s = inv_sqrt[i]
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        if not diagonal_done and j > i:
            diagonal_done = True
            if positive[i] != 0.0:
                if write:
                    out_indices[k] = i
                    out_data[k] = positive[i]
                k += 1
        if j == i:
            diagonal_done = True
            v = positive[i] - (s * data[p]) * s
        else:
            v = 0.0 - (s * data[p]) * inv_sqrt[j]
        if v != 0.0:
            if write:
                out_indices[k] = j
                out_data[k] = v
            k += 1
    if not diagonal_done and positive[i] != 0.0:
        if write:
            out_indices[k] = i
            out_data[k] = positive[i]
        k += 1
    return k - start


@serial_or_parallel_jit
def _csr_laplacian_counts(indptr, indices, data, inv_sqrt, positive, counts):
    for i in prange(counts.shape[0]):
        counts[i] = _laplacian_row(i, indptr, indices, data, inv_sqrt, positive,
                                   indices, data, 0, False)


@serial_or_parallel_jit
def _csr_laplacian_fill(indptr, indices, data, inv_sqrt, positive, out_indptr, out_indices,
                        out_data):
    for i in prange(out_indptr.shape[0] - 1):
        _laplacian_row(i, indptr, indices, data, inv_sqrt, positive, out_indices, out_data,
                       out_indptr[i], True)


@jit(inline="always")
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@jit(inline="always")
def _union(parent, a, b):
    """Join the sets of a and b under the smaller root (roots are set minima)."""
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@jit
def _label_components(parent, labels):
    """labels 0..c-1 in order of each set's smallest node (= its root); returns c."""
    count = 0
    for i in range(parent.shape[0]):
        r = _find(parent, i)
        if r == i:
            labels[i] = count
            count += 1
        else:
            labels[i] = labels[r]
    return count


@jit
def _dense_components(A, parent, labels):
    n = A.shape[0]
    for i in range(n):
        parent[i] = i
    for i in range(n):
        for j in range(n):
            if A[i, j] != 0.0 and j != i:
                _union(parent, i, j)
    return _label_components(parent, labels)


@jit
def _symmetric_dense_components(W, unvisited, labels):
    """:func:`_dense_components` for a symmetric W, by breadth-first search that scans,
    for each reached node, only the nodes not reached yet (kept in a compacted list in
    increasing order).  A dense connected graph then costs a few rows instead of n^2
    reads; the worst case (no edges) is n^2 as before.  Same labels; returns c."""
    n = W.shape[0]
    for i in range(n):
        unvisited[i] = i
        labels[i] = -1
    queue = np.empty(n, dtype=np.int64)
    n_unvisited, count = n, 0
    while n_unvisited > 0:
        start = unvisited[0]  # the smallest node not reached: components in that order
        labels[start] = count
        queue[0] = start
        head, tail = 0, 1
        while head < tail:
            i = queue[head]
            head += 1
            kept = 0
            for t in range(n_unvisited):
                j = unvisited[t]
                if j == start:
                    continue
                if W[i, j] != 0.0:
                    labels[j] = count
                    queue[tail] = j
                    tail += 1
                else:
                    unvisited[kept] = j
                    kept += 1
            n_unvisited = kept
        count += 1
    return count


@jit
def _csr_components(indptr, indices, parent, labels):
    n = parent.shape[0]
    for i in range(n):
        parent[i] = i
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            _union(parent, i, indices[k])
    return _label_components(parent, labels)


# ---------------------------------------------------------------- correlation graph
def _check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a real number in [0, 1); "
                        f"got {type(threshold).__name__}")
    value = check_nonnegative_float(threshold, "threshold")
    if value >= 1.0:
        raise ValueError(f"threshold must be in [0, 1) (|corr| > threshold is kept); "
                         f"got {value}")
    return value


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


def _dense_correlation_graph(Z, threshold):
    m = Z.shape[0]
    # Z.T is Fortran-ordered (samples x features): syrk computes Z Z^T without a copy,
    # into a fresh Fortran array whose upper triangle is the C-order lower triangle
    C = dsyrk(1.0, Z.T, trans=1, lower=0).T
    _threshold_lower_and_mirror(m * m)(C, threshold)
    return C


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


def correlation_graph(X, threshold=0.75, *, sparse=False):
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
        of ``X``, one ``block x n_features`` slab of at most :data:`BLOCK_BYTES`
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
    >>> from fastnet.graph.spectral import correlation_graph
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


# ---------------------------------------------------------------- degrees, top k
def _degrees(A):
    """Row sums: numpy's (pairwise) sum for a dense matrix, one compiled pass over the
    CSR arrays otherwise."""
    if is_sparse(A):
        out = np.empty(A.shape[0])
        _csr_row_sums(A.nnz)(A.indptr, A.data, out)
        return out
    return A.sum(axis=1)


def degree_centrality(A):
    """Weighted degree centrality: the row sums of the adjacency matrix.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
        Finite real weights (dense, or sparse in any format: O(E) for sparse).

    Returns
    -------
    degree : ndarray, shape (n,)
        float64.  Twin: :func:`fastnet.reference.graph.degree_centrality`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph.spectral import degree_centrality
    >>> degree_centrality(np.array([[0, 1, 2], [1, 0, 0], [2, 0, 0]]))
    array([3., 1., 2.])
    """
    return _degrees(as_adjacency(A, "A"))


def top_k(scores, k):
    """Indices of the ``k`` largest scores, largest first.

    Ties are broken towards the higher index (the twin's reversed stable sort).
    ``np.argpartition`` finds the k-th largest value in O(n); only the selected
    entries are sorted (O(n + k log k)).

    Parameters
    ----------
    scores : array_like, shape (n,)
        Finite real numbers (integers are compared exactly, not through float64).
    k : int in [0, n]

    Returns
    -------
    indices : ndarray of intp, shape (k,)
        Twin: :func:`fastnet.reference.graph.top_k`.

    Examples
    --------
    >>> from fastnet.graph.spectral import top_k
    >>> top_k([3.0, 1.0, 3.0, 7.0, 0.5], 3)
    array([3, 2, 0])
    """
    try:
        scores = np.asarray(scores)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"scores must be a 1-D array of real numbers; {exc}") from None
    if scores.dtype.kind not in "biuf":
        raise TypeError(f"scores must hold real numbers (bool, int or float); "
                        f"got an array of dtype {scores.dtype}")
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D; got shape {scores.shape}")
    if scores.dtype.kind == "f" and not np.isfinite(scores).all():
        raise ValueError("scores must contain only finite values (no NaN or inf)")
    n = scores.shape[0]
    k = check_int(k, "k")
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, {n}] (0 to the number of scores); got {k}")
    if k == 0:
        return np.empty(0, dtype=np.intp)
    if k < n:
        kth = scores[np.argpartition(scores, n - k)[n - k]]  # the k-th largest value
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        chosen = np.concatenate([above, tied[tied.size - (k - above.size):]])
    else:
        chosen = np.arange(n)
    order = np.lexsort((chosen, scores[chosen]))  # ascending value, then index
    return chosen[order[::-1]]


# ---------------------------------------------------------------- Laplacian
def _asymmetric_pair(A):
    """Some (i, j) with A[i, j] and A[j, i] further apart than the tolerance, or None."""
    n = A.shape[0]
    if is_sparse(A):
        atol = SYMMETRY_ATOL * (float(np.abs(A.data).max()) if A.nnz else 0.0)
        bad = np.empty(n, dtype=np.int64)
        _csr_asymmetry(A.nnz)(A.indptr, A.indices, A.data, SYMMETRY_RTOL, atol, bad)
        rows = np.flatnonzero(bad >= 0)
        return (int(rows[0]), int(bad[rows[0]])) if rows.size else None
    row_max = np.empty(n)
    _dense_abs_max(A.size)(A, row_max)
    atol = SYMMETRY_ATOL * (float(row_max.max()) if n else 0.0)
    bad = np.empty((n + TILE - 1) // TILE, dtype=np.int64)
    _dense_asymmetry(A.size)(A, SYMMETRY_RTOL, atol, bad)
    tiles = np.flatnonzero(bad >= 0)
    return divmod(int(bad[tiles[0]]), n) if tiles.size else None


def _check_symmetric(A, name="A"):
    pair = _asymmetric_pair(A)
    if pair is not None:
        i, j = pair
        raise ValueError(f"{name} must be symmetric (an undirected graph); "
                         f"{name}[{i}, {j}] = {float(A[i, j])!r} but "
                         f"{name}[{j}, {i}] = {float(A[j, i])!r}")


def _laplacian_parts(A, name="A"):
    """Validated adjacency, its degrees, D^-1/2 (0 where degree is 0) and the indicator
    of positive degree."""
    A = as_adjacency(A, name)
    _check_symmetric(A, name)
    degree = _degrees(A)
    negative = np.flatnonzero(degree < 0)
    if negative.size:
        i = int(negative[0])
        raise ValueError(
            f"{name} has nodes with negative weighted degree (node {i}: {degree[i]:.6g}, "
            f"{negative.size} node(s) in all); the normalized Laplacian needs degrees "
            f">= 0.  A signed graph such as correlation_graph's (negative correlations "
            f"kept as weights) can produce them: use np.abs({name}) or drop the negative "
            f"weights")
    positive = (degree > 0).astype(np.float64)
    inv_sqrt = np.zeros_like(degree)
    inv_sqrt[degree > 0] = 1.0 / np.sqrt(degree[degree > 0])
    return A, degree, inv_sqrt, positive


def _laplacian(A, inv_sqrt, positive):
    n = A.shape[0]
    if not is_sparse(A):
        L = np.empty((n, n))
        _dense_laplacian(A.size)(A, inv_sqrt, positive, L)
        return L
    counts = np.empty(n, dtype=np.int64)
    _csr_laplacian_counts(A.nnz + n)(A.indptr, A.indices, A.data, inv_sqrt, positive,
                                      counts)
    nnz = int(counts.sum())
    index_dtype = np.int32 if max(nnz, n) < 2**31 else np.int64
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(nnz, dtype=index_dtype)
    data = np.empty(nnz)
    _csr_laplacian_fill(A.nnz + n)(A.indptr, A.indices, A.data, inv_sqrt, positive, indptr,
                                   indices, data)
    L = scipy.sparse.csr_array((data, indices, indptr), shape=(n, n))
    L.has_sorted_indices = True
    return L


def normalized_laplacian(A):
    """Normalized Laplacian ``I - D^{-1/2} A D^{-1/2}`` of an undirected weighted graph.

    An isolated node (weighted degree 0) has an all-zero row and column, its diagonal
    included, so it contributes one zero eigenvalue.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
        Symmetric (to ``SYMMETRY_RTOL`` relative, so a matrix symmetric up to rounding
        passes), finite, with non-negative weighted degrees.  Negative weights are
        allowed as long as no row sum is negative.

    Returns
    -------
    L : ndarray or csr_array, shape (n, n)
        Dense for dense input; for sparse input a canonical ``csr_array`` computed in
        O(n + E) (the pattern of ``A`` plus the diagonal of non-isolated nodes).

    Raises
    ------
    ValueError
        If ``A`` is not symmetric or a node's weighted degree is negative (signed
        graphs such as :func:`correlation_graph`'s can have those).

    Notes
    -----
    Twin: :func:`fastnet.reference.graph.normalized_laplacian`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph.spectral import normalized_laplacian
    >>> normalized_laplacian(np.array([[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    array([[ 1., -1.,  0.],
           [-1.,  1.,  0.],
           [ 0.,  0.,  0.]])
    """
    A, _, inv_sqrt, positive = _laplacian_parts(A)
    return _laplacian(A, inv_sqrt, positive)


# ---------------------------------------------------------------- components
def _components(A):
    n = A.shape[0]
    parent = np.empty(n, dtype=np.int64)
    labels = np.empty(n, dtype=np.int64)
    if is_sparse(A):
        count = _csr_components(A.indptr, A.indices, parent, labels)
    else:
        count = _dense_components(A, parent, labels)
    return int(count), labels


def connected_components(A, *, return_labels=False):
    """Number of connected components of the graph's nonzero pattern.

    Nodes i and j are joined when ``A[i, j]`` or ``A[j, i]`` is nonzero (weights and
    their signs do not matter; an isolated node is a component of its own).  A
    compiled union-find, O(n + E) for sparse input (O(n^2) for dense).  For
    non-negative weights this is the number of zero eigenvalues of the normalized
    Laplacian, which is what the twin counts.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
    return_labels : bool
        Also return each node's component.

    Returns
    -------
    n_components : int
    labels : ndarray of int64, shape (n,)
        Only with ``return_labels``: components numbered 0..c-1 in order of their
        smallest node.

    Notes
    -----
    Twin: :func:`fastnet.reference.graph.connected_components`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph.spectral import connected_components
    >>> A = np.zeros((5, 5)); A[0, 3] = A[3, 0] = A[1, 4] = A[4, 1] = 1.0
    >>> connected_components(A)
    3
    >>> connected_components(A, return_labels=True)[1]
    array([0, 1, 2, 0, 1])
    """
    count, labels = _components(as_adjacency(A, "A"))
    return (count, labels) if return_labels else count


# ---------------------------------------------------------------- spectra
def _lanczos_smallest(block, k):
    """The k smallest eigenpairs of a connected component's Laplacian block, from the k
    largest of ``I - block`` (ARPACK, fixed start vector)."""
    from scipy.sparse.linalg import eigsh

    size = block.shape[0]
    M = scipy.sparse.eye_array(size, format="csr") - block
    v0 = np.random.default_rng(V0_SEED).standard_normal(size)
    values, vectors = eigsh(M, k=k, which="LA", v0=v0)
    order = np.argsort(-values, kind="stable")
    return 1.0 - values[order], vectors[:, order]


def _component_eigenpairs(L, k):
    """The k smallest eigenpairs of a sparse Laplacian, component by component."""
    n = L.shape[0]
    count, labels = _components(L)
    sizes = np.bincount(labels, minlength=count)
    nodes = np.argsort(labels, kind="stable")  # nodes grouped by component
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    diagonal = L.diagonal()
    # singletons: eigenvalue L_ii, eigenvector e_i
    singles = np.flatnonzero(sizes == 1)
    values = [diagonal[nodes[bounds[singles]]]]
    owners = [singles]
    locals_ = [np.zeros(singles.size, dtype=np.int64)]
    blocks = {}
    larger = np.flatnonzero(sizes > 1)
    if larger.size:
        Lp = L[nodes][:, nodes]
    for c in larger:
        s, e = int(bounds[c]), int(bounds[c + 1])
        size = e - s
        kc = min(k, size)
        block = Lp[s:e, s:e]
        if size <= DENSE_MAX or 2 * kc + 1 >= size:
            vals, vecs = scipy.linalg.eigh(block.toarray(), subset_by_index=[0, kc - 1])
        else:
            vals, vecs = _lanczos_smallest(block, kc)
        blocks[c] = vecs
        values.append(vals)
        owners.append(np.full(kc, c))
        locals_.append(np.arange(kc))
    values, owners, locals_ = (np.concatenate(values), np.concatenate(owners),
                               np.concatenate(locals_))
    key = np.where(np.abs(values) <= ZERO_EIGENVALUE, 0.0, values)
    chosen = np.lexsort((locals_, owners, key))[:k]
    U = np.zeros((n, k))
    for col, pick in enumerate(chosen):
        c = owners[pick]
        s, e = bounds[c], bounds[c + 1]
        if e - s == 1:
            U[nodes[s], col] = 1.0
        else:
            U[nodes[s:e], col] = blocks[c][:, locals_[pick]]
    return values[chosen], U


def _smallest_eigenpairs(A, k, name="A"):
    """The k smallest eigenvalues of the normalized Laplacian of A and unit
    eigenvectors, each with its largest-magnitude entry positive."""
    A, _, inv_sqrt, positive = _laplacian_parts(A, name)
    n = A.shape[0]
    if not is_sparse(A) and n > DENSE_MAX and np.count_nonzero(A) <= SPARSE_DENSITY * n * n:
        A = scipy.sparse.csr_array(A)
    L = _laplacian(A, inv_sqrt, positive)
    if is_sparse(L) and n > DENSE_MAX:
        values, U = _component_eigenpairs(L, k)
    else:
        L = L.toarray() if is_sparse(L) else L
        values, U = scipy.linalg.eigh(L, subset_by_index=[0, k - 1])
    U /= np.linalg.norm(U, axis=0)
    peak = U[np.argmax(np.abs(U), axis=0), np.arange(k)]
    U *= np.where(peak < 0, -1.0, 1.0)
    return values, U


def spectral_embedding(A, n_components, *, return_eigenvalues=False):
    """Spectral embedding: eigenvectors of the smallest eigenvalues of the normalized
    Laplacian.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
        Symmetric, finite, non-negative weighted degrees (see
        :func:`normalized_laplacian`).
    n_components : int in [1, n]
    return_eigenvalues : bool
        Also return the eigenvalues (ascending).

    Returns
    -------
    U : ndarray, shape (n, n_components)
        Unit-norm eigenvectors of the ``n_components`` smallest eigenvalues, in
        ascending order of eigenvalue; each column's largest-magnitude entry is
        positive (eigenvectors are defined only up to sign).
    eigenvalues : ndarray, shape (n_components,)
        Only with ``return_eigenvalues``.

    Notes
    -----
    Graphs of up to :data:`DENSE_MAX` nodes (and larger dense graphs with more than
    :data:`SPARSE_DENSITY` fill) use ``scipy.linalg.eigh(L, subset_by_index=...)``.
    Larger graphs are split into the connected components of ``L``: an isolated node
    gives eigenvalue 0 with eigenvector ``e_i``; a small component is solved densely; a
    large one by ARPACK Lanczos on ``I - L_c`` (``which="LA"``, the largest of
    ``I - L_c`` are the smallest of ``L_c``) from a fixed-seed start vector, so results
    are deterministic.  Within a connected component with non-negative weights the zero
    eigenvalue is simple, so a graph's many-fold zero eigenvalue (one per component) is
    found exactly, each eigenvector supported on one component, and ordered by
    component (smallest node first; eigenvalues within ``ZERO_EIGENVALUE`` of 0 count
    as ties); ARPACK failing to converge raises scipy's ``ArpackNoConvergence``.  The
    dense solver returns some orthonormal basis of a repeated eigenvalue's eigenspace
    (as the twin does): compare subspaces, not columns.
    Twin: :func:`fastnet.reference.graph.spectral_embedding`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph.spectral import spectral_embedding
    >>> A = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> U, values = spectral_embedding(A, 2, return_eigenvalues=True)
    >>> values.round(6)
    array([0., 1.])
    >>> U.round(4) + 0.0  # + 0.0: no negative zeros
    array([[ 0.5   ,  0.7071],
           [ 0.7071,  0.    ],
           [ 0.5   , -0.7071]])
    """
    A = as_adjacency(A, "A")
    n = A.shape[0]
    k = check_int(n_components, "n_components")
    if not 1 <= k <= n:
        raise ValueError(f"n_components must be in [1, {n}] (1 to the number of nodes); "
                         f"got {k}")
    values, U = _smallest_eigenpairs(A, k)
    return (U, values) if return_eigenvalues else U


def spectral_partition(A):
    """Spectral bipartition: 0/1 labels from the sign of the second eigenvector of the
    normalized Laplacian (the Fiedler vector of a connected graph).

    The sign is fixed as in the twin: the first node whose entry is nonzero gets label
    0; nodes with positive entries (after that flip) get label 1.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
        At least 2 nodes; symmetric, finite, non-negative weighted degrees.  For a
        graph with several components the second eigenvalue is 0 too: the second
        eigenvector is not unique and neither is the split (as in the twin).

    Returns
    -------
    labels : ndarray of int64, shape (n,)
        Twin: :func:`fastnet.reference.graph.spectral_partition`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph.spectral import spectral_partition
    >>> A = np.ones((6, 6)) - np.eye(6)
    >>> A[:3, 3:] = A[3:, :3] = 0.0
    >>> A[2, 3] = A[3, 2] = 0.1  # two triangles joined by a weak edge
    >>> spectral_partition(A)
    array([0, 0, 0, 1, 1, 1])
    """
    A = as_adjacency(A, "A")
    if A.shape[0] < 2:
        raise ValueError(f"A must have at least 2 nodes to be partitioned; "
                         f"got shape {A.shape}")
    _, U = _smallest_eigenpairs(A, 2)
    second = U[:, 1]
    if second[np.flatnonzero(second)[0]] > 0:
        second = -second
    return (second > 0).astype(np.int64)
