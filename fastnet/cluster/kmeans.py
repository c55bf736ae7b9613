"""k-means by Lloyd's algorithm.

One compiled pass per iteration assigns every point to its nearest centre (squared
Euclidean) and accumulates the per-cluster sums and counts of the new labels, over
fixed row chunks with per-chunk buffers merged in a fixed order: the same result for
any number of threads.  Hamerly's bounds (one upper, one lower bound per point) skip
the distances of points that provably keep their centre: the labels are Lloyd's.
For wide data (``WIDE`` features or more) the products ``X C^T`` come from BLAS
first and the centre minimising ``||c||^2 - 2 x.c`` is taken (no bounds).

Two drivers run the same iterations: :func:`_lloyd_python_loop` owns the loop in
Python and calls one (parallel) kernel per step; :func:`_lloyd_compiled_loop` runs
the whole loop, bounds included, in one compiled call for narrow data whose bounded
pass runs serially (:func:`lloyd_driver` picks).  Both give the same labels and
iteration counts, and the same centres up to the last bit (see the compiled kernel).

Iteration (scikit-learn's Lloyd scheme): labels from the current centres, new centres
= label means; stop when the labels equal the previous ones, or the total squared
centre shift is <= ``tol * mean(var(X, axis=0))``, or after ``max_iter``; if stopped
without strict convergence the labels are recomputed for the final centres.

Empty clusters: the centre of an empty cluster moves to the point farthest from its
own centre (largest distance first, one point per empty cluster), and that point
leaves its former cluster's sum and count; a point that is the last one of its
cluster is passed over, so relocation never empties another cluster.  Both drivers
apply this rule through :func:`_relocate_empty_clusters`.

Greedy k-means++ (:func:`_kmeans_plusplus`): one parallel pass per step measures every
candidate's potential over fixed row chunks.  scikit-learn's estimator, :class:`KMeans`,
is in :mod:`fastnet.cluster.kmeans_estimator`; weighted and sparse Lloyd in
:mod:`fastnet.cluster.kmeans_weighted`.

Twins: :func:`fastnet.reference.cluster.kmeans`, :func:`~fastnet.reference.cluster.kmeans_plusplus`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._jit import jit, prange, serial_or_parallel_jit
from .._stats import column_mean_std
from .._validation import (
    as_2d_float,
    check_int,
    check_nonnegative_float,
)
from ..random import SeedLike, spawn_sequences
from ..random import rng as make_rng

__all__ = ["kmeans", "KMeans", "KMeansResult"]

ROW_CHUNK = 256  # at least this many rows per partial-sum buffer
MAX_CHUNKS = 64  # at most this many buffers of k x d sums (memory O(k d), not O(n k d / 256))
WIDE = 128  # from this many features, x.c products go to BLAS (see _assign_from_products)
#: n k d below which the bounded pass runs serially.  After the first iterations the
#: bounds skip most distances, so the pass does far less than n k d work, and at such
#: sizes less than waking the threads costs
BOUNDED_MIN_WORK = 1 << 22
#: n d (candidates) below which a k-means++ step measures its candidates serially: at
#: such sizes waking the threads costs more than they save
PLUSPLUS_MIN_WORK = 1 << 20


# ---------------------------------------------------------------- kernels
@jit(inline="always", reassociate=True)
def _squared_distance(X, i, centers, j, zero):
    dist = zero  # X's dtype: float32 distances are summed in float32, as BLAS would
    for t in range(X.shape[1]):
        diff = X[i, t] - centers[j, t]
        dist += diff * diff
    return dist


@jit(inline="always")
def _record(X, i, label, dist, labels, distances, chunk_sums, chunk_counts):
    labels[i] = label
    distances[i] = dist
    chunk_counts[label] += 1
    for t in range(X.shape[1]):
        chunk_sums[label, t] += X[i, t]


def _n_chunks(n):
    """Partial-sum buffers for n rows: fixed by n alone, so sums do not depend on threads."""
    return min(MAX_CHUNKS, (n + ROW_CHUNK - 1) // ROW_CHUNK)


@jit(inline="always")
def _rows_per_chunk(n, n_chunks):
    return (n + n_chunks - 1) // n_chunks


@serial_or_parallel_jit(reassociate=True)
def _assign_from_products(X, centers, zero, products, center_norms, labels, distances, sums,
                          counts):
    """The assignment for wide data: labels[i] = nearest centre, distances[i] = its
    squared distance, sums[c] and counts[c] = per-chunk sums and counts of the points of
    each label.  ``products = X @ centers.T`` comes from BLAS, the nearest centre
    minimises ||c||^2 - 2 x.c, and the distance to it is then measured directly (no
    cancellation in the inertia)."""
    n = X.shape[0]
    rows = _rows_per_chunk(n, sums.shape[0])
    for c in prange(sums.shape[0]):
        sums[c] = 0.0
        counts[c] = 0
        for i in range(c * rows, min(n, (c + 1) * rows)):
            best, best_j = np.inf, 0
            for j in range(centers.shape[0]):
                score = center_norms[j] - 2 * products[i, j]
                if score < best:
                    best, best_j = score, j
            dist = _squared_distance(X, i, centers, best_j, zero)
            _record(X, i, best_j, dist, labels, distances, sums[c], counts[c])


@serial_or_parallel_jit(reassociate=True, min_work=BOUNDED_MIN_WORK)
def _assign_with_bounds(X, centers, zero, half_gaps, labels, upper, lower, distances, exact,
                        shifts, largest, largest_at, second_largest, entry_labels, changes,
                        sums, counts):
    """Lloyd's assignment with Hamerly's bounds (Euclidean, not squared): ``upper[i]``
    bounds the distance to the point's centre, ``lower[i]`` the distance to every
    other centre.  While ``upper <= max(lower, half the gap from its centre to the
    nearest other centre)`` no other centre can be nearer and no distance is computed;
    otherwise the bound is tightened, then all k distances are measured.  With
    ``exact`` every row's squared distance to its centre goes to ``distances`` (a
    skipped row measures that one distance); without, ``distances`` is not written.
    ``sums[c]`` and ``counts[c]`` are the sums and counts of the points of each label in
    row chunk c (fixed by n, so the same for any number of threads).

    The bounds are first moved for centres that moved by ``shifts`` since the bounds
    were set, as :func:`_move_bounds` does (all zero: not moved), inside this pass
    rather than in a serial pass of their own.  The labels on entry go to
    ``entry_labels`` and ``changes[c]`` counts the rows of chunk c whose label changed,
    so the driver learns "labels as before" without a serial comparison.

    With ``upper`` = inf and ``lower`` = ``half_gaps`` = 0 it is the plain assignment:
    every row measures all k distances (a row at distance 0 from its starting label
    keeps it, as the plain argmin would)."""
    n = X.shape[0]
    rows = _rows_per_chunk(n, sums.shape[0])
    for c in prange(sums.shape[0]):
        sums[c] = 0.0
        counts[c] = 0
        changed = 0
        for i in range(c * rows, min(n, (c + 1) * rows)):
            label = old = labels[i]
            entry_labels[i] = old
            up = upper[i] + shifts[label]
            low = lower[i] - (second_largest if label == largest_at else largest)
            bound = max(half_gaps[label], low)
            own = -1.0  # not measured
            if up > bound:
                own = _squared_distance(X, i, centers, label, zero)
                up = math.sqrt(own)
                if up > bound:
                    best, second, best_j = np.inf, np.inf, 0
                    for j in range(centers.shape[0]):
                        if j == label:  # measured above
                            dist = own
                        else:
                            dist = _squared_distance(X, i, centers, j, zero)
                        if dist < best:
                            best, second, best_j = dist, best, j
                        elif dist < second:
                            second = dist
                    label = best_j
                    own = best
                    up = math.sqrt(best)
                    low = math.sqrt(second)
            upper[i] = up
            lower[i] = low
            if exact:
                if own < 0.0:
                    own = _squared_distance(X, i, centers, label, zero)
                distances[i] = own
            if label != old:
                changed += 1
            labels[i] = label
            counts[c, label] += 1
            for t in range(X.shape[1]):
                sums[c, label, t] += X[i, t]
        changes[c] = changed


@jit
def _move_bounds(labels, upper, lower, shifts, largest, largest_at, second_largest):
    """After the centres moved by ``shifts``: a point's centre is at most shifts[label]
    farther, any other centre at most the largest other shift nearer."""
    for i in range(labels.shape[0]):
        upper[i] += shifts[labels[i]]
        lower[i] -= second_largest if labels[i] == largest_at else largest


@jit(inline="always", reassociate=True)
def _half_gaps_into(centers, gaps):
    """gaps[a] = half the distance from centre a to its nearest other centre (inf for a
    single centre), measured from differences in float64: the ||a||^2 + ||b||^2 - 2 a.b
    shortcut cancels for close centres.  Each pair once, k^2 d / 2 work per iteration
    (d is 10,000 and more for sparse documents), with reassociation to vectorise it:
    the gaps only decide which rows skip their distances, and rounding moves them by
    an ulp as it moves the bounds."""
    k, d = centers.shape
    nearest = np.full(k, np.inf)
    for a in range(k):
        for b in range(a + 1, k):
            dist = 0.0
            for t in range(d):
                diff = np.float64(centers[a, t]) - np.float64(centers[b, t])
                dist += diff * diff
            nearest[a] = min(nearest[a], dist)
            nearest[b] = min(nearest[b], dist)
    for a in range(k):
        gaps[a] = 0.5 * math.sqrt(nearest[a])


def half_gaps(centers):
    """:func:`_half_gaps_into` into a new array (k,)."""
    gaps = np.empty(centers.shape[0])
    _half_gaps_into(np.ascontiguousarray(centers), gaps)
    return gaps


@jit(inline="always")
def _relocate_empty_clusters(X, labels, distances, sums, counts):
    """The module docstring's rule for empty clusters, applied to the merged ``sums``
    (k, d) and ``counts`` (k,) of the current labels, in place: each cluster with
    ``counts == 0``, in index order, takes the farthest point not yet considered (largest
    ``distances`` first, ties in index order) whose cluster keeps another point; that
    point's row leaves its former cluster's sum and count.  Needs n >= k.

    The points are considered in that order by scanning for the next one below the last
    (O(n) per point considered, no sort: empty clusters are rare, and a sort would cost
    the compiled Lloyd loop seconds of compile time)."""
    n = labels.shape[0]
    last_distance, last_point = np.inf, np.int64(-1)  # the last point considered
    for cluster in range(counts.shape[0]):
        if counts[cluster] != 0:
            continue
        while True:
            point, distance = np.int64(-1), -np.inf
            for i in range(n):  # the first of the farthest after (last_distance, last_point)
                if distances[i] < last_distance or (distances[i] == last_distance
                                                    and i > last_point):
                    if distances[i] > distance:
                        point, distance = i, distances[i]
            last_distance, last_point = distance, point
            if counts[labels[point]] > 1:  # n >= k: one is left
                break
        old = labels[point]
        for t in range(X.shape[1]):
            sums[old, t] -= X[point, t]
            sums[cluster, t] = X[point, t]
        counts[old] -= 1
        counts[cluster] = 1


@jit(inline="always")
def _merge_chunks(sums, counts, total, count):
    """total = sums.sum(axis=0), count = counts.sum(axis=0) over the fixed chunks (the
    same for any number of threads), in loops that compile in a fraction of the time
    NumPy's axis sum takes to compile."""
    total[:] = 0.0
    count[:] = 0
    for c in range(sums.shape[0]):
        for j in range(sums.shape[1]):
            count[j] += counts[c, j]
            for t in range(sums.shape[2]):
                total[j, t] += sums[c, j, t]


