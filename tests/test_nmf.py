import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from fastnet.decomposition import NMF, nmf, random_init
from fastnet.reference import decomposition as ref

#: the seeds' Lee-Seung settings on the scikit-learn-compatible estimator
SEEDS = {"init": "random-uniform", "solver": "mu", "pseudo_count": 1e-3, "tol": 0.0}


@pytest.fixture
def X(rng):
    return rng.random((120, 40)) + 0.01


def test_matches_twin_random_init(X):
    fast = nmf(X, 6, max_iter=30, seed=11)
    W, H, costs, dH, dW = ref.nmf(X, 6, max_iter=30, seed=11)
    assert fast.n_iter == 30
    assert_allclose(fast.W, W, rtol=1e-8)
    assert_allclose(fast.H, H, rtol=1e-8)
    assert_allclose(fast.cost_history, costs, rtol=1e-8)
    assert_allclose(fast.delta_H, dH, rtol=1e-8)
    assert_allclose(fast.delta_W, dW, rtol=1e-8)


def test_float32_end_to_end_close_to_twin(X):
    X32 = X.astype(np.float32)
    fast = nmf(X32, 6, max_iter=30, seed=11)
    assert fast.W.dtype == fast.H.dtype == np.float32
    W, H, costs, _, _ = ref.nmf(X, 6, max_iter=30, seed=11)  # float64 twin
    assert_allclose(fast.cost_history, costs, rtol=1e-3)
    assert_allclose(fast.W @ fast.H, W @ H, rtol=1e-2, atol=1e-3)


def test_custom_init_matches_twin_and_is_not_modified(X, rng):
    W0, H0 = rng.random((120, 4)), rng.random((4, 40))
    W0_copy, H0_copy = W0.copy(), H0.copy()
    fast = nmf(X, 4, max_iter=10, W_init=W0, H_init=H0, pseudo_count=0.0)
    W, H, costs, _, _ = ref.nmf(X, 4, max_iter=10, W_init=W0, H_init=H0, pseudo_count=0.0)
    assert_allclose(fast.W, W, rtol=1e-9)
    assert_allclose(fast.H, H, rtol=1e-9)
    assert_allclose(fast.cost_history, costs, rtol=1e-9)
    np.testing.assert_array_equal(W0, W0_copy)
    np.testing.assert_array_equal(H0, H0_copy)


def test_cost_is_the_mean_squared_residual_and_non_increasing(X):
    result = nmf(X, 5, max_iter=200, pseudo_count=0.0, seed=0)
    residual = X - result.W @ result.H
    assert_allclose(result.cost, (residual ** 2).sum() / X.size, rtol=1e-10)
    steps = np.diff(result.cost_history)
    assert np.all(steps <= 1e-12 * result.cost_history[:-1])
    assert (result.W >= 0).all() and (result.H >= 0).all()


