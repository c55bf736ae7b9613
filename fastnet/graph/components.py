"""Connected components of a graph's nonzero pattern.

A compiled union-find over the nonzero pattern: O(n + E) for a sparse graph, O(n^2)
for a dense one.  For a dense matrix known to be symmetric (a Laplacian), a
breadth-first search that scans only the nodes not reached yet is usually much
cheaper (:func:`symmetric_component_labels`).  Both number the components in order of
their smallest node.

Twin: :func:`fastnet.reference.graph.connected_components`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

from .._jit import jit
from ._adjacency import as_adjacency, is_sparse

__all__ = ["connected_components"]


# ---------------------------------------------------------------- union-find
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
def _csr_components(indptr, indices, parent, labels):
    n = parent.shape[0]
    for i in range(n):
        parent[i] = i
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            _union(parent, i, indices[k])
    return _label_components(parent, labels)


def csr_component_labels(indptr: np.ndarray, indices: np.ndarray) -> tuple[int, np.ndarray]:
    """``(c, labels)`` of the pattern given by CSR arrays (an entry in either direction
    joins two nodes): labels 0..c-1 in order of each component's smallest node."""
    n = indptr.shape[0] - 1
    labels = np.empty(n, dtype=np.int64)
    count = _csr_components(indptr, indices, np.empty(n, dtype=np.int64), labels)
    return int(count), labels


def component_labels(A: np.ndarray | scipy.sparse.csr_array) -> tuple[int, np.ndarray]:
    """``(c, labels)`` of an adjacency already validated by :func:`as_adjacency` (a
    dense ``ndarray`` or a ``csr_array``), numbered as by :func:`csr_component_labels`."""
    if is_sparse(A):
        return csr_component_labels(A.indptr, A.indices)
    n = A.shape[0]
    labels = np.empty(n, dtype=np.int64)
    count = _dense_components(A, np.empty(n, dtype=np.int64), labels)
    return int(count), labels


# ---------------------------------------------------------------- symmetric dense
@jit
def _symmetric_dense_components(W, unvisited, labels):
    """:func:`_dense_components` for a symmetric W, by breadth-first search that scans,
    for each reached node, only the nodes not reached yet (kept in a compacted list in
    increasing order).  A dense connected graph then costs a few rows instead of n^2
    reads; the worst case (no edges) is n^2 reads, as for union-find.  Same labels;
    returns c."""
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


def symmetric_component_labels(W: np.ndarray) -> tuple[int, np.ndarray]:
    """``(c, labels)`` of a dense, symmetric ``W`` (its diagonal is ignored), as
    :func:`component_labels` numbers them."""
    n = W.shape[0]
    labels = np.empty(n, dtype=np.int64)
    count = _symmetric_dense_components(W, np.empty(n, dtype=np.int64), labels)
    return int(count), labels


# ---------------------------------------------------------------- public function
def connected_components(A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix, *,
                         return_labels: bool = False) -> int | tuple[int, np.ndarray]:
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
    >>> from fastnet.graph import connected_components
    >>> A = np.zeros((5, 5)); A[0, 3] = A[3, 0] = A[1, 4] = A[4, 1] = 1.0
    >>> connected_components(A)
    3
    >>> connected_components(A, return_labels=True)[1]
    array([0, 1, 2, 0, 1])
    """
    count, labels = component_labels(as_adjacency(A, "A"))
    return (count, labels) if return_labels else count
