import warnings

import numpy as np
import pytest
from conftest import output_with_threads
from numpy.testing import assert_allclose
from sklearn.utils._param_validation import InvalidParameterError

from fastnet.cluster import GaussianMixture, gaussian_mixture
from fastnet.reference import cluster as ref


@pytest.fixture
def data(rng):
    blobs = [rng.normal(m, 1 + abs(m) / 5, (200, 5)) for m in (-4, 0, 4)]
    return np.vstack(blobs) @ rng.standard_normal((5, 5))


@pytest.fixture
def start(data, rng):
    weights = np.full(3, 1 / 3)
    means = data[rng.choice(len(data), 3, replace=False)]
    precisions = np.repeat(np.linalg.inv(np.cov(data.T))[None], 3, axis=0)
    return weights, means, precisions


def _sklearn(data, start, **kwargs):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    weights, means, precisions = start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkGaussianMixture(3, weights_init=weights, means_init=means,
                                 precisions_init=precisions, **kwargs).fit(data)


def _ours(data, start, **kwargs):
    weights, means, precisions = start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(3, weights_init=weights, means_init=means,
                               precisions_init=precisions, **kwargs).fit(data)


@pytest.mark.parametrize("tol", [0.0, 1e-3])
def test_same_start_gives_scikit_learn_parameters(data, start, tol):
    theirs, ours = _sklearn(data, start, max_iter=20, tol=tol), _ours(data, start,
                                                                     max_iter=20, tol=tol)
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_ == theirs.converged_
    for name in ("weights_", "means_", "covariances_", "precisions_",
                 "precisions_cholesky_"):
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-7, atol=1e-10,
                        err_msg=name)
    assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-7)
    assert_allclose(ours.predict_proba(data), theirs.predict_proba(data), atol=1e-9)
    assert_allclose(ours.score_samples(data), theirs.score_samples(data), rtol=1e-9)
    assert_allclose([ours.bic(data), ours.aic(data)], [theirs.bic(data), theirs.aic(data)],
                    rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(data), theirs.predict(data))


def test_matches_twin_and_likelihood_never_decreases(data, start):
    weights, means, precisions = start
    covariances = np.linalg.inv(precisions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: never "converges"
        fit = gaussian_mixture(data, 3, weights_init=weights, means_init=means,
                               precisions_init=precisions, max_iter=30, tol=0.0)
    w, m, c, bounds = ref.gaussian_mixture(data, weights, means, covariances, 30)
    assert_allclose(fit.weights, w, rtol=1e-9)
    assert_allclose(fit.means, m, rtol=1e-9, atol=1e-12)
    assert_allclose(fit.covariances, c, rtol=1e-9, atol=1e-12)
    assert_allclose(fit.lower_bounds, bounds, rtol=1e-10)
    assert np.all(np.diff(fit.lower_bounds) >= -1e-12)


@pytest.mark.parametrize("init_params", ["random_rows", "kmeans", "random", "random_from_data"])
def test_every_init_fits(data, init_params):
    fit = gaussian_mixture(data, 3, init_params=init_params, seed=1, max_iter=200)
    assert fit.converged and np.isclose(fit.weights.sum(), 1.0)
    again = gaussian_mixture(data, 3, init_params=init_params, seed=1, max_iter=200)
    np.testing.assert_array_equal(fit.means, again.means)


def test_seeds_init_rule(data):
    with pytest.warns(Warning, match="EM did not converge in max_iter=1"):
        fit = gaussian_mixture(data, 3, init_params="random_rows", seed=4, max_iter=1)
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0])
    rows = rng.integers(0, len(data), 3)
    w, m, c, _ = ref.gaussian_mixture(data, np.full(3, 1 / 3), data[rows],
                                      np.repeat(np.cov(data.T)[None], 3, axis=0), 1)
    assert_allclose(fit.means, m, rtol=1e-9)
    assert_allclose(fit.covariances, c, rtol=1e-9)