#: The serial variant of :func:`_assign_with_bounds`, and its copy that the compiled
#: loop builds into itself (compiled once, there, rather than alone and again when linked)
_bounded_serial = _assign_with_bounds.serial
_bounded_inline = _assign_with_bounds.inline


@jit(inline="always")
def _equal_labels(a, b):
    for i in range(a.shape[0]):
        if a[i] != b[i]:
            return False
    return True


@jit(reassociate=True)  # the bounded pass's flags, which it inlines
def _lloyd_compiled_loop_kernel(X, centers, max_iter, tol_abs, previous, labels, distances,
                                upper, lower, before, entry_labels, changes, sums, counts):
    """The body of :func:`_lloyd_compiled_loop`: the iterations of
    :func:`_lloyd_python_loop` with Hamerly's bounds (the same passes, bound moves,
    stopping rules and relocation of empty clusters, so the same labels and iteration
    counts), with no Python between the passes.  ``centers`` is updated in
    place; ``labels`` = 0, ``upper`` = inf and ``lower`` = 0 on entry; ``before`` is
    scratch (n,); returns the number of iterations (``distances`` holds the final ones).

    Written in plain loops: NumPy's generic functions (axis sums, argsort, slice
    assignment) would each add to the compile time of a user's first fit.  The pass and
    the helpers are inlined, so it is compiled with the pass's reassociation, and its
    division of the sums by the counts may round as a product with the reciprocal: the
    centres can differ from the Python loop's in the last bit."""
    n, d = X.shape
    k = centers.shape[0]
    zero = X.dtype.type(0)
    gaps = np.empty(k)
    total = np.empty((k, d))
    count = np.empty(k, dtype=np.int64)
    shifts = np.zeros(k)  # the moves of the last shift, made by the next pass
    largest, second_largest = 0.0, 0.0
    largest_at, exact = np.int64(-1), np.bool_(False)  # the types they take later
    # one call of the pass for every kind of pass (an iteration's; one with exact
    # distances for relocating empty clusters; the last one, for the inertia), so that
    # the large pass is built into this kernel once
    n_iter, relocating, last = 0, False, False
    while True:
        _half_gaps_into(centers, gaps)
        _bounded_inline(X, centers, zero, gaps, labels, upper, lower, distances, exact,
                        shifts, largest, largest_at, second_largest, entry_labels, changes,
                        sums, counts)
        if last:
            return n_iter
        for c in range(k):
            shifts[c] = 0.0
        largest, largest_at, second_largest = 0.0, np.int64(-1), 0.0
        _merge_chunks(sums, counts, total, count)
        if not relocating:
            n_iter += 1
            reference = entry_labels if n_iter > 1 else previous  # this iteration's start
            unchanged = _equal_labels(labels, reference)
            for c in range(k):
                relocating = relocating or count[c] == 0
            exact = relocating
            if relocating:  # relocation needs every exact distance: one more pass
                for i in range(n):
                    before[i] = reference[i]  # the next pass overwrites entry_labels
                continue
        else:
            relocating = exact = False
            for i in range(n):
                upper[i] = np.inf
            _relocate_empty_clusters(X, labels, distances, total, count)
            unchanged = _equal_labels(labels, before)
        if unchanged:
            last = exact = True
            continue
        shift = 0.0
        for c in range(k):
            moved = 0.0
            for t in range(d):
                new = X.dtype.type(total[c, t] / count[c])
                diff = np.float64(new - centers[c, t])
                moved += diff * diff
                centers[c, t] = new
            shifts[c] = math.sqrt(moved)
            shift += shifts[c] ** 2
            if largest_at < 0 or shifts[c] > largest:  # the first of equal largest shifts
                largest, largest_at = shifts[c], c
        for c in range(k):
            if c != largest_at:
                second_largest = max(second_largest, shifts[c])
        last = exact = shift <= tol_abs or n_iter >= max_iter


