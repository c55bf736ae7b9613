"""Weighted degree centrality and the indices of the top-k scores (the hub genes of a
co-expression graph).

The degrees of a sparse graph are one compiled pass over its CSR arrays (O(E)); those
of a dense matrix are NumPy's row sums.

Twins: :func:`fastnet.reference.graph.degree_centrality`,
:func:`fastnet.reference.graph.top_k`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

from .._jit import prange, serial_or_parallel_jit
from .._validation import check_int
from ._adjacency import as_adjacency, is_sparse

__all__ = ["degree_centrality", "top_k"]


# ---------------------------------------------------------------- degrees
@serial_or_parallel_jit
def _csr_row_sums(indptr, data, out):
    for i in prange(out.shape[0]):
        total = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            total += data[k]
        out[i] = total


def weighted_degrees(A: np.ndarray | scipy.sparse.csr_array) -> np.ndarray:
    """Row sums of an adjacency already validated by :func:`as_adjacency`: NumPy's
    (pairwise) sum for a dense matrix, one compiled pass over the CSR arrays otherwise."""
    if is_sparse(A):
        out = np.empty(A.shape[0])
        _csr_row_sums(A.nnz)(A.indptr, A.data, out)
        return out
    return A.sum(axis=1)


def degree_centrality(
        A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix) -> np.ndarray:
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
    >>> from fastnet.graph import degree_centrality
    >>> degree_centrality(np.array([[0, 1, 2], [1, 0, 0], [2, 0, 0]]))
    array([3., 1., 2.])
    """
    return weighted_degrees(as_adjacency(A, "A"))


# ---------------------------------------------------------------- top k
def top_k(scores: ArrayLike, k: int) -> np.ndarray:
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
    >>> from fastnet.graph import top_k
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
