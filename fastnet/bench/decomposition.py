"""Cases of :mod:`fastnet.decomposition`: NMF iterations and a PCA fit."""

from __future__ import annotations

from ..reference import decomposition as ref_decomposition
from .harness import Case

__all__ = ["CASES"]

# ---------------------------------------------------------------- NMF
# A fixed, small number of iterations from a given start: enough that the per-call
# set-up (validating X, copying the start, first-touching the buffers) weighs in the
# time about as little as in a real fit of hundreds of iterations.
NMF_FEATURES, NMF_COMPONENTS, NMF_ITERATIONS = 784, 100, 20


def inputs_nmf(size, dtype, rng):
    from ..decomposition import random_init

    X = rng.random((size, NMF_FEATURES)).astype(dtype)
    W, H = random_init(size, NMF_FEATURES, NMF_COMPONENTS, seed=0, dtype=dtype)
    return X, W, H


def fast_nmf(X, W, H):
    from ..decomposition import nmf

    return nmf(X, NMF_COMPONENTS, max_iter=NMF_ITERATIONS, W_init=W, H_init=H).W


def twin_nmf(X, W, H):
    return ref_decomposition.nmf(X, NMF_COMPONENTS, max_iter=NMF_ITERATIONS,
                                 W_init=W, H_init=H)[0]


def peer_nmf_gemm_floor(X, W, H):
    """The two products with X that every iteration needs, nothing else."""
    for _ in range(NMF_ITERATIONS):
        X @ H.T
        W.T @ X


def peer_sklearn_nmf_mu(X, W, H):
    import warnings

    from sklearn.decomposition import NMF

    model = NMF(NMF_COMPONENTS, solver="mu", init="custom", max_iter=NMF_ITERATIONS, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached
        return model.fit_transform(X, W=W.copy(), H=H.copy())


def baselines_nmf():
    return {"floor (X@H.T + W.T@X)": peer_nmf_gemm_floor, "sklearn NMF(mu)": peer_sklearn_nmf_mu}


# ---------------------------------------------------------------- PCA
PCA_FEATURES, PCA_COMPONENTS = 784, 100


def inputs_pca(size, dtype, rng):
    # low-rank structure plus noise: separated leading eigenvalues, like image data
    scores = rng.random((size, 20))
    loadings = rng.random((20, PCA_FEATURES))
    return ((scores @ loadings + 0.1 * rng.random((size, PCA_FEATURES))).astype(dtype),)


def fast_pca(X):
    from ..decomposition import PCA

    # the seeds' standardised PCA by the covariance path, as the twin computes it
    # (svd_solver='auto' would pick the randomized SVD for the 2,000-row case)
    model = PCA(PCA_COMPONENTS, standardize=True, svd_solver="covariance_eigh")
    return model.fit(X).components_


def twin_pca(X):
    return ref_decomposition.pca(X, PCA_COMPONENTS)[1].astype(X.dtype)


def peer_sklearn_pca(X):
    from sklearn.decomposition import PCA

    return PCA(PCA_COMPONENTS).fit(X).components_


def baselines_pca():
    return {"sklearn PCA (centred only)": peer_sklearn_pca}


CASES = [
    Case(name="nmf_iterations", fast=fast_nmf, reference=twin_nmf, make_inputs=inputs_nmf,
         sizes=(200, 10_000), baselines=baselines_nmf,
         rtol={"float64": 1e-9, "float32": 1e-3}),
    Case(name="pca_fit", fast=fast_pca, reference=twin_pca, make_inputs=inputs_pca,
         sizes=(1_000, 20_000), baselines=baselines_pca,
         rtol={"float64": 1e-8, "float32": 1e-4}),
]
