"""Spectral embedding and spectral bipartition: eigenvectors of the smallest eigenvalues
of the normalized Laplacian (:mod:`fastnet.graph.laplacian`).

Graphs of up to ``DENSE_MAX`` nodes are solved by ``eigh(L, subset_by_index=...)``;
larger sparse graphs are split into the connected components of ``L`` (``L`` is block
diagonal over them) and each large component is solved by Lanczos (ARPACK ``eigsh``)
on ``I - L`` with ``which="LA"``: inside a connected component the zero eigenvalue is
simple, so the Lanczos iteration never has to resolve the many-fold zero eigenvalue of
a graph with many components.

Twins: :func:`fastnet.reference.graph.spectral_embedding`,
:func:`fastnet.reference.graph.spectral_partition`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
from numpy.typing import ArrayLike

from .._validation import check_int
from ._adjacency import as_adjacency, is_sparse
from .components import component_labels
from .laplacian import assemble_laplacian, laplacian_parts

__all__ = ["spectral_embedding", "spectral_partition"]

DENSE_MAX = 2000  # eigenproblems of up to this many nodes are solved densely
SPARSE_DENSITY = 0.1  # larger dense graphs with at most this fill go the sparse way
ZERO_EIGENVALUE = 1e-10  # eigenvalues this close to 0 are ordered as ties (by component)
V0_SEED = 20240229  # fixed start vector of the Lanczos iteration: deterministic results


# ---------------------------------------------------------------- eigenpairs
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
    count, labels = component_labels(L)
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
    A, inv_sqrt, positive = laplacian_parts(A, name)
    n = A.shape[0]
    if not is_sparse(A) and n > DENSE_MAX and np.count_nonzero(A) <= SPARSE_DENSITY * n * n:
        A = scipy.sparse.csr_array(A)
    L = assemble_laplacian(A, inv_sqrt, positive)
    if is_sparse(L) and n > DENSE_MAX:
        values, U = _component_eigenpairs(L, k)
    else:
        L = L.toarray() if is_sparse(L) else L
        values, U = scipy.linalg.eigh(L, subset_by_index=[0, k - 1])
    U /= np.linalg.norm(U, axis=0)
    peak = U[np.argmax(np.abs(U), axis=0), np.arange(k)]
    U *= np.where(peak < 0, -1.0, 1.0)
    return values, U


def spectral_embedding(
        A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix, n_components: int, *,
        return_eigenvalues: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Spectral embedding: eigenvectors of the smallest eigenvalues of the normalized
    Laplacian.

    Parameters
    ----------
    A : array_like or scipy sparse matrix, shape (n, n)
        Symmetric, finite, non-negative weighted degrees (see
        :func:`~fastnet.graph.normalized_laplacian`).
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
    Graphs of up to ``DENSE_MAX`` nodes (and larger dense graphs with more than
    ``SPARSE_DENSITY`` fill) use ``scipy.linalg.eigh(L, subset_by_index=...)``.
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
    >>> from fastnet.graph import spectral_embedding
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


def spectral_partition(
        A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix) -> np.ndarray:
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
    >>> from fastnet.graph import spectral_partition
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