# ---------------------------------------------------------------- Lloyd drivers
@dataclass(frozen=True)
class KMeansResult:
    """What :func:`kmeans` returns, for the best start.

    ``centers`` (k, d): the cluster centres, in the dtype of X; ``labels`` (n,): the
    index of each point's nearest centre (int64); ``inertia``: the sum of squared
    distances of the points to their centres; ``n_iter``: the iterations of that start.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int

    def __repr__(self):
        return (f"KMeansResult(k={self.centers.shape[0]}, inertia={self.inertia:.6g}, "
                f"n_iter={self.n_iter})")


class _Workspace:
    """Buffers of one fit, allocated once and reused by every iteration and start."""

    def __init__(self, n, d, k, dtype):
        n_chunks = _n_chunks(n)
        self.labels = np.empty(n, dtype=np.int64)
        self.distances = np.empty(n, dtype=dtype)
        self.sums = np.empty((n_chunks, k, d))
        self.counts = np.empty((n_chunks, k), dtype=np.int64)
        self.products = np.empty((n, k), dtype=dtype) if d >= WIDE else None
        # the bounded kernel's labels on entry and per-chunk counts of changed labels
        self.entry_labels = np.empty(n if d < WIDE else 0, dtype=np.int64)
        self.changes = np.empty(n_chunks, dtype=np.int64)

    def assign(self, X, centers, bounds=None, move=None):
        """Labels and exact distances for ``centers``; returns the merged (sums, counts)
        of the labels.  Narrow data take the bounded kernel, with ``bounds`` = (half
        gaps, upper, lower) valid for ``centers`` and :attr:`labels` once moved by
        ``move`` (see :func:`_no_move`), or none (every distance measured): the kernel a
        fit has compiled already, not one more."""
        if self.products is None:
            n, k = X.shape[0], len(centers)
            if bounds is None:
                self.labels[:] = 0
                bounds = (np.zeros(k), np.full(n, np.inf), np.zeros(n))
            _assign_with_bounds(X.size * k)(
                X, centers, X.dtype.type(0), bounds[0], self.labels, bounds[1], bounds[2],
                self.distances, True, *(move or _no_move(k)), self.entry_labels,
                self.changes, self.sums, self.counts)
        else:
            np.matmul(X, centers.T, out=self.products)
            center_norms = np.einsum("ij,ij->i", centers, centers)
            kernel = _assign_from_products(X.size * len(centers))
            kernel(X, centers, X.dtype.type(0), self.products, center_norms, self.labels,
                   self.distances, self.sums, self.counts)
        return self.sums.sum(axis=0), self.counts.sum(axis=0)

    def result(self, centers, n_iter):
        """The result for ``centers`` once :attr:`labels` and :attr:`distances` are theirs."""
        return KMeansResult(centers, self.labels.copy(),
                            float(self.distances.sum(dtype=np.float64)), n_iter)


def _no_move(k):
    """Bound moves (shifts, largest, its centre, second largest) that move nothing."""
    return np.zeros(k), 0.0, -1, 0.0


def _lloyd_python_loop(X, centers, max_iter, tol_abs, work, previous_labels=None):
    """Lloyd's iterations driven from Python, each step one (parallel) kernel: Hamerly's
    bounds for narrow data, BLAS products (:func:`_assign_from_products`) for wide.

    With bounds, the kernel of the next iteration moves the bounds for this
    iteration's centre shifts and reports whether any label changed: the loop makes no
    serial pass over the rows, except to compare with ``previous_labels`` in the first
    iteration and after an empty cluster's relocation has moved labels."""
    centers = centers.copy()
    n, k = X.shape[0], len(centers)
    bounded = work.products is None  # Hamerly's bounds for narrow data
    if bounded:
        previous = previous_labels  # None: -1 everywhere, which no label equals
        upper, lower = np.full(n, np.inf), np.zeros(n)
        move = _no_move(k)  # the moves of the last shift, made by the next pass
    else:
        previous = (np.full(n, -1, dtype=np.int64) if previous_labels is None
                    else previous_labels.copy())
    work.labels[:] = 0
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        if bounded:
            _assign_with_bounds(X.size * k)(
                X, centers, X.dtype.type(0), half_gaps(centers), work.labels, upper, lower,
                work.distances, False, *move, work.entry_labels, work.changes, work.sums,
                work.counts)
            move = _no_move(k)
            sums, counts = work.sums.sum(axis=0), work.counts.sum(axis=0)
            if n_iter > 1:  # the labels on entry were the last iteration's
                previous, unchanged = work.entry_labels, not work.changes.any()
            else:
                unchanged = previous is not None and np.array_equal(work.labels, previous)
        else:
            sums, counts = work.assign(X, centers)
        if not counts.all():
            if bounded:  # relocation needs every exact distance; it moves labels
                if previous is not None:
                    previous = previous.copy()  # the next pass overwrites entry_labels
                sums, counts = work.assign(X, centers, (half_gaps(centers), upper, lower))
                upper[:] = np.inf
            _relocate_empty_clusters(X, work.labels, work.distances, sums, counts)
            if bounded:
                unchanged = previous is not None and np.array_equal(work.labels, previous)
        new = (sums / counts[:, None]).astype(X.dtype)
        if not bounded:
            unchanged = np.array_equal(work.labels, previous)
        if unchanged:
            break
        # float64 shifts, as the compiled loop's: one type for the bounded kernel
        moved = np.sqrt(((new - centers) ** 2).sum(axis=1, dtype=np.float64))
        if bounded:
            order = np.argsort(-moved, kind="stable")
            second = moved[order[1]] if moved.size > 1 else 0.0
            move = (moved, moved[order[0]], order[0], second)
        shift = float((moved ** 2).sum())
        centers = new
        if shift <= tol_abs:
            break
        if not bounded:
            previous[:] = work.labels
    # labels and exact distances for the final centres (the inertia's)
    if bounded:
        work.assign(X, centers, (half_gaps(centers), upper, lower), move)
    else:
        work.assign(X, centers)
    return work.result(centers, n_iter)


