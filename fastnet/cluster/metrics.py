"""Clustering metrics: adjusted Rand index, homogeneity, Calinski-Harabasz, the
within-cluster distance, and the studies' label maps.

Label vectors are encoded to 0..c-1 codes (integers directly in O(n), anything else
through ``np.unique``) and counted into a contingency table by a compiled pass over
fixed chunks with per-chunk tables merged in a fixed order.  Twins:
:mod:`fastnet.reference.cluster`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._jit import jit, parallel_jit, prange, serial_or_parallel_jit
from .._validation import as_2d_float, check_fits_in_memory

__all__ = ["adjusted_rand_score", "homogeneity_score", "calinski_harabasz_score",
           "within_cluster_distance", "majority_cluster_map", "class_log_likelihood",
           "contingency_matrix"]

CHUNK = 65536  # points per partial table; below this the kernels run serially
MAX_DENSE_CELLS = 4_000_000  # larger tables are counted sparsely (sort-based)


# ---------------------------------------------------------------- kernels
@serial_or_parallel_jit
def _count_pairs(a, b, n_b, tables):
    n = a.shape[0]
    for c in prange(tables.shape[0]):
        table = tables[c]
        table[:] = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            table[a[i] * n_b + b[i]] += 1


@serial_or_parallel_jit
def _cluster_sums(X, codes, sums, counts):
    n, d = X.shape
    for c in prange(sums.shape[0]):
        chunk_sums, chunk_counts = sums[c], counts[c]
        chunk_sums[:] = 0.0
        chunk_counts[:] = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            chunk_counts[codes[i]] += 1
            for t in range(d):
                chunk_sums[codes[i], t] += X[i, t]


@jit(inline="always")
def _row_squared_deviation(X, i, centers, code):
    total = 0.0
    for t in range(X.shape[1]):
        diff = X[i, t] - centers[code, t]
        total += diff * diff
    return total


@serial_or_parallel_jit
def _squared_deviations(X, codes, centers, partial):
    """``partial[c]`` = sum of squared deviations of chunk c's rows from their centres,
    in four interleaved row sums added in a fixed order.  No reassociation: LLVM
    optimises a parallel kernel's body twice (its gufunc, then the linking module) and
    could regroup a reassociable sum differently in the freshly compiled and the cached
    copy (other last bits, issue 19); the four sums keep the adds independent."""
    n = X.shape[0]
    for c in prange(partial.shape[0]):
        s0 = s1 = s2 = s3 = 0.0
        i, stop = c * CHUNK, min(n, (c + 1) * CHUNK)
        while i + 4 <= stop:
            s0 += _row_squared_deviation(X, i, centers, codes[i])
            s1 += _row_squared_deviation(X, i + 1, centers, codes[i + 1])
            s2 += _row_squared_deviation(X, i + 2, centers, codes[i + 2])
            s3 += _row_squared_deviation(X, i + 3, centers, codes[i + 3])
            i += 4
        while i < stop:
            s0 += _row_squared_deviation(X, i, centers, codes[i])
            i += 1
        partial[c] = (s0 + s1) + (s2 + s3)


@parallel_jit(reassociate=True)
def _pairwise_within(X, order, starts, out):
    """out[g] = sum over pairs i < j of group g of ||x_i - x_j||^2 (O(|g|^2 d))."""
    d = X.shape[1]
    for g in prange(starts.shape[0] - 1):
        total = 0.0
        for p in range(starts[g], starts[g + 1]):
            for q in range(p + 1, starts[g + 1]):
                i, j = order[p], order[q]
                for t in range(d):
                    diff = X[i, t] - X[j, t]
                    total += diff * diff
        out[g] = total


# Integer labels are encoded by NumPy's min and max, then two passes over the threads:
# the values present and each label's code (exact for any thread count: the marks do
# not depend on the order).  A compiled range pass would be one more kernel to compile
# on first use, for a memory-bound scan that NumPy already vectorises.
@serial_or_parallel_jit
def _mark_present(labels, present):
    for i in prange(labels.shape[0]):
        present[labels[i]] = True


@serial_or_parallel_jit
def _label_codes(labels, lookup, codes):
    for i in prange(labels.shape[0]):
        codes[i] = lookup[labels[i]]


# ---------------------------------------------------------------- encoding
def _encode(labels, name):
    """(codes 0..c-1 as int64, the label values in code order)."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    if arr.dtype.kind in "iu" and arr.size:
        arr = np.ascontiguousarray(arr)
        lo, hi = arr.min(), arr.max()
        if lo >= 0 and hi <= 4 * arr.size:  # values index a table of O(n) entries
            present = np.zeros(int(hi) + 1, dtype=bool)
            _mark_present(arr.size)(arr, present)
            lookup = np.cumsum(present) - 1
            codes = np.empty(arr.size, dtype=np.int64)
            _label_codes(arr.size)(arr, lookup, codes)
            return codes, np.flatnonzero(present)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must not contain NaN or inf")
    try:
        values, codes = np.unique(arr, return_inverse=True)
    except TypeError:  # e.g. None among numbers: the values cannot be sorted
        raise TypeError(f"{name} must hold labels of one sortable kind (ints, floats or "
                        f"strings); got {arr[:5].tolist()}...") from None
    return codes.reshape(-1).astype(np.int64), values


