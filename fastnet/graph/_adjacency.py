"""The one boundary check for adjacency matrices (dense arrays or scipy sparse)."""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .._validation import as_float_array


def is_sparse(A) -> bool:
    return scipy.sparse.issparse(A)


def as_adjacency(A, name: str = "A", *, nonnegative: bool = False):
    """A square, finite float64 adjacency matrix.

    Dense input comes back as a C-contiguous ``ndarray``; scipy sparse input (any
    format, matrix or array) as a canonical ``csr_array`` (sorted column indices, no
    duplicate or explicitly stored zero entries), int32 or int64 indices.
    """
    if is_sparse(A):
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"{name} must be a square matrix; got shape {A.shape}")
        if A.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; got a sparse matrix of "
                            f"dtype {A.dtype}")
        csr = scipy.sparse.csr_array(A, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        csr.eliminate_zeros()
        if not np.isfinite(csr.data).all():
            raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
        if nonnegative and csr.data.size and csr.data.min() < 0:
            raise ValueError(f"{name} must have non-negative weights; got {csr.data.min()}")
        return csr
    arr = as_float_array(A, name, ndim=2).astype(np.float64, copy=False)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {arr.shape}")
    if nonnegative and arr.size and arr.min() < 0:
        raise ValueError(f"{name} must have non-negative weights; got {arr.min()}")
    return arr
