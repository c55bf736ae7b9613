"""Lloyd's k-means with sample weights, on dense or CSR data (``KMeans.fit`` with
``sample_weight``, sparse input or ``verbose``).

One compiled pass per iteration assigns every row to its nearest centre and
accumulates the weighted sums, the weights and the counts of each label over fixed
row chunks (per-chunk buffers merged in chunk order: the same result for any number of
threads).  Dense rows measure squared distances from differences (from BLAS products
``X C^T`` when they have ``WIDE`` features or more); a CSR row measures
``||x||^2 - 2 x.c + ||c||^2`` from its nonzeros and the centre norms, O(nnz k) per
pass, and CSR fits (without ``verbose``, whose messages need each iteration's inertia)
keep Hamerly's bounds, which skip the products of rows that no other centre can have
come nearer to, as the unweighted dense kernels do.

Iteration (scikit-learn's Lloyd scheme): labels from the current centres; new centres
= weighted label means; stop when the labels repeat, when the total squared centre
shift is <= ``tol_abs``, or after ``max_iter``; without strict convergence the labels
are recomputed for the final centres.  Empty clusters (no weight) take the points
farthest from their centres, largest distance first, skipping points of zero weight
and points that are the last of their cluster (the rule of :mod:`fastnet.cluster.kmeans`,
with weights).  The inertia is the weighted sum of squared distances.

Twin: :func:`fastnet.reference.cluster.kmeans_weighted`.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import row_norms

from .._jit import jit, prange, serial_or_parallel_jit
from .kmeans import (
    WIDE,
    _move_bounds,
    _n_chunks,
    _rows_per_chunk,
    _squared_distance,
    half_gaps,
)

__all__ = ["lloyd_weighted", "assign_weighted"]


# ---------------------------------------------------------------- kernels
@serial_or_parallel_jit(reassociate=True)
def _assign_dense_weighted(X, centers, weights, zero, products, center_norms, labels,
                           distances, sums, wsums, counts):
    """labels[i] = nearest centre, distances[i] = its squared distance (from
    differences); per chunk c: sums[c] += w x, wsums[c] += w, counts[c] += 1 by label.
    With ``products`` (n, k) (wide data), the nearest centre minimises
    ||c||^2 - 2 x.c."""
    n, d = X.shape
    k = centers.shape[0]
    wide = products.shape[0] == n
    rows = _rows_per_chunk(n, sums.shape[0])
    for c in prange(sums.shape[0]):
        sums[c] = 0.0
        wsums[c] = 0.0
        counts[c] = 0
        for i in range(c * rows, min(n, (c + 1) * rows)):
            best, best_j = np.inf, 0
            for j in range(k):
                if wide:
                    dist = center_norms[j] - 2 * products[i, j]
                else:
                    dist = _squared_distance(X, i, centers, j, zero)
                if dist < best:
                    best, best_j = dist, j
            if wide:
                best = _squared_distance(X, i, centers, best_j, zero)
            labels[i] = best_j
            distances[i] = best
            w = weights[i]
            wsums[c, best_j] += w
            counts[c, best_j] += 1
            for t in range(d):
                sums[c, best_j, t] += w * X[i, t]


@jit(inline="always")
def _csr_row_products(data, indices, start, end, centers_t, dot):
    """dot[j] = x.c_j over the nonzeros ``start:end`` of a CSR row (``centers_t`` is
    (d, k): the k products of one nonzero are contiguous)."""
    dot[:] = 0.0
    for p in range(start, end):
        value = data[p]
        column = centers_t[indices[p]]
        for j in range(dot.shape[0]):
            dot[j] += value * column[j]


@jit(inline="always")
def _add_csr_row(data, indices, start, end, label, w, sums, wsums, counts):
    """Adds a CSR row of weight ``w`` to its label's sum, weight and count (one
    chunk's buffers)."""
    wsums[label] += w
    counts[label] += 1
    for p in range(start, end):
        sums[label, indices[p]] += w * data[p]