def test_identical_for_any_number_of_threads():
    code = """
        import numpy as np
        from fastnet.cluster import gaussian_mixture
        X = np.random.default_rng(0).standard_normal((5000, 3))
        fit = gaussian_mixture(X, 4, seed=2, max_iter=15, tol=0.0)
        print(repr(fit.lower_bound), repr(fit.means.sum()), repr(fit.covariances.sum()))
    """
    # first fill the cache: a freshly compiled parallel E-step can differ from the cached
    # one in the last bit (test_cache_threads.py's xfail), which is not what this tests
    output_with_threads(code, 1)
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


def test_bad_input(data, start):
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        gaussian_mixture(data, 0)
    with pytest.raises(ValueError, match="n_components must be <= 600"):
        gaussian_mixture(data, 601)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        gaussian_mixture(np.where(data > 3, np.inf, data), 2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        gaussian_mixture(data[:, 0], 2)
    with pytest.raises(ValueError, match="init_params must be one of"):
        gaussian_mixture(data, 2, init_params="k-means++")
    with pytest.raises(ValueError, match="reg_covar must be a finite number >= 0"):
        gaussian_mixture(data, 2, reg_covar=-1.0)
    with pytest.raises(ValueError, match=r"means_init must be a finite array of shape \(3, 5\)"):
        gaussian_mixture(data, 3, means_init=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="weights_init must be non-negative and sum to 1"):
        gaussian_mixture(data, 3, weights_init=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"precisions_init\[0\] must be symmetric positive"):
        gaussian_mixture(data, 3, precisions_init=-np.repeat(np.eye(5)[None], 3, axis=0))
    with pytest.raises(InvalidParameterError, match="'covariance_type' parameter"):
        GaussianMixture(2, covariance_type="diagonal").fit(data)
    model = GaussianMixture(2, random_state=0).fit(data)
    with pytest.raises(ValueError, match="X has 4 features, but GaussianMixture is expecting 5"):
        model.predict(data[:, :4])


def test_collapse_names_the_component():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=100), np.full(100, 3.0)])  # no variance in column 1
    with pytest.raises(ValueError, match=r"ill-defined empirical covariance.*component [01]"):
        gaussian_mixture(X, 2, reg_covar=0.0, means_init=[[-1.0, 3.0], [1.0, 3.0]],
                         weights_init=[0.5, 0.5],
                         precisions_init=np.repeat(np.eye(2)[None], 2, axis=0))


def test_inline_exp_is_accurate_to_an_ulp():
    import sys

    import numba

    gmm = sys.modules["fastnet.cluster.gmm_full"]

    @numba.njit
    def apply(xs, out):
        for i in range(xs.size):
            out[i] = gmm._exp_nonpositive(xs[i])

    xs = np.concatenate([[0.0, -1e-300, -1e-12, -0.5 * np.log(2), -300.0],
                         -np.random.default_rng(0).random(20_000) * 300])
    out = np.empty_like(xs)
    apply(xs, out)
    assert_allclose(out, np.exp(xs), rtol=4.5e-16, atol=0)


def test_precision_cholesky_kernel_matches_lapack(rng):
    import sys

    import scipy.linalg

    gmm = sys.modules["fastnet.cluster.gmm_full"]
    A = rng.standard_normal((4, 6, 6))
    covariances = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(6)
    expected = np.array([scipy.linalg.solve_triangular(
        scipy.linalg.cholesky(c, lower=True), np.eye(6), lower=True).T for c in covariances])
    assert_allclose(gmm._precision_cholesky(covariances), expected, rtol=1e-12, atol=1e-13)
    covariances[2] = -np.eye(6)
    with pytest.raises(ValueError, match=r"ill-defined empirical covariance.*component 2 "):
        gmm._precision_cholesky(covariances)


