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
    model = PCA(5, standardize=True).fit(X)
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
    model = PCA(4, standardize=True).fit(X)  # the seeds' standardised PCA
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

    pca_model = PCA(20, standardize=True).fit(noisy[train])  # the seeds' setting
    after_pca = np.mean((denoise(noisy[test], pca_model) - clean[test]) ** 2)

    low, width = minmax_range(noisy[train])
    nmf_model = NMF(20, init="random-uniform", solver="mu", pseudo_count=1e-3, tol=0.0,
                    max_iter=300, random_state=0).fit((noisy[train] - low) / width)
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


@pytest.mark.parametrize("offset", [0.0, 100.0])  # uncentred product / shifted chunks
def test_fit_never_forms_a_standardised_copy(rng, offset):
    import tracemalloc

    X = rng.standard_normal((20_000, 50)) + offset
    model = PCA(5, standardize=True, svd_solver="covariance_eigh")
    model.fit(X[:2_000])  # compile outside the measurement (the parallel variants too)
    tracemalloc.start()
    model.fit(X)
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


# ---------------------------------------------------------------- scikit-learn's contract
SOLVERS = ["full", "covariance_eigh", "arpack", "randomized", "auto"]
FITTED = ["components_", "explained_variance_", "explained_variance_ratio_",
          "singular_values_", "mean_", "noise_variance_"]


