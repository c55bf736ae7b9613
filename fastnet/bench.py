"""The comparison table: one list of cases drives correctness tests, ``fastnet bench``
and the asv suites in ``benchmarks/``.

A :class:`Case` names a fast callable, its pure-NumPy reference twin, optional peer
implementations from other libraries (computing the same thing), and a factory that
builds the call's arguments for a given size and dtype.  Later areas append their
cases to :data:`CASES`.
"""

from __future__ import annotations

import fnmatch
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import nn
from .reference import cluster as ref_cluster
from .reference import decomposition as ref_decomposition
from .reference import graph as ref_graph
from .reference import nn as ref_nn

__all__ = ["Case", "CASES", "select", "time_call", "time_calls", "run", "format_table"]


@dataclass(frozen=True)
class Case:
    """One row of the comparison table.

    ``make_inputs(size, dtype, rng)`` returns the positional arguments; ``size`` is
    the case's own measure of work (elements for activations, rows for matrices).
    ``peers()`` returns ``{label: callable}`` for installed libraries computing the
    same result (tests compare them); ``baselines()`` the same for callables that are
    only timed: a floor such as the BLAS products alone, or a library whose result
    differs in detail.  ``rtol`` overrides the tests' tolerance per dtype.  Random
    samplers cannot equal their twin draw for draw: ``compare(fast, reference)`` then
    asserts that the two results agree in distribution.
    """

    name: str
    fast: Callable
    reference: Callable
    make_inputs: Callable[[int, np.dtype, np.random.Generator], tuple]
    peers: Callable[[], dict] = field(default=lambda: {})
    sizes: tuple[int, int] = (10_000, 1_000_000)  # (quick, full)
    dtypes: tuple[str, ...] = ("float64", "float32")
    baselines: Callable[[], dict] = field(default=lambda: {})
    rtol: dict = field(default_factory=dict)
    compare: Callable | None = None

    def inputs(self, size: int, dtype, seed: int = 0) -> tuple:
        return self.make_inputs(size, np.dtype(dtype), np.random.default_rng(seed))


# ---------------------------------------------------------------- activation cases
N_CLASSES = 10


def _vector(size, dtype, rng):
    return ((rng.standard_normal(size) * 10).astype(dtype),)