def test_both_drivers_agree_and_result_is_frozen(data, capsys):
    """verbose=True runs the Python-driven loop, the default the compiled one (small
    work): the same EM iterations, so the same fit."""
    import dataclasses

    compiled = gaussian_mixture(data, 3, seed=5, max_iter=30)
    python = gaussian_mixture(data, 3, seed=5, max_iter=30, verbose=True)
    assert "gaussian_mixture: iteration 1 " in capsys.readouterr().out
    for field in dataclasses.fields(compiled):
        assert_allclose(getattr(python, field.name), getattr(compiled, field.name),
                        rtol=1e-12, atol=1e-14, err_msg=field.name)
    assert_allclose(compiled.precisions, np.linalg.inv(compiled.covariances), rtol=1e-8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.n_iter = 0


# ---------------------------------------------------------------- scikit-learn's contract
COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")


def _quiet(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X)


def _assert_same_fit(ours, theirs, X, rtol=1e-7):
    assert ours.n_iter_ == theirs.n_iter_ and ours.converged_ == theirs.converged_
    for name in FITTED:
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=rtol, atol=1e-9,
                        err_msg=name)
    # a start with one row per component ('k-means++', 'random_from_data') has variances
    # reg_covar + scikit-learn's rounding of E[x^2] - mu^2 (fastnet centres the sums):
    # its first bound, ~ -1 / reg_covar, agrees to ~1e-7
    assert_allclose(ours.lower_bounds_[1:], theirs.lower_bounds_[1:], rtol=1e-9)
    assert_allclose(ours.lower_bounds_[0], theirs.lower_bounds_[0], rtol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-8)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-9)
    assert_allclose([ours.bic(X), ours.aic(X)], [theirs.bic(X), theirs.aic(X)], rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_same_random_state_gives_scikit_learns_fit(data, covariance_type, init_params):
    """scikit-learn's draws from random_state for every init, its EM for every
    covariance type: the same fit."""
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    kwargs = dict(covariance_type=covariance_type, init_params=init_params,
                  random_state=7, n_init=2, max_iter=40)
    ours = _quiet(GaussianMixture(3, **kwargs), data)
    theirs = _quiet(SkGaussianMixture(3, **kwargs), data)
    _assert_same_fit(ours, theirs, data)


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
# the compiled loop (also run as plain Python in .ci/run); the (parallel) pass
@pytest.mark.parametrize("size", [pytest.param(60, marks=pytest.mark.no_jit), 6000])
def test_constrained_kernels_match_twin(rng, covariance_type, size):
    X = rng.standard_normal((size, 4)) * [1.0, 2.0, 0.5, 1.5] + rng.integers(0, 3, (size, 1))
    weights = np.full(3, 1 / 3)
    means = X[rng.choice(size, 3, replace=False)]
    variances = X.var(axis=0)
    covariances = {"tied": np.cov(X.T), "diag": np.repeat(variances[None], 3, axis=0),
                   "spherical": np.full(3, variances.mean())}[covariance_type]
    precisions = (np.linalg.inv(covariances) if covariance_type == "tied"
                  else 1.0 / covariances)
    w, m, c, bounds = ref.gaussian_mixture_constrained(X, weights, means, covariances, 12,
                                                       covariance_type)
    for verbose in (0, 1):  # verbose runs the Python-driven loop
        model = _quiet(GaussianMixture(3, covariance_type=covariance_type, tol=0.0,
                                       max_iter=12, weights_init=weights, means_init=means,
                                       precisions_init=precisions, verbose=verbose), X)
        assert_allclose(model.weights_, w, rtol=1e-9)
        assert_allclose(model.means_, m, rtol=1e-9, atol=1e-12)
        assert_allclose(model.covariances_, c, rtol=1e-9, atol=1e-12)
        assert_allclose(model.lower_bounds_, bounds, rtol=1e-10)
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    theirs = _quiet(SkGaussianMixture(3, covariance_type=covariance_type, tol=0.0,
                                      max_iter=12, weights_init=weights, means_init=means,
                                      precisions_init=precisions), X)
    assert_allclose(model.score_samples(X), theirs.score_samples(X), rtol=1e-9)
    assert_allclose(model.predict_proba(X), theirs.predict_proba(X), atol=1e-9)


def test_tied_fit_does_not_depend_on_where_the_data_sit(rng):
    """The tied pass works about the data's mean: shifting X and the start by 1e4
    changes the fit by rounding only (scikit-learn's X^T X - sum N mu mu^T loses ~8
    digits to the shift; its covariances move by ~1e-6 here)."""
    X = rng.standard_normal((20000, 5)) + 3.0 * rng.integers(0, 4, (20000, 1))
    start = 3.0 * np.arange(4.0)[:, None] + np.full((4, 5), 0.3)
    fits = [_quiet(GaussianMixture(4, covariance_type="tied", means_init=start + shift,
                                   tol=0.0, max_iter=20, random_state=0), X + shift)
            for shift in (0.0, 1e4)]
    assert_allclose(fits[1].covariances_, fits[0].covariances_, rtol=1e-9, atol=1e-10)
    assert_allclose(fits[1].means_ - 1e4, fits[0].means_, atol=1e-9)
    assert_allclose(fits[1].lower_bound_, fits[0].lower_bound_, rtol=1e-12)


def test_diag_pass_identical_for_any_number_of_threads():
    code = """
        import numpy as np, warnings
        from fastnet.cluster import GaussianMixture
        warnings.simplefilter("ignore")
        X = np.random.default_rng(0).standard_normal((20000, 3))
        for kind in ("diag", "tied"):
            m = GaussianMixture(4, covariance_type=kind, init_params="random_from_data",
                                random_state=2, max_iter=10, tol=0.0).fit(X)
            print(repr(m.lower_bound_), repr(m.means_.sum()), repr(m.covariances_.sum()))
    """
    output_with_threads(code, 1)  # fill the cache first (see the full pass's test)
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_and_max_iter_zero_as_scikit_learn(data, covariance_type):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    kwargs = dict(covariance_type=covariance_type, random_state=3, max_iter=2,
                  warm_start=True)
    ours, theirs = GaussianMixture(3, **kwargs), SkGaussianMixture(3, **kwargs)
    for _ in range(3):  # each fit continues from the last, n_init ignored
        _quiet(ours, data)
        _quiet(theirs, data)
        _assert_same_fit(ours, theirs, data)
        assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-10)
    kwargs = dict(covariance_type=covariance_type, random_state=3, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # max_iter=0 (the start itself) does not warn
        ours = GaussianMixture(3, **kwargs).fit(data)
        theirs = SkGaussianMixture(3, **kwargs).fit(data)
    assert ours.n_iter_ == 0 and ours.lower_bound_ == -np.inf and not ours.converged_
    for name in FITTED:
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-9, err_msg=name)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_draws_as_scikit_learn(data, covariance_type):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    kwargs = dict(covariance_type=covariance_type, random_state=5)
    ours = _quiet(GaussianMixture(3, **kwargs), data)
    theirs = _quiet(SkGaussianMixture(3, **kwargs), data)
    X_ours, y_ours = ours.sample(40)
    X_theirs, y_theirs = theirs.sample(40)
    np.testing.assert_array_equal(y_ours, y_theirs)
    assert_allclose(X_ours, X_theirs, rtol=1e-6, atol=1e-8)
    assert X_ours.dtype == np.float64 and y_ours.dtype == np.int64
    with pytest.raises(ValueError, match="The sampling requires at least one sample"):
        ours.sample(0)


