"""Pure-NumPy twins of :mod:`fastnet.cluster`, written as the specification reads."""

from __future__ import annotations

import numpy as np


def _random_partition(X, k, generator):
    labels = generator.integers(0, k, X.shape[0])
    centroids = np.zeros((k, X.shape[1]))
    for c in range(k):
        if (labels == c).any():
            centroids[c] = X[labels == c].mean(axis=0)
    return centroids, labels


def kmeans(X, n_clusters, init="random-partition", n_init=1, max_iter=300, tol=1e-4,
           seed=None):
    """Lloyd: labels from centres, centres = label means, until the labels repeat, the
    total squared shift <= tol * mean column variance, or max_iter.  Empty clusters take
    the points farthest from their centres (never the last point of a cluster).
    Returns (centers, labels, inertia, n_iter)."""
    X = np.asarray(X, dtype=np.float64)
    n, k = X.shape[0], n_clusters
    tol_abs = tol * np.mean(np.var(X, axis=0)) if tol else 0.0
    best = None
    for child in np.random.SeedSequence(seed).spawn(n_init):
        generator = np.random.default_rng(child)
        if isinstance(init, str):  # only the seeds' init is mirrored here
            centers, previous = _random_partition(X, k, generator)
        else:
            centers, previous = np.array(init, dtype=np.float64), np.full(n, -1)
        strict = False
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            distances = np.array([np.linalg.norm(X - c, axis=1) ** 2 for c in centers])
            labels = np.argmin(distances, axis=0)
            nearest = distances[labels, np.arange(n)]
            new = centers.copy()
            counts = np.array([(labels == c).sum() for c in range(k)])
            sums = np.array([X[labels == c].sum(axis=0) for c in range(k)])
            farthest = iter(np.argsort(-nearest, kind="stable"))
            for cluster in np.flatnonzero(counts == 0):
                # the farthest point whose cluster keeps at least one point
                point = next(p for p in farthest if counts[labels[p]] > 1)
                sums[labels[point]] -= X[point]
                counts[labels[point]] -= 1
                sums[cluster], counts[cluster] = X[point], 1
            new = sums / counts[:, None]
            if np.array_equal(labels, previous):
                strict = True
                break
            shift = ((new - centers) ** 2).sum()
            centers = new
            if shift <= tol_abs:
                break
            previous = labels
        if not strict:
            distances = np.array([np.linalg.norm(X - c, axis=1) ** 2 for c in centers])
            labels = np.argmin(distances, axis=0)
        inertia = (np.linalg.norm(X - centers[labels], axis=1) ** 2).sum()
        if best is None or inertia < best[2]:
            best = (centers, labels, inertia, n_iter)
    return best


