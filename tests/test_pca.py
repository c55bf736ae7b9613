import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastnet.decomposition import PCA, denoise, pca
from fastnet.reference import decomposition as ref


@pytest.fixture
def X(rng):
    base = rng.standard_normal((300, 12)) @ rng.standard_normal((12, 12))
    return base * rng.uniform(0.5, 20, 12) + rng.uniform(-50, 50, 12)


def _standardized_covariance(X):
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    return Z.T @ Z / (len(X) - 1)


@pytest.mark.parametrize("k", [1, 5, None])
def test_matches_twin(X, k):
    fast, twin = pca(X, k), ref.pca(X, k)
    for field, b in zip(dataclasses.fields(fast), twin, strict=True):
        assert_allclose(getattr(fast, field.name), b, rtol=1e-10,
                        atol=1e-12 * np.abs(b).max(), err_msg=field.name)


def test_eigenvalues_equal_numpy_eigh(X):
    values = np.linalg.eigh(_standardized_covariance(X))[0][::-1]
    result = pca(X, None)
    assert_allclose(result.explained_variance, values, rtol=1e-10, atol=1e-12)
    assert_allclose(result.explained_variance_ratio, values / values.sum(), rtol=1e-10,
                    atol=1e-12)


def test_components_orthonormal_signs_fixed(X, rng):
    V = pca(X, 6).components
    assert_allclose(V @ V.T, np.eye(6), atol=1e-12)
    biggest = np.argmax(np.abs(V), axis=1)
    assert (V[np.arange(6), biggest] > 0).all()
    shuffled = pca(X[rng.permutation(len(X))], 6).components  # same covariance
    assert_allclose(shuffled, V, atol=1e-10)


def test_chunked_accumulation_matches_twin(rng, monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules["fastnet.decomposition.pca"], "CHUNK_ROWS", 64)
    X = rng.standard_normal((1000, 7)) + 3.0
    fast, twin = pca(X, 3), ref.pca(X, 3)
    assert_allclose(fast.explained_variance, twin[2], rtol=1e-10)
    assert_allclose(fast.scores, twin[0], rtol=1e-9, atol=1e-12)


def test_matches_scikit_learn(X):
    from sklearn.decomposition import PCA as SkPCA
    from sklearn.preprocessing import StandardScaler

    for standardize, data in ((False, X), (True, StandardScaler().fit_transform(X))):
        ours = PCA(4, standardize=standardize).fit(X)
        theirs = SkPCA(4, svd_solver="full").fit(data)
        assert_allclose(ours.components_, theirs.components_, atol=1e-10)
        assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-10)
        assert_allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_,
                        rtol=1e-10)
        assert_allclose(ours.transform(X), theirs.transform(data), atol=1e-9)


def test_estimator_roundtrip_dtype_and_ratios(X):
    full = PCA().fit(X)
    assert full.n_components_ == 12
    assert_allclose(full.inverse_transform(full.transform(X)), X, rtol=1e-9, atol=1e-9)
    cumulative = np.cumsum(full.explained_variance_ratio_)
    for ratio in (0.7, 0.8, 0.9, 1.0):
        m = full.n_components_for(ratio)
        assert cumulative[m - 1] >= ratio - 1e-12
        assert m == 1 or cumulative[m - 2] < ratio
    small = PCA(1).fit(X)
    if small.explained_variance_ratio_[0] < 0.9:
        with pytest.raises(ValueError, match="fitted components explain only"):
            small.n_components_for(0.9)
    X32 = X.astype(np.float32)
    model = PCA(3).fit(X32)
    assert model.components_.dtype == np.float32 and model.transform(X32).dtype == np.float32
    assert_allclose(model.explained_variance_, PCA(3).fit(X).explained_variance_, rtol=1e-4)


def test_zero_variance_column_left_unscaled(X):
    X = X.copy()
    X[:, 4] = 7.25
    model = PCA(5).fit(X)
    assert model.scale_[4] == 1.0 and model.mean_[4] == 7.25
    assert_allclose(model.components_[:, 4], 0.0, atol=1e-12)


