"""The normalized Laplacian ``I - D^{-1/2} A D^{-1/2}`` of an undirected weighted graph,
with the checks it needs: a symmetric adjacency and non-negative weighted degrees.

Graphs are square adjacency matrices, dense ``ndarray`` or scipy sparse (any format;
taken as a canonical float64 ``csr_array``).  The symmetry check and the Laplacian are
single compiled passes over the dense matrix or over the CSR arrays (O(E)).

Twin: :func:`fastnet.reference.graph.normalized_laplacian`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

from .._jit import jit, prange, serial_or_parallel_jit
from ._adjacency import as_adjacency, is_sparse
from ._tiles import TILE, paired_index
from .centrality import weighted_degrees

__all__ = ["normalized_laplacian"]

SYMMETRY_RTOL = 1e-10  # |A_ij - A_ji| <= rtol max(|A_ij|, |A_ji|) + atol ...
SYMMETRY_ATOL = 1e-14  # ... with atol = SYMMETRY_ATOL * max |A|


# ---------------------------------------------------------------- symmetry
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
    tolerance, or -1.  Tile rows are taken in balanced pairs (:func:`paired_index`)."""
    n = A.shape[0]
    n_tiles = bad.shape[0]
    for p in prange((n_tiles + 1) // 2):
        for q in range(2):
            t = paired_index(p, q, n_tiles)
            if t < 0:
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


def laplacian_parts(A, name: str = "A") -> tuple[np.ndarray | scipy.sparse.csr_array,
                                                 np.ndarray, np.ndarray]:
    """``(A, inv_sqrt, positive)``: the validated adjacency (checked symmetric, with
    non-negative weighted degrees), ``D^-1/2`` (0 where the degree is 0) and the
    indicator of positive degree, the inputs of :func:`assemble_laplacian`."""
    A = as_adjacency(A, name)
    _check_symmetric(A, name)
    degree = weighted_degrees(A)
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
    return A, inv_sqrt, positive


# ---------------------------------------------------------------- Laplacian
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


def assemble_laplacian(A, inv_sqrt: np.ndarray,
                       positive: np.ndarray) -> np.ndarray | scipy.sparse.csr_array:
    """The normalized Laplacian from :func:`laplacian_parts`: dense for a dense ``A``, a
    canonical ``csr_array`` (O(n + E)) for a ``csr_array``."""
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


# ---------------------------------------------------------------- public function
def normalized_laplacian(
        A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix,
) -> np.ndarray | scipy.sparse.csr_array:
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
        graphs such as :func:`~fastnet.graph.correlation_graph`'s can have those).

    Notes
    -----
    Twin: :func:`fastnet.reference.graph.normalized_laplacian`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.graph import normalized_laplacian
    >>> normalized_laplacian(np.array([[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    array([[ 1., -1.,  0.],
           [-1.,  1.,  0.],
           [ 0.,  0.,  0.]])
    """
    return assemble_laplacian(*laplacian_parts(A))