def _logits(size, dtype, rng):
    return ((rng.standard_normal((max(1, size // N_CLASSES), N_CLASSES)) * 5).astype(dtype),)


def _targets_and_predictions(size, dtype, rng):
    (logits,) = _logits(size, dtype, rng)
    labels = rng.integers(0, N_CLASSES, logits.shape[0])
    return ref_nn.onehot(labels, N_CLASSES, dtype), ref_nn.softmax(logits)


def _labels_and_predictions(size, dtype, rng):
    (logits,) = _logits(size, dtype, rng)
    return rng.integers(0, N_CLASSES, logits.shape[0]), ref_nn.softmax(logits)


def _labels(size, dtype, rng):
    return rng.integers(0, N_CLASSES, max(1, size // N_CLASSES)), N_CLASSES, dtype


def _scipy_peer(attr, **kwargs):
    def peers():
        try:
            import scipy.special
        except ImportError:  # pragma: no cover - scipy is a dependency
            return {}
        func = getattr(scipy.special, attr)
        return {f"scipy.special.{attr}": lambda *args: func(*args, **kwargs)}

    return peers


CASES: list[Case] = [
    Case("softplus", nn.softplus, ref_nn.softplus, _vector),
    Case("softplus_grad", nn.softplus_grad, ref_nn.softplus_grad, _vector, _scipy_peer("expit")),
    Case("softmax", nn.softmax, ref_nn.softmax, _logits, _scipy_peer("softmax", axis=-1)),
    Case("log_softmax", nn.log_softmax, ref_nn.log_softmax, _logits,
         _scipy_peer("log_softmax", axis=-1)),
    Case("kl_divergence", nn.kl_divergence, ref_nn.kl_divergence, _targets_and_predictions),
    Case("cross_entropy", nn.cross_entropy, ref_nn.cross_entropy, _labels_and_predictions),
    Case("onehot", nn.onehot, ref_nn.onehot, _labels),
]


# ---------------------------------------------------------------- MLP case
#: The seed study's network and SGD settings; one epoch over ``size`` rows.
MLP_SIZES, MLP_BATCH, MLP_LEARNING_RATE = (784, 200, 200, 200, 10), 128, 0.1


def _mlp_inputs(size, dtype, rng):
    return rng.random((size, MLP_SIZES[0])).astype(dtype), rng.integers(0, MLP_SIZES[-1], size)


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def _mlp_epoch(keep_prob):
    def fast(X, y):
        from .nn import MLP

        net = MLP(MLP_SIZES, dtype=X.dtype, keep_prob=keep_prob, seed=0)
        net.fit(X, y, epochs=1, batch_size=MLP_BATCH, learning_rate=MLP_LEARNING_RATE)
        return _flat(net.coefs + net.intercepts)

    def reference(X, y):
        from .random import spawn_sequences

        init, train = (np.random.default_rng(s) for s in spawn_sequences(0, 2))
        coefs, intercepts = ref_nn.mlp_init(MLP_SIZES, init, dtype=X.dtype)
        ref_nn.mlp_train(coefs, intercepts, X, y, 1, MLP_BATCH, MLP_LEARNING_RATE,
                         keep_prob=keep_prob, rng=train)
        return _flat(coefs + intercepts)

    return fast, reference


def _mlp_baselines():
    def blas_floor(X, y):
        # the epoch's matrix products alone, the same gemm calls MLP.fit makes, into
        # preallocated buffers: per batch the forward products, the back-propagated
        # deltas and the in-place weight steps
        from .nn import mlp

        gemm = mlp._gemm(X.dtype)
        rng = np.random.default_rng(0)  # realistic operands: NaN or subnormals are slow
        coefs = [(rng.standard_normal((a, b)) * np.sqrt(2 / (a + b))).astype(X.dtype)
                 for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True)]
        acts = [np.empty((MLP_BATCH, w), X.dtype) for w in MLP_SIZES[1:]]
        deltas = [(rng.random((MLP_BATCH, w)) - 0.5).astype(X.dtype) for w in MLP_SIZES[1:]]
        for start in range(0, X.shape[0], MLP_BATCH):
            x = X[start:start + MLP_BATCH]
            r = x.shape[0]
            h = x
            for W, a in zip(coefs, acts, strict=True):
                mlp._forward_product(gemm, h, W, a[:r])
                h = a[:r]
            delta = deltas[-1][:r]
            for k in range(len(coefs) - 1, -1, -1):
                if k:
                    mlp._backward_product(gemm, delta, coefs[k], deltas[k - 1][:r])
                mlp._sgd_weight_step(gemm, coefs[k], x if k == 0 else acts[k - 1][:r],
                                     delta, 1e-9)
                if k:
                    delta = deltas[k - 1][:r]

    baselines = {"BLAS floor": blas_floor}
    try:
        import torch  # noqa: F401
    except ImportError:
        return baselines
    baselines["PyTorch CPU"] = _torch_epoch
    return baselines


def _torch_epoch(X, y):
    """The same epoch in PyTorch: 784-200-200-200-10 softplus MLP, softmax + cross-entropy
    (the KL of one-hot targets), SGD lr 0.1, batch 128, in X's dtype."""
    import torch

    torch.manual_seed(0)
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    layers = []
    for a, b in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        layers += [torch.nn.Linear(a, b, dtype=dtype), torch.nn.Softplus()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=MLP_LEARNING_RATE)
    inputs, labels = torch.from_numpy(X), torch.from_numpy(y)
    for start in range(0, X.shape[0], MLP_BATCH):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs[start:start + MLP_BATCH]),
                                                 labels[start:start + MLP_BATCH])
        loss.backward()
        optimizer.step()


CASES += [
    Case("mlp_epoch", *_mlp_epoch(1.0), _mlp_inputs, sizes=(4_000, 60_000),
         baselines=_mlp_baselines, rtol={"float64": 1e-10, "float32": 1e-3}),
    Case("mlp_epoch_dropout", *_mlp_epoch(0.8), _mlp_inputs, sizes=(4_000, 60_000),
         dtypes=("float64",)),
]


# ---------------------------------------------------------------- decomposition cases
# 20 iterations: the per-call set-up (validating X, copying the start, first-touching
# the buffers: ~30 ms at 10,000 rows) weighs as a real fit's hundreds of iterations
# would make it weigh, not as 1/5 of the measurement
NMF_FEATURES, NMF_COMPONENTS, NMF_ITERATIONS = 784, 100, 20
PCA_FEATURES, PCA_COMPONENTS = 784, 100


def _nmf_inputs(size, dtype, rng):
    from .decomposition import random_init

    X = rng.random((size, NMF_FEATURES)).astype(dtype)
    W, H = random_init(size, NMF_FEATURES, NMF_COMPONENTS, seed=0, dtype=dtype)
    return X, W, H


def _nmf_fast(X, W, H):
    from .decomposition import nmf

    return nmf(X, NMF_COMPONENTS, max_iter=NMF_ITERATIONS, W_init=W, H_init=H).W


def _nmf_reference(X, W, H):
    return ref_decomposition.nmf(X, NMF_COMPONENTS, max_iter=NMF_ITERATIONS,
                                 W_init=W, H_init=H)[0]


def _nmf_baselines():
    def gemm_floor(X, W, H):
        # the two products with X that every iteration needs, nothing else
        for _ in range(NMF_ITERATIONS):
            X @ H.T
            W.T @ X

    def sklearn_mu(X, W, H):
        import warnings

        from sklearn.decomposition import NMF

        model = NMF(NMF_COMPONENTS, solver="mu", init="custom", max_iter=NMF_ITERATIONS,
                    tol=0.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # max_iter reached
            return model.fit_transform(X, W=W.copy(), H=H.copy())

    return {"floor (X@H.T + W.T@X)": gemm_floor, "sklearn NMF(mu)": sklearn_mu}


def _pca_inputs(size, dtype, rng):
    # low-rank structure plus noise: separated leading eigenvalues, like image data
    scores = rng.random((size, 20))
    loadings = rng.random((20, PCA_FEATURES))
    return ((scores @ loadings + 0.1 * rng.random((size, PCA_FEATURES))).astype(dtype),)


def _pca_fast(X):
    from .decomposition import PCA

    return PCA(PCA_COMPONENTS).fit(X).components_


def _pca_reference(X):
    return ref_decomposition.pca(X, PCA_COMPONENTS)[1].astype(X.dtype)


def _pca_baselines():
    def sklearn_pca(X):
        from sklearn.decomposition import PCA

        return PCA(PCA_COMPONENTS).fit(X).components_

    return {"sklearn PCA (centred only)": sklearn_pca}


CASES += [
    Case("nmf_iterations", _nmf_fast, _nmf_reference, _nmf_inputs,
         sizes=(1_000, 10_000), baselines=_nmf_baselines,
         rtol={"float64": 1e-9, "float32": 1e-3}),
    Case("pca_fit", _pca_fast, _pca_reference, _pca_inputs, sizes=(2_000, 20_000),
         baselines=_pca_baselines, rtol={"float64": 1e-8, "float32": 1e-4}),
]


# ---------------------------------------------------------------- clustering cases
KMEANS_FEATURES, KMEANS_CLUSTERS, KMEANS_ITERATIONS = 64, 10, 50


def _kmeans_inputs(size, dtype, rng):
    centres = rng.normal(0, 3, (KMEANS_CLUSTERS, KMEANS_FEATURES))
    X = (centres[rng.integers(0, KMEANS_CLUSTERS, size)]
         + rng.standard_normal((size, KMEANS_FEATURES))).astype(dtype)
    return X, X[rng.choice(size, KMEANS_CLUSTERS, replace=False)].copy()


def _kmeans_fast(X, init):
    from .cluster import kmeans

    return kmeans(X, KMEANS_CLUSTERS, init=init, max_iter=KMEANS_ITERATIONS, tol=0.0).centers


def _kmeans_reference(X, init):
    return ref_cluster.kmeans(X, KMEANS_CLUSTERS, init=init, max_iter=KMEANS_ITERATIONS,
                              tol=0.0)[0].astype(X.dtype)


def _kmeans_peers():
    def sklearn_lloyd(X, init):
        import warnings

        from sklearn.cluster import KMeans

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return KMeans(KMEANS_CLUSTERS, init=init, n_init=1, max_iter=KMEANS_ITERATIONS,
                          tol=0.0, algorithm="lloyd").fit(X).cluster_centers_

    return {"sklearn KMeans(lloyd)": sklearn_lloyd}


GMM_FEATURES, GMM_COMPONENTS, GMM_ITERATIONS = 5, 10, 20


def _gmm_inputs(size, dtype, rng):
    centres = rng.normal(0, 4, (GMM_COMPONENTS, GMM_FEATURES))
    X = centres[rng.integers(0, GMM_COMPONENTS, size)] + rng.standard_normal(
        (size, GMM_FEATURES))
    weights = np.full(GMM_COMPONENTS, 1.0 / GMM_COMPONENTS)
    means = X[rng.choice(size, GMM_COMPONENTS, replace=False)].copy()
    precisions = np.repeat(np.linalg.inv(np.cov(X.T))[None], GMM_COMPONENTS, axis=0)
    return X.astype(dtype), weights, means, precisions


def _quietly(fit):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never "converges"
        return fit()


def _gmm_fast(X, weights, means, precisions):
    from .cluster import GaussianMixture

    model = GaussianMixture(GMM_COMPONENTS, weights_init=weights, means_init=means,
                            precisions_init=precisions, max_iter=GMM_ITERATIONS, tol=0.0)
    return _quietly(lambda: model.fit(X)).means_


def _gmm_reference(X, weights, means, precisions):
    return ref_cluster.gaussian_mixture(X, weights, means, np.linalg.inv(precisions),
                                        GMM_ITERATIONS)[1]


def _gmm_peers():
    def sklearn_gmm(X, weights, means, precisions):
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(GMM_COMPONENTS, weights_init=weights, means_init=means,
                                precisions_init=precisions, max_iter=GMM_ITERATIONS, tol=0.0)
        return _quietly(lambda: model.fit(X)).means_

    return {"sklearn GaussianMixture": sklearn_gmm}


def _points_and_labels(size, dtype, rng):
    labels = rng.integers(0, 5, size)
    return (rng.standard_normal((size, 8)) + labels[:, None]).astype(dtype), labels


def _anisotropic_blobs(size, dtype, rng):
    # workload (e): 3 blobs (std 2.5) through [[0.6, -0.6], [-0.4, 0.8]]
    centres = rng.uniform(-10, 10, (3, 2))
    X = centres[rng.integers(0, 3, size)] + rng.normal(0, 2.5, (size, 2))
    return (X @ np.array([[0.6, -0.6], [-0.4, 0.8]])).astype(dtype),


def _embedding_like(size, dtype, rng):
    # workload (c): 18 tight groups of an 18-column embedding
    centres = rng.standard_normal((18, 18))
    return (centres[rng.integers(0, 18, size)]
            + 0.3 * rng.standard_normal((size, 18))).astype(dtype),


def _many_starts(k, n_init):
    def fast(X):
        from .cluster import kmeans

        return kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                      seed=8888).centers

    def reference(X):
        return ref_cluster.kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                                  seed=8888)[0].astype(X.dtype)

    def baselines():
        def sklearn_kmeans(X):
            from sklearn.cluster import KMeans

            return KMeans(k, n_init=n_init, max_iter=80, random_state=0).fit(X).cluster_centers_

        return {f"sklearn KMeans(n_init={n_init})": sklearn_kmeans}

    return fast, reference, baselines


def _long_em_inputs(size, dtype, rng):
    # workload (d): 5 PCA-score-like columns, k = 8, many EM iterations
    X = rng.standard_normal((size, 5)) * [5.0, 3.0, 2.0, 1.5, 1.0]
    means = X[rng.choice(size, 8, replace=False)].copy()
    precisions = np.repeat(np.linalg.inv(np.cov(X.T))[None], 8, axis=0)
    return X.astype(dtype), np.full(8, 1 / 8), means, precisions


LONG_EM_ITERATIONS = 300


def _long_em_fast(X, weights, means, precisions):
    from .cluster import gaussian_mixture

    return _quietly(lambda: gaussian_mixture(
        X, 8, weights_init=weights, means_init=means, precisions_init=precisions,
        max_iter=LONG_EM_ITERATIONS, tol=0.0)).means


def _long_em_reference(X, weights, means, precisions):
    return ref_cluster.gaussian_mixture(X, weights, means, np.linalg.inv(precisions),
                                        LONG_EM_ITERATIONS)[1]


def _long_em_peers():
    def sklearn_gmm(X, weights, means, precisions):
        from sklearn.mixture import GaussianMixture

        model = GaussianMixture(8, weights_init=weights, means_init=means,
                                precisions_init=precisions, max_iter=LONG_EM_ITERATIONS,
                                tol=0.0)
        return _quietly(lambda: model.fit(X)).means_

    return {"sklearn GaussianMixture": sklearn_gmm}


#: Workload (b): choose k by Calinski-Harabasz on a wide expression-like matrix,
#: 1,000 samples x 20,000 genes in the study; the case's full size is 5,000 genes,
#: as the plain twin takes ~160 s at 20,000 (time the full width with ``make_inputs``).
SELECT_SAMPLES, SELECT_GROUPS, SELECT_KS, SELECT_STARTS = 1_000, 5, range(1, 10), 5


def _expression_like(size, dtype, rng):
    # SELECT_SAMPLES samples x ``size`` genes: 5 group profiles plus noise
    profiles = rng.normal(0.0, 1.0, (SELECT_GROUPS, size))
    groups = rng.integers(0, SELECT_GROUPS, SELECT_SAMPLES)
    return (profiles[groups] + rng.normal(0.0, 0.3, (SELECT_SAMPLES, size))).astype(dtype),


def _select_k(kmeans, ch_score):
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


def _fast_kmeans(X, k, n_init, seed):
    from .cluster import kmeans

    result = kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80, seed=seed)
    return result.centers, result.labels, result.inertia


def _twin_kmeans(X, k, n_init, seed):
    return ref_cluster.kmeans(X, k, init="random-partition", n_init=n_init, max_iter=80,
                              seed=seed)[:3]


def _sklearn_kmeans(X, k, n_init, seed):
    from sklearn.cluster import KMeans

    model = KMeans(k, n_init=n_init, max_iter=80, random_state=seed).fit(X)
    return model.cluster_centers_, model.labels_, model.inertia_


def _select_k_baselines():
    from sklearn.metrics import calinski_harabasz_score

    return {"sklearn KMeans(n_init=5) + CH": _select_k(_sklearn_kmeans, calinski_harabasz_score)}


_STUDY_E = _many_starts(3, 20)
_EMBEDDING = _many_starts(18, 5)


def _label_pairs(size, dtype, rng):
    return rng.integers(0, 10, size), rng.integers(0, 12, size)


def _sklearn_metric(name):
    def peers():
        import sklearn.metrics

        return {f"sklearn {name}": getattr(sklearn.metrics, name)}

    return peers


def _lazy_function(area, name):
    """``fastnet.<area>.<name>``, imported on first call (the table loads light)."""
    def fast(*args):
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{area}"), name)(*args)

    fast.__name__ = name
    return fast



CASES += [
    Case("kmeans_lloyd", _kmeans_fast, _kmeans_reference, _kmeans_inputs,
         _kmeans_peers, sizes=(6_000, 60_000), rtol={"float64": 1e-9, "float32": 1e-4}),
    Case("gaussian_mixture", _gmm_fast, _gmm_reference, _gmm_inputs, _gmm_peers,
         sizes=(10_000, 100_000), dtypes=("float64",), rtol={"float64": 1e-8}),
    Case("kmeans_blobs_20_starts", _STUDY_E[0], _STUDY_E[1], _anisotropic_blobs,
         baselines=_STUDY_E[2], sizes=(300, 300), dtypes=("float64",)),
    Case("kmeans_embedding_18", _EMBEDDING[0], _EMBEDDING[1], _embedding_like,
         baselines=_EMBEDDING[2], sizes=(800, 800), dtypes=("float64",)),
    Case("kmeans_select_k_wide", _select_k(_fast_kmeans, _lazy_function(
        "cluster", "calinski_harabasz_score")), _select_k(_twin_kmeans,
        ref_cluster.calinski_harabasz_score), _expression_like,
        baselines=_select_k_baselines, sizes=(500, 5_000), dtypes=("float64",),
        rtol={"float64": 1e-9}),
    Case("gmm_long_em", _long_em_fast, _long_em_reference, _long_em_inputs, _long_em_peers,
         sizes=(300, 1_000), dtypes=("float64",), rtol={"float64": 1e-6}),
    Case("adjusted_rand_score", _lazy_function("cluster", "adjusted_rand_score"),
         ref_cluster.adjusted_rand_score, _label_pairs, _sklearn_metric("adjusted_rand_score"),
         sizes=(10_000, 1_000_000), dtypes=("int64",)),
    Case("calinski_harabasz_score", _lazy_function("cluster", "calinski_harabasz_score"),
         ref_cluster.calinski_harabasz_score, _points_and_labels,
         _sklearn_metric("calinski_harabasz_score"), sizes=(10_000, 1_000_000),
         dtypes=("float64",)),
    Case("within_cluster_distance", _lazy_function("cluster", "within_cluster_distance"),
         ref_cluster.within_cluster_distance, _points_and_labels, sizes=(300, 1_500),
         dtypes=("float64",)),
    Case("homogeneity_score", _lazy_function("cluster", "homogeneity_score"),
         ref_cluster.homogeneity_score, _label_pairs, _sklearn_metric("homogeneity_score"),
         sizes=(10_000, 1_000_000), dtypes=("int64",)),
]


# ---------------------------------------------------------------- graph cases
SBM_LOW_P, SBM_DIAG_P, SBM_FF_P = 0.05, 0.2, 0.3  # the seed's 10 x 500 feedforward SBM
SPARSE_SBM_P = (1e-5, 3e-5, 3e-5)  # 10^6 nodes in 5 blocks: ~17 million directed edges


def _sbm_dense_inputs(size, dtype, rng):
    return [size // 10] * 10, ref_graph.feedforward_block_probs(10, SBM_LOW_P, SBM_DIAG_P,
                                                                 SBM_FF_P)


def _sbm_sparse_inputs(size, dtype, rng):
    scale = 1_000_000 / size  # the same expected degree (~17) at every size
    probs = [q * scale for q in SPARSE_SBM_P]
    return [size // 5] * 5, ref_graph.feedforward_block_probs(5, *probs)


def _twin_sbm(sparse):
    def sample(sizes, p):
        return ref_graph.sbm(sizes, p, directed=True, sparse=sparse, seed=0)

    return sample


def _fast_sbm(sparse):
    def sample(sizes, p):
        from .graph import sbm

        return sbm(sizes, p, directed=True, sparse=sparse, seed=0)

    return sample


def _igraph_sbm():
    try:
        import igraph
    except ImportError:
        return {}
    return {"igraph Graph.SBM": lambda sizes, p: igraph.Graph.SBM(
        np.asarray(p).tolist(), list(sizes), directed=True)}


def _same_block_densities(n_blocks):
    """Per block-pair edge counts of two directed samples of the same ``n_blocks``
    equal-block SBM agree within 6 standard deviations of their difference."""

    def compare(fast, reference):
        import scipy.sparse

        fast, reference = scipy.sparse.csr_array(fast), scipy.sparse.csr_array(reference)
        assert fast.shape == reference.shape
        labels = np.repeat(np.arange(n_blocks), fast.shape[0] // n_blocks)
        counts = []
        for A in (fast, reference):
            coo = A.tocoo()
            table = np.zeros((n_blocks, n_blocks))
            np.add.at(table, (labels[coo.row], labels[coo.col]), 1)
            counts.append(table)
        # Binomial counts: a difference of two has variance at most twice the mean
        tolerance = 6 * np.sqrt(2 * np.maximum(counts[1], 1.0))
        assert np.all(np.abs(counts[0] - counts[1]) <= tolerance), (counts[0], counts[1])

    return compare


CASES += [
    Case("sbm_dense", _fast_sbm(False), _twin_sbm(False), _sbm_dense_inputs,
         baselines=_igraph_sbm, sizes=(1_000, 5_000), dtypes=("float64",),
         compare=_same_block_densities(10)),
    Case("sbm_sparse", _fast_sbm(True), _twin_sbm(True), _sbm_sparse_inputs,
         baselines=_igraph_sbm, sizes=(100_000, 1_000_000), dtypes=("float64",),
         compare=_same_block_densities(5)),
]


SIGNAL_FLOW_P = (0.05, 0.1, 0.3)  # low, within-block, feedforward: 10 blocks


def _flow_graph_inputs(size, dtype, rng):
    from .graph import sbm

    probs = ref_graph.feedforward_block_probs(10, *SIGNAL_FLOW_P)
    return (sbm([size // 10] * 10, probs, directed=True, seed=int(rng.integers(2**32))),)


def _sparse_flow_graph_inputs(size, dtype, rng):
    from .graph import sbm

    probs = ref_graph.feedforward_block_probs(5, 1e-5, 2e-5, 2e-5) * (1_000_000 / size)
    return (sbm([size // 5] * 5, probs, directed=True, sparse=True,
                seed=int(rng.integers(2**32))),)


def _scipy_cg_signal_flow(A):
    """Signal flow with scipy's sparse algebra and conjugate gradients (the baseline at
    sizes where the pinv twin cannot run): W, b and L by sparse operations, CG on L z = b,
    then each component's mean removed."""
    import scipy.sparse
    import scipy.sparse.csgraph
    import scipy.sparse.linalg

    A = scipy.sparse.csr_array(A)
    W = (A + A.T) / 2
    b = np.asarray((W.multiply((A - A.T).sign())).sum(axis=1)).ravel()
    L = scipy.sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    z, _ = scipy.sparse.linalg.cg(L, b, rtol=1e-10, maxiter=10 * A.shape[0])
    _, labels = scipy.sparse.csgraph.connected_components(W, directed=False)
    return z - (np.bincount(labels, weights=z) / np.bincount(labels))[labels]


def _gene_like(size, dtype, rng):
    """800 samples x ``size`` genes in 18 co-expressed groups (correlation ~0.9 within a
    group, ~0 across): a correlation graph of 18 connected components, as in the study."""
    n_samples, n_groups = 800, 18
    factors = rng.standard_normal((n_samples, n_groups))
    group = rng.integers(0, n_groups, size)
    return (factors[:, group] + 0.35 * rng.standard_normal((n_samples, size)),)


def _gene_graph(size, dtype, rng):
    return (ref_graph.correlation_graph(*_gene_like(size, dtype, rng)),)


def _fast_embedding(A):
    from .graph import spectral_embedding

    return spectral_embedding(A, 18)


def _twin_embedding(A):
    return ref_graph.spectral_embedding(A, 18)


def _equal(fast, reference):
    assert fast == reference, (fast, reference)


def _same_subspace(fast, reference):
    """Eigenvectors of a repeated eigenvalue are defined up to rotation: compare the
    projectors onto the spanned subspaces."""
    np.testing.assert_allclose(fast @ fast.T, reference @ reference.T, atol=1e-8)


CASES += [
    Case("signal_flow_dense", _lazy_function("graph", "signal_flow"), ref_graph.signal_flow,
         _flow_graph_inputs, sizes=(600, 3_000), dtypes=("float64",), rtol={"float64": 1e-8}),
    Case("signal_flow_sparse", _lazy_function("graph", "signal_flow"), _scipy_cg_signal_flow,
         _sparse_flow_graph_inputs, sizes=(100_000, 1_000_000), dtypes=("float64",),
         rtol={"float64": 1e-6}),
    Case("correlation_graph", _lazy_function("graph", "correlation_graph"),
         ref_graph.correlation_graph, _gene_like, sizes=(500, 3_000), dtypes=("float64",)),
    Case("normalized_laplacian", _lazy_function("graph", "normalized_laplacian"),
         ref_graph.normalized_laplacian, _gene_graph, sizes=(500, 3_000), dtypes=("float64",)),
    Case("connected_components", _lazy_function("graph", "connected_components"),
         ref_graph.connected_components, _gene_graph, sizes=(500, 3_000),
         dtypes=("float64",), compare=_equal),
    Case("spectral_embedding", _fast_embedding, _twin_embedding, _gene_graph,
         sizes=(500, 3_000), dtypes=("float64",), compare=_same_subspace),
]


# ---------------------------------------------------------------- study cases
def _study_inputs(size, dtype, rng):
    return (size,)


def _gmm_vs_kmeans(n_sims, **options):
    from .studies import gmm_vs_kmeans

    return gmm_vs_kmeans(n_sims=n_sims, **options)["difference"].to_numpy()


def _gmm_vs_kmeans_sklearn(n_sims):
    from .reference import studies

    return studies.gmm_vs_kmeans(n_sims=n_sims)["difference"].to_numpy()


def _same_mean_difference(fast, reference):
    # different initialisation algorithms: the ARI differences agree on average
    # (0.1578 vs 0.1583 over 8 simulations of seed 8888)
    assert abs(fast.mean() - reference.mean()) < 0.05


def _gmm_vs_kmeans_two_workers(n_sims):
    return _gmm_vs_kmeans(n_sims, n_jobs=2)  # loky; its pool stays warm between calls


def _identical(fast, reference):
    # per-task seeds: the table does not depend on how many workers ran it
    np.testing.assert_array_equal(fast, reference)


CASES += [
    Case("gmm_vs_kmeans_study", _gmm_vs_kmeans, _gmm_vs_kmeans_sklearn, _study_inputs,
         sizes=(8, 24), dtypes=("float64",), compare=_same_mean_difference),
    # the parallel speed-up on its own: n_jobs=2 ("fast") against n_jobs=1 ("ref"),
    # timed in alternation with nothing else between them (a BLAS-heavy call just
    # before leaves the parent's OpenBLAS threads spinning on the workers' cores)
    Case("gmm_vs_kmeans_n_jobs", _gmm_vs_kmeans_two_workers, _gmm_vs_kmeans,
         _study_inputs, sizes=(8, 24), dtypes=("float64",), compare=_identical),
]


def select(pattern: str | None = None) -> list[Case]:
    """Cases whose name matches the glob ``pattern`` (or contains it); all if None."""
    if not pattern:
        return list(CASES)
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return [c for c in CASES if fnmatch.fnmatch(c.name, glob)]


def time_call(func: Callable, args: tuple, repeat: int = 7, min_time: float = 0.05) -> float:
    """Median seconds per call over ``repeat`` timings (each of enough loops to last
    ``min_time``).  The first call (JIT compilation or cache load) is not timed."""
    return time_calls([func], args, repeat, min_time)[0]


def time_calls(funcs: list[Callable], args: tuple, repeat: int = 7,
               min_time: float = 0.05) -> list[float]:
    """:func:`time_call` for several functions on the same arguments, interleaved:
    round r times each function once, so a machine that drifts (other load, clock
    changes) slows all of them alike and their ratios stay steady.  The order rotates
    from round to round: each function follows each other one equally often (a heavy
    reference leaves caches cold and BLAS threads spinning for what runs next)."""
    loops = []
    for func in funcs:
        func(*args)  # compilation or cache load, not timed
        start = time.perf_counter()
        func(*args)
        loops.append(max(1, int(min_time / max(time.perf_counter() - start, 1e-9))))
    samples = [[] for _ in funcs]
    for r in range(repeat):
        for k in range(len(funcs)):
            i = (r + k) % len(funcs)
            start = time.perf_counter()
            for _ in range(loops[i]):
                funcs[i](*args)
            samples[i].append((time.perf_counter() - start) / loops[i])
    return [statistics.median(out) for out in samples]


def run(pattern: str | None = None, quick: bool = False, repeat: int = 7,
        dtypes=None, stream=None, quiet: bool = False) -> list[dict]:
    """Time every selected case at its quick or full size (fast, reference, peers and
    baselines interleaved: see :func:`time_calls`); print rows as they finish
    (to ``stream``, default standard output, unless ``quiet``).

    Returns one dict per (case, dtype): times in seconds and ``speedup`` = reference
    time / fast time (> 1 means fastnet is faster), plus one entry per peer.
    """
    cases = select(pattern)
    if not cases:
        raise ValueError(f"filter {pattern!r} matches no case; cases are "
                         f"{', '.join(c.name for c in CASES)}")
    rows = []
    stream = None if quiet else (stream or sys.stdout)
    if stream is not None:
        print(_header(), file=stream, flush=True)
    for case in cases:
        size = case.sizes[0] if quick else case.sizes[1]
        for dtype in dtypes or case.dtypes:
            if dtype not in case.dtypes:
                continue
            args = case.inputs(size, dtype)
            start = time.perf_counter()
            case.fast(*args)
            first_call = time.perf_counter() - start
            others = {**case.peers(), **case.baselines()}
            fast, reference, *times = time_calls(
                [case.fast, case.reference, *others.values()], args, repeat)
            peers = dict(zip(others, times, strict=True))
            row = {"case": case.name, "size": size, "dtype": dtype, "fast": fast,
                   "reference": reference, "speedup": reference / fast,
                   "first_call": first_call, "peers": peers}
            rows.append(row)
            if stream is not None:
                print(_format_row(row), file=stream, flush=True)
    return rows


def _header() -> str:
    return (f"{'case':<24}{'size':>10} {'dtype':<8}{'fast ms':>10}{'ref ms':>10}"
            f"{'ref/fast':>10}{'1st call s':>12}  peers (ms, peer/fast)")


def _format_row(row: dict) -> str:
    peers = ", ".join(f"{label} {t * 1e3:.3g} ({t / row['fast']:.2f}x)"
                      for label, t in row["peers"].items()) or "-"
    return (f"{row['case']:<24}{row['size']:>10} {row['dtype']:<8}{row['fast'] * 1e3:>10.3f}"
            f"{row['reference'] * 1e3:>10.3f}{row['speedup']:>9.2f}x{row['first_call']:>12.2f}"
            f"  {peers}")


def format_table(rows: list[dict]) -> str:
    """The printed table for rows returned by :func:`run`."""
    return "\n".join([_header(), *(_format_row(r) for r in rows)])