def _encode_pair(labels_true, labels_pred):
    a, classes = _encode(labels_true, "labels_true")
    b, clusters = _encode(labels_pred, "labels_pred")
    if a.shape != b.shape:
        raise ValueError(f"labels_true and labels_pred must have the same length; "
                         f"got {a.size} and {b.size}")
    return a, classes, b, clusters


def _cell_counts(a, n_a, b, n_b):
    """Non-zero contingency counts (order irrelevant), row sums and column sums."""
    if n_a * n_b <= MAX_DENSE_CELLS:
        tables = np.empty(((a.size + CHUNK - 1) // CHUNK, n_a * n_b), dtype=np.int64)
        _count_pairs(a.size)(a, b, n_b, tables)
        table = tables.sum(axis=0).reshape(n_a, n_b)
        return table[table > 0], table.sum(axis=1), table.sum(axis=0), table
    cells = np.unique(a * n_b + b, return_counts=True)[1]
    return cells, np.bincount(a, minlength=n_a), np.bincount(b, minlength=n_b), None


def contingency_matrix(labels_true: ArrayLike, labels_pred: ArrayLike) -> np.ndarray:
    """Dense table ``C[i, j]`` = number of points of class i in cluster j (classes and
    clusters in sorted order of their values)."""
    a, classes, b, clusters = _encode_pair(labels_true, labels_pred)
    n_chunks = (a.size + CHUNK - 1) // CHUNK
    check_fits_in_memory(8 * max(n_chunks, 1) * classes.size * clusters.size,
                         "labels_true and labels_pred",
                         f"a dense {classes.size} x {clusters.size} contingency table")
    tables = np.empty((n_chunks, classes.size * clusters.size), dtype=np.int64)
    _count_pairs(a.size)(a, b, clusters.size, tables)
    return tables.sum(axis=0).reshape(classes.size, clusters.size)


# ---------------------------------------------------------------- label metrics
def adjusted_rand_score(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Adjusted Rand index of two labelings (1 for identical partitions).

    >>> from fastnet.cluster import adjusted_rand_score
    >>> adjusted_rand_score([0, 0, 1, 1], ["b", "b", "a", "a"])
    1.0
    """
    a, classes, b, clusters = _encode_pair(labels_true, labels_pred)
    n = a.size
    cells, rows, cols, _ = _cell_counts(a, classes.size, b, clusters.size)
    # pair confusion counts (ordered pairs), in Python integers: no overflow
    sum_squares = int((cells * cells).sum())
    together_both = sum_squares - n
    together_pred = int((cols.astype(np.int64) ** 2).sum()) - sum_squares
    together_true = int((rows.astype(np.int64) ** 2).sum()) - sum_squares
    apart_both = n * n - together_pred - together_true - sum_squares
    if together_pred == 0 and together_true == 0:
        return 1.0
    numerator = 2.0 * (together_both * apart_both - together_true * together_pred)
    denominator = ((together_both + together_true) * (together_true + apart_both)
                   + (together_both + together_pred) * (together_pred + apart_both))
    return numerator / denominator


def homogeneity_score(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """``1 - H(C|K) / H(C)``: 1 when every cluster holds a single class.

    >>> from fastnet.cluster import homogeneity_score
    >>> homogeneity_score([0, 0, 1, 1], [0, 0, 1, 2])
    1.0
    """
    a, classes, b, clusters = _encode_pair(labels_true, labels_pred)
    n = a.size
    if n == 0:
        return 1.0
    cells, rows, cols, table = _cell_counts(a, classes.size, b, clusters.size)
    p_class = rows[rows > 0] / n
    h_c = float(-(p_class * np.log(p_class)).sum())
    if h_c == 0.0:
        return 1.0
    # H(C|K) = -sum n_ck/N log(n_ck/n_k) = H(C, K) - H(K)
    p_cell = cells / n
    p_cluster = cols[cols > 0] / n
    h_ck = float(-(p_cell * np.log(p_cell)).sum() + (p_cluster * np.log(p_cluster)).sum())
    return 1.0 - h_ck / h_c


def majority_cluster_map(labels_true: ArrayLike, labels_pred: ArrayLike) -> dict:
    """``{class: the cluster holding most of its points}`` (ties: the smallest cluster
    value), the seeds' label -> cluster map by majority vote.

    >>> from fastnet.cluster import majority_cluster_map
    >>> majority_cluster_map([0, 0, 0, 1], [5, 5, 2, 2])
    {0: 5, 1: 2}
    """
    a, classes, b, clusters = _encode_pair(labels_true, labels_pred)
    if a.size == 0:
        return {}
    # the largest (class, cluster) cell per class, sparsely: ties go to the smallest cluster
    cells, counts = np.unique(a * clusters.size + b, return_counts=True)
    order = np.lexsort((cells % clusters.size, -counts, cells // clusters.size))
    first = order[np.flatnonzero(np.diff(cells[order] // clusters.size, prepend=-1))]
    return {classes[c // clusters.size].item(): clusters[c % clusters.size].item()
            for c in cells[first]}


# ---------------------------------------------------------------- geometry metrics
def _points_and_codes(X, labels):
    X = as_2d_float(X, "X")
    codes, values = _encode(labels, "labels")
    if codes.size != X.shape[0]:
        raise ValueError(f"labels must have {X.shape[0]} entries (one per row of X); "
                         f"got {codes.size}")
    return X, codes, values


def _cluster_geometry(X, labels):
    X, codes, values = _points_and_codes(X, labels)
    k = values.size
    n_chunks = (X.shape[0] + CHUNK - 1) // CHUNK
    sums = np.empty((n_chunks, k, X.shape[1]))
    counts = np.empty((n_chunks, k), dtype=np.int64)
    _cluster_sums(X.size)(X, codes, sums, counts)
    counts = counts.sum(axis=0)
    centers = sums.sum(axis=0) / counts[:, None]
    partial = np.empty(n_chunks)
    _squared_deviations(X.size)(X, codes, centers.astype(X.dtype), partial)
    return X, codes, k, counts, centers, float(partial.sum())


def calinski_harabasz_score(X: ArrayLike, labels: ArrayLike) -> float:
    """``CH_k = (BCSM / (k - 1)) * ((n - k) / WCSM)`` with cluster means as centroids
    (1.0 when WCSM is exactly 0, as scikit-learn).  Clusters of repeated points whose
    mean ``sum / count`` does not round back to the point give WCSM and BCSM of rounding
    noise and a meaningless ratio, as in scikit-learn.

    >>> import numpy as np
    >>> from fastnet.cluster import calinski_harabasz_score
    >>> X = np.array([[0.0], [2.0], [10.0], [12.0]])
    >>> calinski_harabasz_score(X, [0, 0, 1, 1])  # BCSM 100, WCSM 4
    50.0
    """
    X, codes, k, counts, centers, wcsm = _cluster_geometry(X, labels)
    n = X.shape[0]
    if not 1 < k < n:
        raise ValueError(f"Number of labels is {k}. Valid values are 2 to n_samples - 1 "
                         f"(inclusive): labels must form between 2 and {n - 1} clusters")
    overall = centers.T @ counts / n
    bcsm = float((counts * ((centers - overall) ** 2).sum(axis=1)).sum())
    return 1.0 if wcsm == 0.0 else bcsm * (n - k) / (wcsm * (k - 1))


def within_cluster_distance(X: ArrayLike, labels: ArrayLike, method: str = "exact") -> float:
    """``1/2 * sum_c (1/|c|) * sum_{i<j in c} ||x_i - x_j||^2``.

    ``method='exact'`` uses ``sum_{i<j} ||x_i - x_j||^2 = |c| sum_i ||x_i - mu_c||^2``
    (O(n d)); ``'pairwise'`` loops over the pairs (``O(sum |c|^2 d)``, for checking).

    >>> import numpy as np
    >>> from fastnet.cluster import within_cluster_distance
    >>> within_cluster_distance(np.array([[0.0], [2.0], [5.0]]), [0, 0, 1])  # 4 / 2 / 2
    1.0
    """
    if method == "exact":
        return 0.5 * _cluster_geometry(X, labels)[5]
    if method != "pairwise":
        raise ValueError(f"method must be 'exact' or 'pairwise'; got {method!r}")
    X, codes, values = _points_and_codes(X, labels)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=values.size)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    out = np.empty(values.size)
    _pairwise_within(X, order, starts, out)
    return 0.5 * float((out / sizes).sum())


def class_log_likelihood(X: ArrayLike, labels: ArrayLike,
                         mixture: object) -> tuple[np.ndarray, np.ndarray]:
    """Mean log-likelihood of each class's points under each mixture component:
    ``L[i, j] = mean over x in class i of log(pi_j N(x | mu_j, Sigma_j))``.

    ``mixture``: a fitted Gaussian mixture with ``weights_``, ``means_`` and
    ``covariances_`` (full covariances), e.g. scikit-learn's ``GaussianMixture``.
    Returns (L, class values), L of shape (n_classes, n_components).
    """
    from scipy.stats import multivariate_normal

    X, codes, values = _points_and_codes(X, labels)
    try:
        weights, means, covariances = mixture.weights_, mixture.means_, mixture.covariances_
    except AttributeError:
        raise TypeError("mixture must be a fitted Gaussian mixture with weights_, means_ "
                        "and covariances_") from None
    log_density = np.column_stack([
        np.log(w) + multivariate_normal(mean=m, cov=c, allow_singular=True).logpdf(X)
        for w, m, c in zip(weights, means, covariances, strict=True)])
    sizes = np.bincount(codes, minlength=values.size)
    totals = np.zeros((values.size, len(weights)))
    np.add.at(totals, codes, log_density)
    return totals / sizes[:, None], values