def _assert_same_fit(ours, theirs, X, rtol=1e-9, atol=1e-9):
    for name in FITTED:
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=rtol, atol=atol,
                        err_msg=name)
        assert np.asarray(getattr(ours, name)).dtype == np.asarray(getattr(theirs, name)).dtype
    for name in ("n_components_", "n_samples_", "n_features_in_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours._fit_svd_solver == theirs._fit_svd_solver
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=rtol, atol=atol)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=rtol, atol=atol)
    assert_allclose(ours.get_covariance(), theirs.get_covariance(), rtol=rtol, atol=atol)
    assert_allclose(ours.get_precision(), theirs.get_precision(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("whiten", [False, True])
def test_defaults_and_solvers_match_scikit_learn(X, solver, whiten):
    from sklearn.decomposition import PCA as SkPCA

    params = dict(n_components=4, svd_solver=solver, whiten=whiten, random_state=3)
    ours, theirs = PCA(**params), SkPCA(**params)
    assert_allclose(ours.fit_transform(X), theirs.fit_transform(X), rtol=1e-9, atol=1e-9)
    _assert_same_fit(ours, theirs, X)
    assert_allclose(ours.inverse_transform(ours.transform(X[:5])),
                    theirs.inverse_transform(theirs.transform(X[:5])), rtol=1e-9)
    assert set(ours.get_params()) == set(theirs.get_params()) | {"standardize"}
    assert ours.get_params()["standardize"] is False


@pytest.mark.parametrize("n_components", [None, 0, 0.9, 0.5, "mle", 12])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
def test_n_components_choices_match_scikit_learn(X, solver, n_components):
    from sklearn.decomposition import PCA as SkPCA

    ours = PCA(n_components, svd_solver=solver).fit(X)
    theirs = SkPCA(n_components, svd_solver=solver).fit(X)
    _assert_same_fit(ours, theirs, X)


@pytest.mark.parametrize("shape", [(40, 60), (2000, 30)], ids=["wide", "tall"])
def test_auto_solver_and_wide_data_match_scikit_learn(rng, shape):
    from sklearn.decomposition import PCA as SkPCA

    X = rng.standard_normal(shape) @ rng.standard_normal((shape[1], shape[1]))
    for k in (3, 20, 0.8):
        ours, theirs = PCA(k).fit(X), SkPCA(k).fit(X)
        _assert_same_fit(ours, theirs, X, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["arpack", "covariance_eigh", "auto"])
def test_sparse_input_matches_scikit_learn(rng, fmt, solver):
    import scipy.sparse
    from sklearn.decomposition import PCA as SkPCA

    X = scipy.sparse.random(300, 40, density=0.1, format=fmt, random_state=1) * 7.0
    ours = PCA(5, svd_solver=solver, random_state=0).fit(X)
    theirs = SkPCA(5, svd_solver=solver, random_state=0).fit(X)
    _assert_same_fit(ours, theirs, X.toarray(), rtol=1e-8, atol=1e-10)
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-8, atol=1e-10)
    dense = PCA(5, svd_solver=solver, random_state=0).fit(X.toarray())
    assert_allclose(ours.components_, dense.components_, atol=1e-8)


@pytest.mark.parametrize("solver", ["full", "randomized"])
def test_sparse_input_refused_by_the_dense_solvers(solver):
    import scipy.sparse

    X = scipy.sparse.random(30, 6, density=0.3, format="csr", random_state=1)
    with pytest.raises(TypeError, match="PCA only support sparse inputs with the"):
        PCA(2, svd_solver=solver).fit(X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_kept_like_scikit_learn(X, solver):
    from sklearn.decomposition import PCA as SkPCA

    X32 = X.astype(np.float32)
    ours = PCA(3, svd_solver=solver, random_state=0).fit(X32)
    theirs = SkPCA(3, svd_solver=solver, random_state=0).fit(X32)
    for name in FITTED[:-1]:
        assert getattr(ours, name).dtype == np.float32, name
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=2e-3, atol=1e-3,
                        err_msg=name)
    assert ours.transform(X32).dtype == np.float32
    assert ours.fit_transform(X32).dtype == np.float32


@pytest.mark.parametrize("solver", ["full", "arpack", "randomized"])
def test_copy_false_may_overwrite_x(X, solver):
    from sklearn.decomposition import PCA as SkPCA

    ours, theirs = X.copy(), X.copy()
    PCA(3, copy=False, svd_solver=solver, random_state=0).fit(ours)
    SkPCA(3, copy=False, svd_solver=solver, random_state=0).fit(theirs)
    assert not np.array_equal(ours, X)
    if solver == "full":  # the centred data (the truncated solvers leave scratch values)
        assert_allclose(ours, theirs, atol=1e-12)
    kept = X.copy()
    PCA(3, svd_solver=solver, random_state=0).fit(kept)
    assert_allclose(kept, X, rtol=0, atol=0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_standardize_is_scikit_learn_on_standardised_data(X, solver):
    from sklearn.decomposition import PCA as SkPCA
    from sklearn.preprocessing import StandardScaler

    Z = StandardScaler().fit_transform(X)
    ours = PCA(4, svd_solver=solver, standardize=True, random_state=0).fit(X)
    theirs = SkPCA(4, svd_solver=solver, random_state=0).fit(Z)
    for name in FITTED[:4]:
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-8, atol=1e-10)
    assert_allclose(ours.transform(X), theirs.transform(Z), atol=1e-8)
    assert_allclose(ours.fit_transform(X), theirs.transform(Z), atol=1e-8)
    assert_allclose(ours.inverse_transform(ours.transform(X[:3])),
                    X[:3] + (theirs.inverse_transform(theirs.transform(Z[:3])) - Z[:3])
                    * X.std(axis=0), rtol=1e-8)
    # a density of X: the standardised data's density times the Jacobian 1 / prod(std)
    assert_allclose(ours.score_samples(X),
                    theirs.score_samples(Z) - np.log(X.std(axis=0)).sum(), rtol=1e-9)


def test_sparse_standardize_matches_dense(rng):
    import scipy.sparse

    X = scipy.sparse.random(300, 30, density=0.2, format="csr", random_state=2) * 3.0
    for solver in ("arpack", "covariance_eigh"):
        sparse = PCA(4, svd_solver=solver, standardize=True, random_state=0).fit(X)
        dense = PCA(4, svd_solver=solver, standardize=True, random_state=0).fit(X.toarray())
        assert_allclose(sparse.components_, dense.components_, atol=1e-8)
        assert_allclose(sparse.transform(X), dense.transform(X.toarray()), atol=1e-8)


def test_parameter_validation_like_scikit_learn(X):
    from sklearn.utils._param_validation import InvalidParameterError

    for params in (dict(n_components=-1), dict(n_components=1.5), dict(n_components="x"),
                   dict(svd_solver="lapack"), dict(whiten="yes"), dict(tol=-1.0),
                   dict(iterated_power=-1), dict(n_oversamples=0),
                   dict(power_iteration_normalizer="qr"), dict(standardize=None)):
        with pytest.raises(InvalidParameterError):
            PCA(**params).fit(X)
    with pytest.raises(ValueError, match="must be strictly less than"):
        PCA(12, svd_solver="arpack").fit(X)
    with pytest.raises(ValueError, match=r"must be between 0 and min\(n_samples, n_features\)"):
        PCA(13, svd_solver="covariance_eigh").fit(X)
    with pytest.raises(ValueError, match="cannot be a string with svd_solver='randomized'"):
        PCA("mle", svd_solver="randomized").fit(X)


def test_feature_names_set_output_and_failed_refit(X):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(12)])
    model = PCA(3).set_output(transform="pandas").fit(frame)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert list(model.get_feature_names_out()) == ["pca0", "pca1", "pca2"]
    out = model.transform(frame)
    assert list(out.columns) == ["pca0", "pca1", "pca2"]
    before = model.components_.copy()
    with pytest.raises(ValueError):
        model.set_params(n_components=99).fit(frame)
    assert_allclose(model.components_, before, rtol=0, atol=0)