def _lloyd_compiled_loop(X, centers, max_iter, tol_abs, work, previous_labels=None):
    """Lloyd's iterations as one compiled call (:func:`_lloyd_compiled_loop_kernel`),
    for narrow data whose bounded pass runs serially: there a Python loop's
    per-iteration overhead would cost as much as a pass that the bounds prune."""
    centers = np.array(centers, dtype=X.dtype)  # updated in place by the kernel
    n = X.shape[0]
    previous = (np.full(n, -1, dtype=np.int64) if previous_labels is None
                else previous_labels.astype(np.int64))
    work.labels[:] = 0
    n_iter = _lloyd_compiled_loop_kernel(X, centers, max_iter, tol_abs, previous, work.labels,
                                         work.distances, np.full(n, np.inf), np.zeros(n),
                                         np.empty(n, dtype=np.int64), work.entry_labels,
                                         work.changes, work.sums, work.counts)
    return work.result(centers, n_iter)


def lloyd_driver(X, k, work):
    """The driver for a fit: compiled where the bounded pass runs serially (narrow data
    below ``BOUNDED_MIN_WORK``), Python-driven parallel passes otherwise."""
    if work.products is None and _assign_with_bounds(X.size * k) is _bounded_serial:
        return _lloyd_compiled_loop
    return _lloyd_python_loop