@serial_or_parallel_jit(reassociate=True)
def _assign_csr(data, indices, indptr, row_norms, centers_t, center_norms, weights,
                half_gaps, labels, upper, lower, exact, distances, dots, sums, wsums, counts):
    """As :func:`_assign_dense_weighted` for a CSR matrix: the squared distance of row
    i to centre j is ``||x_i||^2 - 2 x_i.c_j + ||c_j||^2`` (clipped at 0), the products
    of all k centres accumulated over the row's nonzeros (``centers_t`` is (d, k), so
    the k products of one nonzero are contiguous); ``dots`` (n_chunks, k) is scratch.

    With ``exact`` every row measures its k distances and its label's goes to
    ``distances``.  Without, Hamerly's bounds (those of
    :func:`fastnet.cluster.kmeans._assign_with_bounds`) skip rows: while ``upper[i] <=
    max(lower[i], half_gaps[label])`` no other centre can be nearer and no product is
    computed; otherwise the distances to all k centres (Hamerly's intermediate step,
    the distance to the point's own centre alone, is skipped: on CSR rows it reads as
    many scattered centre entries as all k products do), and ``distances`` is not
    written.  A distance from ``||x||^2 - 2 x.c + ||c||^2`` is off by at most
    ``slack`` (the rounding of its nnz + 3 terms), so the bounds are widened by it:
    ``upper`` bounds the exact distance from above, ``lower`` from below."""
    n = indptr.shape[0] - 1
    k = centers_t.shape[1]
    largest_norm = center_norms.max()
    rows = _rows_per_chunk(n, sums.shape[0])
    for c in prange(sums.shape[0]):
        sums[c] = 0.0
        wsums[c] = 0.0
        counts[c] = 0
        dot = dots[c]
        for i in range(c * rows, min(n, (c + 1) * rows)):
            start, end = indptr[i], indptr[i + 1]
            # exact: labels may hold anything yet, so it is not read
            label = 0 if exact else labels[i]
            if exact or upper[i] > max(half_gaps[label], lower[i]):
                _csr_row_products(data, indices, start, end, centers_t, dot)
                best, second, label = np.inf, np.inf, 0
                for j in range(k):
                    dist = max(row_norms[i] - 2.0 * dot[j] + center_norms[j], 0.0)
                    if dist < best:
                        best, second, label = dist, best, j
                    elif dist < second:
                        second = dist
                slack = 4.5e-16 * (end - start + 3) * (row_norms[i] + largest_norm)
                upper[i] = math.sqrt(best + slack)
                lower[i] = math.sqrt(max(second - slack, 0.0))
                if exact:
                    distances[i] = best
            labels[i] = label
            _add_csr_row(data, indices, start, end, label, weights[i], sums[c], wsums[c],
                         counts[c])


# ---------------------------------------------------------------- drivers
class _WeightedWorkspace:
    """Buffers of one fit on dense or CSR ``X``, reused by every iteration and start."""

    def __init__(self, X, weights, k):
        n, d = X.shape
        self.X, self.weights, self.sparse = X, weights, sp.issparse(X)
        n_chunks = _n_chunks(n)
        self.labels = np.empty(n, dtype=np.int64)
        self.distances = np.empty(n, dtype=np.float64 if self.sparse else X.dtype)
        self.sums = np.empty((n_chunks, k, d))
        self.wsums = np.empty((n_chunks, k))
        self.counts = np.empty((n_chunks, k), dtype=np.int64)
        if self.sparse:
            self.dots = np.empty((n_chunks, k))
            self.row_norms = row_norms(X, squared=True).astype(np.float64, copy=False)
        wide = not self.sparse and d >= WIDE
        self.products = np.empty((n, k) if wide else (0, 0), dtype=X.dtype)

    def assign(self, centers):
        """Labels and distances for ``centers``; returns the merged (sums, weights,
        counts) of the labels."""
        X = self.X
        center_norms = np.einsum("ij,ij->i", centers, centers, dtype=np.float64)
        work = X.shape[0] * X.shape[1] * len(centers)
        if self.sparse:
            n, k = X.shape[0], len(centers)
            self._csr_pass(centers, np.zeros(k), np.full(n, np.inf), np.zeros(n), True)
        else:
            if self.products.shape[0]:
                np.matmul(X, centers.T, out=self.products)
            _assign_dense_weighted(work)(
                X, centers, self.weights, X.dtype.type(0), self.products, center_norms,
                self.labels, self.distances, self.sums, self.wsums, self.counts)
        return self.sums.sum(axis=0), self.wsums.sum(axis=0), self.counts.sum(axis=0)

    def assign_bounded(self, centers, upper, lower):
        """:meth:`assign` for CSR ``X`` with Hamerly's bounds ``upper`` and ``lower``
        (updated in place); :attr:`distances` are left as they were."""
        self._csr_pass(centers, half_gaps(centers), upper, lower, False)
        return self.sums.sum(axis=0), self.wsums.sum(axis=0), self.counts.sum(axis=0)

    def _csr_pass(self, centers, gaps, upper, lower, exact):
        """One pass of :func:`_assign_csr` (the one kernel of both modes)."""
        X = self.X
        centers_t = np.ascontiguousarray(centers.T, dtype=np.float64)
        center_norms = np.einsum("ji,ji->i", centers_t, centers_t)
        _assign_csr(X.nnz * len(centers))(
            X.data, X.indices, X.indptr, self.row_norms, centers_t, center_norms,
            self.weights, gaps, self.labels, upper, lower, exact, self.distances,
            self.dots, self.sums, self.wsums, self.counts)

    def inertia(self):
        return float(np.dot(self.weights.astype(np.float64), self.distances))

    def row(self, i):
        return self.X[[i]].toarray()[0] if self.sparse else self.X[i]