def kmeans_plusplus(X, n_clusters, first, uniforms, weights, spread_ties=True):
    """Greedy k-means++ from the given draws: the first centre ``X[first]``; step c
    takes, for each ``u`` of ``uniforms[c - 1]``, the first point whose cumulative
    weighted squared distance to the nearest centre reaches ``u * total`` (``int(u * n)``
    when the total is 0 and ``spread_ties``), and keeps the candidate leaving the
    smallest weighted total.  Returns the centres."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    chosen = [first]
    closest = ((X - X[first]) ** 2).sum(axis=1)
    for c in range(1, n_clusters):
        cumulative = np.cumsum(weights * closest)
        best = None
        for u in uniforms[c - 1]:
            if cumulative[-1] > 0 or not spread_ties:
                candidate = min(np.searchsorted(cumulative, u * cumulative[-1]), n - 1)
            else:
                candidate = min(int(u * n), n - 1)
            trial = np.minimum(closest, ((X - X[candidate]) ** 2).sum(axis=1))
            if best is None or (weights * trial).sum() < best[0]:
                best = ((weights * trial).sum(), candidate, trial)
        chosen.append(best[1])
        closest = best[2]
    return X[chosen]


def kmeans_weighted(X, sample_weight, init, max_iter=300, tol_abs=0.0):
    """Weighted Lloyd from the centres ``init`` (dense or sparse X, made dense here):
    labels from centres, centres = weighted label means, until the labels repeat, the
    total squared shift <= ``tol_abs`` (absolute), or max_iter; then the labels of the
    final centres.  Clusters without weight take the points farthest from their
    centres, skipping points of zero weight and the last point of a cluster; a cluster
    with nothing to take keeps its centre.  Returns (centers, labels, inertia, n_iter)
    with the weighted inertia."""
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    centers = np.array(init, dtype=np.float64)
    n, k = X.shape[0], len(centers)
    previous = np.full(n, -1)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        distances = np.array([((X - c) ** 2).sum(axis=1) for c in centers])
        labels = np.argmin(distances, axis=0)
        nearest = distances[labels, np.arange(n)]
        sums = np.array([(w[labels == c, None] * X[labels == c]).sum(axis=0)
                         for c in range(k)])
        wsums = np.array([w[labels == c].sum() for c in range(k)])
        counts = np.array([(labels == c).sum() for c in range(k)])
        farthest = iter(np.argsort(-nearest, kind="stable"))
        for cluster in np.flatnonzero(wsums == 0):
            point = next((p for p in farthest if w[p] > 0 and counts[labels[p]] > 1), None)
            if point is None:
                break
            old = labels[point]
            sums[old] -= w[point] * X[point]
            wsums[old] -= w[point]
            counts[old] -= 1
            sums[cluster], wsums[cluster], counts[cluster] = w[point] * X[point], w[point], 1
        new = np.array([sums[c] / wsums[c] if wsums[c] > 0 else centers[c]
                        for c in range(k)])
        shift = ((new - centers) ** 2).sum()
        centers = new
        if np.array_equal(labels, previous) or shift <= tol_abs:
            break
        previous = labels
    distances = np.array([((X - c) ** 2).sum(axis=1) for c in centers])
    labels = np.argmin(distances, axis=0)
    inertia = (w * distances[labels, np.arange(n)]).sum()
    return centers, labels, inertia, n_iter


def _entropy_terms(counts, total):
    p = counts[counts > 0] / total
    return -(p * np.log(p)).sum()


def homogeneity_score(labels_true, labels_pred):
    """``1 - H(C|K) / H(C)`` by the seed's double loop."""
    labs, typs = np.asarray(labels_pred), np.asarray(labels_true)
    N = len(labs)
    h_ck = 0.0
    h_c = 0.0
    for k in set(labs.tolist()):
        abs_k = np.sum(labs == k)
        for c in set(typs.tolist()):
            a_ck = np.sum(np.logical_and(labs == k, typs == c))
            if a_ck:
                h_ck -= (a_ck / N) * np.log(a_ck / abs_k)
    for c in set(typs.tolist()):
        abs_c = np.sum(typs == c)
        h_c -= (abs_c / N) * np.log(abs_c / N)
    return 1.0 if h_c == 0 else 1.0 - h_ck / h_c


def adjusted_rand_score(labels_true, labels_pred):
    """ARI from pair counts: pairs together in both, in one only, in neither."""
    a, b = np.asarray(labels_true), np.asarray(labels_pred)
    n = len(a)
    classes, clusters = sorted(set(a.tolist())), sorted(set(b.tolist()))
    table = np.array([[np.sum((a == c) & (b == k)) for k in clusters] for c in classes],
                     dtype=np.int64)
    pairs = lambda x: x * (x - 1) // 2  # noqa: E731
    index = int(pairs(table).sum())
    rows, cols = int(pairs(table.sum(axis=1)).sum()), int(pairs(table.sum(axis=0)).sum())
    total = pairs(n)
    if rows == cols == index or total == 0:  # identical partitions (incl. trivial ones)
        return 1.0
    expected = rows * cols / total
    return (index - expected) / ((rows + cols) / 2 - expected)


def calinski_harabasz_score(X, labels):
    """``(BCSM / (k - 1)) * ((n - k) / WCSM)`` with centroids = cluster means."""
    X, labels = np.asarray(X, dtype=np.float64), np.asarray(labels)
    clusters = sorted(set(labels.tolist()))
    n, k = len(X), len(clusters)
    ztot = np.mean(X, axis=0)
    bcsm = wcsm = 0.0
    for c in clusters:
        xc = X[labels == c]
        zc = xc.mean(axis=0)
        bcsm += np.linalg.norm(zc - ztot) ** 2 * len(xc)
        wcsm += (np.linalg.norm(xc - zc, axis=1) ** 2).sum()
    return 1.0 if wcsm == 0 else (bcsm / (k - 1)) * (n - k) / wcsm