def test_mle_on_rank_deficient_data_matches_minka(rng):
    from sklearn.decomposition import PCA as SkPCA

    X = rng.standard_normal((500, 8))
    X[:, 7] = X[:, :7].mean(axis=1)  # rank 7
    assert PCA("mle", svd_solver="full").fit(X).n_components_ == 7
    for solver in ("full", "covariance_eigh"):
        ours = PCA("mle", svd_solver=solver).fit(X)
        assert ours.n_components_ == SkPCA("mle", svd_solver=solver).fit(X).n_components_


def test_minka_log_likelihood_matches_scikit_learn(rng):
    from sklearn.decomposition._pca import _assess_dimension, _infer_dimension

    from fastnet.decomposition.pca_solvers import assess_dimension, infer_dimension

    for n in (20, 500):
        spectrum = np.sort(rng.random(9))[::-1] ** 3
        for rank in range(1, 9):
            assert_allclose(assess_dimension(spectrum, rank, n),
                            _assess_dimension(spectrum, rank, n), rtol=1e-12)
        assert infer_dimension(spectrum, n) == _infer_dimension(spectrum, n)
    tiny = np.array([1, 1e-30, 1e-30, 1e-30])
    assert assess_dimension(tiny, 2, 10) == -np.inf and infer_dimension(tiny, 10) == 1
    with pytest.raises(ValueError, match=r"should be in \[1, n_features - 1\]"):
        assess_dimension(tiny, 4, 10)


def test_float32_covariance_centres_each_chunk(rng):
    """float32 is computed in float32 like scikit-learn, but centred per chunk: a large
    column offset does not cancel the variance away as in ``X^T X - n mean mean^T``."""
    from sklearn.decomposition import PCA as SkPCA

    X = rng.standard_normal((5000, 8)) @ rng.standard_normal((8, 8)) + 3000.0
    truth = SkPCA(4, svd_solver="full").fit(X).explained_variance_
    X32 = X.astype(np.float32)
    ours = PCA(4, svd_solver="covariance_eigh").fit(X32).explained_variance_
    theirs = SkPCA(4, svd_solver="covariance_eigh").fit(X32).explained_variance_
    assert ours.dtype == np.float32
    exact32 = SkPCA(4, svd_solver="full").fit(X32.astype(np.float64)).explained_variance_
    assert_allclose(ours, exact32, rtol=1e-4)
    assert np.abs(ours - exact32).max() < np.abs(theirs - exact32).max()
    assert_allclose(exact32, truth, rtol=1e-2)  # float32 rounding of X itself