def _relocate_empty(work, sums, wsums, counts):
    """The module docstring's rule for clusters without weight, in place on the merged
    ``sums``, ``wsums`` and ``counts``."""
    empty = np.flatnonzero(wsums == 0)
    if empty.size == 0:
        return
    labels, weights = work.labels, work.weights
    farthest = np.argsort(-work.distances, kind="stable")  # ties in index order
    candidate = 0
    for cluster in empty:
        while candidate < farthest.size and (weights[farthest[candidate]] == 0
                                             or counts[labels[farthest[candidate]]] <= 1):
            candidate += 1
        if candidate == farthest.size:  # no point can move: the cluster keeps its centre
            return
        point = farthest[candidate]
        candidate += 1
        old, w, row = labels[point], weights[point], work.row(point)
        sums[old] -= w * row
        wsums[old] -= w
        counts[old] -= 1
        sums[cluster] = w * row
        wsums[cluster] = w
        counts[cluster] = 1


def assign_weighted(X: np.ndarray | sp.csr_matrix, weights: np.ndarray,
                    centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, squared distances) of the rows of dense or CSR ``X`` for ``centers``.

    >>> import numpy as np
    >>> labels, dist = assign_weighted(np.array([[0.0], [3.0]]), np.ones(2),
    ...                                np.array([[1.0], [2.5]]))
    >>> labels.tolist(), dist.tolist()
    ([0, 1], [1.0, 0.25])
    """
    work = _WeightedWorkspace(X, weights, len(centers))
    work.assign(np.ascontiguousarray(centers, dtype=X.dtype))
    return work.labels, work.distances


def lloyd_weighted(X: np.ndarray | sp.csr_matrix, weights: np.ndarray, centers: np.ndarray,
                   max_iter: int, tol_abs: float, verbose: bool = False,
                   previous: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One start of weighted Lloyd from ``centers`` (the module docstring's scheme).

    X: C-contiguous float32/float64 array or CSR matrix of the same dtypes (validated
    by the caller); weights: float64 (n,) >= 0; ``tol_abs``: absolute tolerance on the
    total squared centre shift; ``previous``: labels that count as the previous
    iteration's (the random partition of the seeds' init), or None.  Returns (centers
    in X's dtype, labels int64, weighted inertia, n_iter).  ``verbose`` prints
    scikit-learn's messages.

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> centers, labels, inertia, n_iter = lloyd_weighted(
    ...     X, np.array([1.0, 3.0, 1.0, 1.0]), np.array([[0.0, 0.0], [4.0, 0.0]]), 10, 0.0)
    >>> centers.tolist(), labels.tolist(), inertia, n_iter
    ([[0.0, 0.75], [4.0, 0.5]], [0, 0, 1, 1], 1.25, 2)
    """
    k = len(centers)
    work = _WeightedWorkspace(X, weights, k)
    centers = np.array(centers, dtype=X.dtype)
    previous = (np.full(X.shape[0], -1, dtype=np.int64) if previous is None
                else np.asarray(previous, dtype=np.int64).copy())
    # Hamerly's bounds skip most products on CSR rows; the verbose messages need every
    # iteration's exact inertia, so they take the plain pass
    bounded = work.sparse and not verbose
    upper, lower = np.full(X.shape[0], np.inf), np.zeros(X.shape[0])
    work.labels[:] = 0
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        if bounded:
            sums, wsums, counts = work.assign_bounded(centers, upper, lower)
        else:
            sums, wsums, counts = work.assign(centers)
        if verbose:
            print(f"Iteration {n_iter - 1}, inertia {work.inertia()}.")
        if bounded and not wsums.all():  # relocation needs every exact distance
            sums, wsums, counts = work.assign(centers)
            upper[:], lower[:] = np.inf, 0.0
        _relocate_empty(work, sums, wsums, counts)
        # a cluster that stays without weight keeps its centre
        new = np.where(wsums[:, None] > 0, sums / np.where(wsums > 0, wsums, 1.0)[:, None],
                       centers).astype(X.dtype)
        moved = (new.astype(np.float64) - centers) ** 2
        shift = float(moved.sum())
        if bounded:
            moved = np.sqrt(moved.sum(axis=1))
            order = np.argsort(-moved, kind="stable")
            second = moved[order[1]] if moved.size > 1 else 0.0
            _move_bounds(work.labels, upper, lower, moved, moved[order[0]], order[0], second)
        centers = new
        if np.array_equal(work.labels, previous):
            if verbose:
                print(f"Converged at iteration {n_iter - 1}: strict convergence.")
            break
        if shift <= tol_abs:
            if verbose:
                print(f"Converged at iteration {n_iter - 1}: center shift {shift} within "
                      f"tolerance {tol_abs}.")
            break
        previous[:] = work.labels
    # labels for the final centres (after strict convergence they are the same labels)
    work.assign(centers)
    return centers, work.labels.copy(), work.inertia(), n_iter