# ---------------------------------------------------------------- inits
@jit
def _add_rows_by_label(X, labels, sums):
    """``sums[labels[i]] += X[i]`` in row order, in one compiled pass (``np.add.at``,
    which does the same, is far slower on wide data)."""
    for i in range(X.shape[0]):
        row = sums[labels[i]]
        for j in range(X.shape[1]):
            row[j] += X[i, j]


def random_partition_init(X, k, generator):
    """The seeds' init: a random label per point, centres = label means (an empty label
    keeps a zero centre, as in the seeds).  Returns (centers, labels)."""
    labels = generator.integers(0, k, X.shape[0])
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros((k, X.shape[1]))
    _add_rows_by_label(X, labels, sums)
    centers = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], 0.0)
    return centers.astype(X.dtype), labels.astype(np.int64)


@serial_or_parallel_jit(reassociate=True, min_work=PLUSPLUS_MIN_WORK)
def _plusplus_trials(X, candidates, closest, weights, trial, partial):
    """``trial[t, i] = min(closest[i], ||x_i - X[candidates[t]]||^2)`` (the distances
    to the nearest centre if candidate t is kept) and ``partial[c, t]`` = the sum over
    the rows i of chunk c of ``weights[i] * trial[t, i]``: the weighted potential each
    candidate would leave, per fixed row chunk (merged in chunk order by the caller, so
    the sums do not depend on the number of threads)."""
    n = X.shape[0]
    rows = _rows_per_chunk(n, partial.shape[0])
    for c in prange(partial.shape[0]):
        partial[c] = 0.0
        for i in range(c * rows, min(n, (c + 1) * rows)):
            for t in range(candidates.shape[0]):
                dist = min(closest[i], _squared_distance(X, i, X, candidates[t], 0.0))
                trial[t, i] = dist
                partial[c, t] += weights[i] * dist