@pytest.mark.no_jit  # also reaches _shift_rows_and_sum's body without the JIT in .ci/run
@pytest.mark.parametrize("n_components", [3, 0.95, None])
@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_covariance_paths_match_scikit_learn_full_svd(rng, monkeypatch, offset, n_components):
    """Near-centred columns take the uncentred product (one BLAS call on X); columns
    whose offset dwarfs their spread take mean-shifted chunks, where the uncentred
    product would cancel about 20 of 52 bits away and miss rtol=1e-10."""
    import sys

    from sklearn.decomposition import PCA as SkPCA

    module = sys.modules["fastnet.decomposition.pca"]
    monkeypatch.setattr(module, "CHUNK_ROWS", 64)
    monkeypatch.setattr(module, "CHUNK_BYTES", 1)  # 64-row chunks, the last one partial
    monkeypatch.setattr(module, "SUM_GROUP", 16)  # several partial sums per chunk
    shifted = []
    original = module._shifted_cross_product
    monkeypatch.setattr(module, "_shifted_cross_product",
                        lambda *args: shifted.append(1) or original(*args))
    X = rng.standard_normal((1000, 9)) @ rng.standard_normal((9, 9)) + offset
    ours = PCA(n_components, svd_solver="covariance_eigh").fit(X)
    theirs = SkPCA(n_components, svd_solver="full").fit(X)
    assert bool(shifted) == (offset > 0)
    assert ours.n_components_ == theirs.n_components_
    assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12)
    assert_allclose(ours.components_, theirs.components_, atol=1e-9)
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_",
                 "noise_variance_"):
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10,
                        atol=1e-13, err_msg=name)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_covariance_path_finds_non_finite_input_in_its_pass(X, bad):
    """The finiteness check rides on the column-sum pass; scikit-learn's message, and a
    failed refit leaves the fitted model as it was."""
    from sklearn.decomposition import PCA as SkPCA

    model = PCA(2, svd_solver="covariance_eigh").fit(X)
    components = model.components_.copy()
    broken = X.copy()
    broken[7, 3] = bad
    with pytest.raises(ValueError) as ours:
        model.fit(broken)
    with pytest.raises(ValueError) as theirs:
        SkPCA(2, svd_solver="covariance_eigh").fit(broken)
    assert str(ours.value) == str(theirs.value)
    assert "NaN" in str(ours.value) or "infinity" in str(ours.value)
    np.testing.assert_array_equal(model.components_, components)


def test_small_and_truncated_fits_run_blas_on_one_thread(monkeypatch):
    # covariance and full SVD below n m^2 = SMALL_PRODUCT_WORK, randomized and ARPACK
    # below n m (k + oversamples) = TRUNCATED_SVD_WORK: one BLAS thread during the fit;
    # above, the caller's cap, restored afterwards
    import sys

    from threadpoolctl import threadpool_info, threadpool_limits

    pca_module = sys.modules["fastnet.decomposition.pca"]  # the name is the function's

    def blas_threads():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    seen = []
    for name in ("_fit_covariance", "_fit_svd"):
        method = getattr(pca_module.PCA, name)

        def recording(self, *args, _method=method, **kwargs):
            seen.append(blas_threads())
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(pca_module.PCA, name, recording)
    rng = np.random.default_rng(0)
    small, tall = rng.standard_normal((1000, 40)), rng.standard_normal((20_000, 100))
    assert small.size * 40 < pca_module.SMALL_PRODUCT_WORK <= tall.size * 100
    assert tall.size * 40 < pca_module.TRUNCATED_SVD_WORK
    with threadpool_limits(2, user_api="blas"):
        for X, solver in ((small, "covariance_eigh"), (small, "full"), (tall, "full"),
                          (tall, "randomized"), (tall, "arpack")):
            PCA(30, svd_solver=solver, random_state=0).fit(X)
        assert blas_threads() == {2}
    assert seen == [{1}, {1}, {2}, {1}, {1}]