def test_float32_input_keeps_float32_parameters(data):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    X = data.astype(np.float32)
    ours = _quiet(GaussianMixture(3, covariance_type="diag", random_state=0), X)
    theirs = _quiet(SkGaussianMixture(3, covariance_type="diag", random_state=0), X)
    for name in FITTED:
        assert getattr(ours, name).dtype == getattr(theirs, name).dtype == np.float32
        assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=2e-3, atol=1e-4)
    assert ours.score_samples(X).dtype == ours.predict_proba(X).dtype == np.float32


def test_seeds_inits_are_extension_values(data):
    """'random_rows' and 'fastnet_kmeans' are the functional API's starts ('random_rows'
    its default, 'kmeans' fastnet's k-means), drawn with the same seeding."""
    for init, functional_init in (("random_rows", "random_rows"),
                                  ("fastnet_kmeans", "kmeans")):
        model = _quiet(GaussianMixture(3, init_params=init, random_state=4, n_init=2,
                                       max_iter=50), data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = gaussian_mixture(data, 3, init_params=functional_init, seed=4, n_init=2,
                                   max_iter=50)
        assert_allclose(model.means_, fit.means, rtol=1e-12)
        assert_allclose(model.covariances_, fit.covariances, rtol=1e-12)
        assert model.lower_bounds_ == fit.lower_bounds


def test_parameter_errors_as_scikit_learn(data):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    d = data.shape[1]
    cases = [dict(weights_init=[0.5, 0.6, 0.2]), dict(weights_init=[0.5, 0.5]),
             dict(weights_init=[1.5, -0.25, -0.25]), dict(means_init=np.zeros((2, d))),
             dict(covariance_type="diag", precisions_init=-np.ones((3, d))),
             dict(covariance_type="tied", precisions_init=-np.eye(d)),
             dict(precisions_init=np.ones((3, d, d))), dict(max_iter=-1),
             dict(n_components=1000)]
    for kwargs in cases:
        kwargs = {"n_components": 3, **kwargs}
        with pytest.raises(ValueError) as theirs:
            SkGaussianMixture(**kwargs).fit(data)
        with pytest.raises(type(theirs.value)) as ours:
            GaussianMixture(**kwargs).fit(data)
        assert str(ours.value) == str(theirs.value), kwargs
    # the valid values listed also name fastnet's extensions
    with pytest.raises(InvalidParameterError, match="'init_params' parameter.*random_rows"):
        GaussianMixture(3, init_params="bogus").fit(data)


def test_failed_refit_leaves_the_model_unchanged(data):
    model = GaussianMixture(3, random_state=0).fit(data)
    before = {name: getattr(model, name).copy() for name in FITTED}
    with pytest.raises(ValueError, match="Expected n_samples >= n_components"):
        model.fit(data[:2, :4])  # validation has already seen 4 features
    assert model.n_features_in_ == data.shape[1]
    for name in FITTED:
        np.testing.assert_array_equal(getattr(model, name), before[name])
    model.set_params(reg_covar=0.0, covariance_type="spherical", init_params="random",
                     random_state=0)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        model.fit(np.zeros((10, 5)))  # every variance 0
    for name in FITTED:
        np.testing.assert_array_equal(getattr(model, name), before[name])


@pytest.mark.no_jit  # also runs the start kernels' bodies without the JIT
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_start_covariances_equal_the_numpy_formula(rng, covariance_type):
    """The start's covariances (one compiled pass over X) equal scikit-learn's NumPy
    formulas, ``sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg I`` and its diagonal,
    for soft and one-hot responsibilities, over several chunks."""
    from fastnet.cluster.gmm_covariances import _covariances_from_resp

    X = rng.standard_normal((3000, 4)) * [1.0, 10.0, 0.1, 3.0] + 5.0
    soft = rng.random((3000, 3))
    soft /= soft.sum(axis=1, keepdims=True)
    hard = np.eye(3)[rng.integers(0, 3, 3000)]
    for resp in (soft, hard):
        nk = resp.sum(axis=0)
        means = resp.T @ X / nk[:, None]
        if covariance_type == "full":
            expected = np.stack([(resp[:, k] * (X - means[k]).T) @ (X - means[k])
                                 for k in range(3)]) / nk[:, None, None] + 1e-6 * np.eye(4)
        else:
            expected = np.stack([resp[:, k] @ (X - means[k]) ** 2 for k in range(3)])
            expected = expected / nk[:, None] + 1e-6
        if covariance_type == "spherical":
            expected = expected.mean(axis=1)
        got = _covariances_from_resp(X, resp, nk, means, 1e-6, covariance_type)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_small_fits_run_blas_on_one_thread_and_large_ones_as_the_caller_set(monkeypatch):
    # n d^2 below fastnet._threads.SMALL_PRODUCT_WORK: one BLAS thread during EM (its
    # products are faster there); above it, the caller's cap, restored afterwards
    from threadpoolctl import threadpool_info, threadpool_limits

    import fastnet.cluster.gmm as gmm_module
    from fastnet._threads import SMALL_PRODUCT_WORK

    seen = []
    em = gmm_module._em

    def recording_em(*args, **kwargs):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
        return em(*args, **kwargs)

    monkeypatch.setattr(gmm_module, "_em", recording_em)
    rng = np.random.default_rng(0)
    small, large = rng.standard_normal((500, 8)), rng.standard_normal((50_000, 20))
    assert small.size * 8 < SMALL_PRODUCT_WORK <= large.size * 20
    with threadpool_limits(2, user_api="blas"):
        for X in (small, large):
            GaussianMixture(2, random_state=0, max_iter=2).fit(X)
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {2}
    assert seen == [{1}, {2}]