def _kmeans_plusplus(X, k, first, uniforms, weights, spread_ties):
    """Greedy k-means++ from the first centre ``X[first]``: step c draws candidate i
    where the cumulative weighted squared distance to the nearest centre so far first
    reaches ``u * total`` for each ``u`` of ``uniforms[c - 1]``, and keeps the candidate
    that leaves the smallest weighted total (scikit-learn's greedy rule).  When every
    point already is a centre (total 0) the candidate is ``int(u * n)`` with
    ``spread_ties`` (fastnet's rule), else the first point (scikit-learn's).

    One parallel pass per step measures all candidates; the cumulative sum is
    NumPy's sequential ``cumsum`` (scikit-learn's search)."""
    n = X.shape[0]
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    partial = np.empty((_n_chunks(n), uniforms.shape[1]))
    trial = np.empty((uniforms.shape[1], n))
    trials = _plusplus_trials(X.size * uniforms.shape[1])
    # the first centre's distances: its trial as the only candidate
    trials(X, np.array([first], dtype=np.int64), np.full(n, np.inf), weights, trial[:1],
           np.empty((len(partial), 1)))
    closest = trial[0].copy()
    chosen = np.empty(k, dtype=np.int64)
    chosen[0] = first
    for c in range(1, k):
        cumulative = np.cumsum(weights * closest)
        total = cumulative[-1]
        if total > 0 or not spread_ties:
            candidates = np.searchsorted(cumulative, uniforms[c - 1] * total)
        else:  # fewer distinct points than clusters: any point will do
            candidates = (uniforms[c - 1] * n).astype(np.int64)
        candidates = np.minimum(candidates, n - 1).astype(np.int64)
        trials(X, candidates, closest, weights, trial, partial)
        best = np.argmin(partial.sum(axis=0))
        chosen[c] = candidates[best]
        closest[:] = trial[best]
    return X[chosen]