def test_bad_input(X):
    with pytest.raises(ValueError, match="X must contain only finite values"):
        pca(np.where(X > 40, np.inf, X), 2)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        PCA(2).fit(X[0])  # estimators speak scikit-learn's messages
    with pytest.raises(ValueError, match="X must be 2-D"):
        pca(X[0], 2)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        pca(X, 0)
    with pytest.raises(ValueError, match="n_components must be <= 12"):
        pca(X, 13)
    with pytest.raises(ValueError, match="at least 2 row"):
        pca(X[:1], 1)
    model = PCA(2).fit(X)
    with pytest.raises(ValueError, match="X has 11 features, but PCA is expecting 12"):
        model.transform(X[:, :11])
    with pytest.raises(ValueError, match="X must have 2 columns"):
        model.inverse_transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"ratio must be in \(0, 1\]"):
        model.n_components_for(0.0)
    with pytest.raises(TypeError, match="ratio must be a number"):
        model.n_components_for("90%")


# ---------------------------------------------------------------- denoising
def test_denoise_matches_twin_and_seed_formula(X, rng):
    B = np.linalg.qr(rng.standard_normal((12, 3)))[0].T  # orthonormal rows
    center, scale = X.mean(axis=0), X.std(axis=0)
    out = denoise(X, B, center=center, scale=scale)
    assert_allclose(out, ref.denoise(X, B, center, scale), rtol=1e-10)
    Z = (X - center) / scale
    assert_allclose(out, (Z @ B.T @ B) * scale + center, rtol=1e-10)  # the seeds' X B B^T
    skewed = rng.random((3, 12))  # not orthonormal: still a projection (idempotent)
    once = denoise(X, skewed)
    assert_allclose(once, ref.denoise(X, skewed), rtol=1e-9)
    assert_allclose(denoise(once, skewed), once, rtol=1e-9, atol=1e-9)
    model = PCA(4).fit(X)
    expected = ref.unstandardize(
        ref.standardize(X, X) @ model.components_.T @ model.components_, X)
    assert_allclose(denoise(X, model), expected, rtol=1e-9, atol=1e-9)


def test_denoising_noisy_digits_lowers_the_error():
    from sklearn.datasets import load_digits

    from fastnet.decomposition import NMF, minmax_range

    clean = load_digits().data
    rng = np.random.default_rng(0)
    noisy = clean + rng.normal(0, 4.0, clean.shape)
    train, test = slice(0, 1400), slice(1400, None)
    before = np.mean((noisy[test] - clean[test]) ** 2)

    pca_model = PCA(20).fit(noisy[train])
    after_pca = np.mean((denoise(noisy[test], pca_model) - clean[test]) ** 2)

    low, width = minmax_range(noisy[train])
    nmf_model = NMF(20, max_iter=300, random_state=0).fit((noisy[train] - low) / width)
    after_nmf = np.mean((denoise(noisy[test], nmf_model, center=low, scale=width)
                         - clean[test]) ** 2)
    assert after_pca < 0.7 * before and after_nmf < 0.6 * before, (before, after_pca, after_nmf)


def test_denoise_bad_input(X):
    with pytest.raises(ValueError, match="basis must have 12 columns"):
        denoise(X, np.ones((2, 5)))
    with pytest.raises(ValueError, match="scale must be non-zero"):
        denoise(X, np.ones((2, 12)), scale=0.0)
    with pytest.raises(ValueError, match="center must be a finite number or an array of 12"):
        denoise(X, np.ones((2, 12)), center=np.ones(3))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        denoise(X, PCA(2))


def test_fit_never_forms_a_standardised_copy(rng):
    import tracemalloc

    X = rng.standard_normal((20_000, 50))
    PCA(5).fit(X[:100])  # compile outside the measurement
    tracemalloc.start()
    PCA(5).fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.25 * X.nbytes, peak  # a chunk buffer and m x m matrices


def test_result_is_a_frozen_dataclass(X):
    result = pca(X, 2)
    assert [f.name for f in dataclasses.fields(result)] == [
        "scores", "components", "explained_variance", "explained_variance_ratio", "mean",
        "scale"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.mean = None
