"""Cases of :mod:`fastnet.cluster`: k-means and Gaussian mixtures from a given start,
k-means with many random-partition starts, choosing k on a wide matrix, long EM runs,
and the clustering metrics."""

from __future__ import annotations

import numpy as np

from ..reference import cluster as ref_cluster
from .harness import Case, fast_function

__all__ = ["CASES"]


def _quietly(fit):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never "converges"
        return fit()


# ---------------------------------------------------------------- k-means, one start
KMEANS_FEATURES, KMEANS_CLUSTERS, KMEANS_ITERATIONS = 64, 10, 50


def inputs_kmeans(size, dtype, rng):
    centres = rng.normal(0, 3, (KMEANS_CLUSTERS, KMEANS_FEATURES))
    X = (centres[rng.integers(0, KMEANS_CLUSTERS, size)]
         + rng.standard_normal((size, KMEANS_FEATURES))).astype(dtype)
    return X, X[rng.choice(size, KMEANS_CLUSTERS, replace=False)].copy()


def fast_kmeans_lloyd(X, init):
    from ..cluster import kmeans

    return kmeans(X, KMEANS_CLUSTERS, init=init, max_iter=KMEANS_ITERATIONS, tol=0.0).centers


def twin_kmeans_lloyd(X, init):
    return ref_cluster.kmeans(X, KMEANS_CLUSTERS, init=init, max_iter=KMEANS_ITERATIONS,
                              tol=0.0)[0].astype(X.dtype)


def peer_sklearn_lloyd(X, init):
    import warnings

    from sklearn.cluster import KMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KMeans(KMEANS_CLUSTERS, init=init, n_init=1, max_iter=KMEANS_ITERATIONS,
                      tol=0.0, algorithm="lloyd").fit(X).cluster_centers_


def peers_kmeans_lloyd():
    return {"sklearn KMeans(lloyd)": peer_sklearn_lloyd}


# ---------------------------------------------------------------- Gaussian mixture
GMM_FEATURES, GMM_COMPONENTS, GMM_ITERATIONS = 5, 10, 20


def inputs_gmm(size, dtype, rng):
    centres = rng.normal(0, 4, (GMM_COMPONENTS, GMM_FEATURES))
    X = centres[rng.integers(0, GMM_COMPONENTS, size)] + rng.standard_normal(
        (size, GMM_FEATURES))
    weights = np.full(GMM_COMPONENTS, 1.0 / GMM_COMPONENTS)
    means = X[rng.choice(size, GMM_COMPONENTS, replace=False)].copy()
    precisions = np.repeat(np.linalg.inv(np.cov(X.T))[None], GMM_COMPONENTS, axis=0)
    return X.astype(dtype), weights, means, precisions


def fast_gmm(X, weights, means, precisions):
    from ..cluster import GaussianMixture

    model = GaussianMixture(GMM_COMPONENTS, weights_init=weights, means_init=means,
                            precisions_init=precisions, max_iter=GMM_ITERATIONS, tol=0.0)
    return _quietly(lambda: model.fit(X)).means_


def twin_gmm(X, weights, means, precisions):
    return ref_cluster.gaussian_mixture(X, weights, means, np.linalg.inv(precisions),
                                        GMM_ITERATIONS)[1]


def peer_sklearn_gmm(X, weights, means, precisions):
    from sklearn.mixture import GaussianMixture

    model = GaussianMixture(GMM_COMPONENTS, weights_init=weights, means_init=means,
                            precisions_init=precisions, max_iter=GMM_ITERATIONS, tol=0.0)
    return _quietly(lambda: model.fit(X)).means_


def peers_gmm():
    return {"sklearn GaussianMixture": peer_sklearn_gmm}


# ---------------------------------------------------------------- k-means, many starts
def inputs_anisotropic_blobs(size, dtype, rng):
    # the data of the GMM-vs-k-means study: 3 blobs (std 2.5) mapped through
    # [[0.6, -0.6], [-0.4, 0.8]]
    centres = rng.uniform(-10, 10, (3, 2))
    X = centres[rng.integers(0, 3, size)] + rng.normal(0, 2.5, (size, 2))
    return (X @ np.array([[0.6, -0.6], [-0.4, 0.8]])).astype(dtype),