def kmeans_plusplus_draws(n, k, generator):
    """fastnet's k-means++ draws: ``(first, uniforms)``, the first centre
    ``generator.integers(n)`` and ``generator.random((k - 1, 2 + int(log k)))``."""
    first = generator.integers(n)
    return first, generator.random((k - 1, 2 + int(np.log(k))))


def kmeans_plusplus_init(X, k, generator, weights=None):
    """Greedy k-means++ (2 + log k candidate centres per step, the best kept).

    The first centre is ``X[generator.integers(n)]``; step c draws its candidates
    from ``generator.random(n_trials)`` (all steps' draws are taken in one call, the
    same numbers), with probability proportional to the (``weights``-weighted) squared
    distance to the nearest centre so far (uniformly when every point already is a
    centre)."""
    n = X.shape[0]
    first, uniforms = kmeans_plusplus_draws(n, k, generator)
    weights = np.ones(n) if weights is None else weights
    return _kmeans_plusplus(X, k, first, uniforms, weights, True)


# ---------------------------------------------------------------- kmeans
def _check_init(init, k, d, dtype):
    if isinstance(init, str):
        if init not in ("random-partition", "k-means++"):
            raise ValueError("init must be 'random-partition', 'k-means++' or an array of "
                             f"shape (n_clusters, n_features); got {init!r}")
        return init
    centers = as_2d_float(init, "init", dtype=dtype)
    if centers.shape != (k, d):
        raise ValueError(f"init must have shape ({k}, {d}) (n_clusters, n_features); "
                         f"got {centers.shape}")
    return centers