def test_matches_scikit_learn_mu(X, rng):
    """scikit-learn updates W then H; started from (W0, H1) it walks our sequence."""
    import warnings

    from sklearn.decomposition import NMF as SkNMF

    W0, H0 = rng.random((120, 4)), rng.random((4, 40))
    ours_next = nmf(X, 4, max_iter=21, W_init=W0, H_init=H0, pseudo_count=0.0)
    ours = nmf(X, 4, max_iter=20, W_init=W0, H_init=H0, pseudo_count=0.0)
    H1 = nmf(X, 4, max_iter=1, W_init=W0, H_init=H0, pseudo_count=0.0).H
    sk = SkNMF(4, solver="mu", init="custom", max_iter=20, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter reached
        W_sk = sk.fit_transform(X, W=W0.copy(), H=H1.copy())
    assert sk.n_iter_ == 20
    assert_allclose(W_sk, ours.W, rtol=1e-9)
    assert_allclose(sk.components_, ours_next.H, rtol=1e-9)


def test_tol_stops_early_and_progress_reports(X, capsys):
    result = nmf(X, 5, max_iter=500, tol=1e-3, seed=0)
    assert 1 < result.n_iter < 500
    gains = -np.diff(result.cost_history)
    assert gains[-1] < 1e-3 * result.cost_history[-2] and np.all(gains[:-1] >= 0)
    nmf(X, 3, max_iter=20, seed=0, progress=5)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("nmf: iteration 20/20  cost")
    assert "||dH||" in lines[0] and "||dW||" in lines[0]


def test_random_init_rule():
    W, H = random_init(5, 3, 2, seed=7)
    rng = np.random.default_rng(np.random.SeedSequence(7))
    np.testing.assert_array_equal(H, rng.random((2, 3)))
    np.testing.assert_array_equal(W, rng.random((5, 2)))
    np.testing.assert_array_equal(nmf(np.ones((5, 3)), 2, max_iter=3, seed=7).W,
                                  nmf(np.ones((5, 3)), 2, max_iter=3, seed=7).W)


def test_divergence_is_an_error_not_nan():
    with pytest.raises(FloatingPointError, match="diverged.*iteration 1.*pseudo_count"):
        nmf(np.ones((4, 3)), 2, pseudo_count=0.0, W_init=np.zeros((4, 2)),
            H_init=np.ones((2, 3)))


# ---------------------------------------------------------------- estimator
def test_estimator_fit_transform_and_attributes(X):
    model = NMF(5, **SEEDS, max_iter=50, random_state=3)
    W = model.fit_transform(X)
    direct = nmf(X, 5, max_iter=50, seed=3)
    assert_allclose(W, direct.W)
    assert_allclose(model.components_, direct.H)
    assert_allclose(model.reconstruction_err_, np.linalg.norm(X - W @ model.components_),
                    rtol=1e-9)
    assert model.n_iter_ == 50 and model.cost_history_.shape == (50,)
    assert model.n_features_in_ == 40
    assert_allclose(model.inverse_transform(W), W @ model.components_)


def test_estimator_transform_updates_w_only(X):
    model = NMF(5, **SEEDS, max_iter=40, random_state=3).fit(X)
    new = X[:30]
    W = model.transform(new)
    # hand-written W-only updates from the same start
    H = model.components_
    W_ref = np.random.default_rng(np.random.SeedSequence(3)).random((30, 5))
    for _ in range(40):
        W_ref = W_ref * (new @ H.T) / (W_ref @ (H @ H.T) + 1e-3)
    assert_allclose(W, W_ref, rtol=1e-9)
    assert_allclose(model.components_, H)  # unchanged


def test_estimator_custom_init(X, rng):
    W0, H0 = rng.random((120, 3)), rng.random((3, 40))
    model = NMF(3, **{**SEEDS, "init": "custom"}, max_iter=5)
    W = model.fit_transform(X, W=W0, H=H0)
    assert_allclose(W, nmf(X, 3, max_iter=5, W_init=W0, H_init=H0).W)
    # scikit-learn's errors and warnings for custom starts
    with pytest.raises(ValueError, match="Array passed to NMF .input H. is full of zeros"):
        NMF(3, init="custom").fit(X, W=W0, H=np.zeros_like(H0))
    with pytest.warns(RuntimeWarning, match="provided W or H are ignored"):
        NMF(3, max_iter=5, tol=0.0).fit(X, W=W0, H=H0)
    with pytest.raises(InvalidParameterError, match="'init' parameter"):
        NMF(3, init="uniform").fit(X)
    with pytest.raises(ValueError, match="pseudo_count .* needs solver='mu'"):
        NMF(3, pseudo_count=1e-3).fit(X)


# ---------------------------------------------------------------- bad input
def test_bad_input(X):
    negative = X.copy()
    negative[0, :3] = -1.0
    with pytest.raises(ValueError, match="Negative values in data: X must be non-negative; "
                       "it has 3 entries < 0"):
        nmf(negative, 2)
    bad = X.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite values.*1 entry that"):
        nmf(bad, 2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        nmf(X[0], 2)
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        nmf(X, 0)
    with pytest.raises(ValueError, match="n_components must be <= 40"):
        nmf(X, 41)
    with pytest.raises(TypeError, match="n_components must be an int"):
        nmf(X, 2.5)
    with pytest.raises(ValueError, match=r"W_init must have shape \(120, 2\)"):
        nmf(X, 2, W_init=np.ones((120, 3)), H_init=np.ones((2, 40)))
    with pytest.raises(ValueError, match=r"H_init must have shape \(2, 40\)"):
        nmf(X, 2, W_init=np.ones((120, 2)), H_init=np.ones((2, 41)))
    H_bad = np.ones((2, 40))
    H_bad[1, 7] = -0.5
    with pytest.raises(ValueError, match="H_init must be non-negative; it has 1 entry < 0"):
        nmf(X, 2, W_init=np.ones((120, 2)), H_init=H_bad)
    with pytest.raises(ValueError, match="W_init and H_init must be given together"):
        nmf(X, 2, W_init=np.ones((120, 2)))
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        nmf(X, 2, max_iter=0)
    with pytest.raises(ValueError, match="pseudo_count must be a finite number >= 0"):
        nmf(X, 2, pseudo_count=-1e-3)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        nmf(X, 2, tol=np.nan)
    with pytest.raises(ValueError, match="progress must be >= 1"):
        nmf(X, 2, progress=0)
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        nmf(X, 2, seed=-5)
    model = NMF(2, max_iter=5, tol=0.0).fit(X)
    with pytest.raises(ValueError, match="X has 39 features, but NMF is expecting 40"):
        model.transform(X[:, :39])
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        model.transform(-X)
    with pytest.raises(ValueError, match="X must have 2 columns"):
        model.inverse_transform(np.ones((3, 3)))



def test_identical_for_any_number_of_threads(X):
    import numba

    from fastnet._threads import limit_threads

    runs = []
    for n_threads in (1, numba.config.NUMBA_NUM_THREADS):
        with limit_threads(n_threads):
            result = nmf(X, 5, max_iter=20, seed=1)
        runs.append((result.W, result.cost_history))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_memory_bounded_and_independent_of_iterations(rng):
    """Peak extra memory is X-free: W, H and O((n + m) k) buffers, never an n x m
    temporary, and it does not grow with the number of iterations."""
    import tracemalloc

    n, m, k = 4000, 500, 20
    X = rng.random((n, m))
    nmf(X, k, max_iter=2, seed=0)  # compile outside the measurement
    peaks = []
    for max_iter in (5, 50):
        tracemalloc.start()
        nmf(X, k, max_iter=max_iter, seed=0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    factors = (n + m) * k * 8
    assert peaks[1] < 4 * factors + 200_000, peaks  # 3 (n + m) k buffers + small
    assert peaks[1] < 0.25 * X.nbytes
    assert abs(peaks[1] - peaks[0]) < 50_000, peaks


# ---------------------------------------------------------------- scikit-learn's NMF
def _sklearn_nmf(**params):
    from sklearn.decomposition import NMF as SkNMF

    return SkNMF(**params)


def _fit_both(X, ignore_warnings=True, fit_params=None, **params):
    import warnings

    models = (NMF(**params), _sklearn_nmf(**params))
    with warnings.catch_warnings():
        if ignore_warnings:
            warnings.simplefilter("ignore")
        Ws = [model.fit_transform(X, **(fit_params or {})) for model in models]
    return models, Ws


@pytest.mark.parametrize("init", [None, "random", "nndsvd", "nndsvda", "nndsvdar"])
def test_initializations_match_scikit_learn(X, init):
    from sklearn.decomposition._nmf import _initialize_nmf

    from fastnet.decomposition.nmf_estimator import initialize_nmf

    for k in (5, 40):
        if init not in (None, "random") and k > 39:
            continue
        W, H = initialize_nmf(X, k, init=init, random_state=7)
        W_sk, H_sk = _initialize_nmf(X, k, init=init, random_state=7)
        assert_allclose(W, W_sk, rtol=1e-12)
        assert_allclose(H, H_sk, rtol=1e-12)


def test_cd_sweep_matches_twin(X, rng):
    from fastnet.decomposition.nmf_cd import cd_sweep

    W0, Ht = rng.random((120, 4)), rng.random((40, 4))
    W0[::7, 1] = 0.0  # coordinates at the bound
    order = np.array([2, 0, 3, 1])
    for l1, l2 in ((0.0, 0.0), (0.3, 0.0), (0.0, 2.0), (0.1, 0.5)):
        W = W0.copy()
        violation = cd_sweep(X, W, Ht, l1, l2, order)
        W_ref, violation_ref = ref.nmf_cd_sweep(X, W0, Ht, l1, l2, order)
        assert_allclose(W, W_ref, rtol=1e-10)
        assert_allclose(violation, violation_ref, rtol=1e-10)
        W_sparse = W0.copy()
        assert_allclose(cd_sweep(sp.csr_array(X), W_sparse, Ht, l1, l2, order), violation_ref,
                        rtol=1e-10)
        assert_allclose(W_sparse, W_ref, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 63, 64, 65, 300])
def test_cd_sweep_equals_scikit_learns_sweep(rng, dtype, n):
    # the row-blocked kernel runs each row's chain in scalar order: scikit-learn's bits,
    # for W and for the violation (summed component by component in W's dtype),
    # across block and chunk boundaries
    from sklearn.decomposition._cdnmf_fast import _update_cdnmf_fast

    from fastnet.decomposition.nmf_cd import _cd_sweep_parallel, _cd_sweep_serial

    k = 7
    W0 = rng.random((n, k)).astype(dtype)
    W0[::3, 2] = 0.0  # coordinates at the bound
    Ht = rng.random((30, k)).astype(dtype)
    HHt, XHt = Ht.T @ Ht, (rng.random((n, 30)) @ Ht).astype(dtype)
    HHt[4, 4] = 0.0  # a component without curvature is skipped
    order = rng.permutation(k).astype(np.intp)
    W_sk = W0.copy()
    violation_sk = _update_cdnmf_fast(W_sk, HHt, XHt.copy(), order)
    for kernel in (_cd_sweep_serial, _cd_sweep_parallel):
        W = W0.copy()
        assert kernel(W, HHt, XHt.copy(), order) == violation_sk
        np.testing.assert_array_equal(W, W_sk)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cd_fit_equals_scikit_learns_fit(dtype):
    # the same start (NNDSVDa's norms rounded as scikit-learn rounds them in float32),
    # the same sweeps and the same stopping test: the same factors to the last bit.
    # Digits' products are small, so the fit runs them on one BLAS thread; OpenBLAS
    # splits X^T W's sums over its threads, so scikit-learn is compared on one too
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    X = (load_digits().data / 16).astype(dtype)
    with threadpool_limits(1, user_api="blas"):
        (ours, theirs), (W, W_sk) = _fit_both(X, n_components=20, random_state=0,
                                              max_iter=20)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_array_equal(W, W_sk)
    np.testing.assert_array_equal(ours.components_, theirs.components_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_small_fit_runs_blas_on_one_thread_whatever_the_callers_cap():
    # the same factors under any BLAS cap of the caller's, the cap restored afterwards,
    # and the factors of scikit-learn's fit with one BLAS thread
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_info, threadpool_limits

    from fastnet._threads import SMALL_PRODUCT_WORK

    X = load_digits().data
    assert X.size * 20 < SMALL_PRODUCT_WORK
    fits = []
    for cap in (1, 2):
        with threadpool_limits(cap, user_api="blas"):
            fits.append(NMF(20, random_state=0, max_iter=30).fit(X).components_)
            assert {lib["num_threads"] for lib in threadpool_info()
                    if lib["user_api"] == "blas"} == {cap}
    np.testing.assert_array_equal(fits[0], fits[1])
    with threadpool_limits(1, user_api="blas"):
        theirs = _sklearn_nmf(n_components=20, random_state=0, max_iter=30).fit(X)
    np.testing.assert_array_equal(fits[0], theirs.components_)


@pytest.mark.parametrize("params", [
    {},
    {"init": "random", "shuffle": True},
    {"init": "nndsvdar", "alpha_W": 0.01, "l1_ratio": 0.5},
    {"alpha_W": 0.02, "alpha_H": 0.0, "tol": 1e-6, "max_iter": 50},
])
def test_cd_matches_scikit_learn(X, params):
    (ours, theirs), (W, W_sk) = _fit_both(X, n_components=6, random_state=3, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(W, W_sk, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.components_, theirs.components_, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.reconstruction_err_, theirs.reconstruction_err_, rtol=1e-10)
    assert_allclose(ours.transform(X[:30]), theirs.transform(X[:30]), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("beta_loss", ["frobenius", "kullback-leibler", "itakura-saito", 1.5])
def test_mu_matches_scikit_learn(X, beta_loss):
    params = {"n_components": 5, "solver": "mu", "beta_loss": beta_loss, "random_state": 0,
              "init": "nndsvda", "alpha_W": 0.001, "max_iter": 60}
    (ours, theirs), (W, W_sk) = _fit_both(X, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(W, W_sk, rtol=1e-8)
    assert_allclose(ours.components_, theirs.components_, rtol=1e-8)
    assert_allclose(ours.reconstruction_err_, theirs.reconstruction_err_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["cd", "mu"])
def test_sparse_and_float32_match_scikit_learn(X, solver):
    X_sparse = sp.csc_matrix(np.where(X > 0.5, X, 0.0))
    (ours, theirs), (W, W_sk) = _fit_both(X_sparse, n_components=4, solver=solver,
                                          random_state=1, max_iter=30)
    assert_allclose(W, W_sk, rtol=1e-8, atol=1e-12)
    assert_allclose(ours.reconstruction_err_, theirs.reconstruction_err_, rtol=1e-9)
    X32 = X.astype(np.float32)
    (ours, theirs), (W, W_sk) = _fit_both(X32, n_components=4, solver=solver,
                                          random_state=1, max_iter=30)
    assert W.dtype == ours.components_.dtype == np.float32
    assert_allclose(W, W_sk, rtol=1e-3, atol=1e-5)


def test_estimator_contract(X):
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(40)])
    model = NMF(3, max_iter=10, tol=0.0).set_output(transform="pandas")
    out = model.fit(frame).transform(frame)
    assert list(out.columns) == ["nmf0", "nmf1", "nmf2"]
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.n_components_ == 3 and model.n_features_in_ == 40
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 2 reached"):
        NMF(2, max_iter=2).fit(X)
    with pytest.raises(InvalidParameterError, match="'solver' parameter"):
        NMF(solver="lbfgs").fit(X)
    with pytest.raises(ValueError, match="solver 'cd' does not handle beta_loss"):
        NMF(beta_loss="kullback-leibler").fit(X)
    fitted = NMF(2, max_iter=5, tol=0.0).fit(X)
    before = fitted.components_.copy()
    with pytest.raises(ValueError, match="Negative values"):
        fitted.fit(-X)
    np.testing.assert_array_equal(fitted.components_, before)  # a failed refit changes nothing


def test_fastnet_seeds_as_random_state(X):
    """A Generator or SeedSequence seeds a RandomState with one number drawn from it:
    the same seed gives the same fit; 'random-uniform' starts the other solvers too."""
    fits = [NMF(3, init="random", max_iter=20, tol=0.0, shuffle=True,
                random_state=np.random.default_rng(5)).fit(X).components_ for _ in range(2)]
    np.testing.assert_array_equal(fits[0], fits[1])
    seeded = NMF(3, init="random", max_iter=20, tol=0.0,
                 random_state=np.random.SeedSequence(5)).fit(X)
    assert np.isfinite(seeded.reconstruction_err_)
    uniform = NMF(3, init="random-uniform", max_iter=20, tol=0.0, random_state=2).fit(X)
    W0, H0 = random_init(120, 40, 3, seed=2)
    custom = NMF(3, init="custom", max_iter=20, tol=0.0).fit(X, W=W0, H=H0)
    assert_allclose(uniform.components_, custom.components_, rtol=1e-12)