def inputs_embedding_like(size, dtype, rng):
    # 18 tight groups in 18 columns, as the spectral embedding of a graph of 18
    # connected components gives
    centres = rng.standard_normal((18, 18))
    return (centres[rng.integers(0, 18, size)]
            + 0.3 * rng.standard_normal((size, 18))).astype(dtype),


def fast_many_starts(k, n_init):
    """k-means with ``n_init`` random-partition starts (seed 8888); returns the centres."""
    def fast(X):
        from ..cluster import kmeans

        return kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                      seed=8888).centers

    return fast


def twin_many_starts(k, n_init):
    def twin(X):
        return ref_cluster.kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                                  seed=8888)[0].astype(X.dtype)

    return twin


def baselines_many_starts(k, n_init):
    """scikit-learn's ``KMeans`` with as many (k-means++) starts: only timed, its starts
    differ."""
    def peer_sklearn_kmeans(X):
        from sklearn.cluster import KMeans

        return KMeans(k, n_init=n_init, max_iter=80, random_state=0).fit(X).cluster_centers_

    def baselines():
        return {f"sklearn KMeans(n_init={n_init})": peer_sklearn_kmeans}

    return baselines


# ---------------------------------------------------------------- choosing k
#: Choose k by Calinski-Harabasz on a wide expression-like matrix.  Expression data
#: sets run to 1,000 samples x 20,000 genes; the case's full size is 5,000 genes, as
#: the plain twin takes minutes at the full width (time it with ``make_inputs``).
SELECT_SAMPLES, SELECT_GROUPS, SELECT_KS, SELECT_STARTS = 1_000, 5, range(1, 10), 5


def inputs_expression_like(size, dtype, rng):
    # SELECT_SAMPLES samples x ``size`` genes: 5 group profiles plus noise
    profiles = rng.normal(0.0, 1.0, (SELECT_GROUPS, size))
    groups = rng.integers(0, SELECT_GROUPS, SELECT_SAMPLES)
    return (profiles[groups] + rng.normal(0.0, 0.3, (SELECT_SAMPLES, size))).astype(dtype),


def select_k(kmeans, ch_score):
    """k-means for k = 1..9 (5 random-partition starts each, seed k); returns the
    inertias (9) followed by the Calinski-Harabasz scores of k = 2..9 (8)."""
    def run(X):
        inertias, scores = [], []
        for k in SELECT_KS:
            centers, labels, inertia = kmeans(X, k, SELECT_STARTS, k)
            inertias.append(inertia)
            if k > 1:
                scores.append(ch_score(X, labels))
        return np.array(inertias + scores)

    return run


def fast_kmeans_fit(X, k, n_init, seed):
    from ..cluster import kmeans

    result = kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80, seed=seed)
    return result.centers, result.labels, result.inertia


def twin_kmeans_fit(X, k, n_init, seed):
    return ref_cluster.kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                              seed=seed)[:3]


def peer_sklearn_kmeans_fit(X, k, n_init, seed):
    from sklearn.cluster import KMeans

    model = KMeans(k, n_init=n_init, max_iter=80, random_state=seed).fit(X)
    return model.cluster_centers_, model.labels_, model.inertia_


def baselines_select_k():
    from sklearn.metrics import calinski_harabasz_score

    return {"sklearn KMeans(n_init=5) + CH": select_k(peer_sklearn_kmeans_fit,
                                                      calinski_harabasz_score)}


# ---------------------------------------------------------------- long EM
LONG_EM_ITERATIONS = 300


def inputs_long_em(size, dtype, rng):
    # 5 PCA-score-like columns of decreasing spread, k = 8
    X = rng.standard_normal((size, 5)) * [5.0, 3.0, 2.0, 1.5, 1.0]
    means = X[rng.choice(size, 8, replace=False)].copy()
    precisions = np.repeat(np.linalg.inv(np.cov(X.T))[None], 8, axis=0)
    return X.astype(dtype), np.full(8, 1 / 8), means, precisions


def fast_long_em(X, weights, means, precisions):
    from ..cluster import gaussian_mixture

    return _quietly(lambda: gaussian_mixture(
        X, 8, weights_init=weights, means_init=means, precisions_init=precisions,
        max_iter=LONG_EM_ITERATIONS, tol=0.0)).means