def kmeans(X: ArrayLike, n_clusters: int, init: str | ArrayLike = "k-means++",
           n_init: int = 1, max_iter: int = 300, tol: float = 1e-4,
           seed: SeedLike = None) -> KMeansResult:
    """Lloyd's k-means, best of ``n_init`` starts (lowest inertia).

    Parameters
    ----------
    X : array_like (n, d), finite (float32 stays float32)
    n_clusters : int in [1, n]
    init : 'k-means++', 'random-partition' (the seeds' init) or an array (k, d)
        An explicit array is used for every start (so n_init > 1 repeats it).
    n_init : int >= 1
    max_iter : int >= 1
    tol : float >= 0, relative to the mean column variance of X (scikit-learn's rule)
    seed : int, SeedSequence or None; start i uses child seed i of ``seed``.

    Returns
    -------
    KMeansResult(centers, labels, inertia, n_iter)

    Memory: X is never copied (when it is C-contiguous float32/float64); the work
    buffers hold at most 16 values per point, at most 64 partial sums of k x d, and
    an n x k matrix of products when d >= 128 (see ``_assign_from_products``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.cluster import kmeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> result = kmeans(X, 2, init=np.array([[1.0, 0.0], [9.0, 0.0]]))
    >>> result.labels, result.centers
    (array([0, 0, 1, 1]), array([[ 0. ,  0.5],
           [10. ,  0.5]]))
    """
    X = as_2d_float(X, "X")
    n, d = X.shape
    k = check_int(n_clusters, "n_clusters", minimum=1, maximum=n)
    n_init = check_int(n_init, "n_init", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_nonnegative_float(tol, "tol")
    init = _check_init(init, k, d, X.dtype)
    # column variances in compiled passes: np.var would allocate a temporary the size of X
    tol_abs = tol * float(np.mean(column_mean_std(X)[1] ** 2)) if tol else 0.0
    work = _Workspace(n, d, k, X.dtype)
    lloyd = lloyd_driver(X, k, work)
    best = None
    for start_seed in spawn_sequences(seed, n_init):
        generator = make_rng(start_seed)
        previous = None
        if isinstance(init, np.ndarray):
            centers = init
        elif init == "random-partition":
            centers, previous = random_partition_init(X, k, generator)
        else:
            centers = kmeans_plusplus_init(X, k, generator)
        result = lloyd(X, centers, max_iter, tol_abs, work, previous)
        if best is None or result.inertia < best.inertia:
            best = result
    return best


# ---------------------------------------------------------------- estimator
# scikit-learn's KMeans on these kernels; imported last, it uses the names above
from .kmeans_estimator import KMeans  # noqa: E402