def within_cluster_distance(X, labels):
    """``1/2 * sum_c (1/|c|) * sum_{i<j in c} ||x_i - x_j||^2``, the seed's pairwise loop."""
    X, labels = np.asarray(X, dtype=np.float64), np.asarray(labels)
    output = 0.0
    for c in sorted(set(labels.tolist())):
        x_c = X[labels == c]
        this = 0.0
        for i, xi in enumerate(x_c[:-1]):
            for xj in x_c[i + 1:]:
                this += np.linalg.norm(xi - xj) ** 2
        output += this / len(x_c)
    return output / 2


def gaussian_mixture(X, weights, means, covariances, n_iter, reg_covar=1e-6):
    """``n_iter`` EM steps from the given parameters, as the specification reads.

    E-step: ``r_ik = pi_k N(x_i | mu_k, Sigma_k) / sum_j pi_j N(x_i | mu_j, Sigma_j)`` in
    the log domain; M-step: ``pi_k = mean_i r_ik`` (with scikit-learn's 10 eps in
    ``N_k``), ``mu_k`` the weighted mean, ``Sigma_k`` the weighted covariance
    (bias=True) + ``reg_covar`` on the diagonal.  Returns (weights, means,
    covariances, mean log-likelihood of each E-step).
    """
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    X = np.asarray(X, dtype=np.float64)
    weights, means, covariances = (np.array(a, dtype=np.float64)
                                   for a in (weights, means, covariances))
    bounds = []
    for _ in range(n_iter):
        log_weighted = np.column_stack([
            np.log(weights[k]) + multivariate_normal(means[k], covariances[k]).logpdf(X)
            for k in range(len(weights))])
        log_norm = logsumexp(log_weighted, axis=1)
        bounds.append(log_norm.mean())
        resp = np.exp(log_weighted - log_norm[:, None])
        nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
        weights = nk / len(X)
        for k in range(len(weights)):
            means[k] = (X * resp[:, [k]]).sum(axis=0) / nk[k]
            diff = X - means[k]
            covariances[k] = (resp[:, k] * diff.T) @ diff / nk[k]
            covariances[k] += reg_covar * np.eye(X.shape[1])
    return weights, means, covariances, np.array(bounds)


def gaussian_mixture_constrained(X, weights, means, covariances, n_iter, covariance_type,
                                 reg_covar=1e-6):
    """``n_iter`` EM steps with 'tied', 'diag' or 'spherical' covariances (scikit-learn's
    shapes: (d, d), (K, d), (K,)), as the specification reads.

    E-step as :func:`gaussian_mixture` with ``Sigma_k`` the shared matrix, ``diag(v_k)``
    or ``s_k I``; M-step: ``pi_k`` and ``mu_k`` as there, then from the weighted
    covariances ``C_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k``: tied
    ``sum_k N_k C_k / sum_k N_k``, diag the diagonals of ``C_k``, spherical their means;
    ``reg_covar`` added to every variance.  Returns (weights, means, covariances, mean
    log-likelihood of each E-step).
    """
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    weights, means, covariances = (np.array(a, dtype=np.float64)
                                   for a in (weights, means, covariances))

    def sigma(k):
        if covariance_type == "tied":
            return covariances
        if covariance_type == "diag":
            return np.diag(covariances[k])
        return covariances[k] * np.eye(d)

    bounds = []
    for _ in range(n_iter):
        log_weighted = np.column_stack([
            np.log(weights[k]) + multivariate_normal(means[k], sigma(k)).logpdf(X)
            for k in range(len(weights))])
        log_norm = logsumexp(log_weighted, axis=1)
        bounds.append(log_norm.mean())
        resp = np.exp(log_weighted - log_norm[:, None])
        nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps
        weights = nk / nk.sum()
        scatter = []
        for k in range(len(weights)):
            means[k] = (X * resp[:, [k]]).sum(axis=0) / nk[k]
            diff = X - means[k]
            scatter.append((resp[:, k] * diff.T) @ diff / nk[k])
        if covariance_type == "tied":
            covariances = sum(nk[k] * scatter[k] for k in range(len(nk))) / nk.sum()
            covariances = covariances + reg_covar * np.eye(d)
        elif covariance_type == "diag":
            covariances = np.array([np.diag(c) for c in scatter]) + reg_covar
        else:
            covariances = np.array([np.diag(c).mean() for c in scatter]) + reg_covar
    return weights, means, covariances, np.array(bounds)