def twin_long_em(X, weights, means, precisions):
    return ref_cluster.gaussian_mixture(X, weights, means, np.linalg.inv(precisions),
                                        LONG_EM_ITERATIONS)[1]


def peer_sklearn_long_em(X, weights, means, precisions):
    from sklearn.mixture import GaussianMixture

    model = GaussianMixture(8, weights_init=weights, means_init=means,
                            precisions_init=precisions, max_iter=LONG_EM_ITERATIONS, tol=0.0)
    return _quietly(lambda: model.fit(X)).means_


def peers_long_em():
    return {"sklearn GaussianMixture": peer_sklearn_long_em}


# ---------------------------------------------------------------- metrics
def inputs_points_and_labels(size, dtype, rng):
    labels = rng.integers(0, 5, size)
    return (rng.standard_normal((size, 8)) + labels[:, None]).astype(dtype), labels


def inputs_label_pairs(size, dtype, rng):
    return rng.integers(0, 10, size), rng.integers(0, 12, size)


def peers_sklearn_metric(name):
    """The peers of a case: ``sklearn.metrics.<name>``."""
    def peers():
        import sklearn.metrics

        return {f"sklearn {name}": getattr(sklearn.metrics, name)}

    return peers


CASES = [
    Case(name="kmeans_lloyd", fast=fast_kmeans_lloyd, reference=twin_kmeans_lloyd,
         make_inputs=inputs_kmeans, peers=peers_kmeans_lloyd, sizes=(6_000, 60_000),
         rtol={"float64": 1e-9, "float32": 1e-4}),
    Case(name="gaussian_mixture", fast=fast_gmm, reference=twin_gmm, make_inputs=inputs_gmm,
         peers=peers_gmm, sizes=(4_000, 100_000), dtypes=("float64",),
         rtol={"float64": 1e-8}),
    Case(name="kmeans_blobs_20_starts", fast=fast_many_starts(3, 20),
         reference=twin_many_starts(3, 20), make_inputs=inputs_anisotropic_blobs,
         baselines=baselines_many_starts(3, 20), sizes=(300, 300), dtypes=("float64",)),
    Case(name="kmeans_embedding_18", fast=fast_many_starts(18, 5),
         reference=twin_many_starts(18, 5), make_inputs=inputs_embedding_like,
         baselines=baselines_many_starts(18, 5), sizes=(800, 800), dtypes=("float64",)),
    Case(name="kmeans_select_k_wide",
         fast=select_k(fast_kmeans_fit, fast_function("cluster", "calinski_harabasz_score")),
         reference=select_k(twin_kmeans_fit, ref_cluster.calinski_harabasz_score),
         make_inputs=inputs_expression_like, baselines=baselines_select_k,
         sizes=(500, 5_000), dtypes=("float64",), rtol={"float64": 1e-9}),
    Case(name="gmm_long_em", fast=fast_long_em, reference=twin_long_em,
         make_inputs=inputs_long_em, peers=peers_long_em, sizes=(300, 1_000),
         dtypes=("float64",), rtol={"float64": 1e-6}),
    Case(name="adjusted_rand_score", fast=fast_function("cluster", "adjusted_rand_score"),
         reference=ref_cluster.adjusted_rand_score, make_inputs=inputs_label_pairs,
         peers=peers_sklearn_metric("adjusted_rand_score"), sizes=(10_000, 1_000_000),
         dtypes=("int64",)),
    Case(name="calinski_harabasz_score",
         fast=fast_function("cluster", "calinski_harabasz_score"),
         reference=ref_cluster.calinski_harabasz_score, make_inputs=inputs_points_and_labels,
         peers=peers_sklearn_metric("calinski_harabasz_score"), sizes=(10_000, 1_000_000),
         dtypes=("float64",)),
    Case(name="within_cluster_distance",
         fast=fast_function("cluster", "within_cluster_distance"),
         reference=ref_cluster.within_cluster_distance, make_inputs=inputs_points_and_labels,
         sizes=(300, 1_500), dtypes=("float64",)),
    Case(name="homogeneity_score", fast=fast_function("cluster", "homogeneity_score"),
         reference=ref_cluster.homogeneity_score, make_inputs=inputs_label_pairs,
         peers=peers_sklearn_metric("homogeneity_score"), sizes=(10_000, 1_000_000),
         dtypes=("int64",)),
]
