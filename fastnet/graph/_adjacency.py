"""The one boundary check for adjacency matrices (dense arrays or scipy sparse)."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .._jit import jit
from .._validation import as_float_array


def is_sparse(A) -> bool:
    return scipy.sparse.issparse(A)


def as_adjacency(A, name: str = "A", *, nonnegative: bool = False, copy: bool = True):
    """A square, finite float64 adjacency matrix.

    Dense input comes back as a C-contiguous ``ndarray``; scipy sparse input (any
    format, matrix or array) as a canonical ``csr_array`` (sorted column indices, no
    duplicate or explicitly stored zero entries), int32 or int64 indices.

    With ``copy=False``, for readers that skip zero weights: CSR input whose indices
    are sorted without duplicates comes back sharing its arrays, with its own value
    dtype (bool, integer or floating) and any explicitly stored zeros - no O(edges)
    copy of a graph that may fill most of memory.
    """
    if is_sparse(A):
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"{name} must be a square matrix; got shape {A.shape}")
        if A.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; got a sparse matrix of "
                            f"dtype {A.dtype}")
        if not copy and A.format == "csr" and A.has_canonical_format:
            shared = scipy.sparse.csr_array((A.data, A.indices, A.indptr), shape=A.shape,
                                            copy=False)
            shared.has_canonical_format = True
            _check_weights(shared.data, name, nonnegative)
            return shared
        csr = scipy.sparse.csr_array(A, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        csr.eliminate_zeros()
        _check_weights(csr.data, name, nonnegative)
        return csr
    arr = as_float_array(A, name, ndim=2).astype(np.float64, copy=False)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {arr.shape}")
    if nonnegative and arr.size and arr.min() < 0:
        raise ValueError(f"{name} must have non-negative weights; got {arr.min()}")
    return arr


def _check_weights(data, name, nonnegative):
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    if nonnegative and data.size and data.dtype.kind in "if" and data.min() < 0:
        raise ValueError(f"{name} must have non-negative weights; got {data.min()}")


# ---------------------------------------------------------------- mirroring
@jit
def _mirror_indptr(indptr, indices, full_indptr):
    """Row pointers of the symmetric CSR of an upper-triangular one; returns its nnz."""
    n = indptr.shape[0] - 1
    lower = np.zeros(n, dtype=np.int64)
    for e in range(indptr[-1]):
        lower[indices[e]] += 1
    full_indptr[0] = 0
    for r in range(n):
        own = indptr[r + 1] - indptr[r]
        has_loop = own > 0 and indices[indptr[r]] == r
        full_indptr[r + 1] = full_indptr[r] + own + lower[r] - has_loop
    return full_indptr[n]


@jit
def _mirror(indptr, indices, data, full_indptr, full_indices, full_data):
    """Row r of the symmetric CSR holds first the transposed entries (i, r), i < r, in
    increasing i, then the row's own upper entries (r, c), c >= r."""
    n = indptr.shape[0] - 1
    cursor = full_indptr[:-1].copy()
    for r in range(n):
        for e in range(indptr[r], indptr[r + 1]):
            c = indices[e]
            if c != r:
                full_indices[cursor[c]] = r
                full_data[cursor[c]] = data[e]
                cursor[c] += 1
        # every i < r has been written, so row r's own entries come next
        for e in range(indptr[r], indptr[r + 1]):
            full_indices[cursor[r]] = indices[e]
            full_data[cursor[r]] = data[e]
            cursor[r] += 1


def mirror_upper(indptr, indices, data):
    """CSR arrays (indptr, indices, data) of the symmetric matrix whose upper triangle
    (diagonal included) is the given sorted CSR; O(nnz), indices int32 while they fit."""
    n = indptr.size - 1
    full_indptr = np.empty(n + 1, dtype=np.int64)
    nnz = int(_mirror_indptr(indptr, indices, full_indptr))
    index_dtype = np.int32 if max(n, nnz) < 2**31 else np.int64
    full_indices = np.empty(nnz, dtype=index_dtype)
    full_data = np.empty(nnz, dtype=data.dtype)
    _mirror(indptr, indices, data, full_indptr, full_indices, full_data)
    return full_indptr.astype(index_dtype, copy=False), full_indices, full_data
