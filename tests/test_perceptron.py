"""MLPClassifier and MLPRegressor (fastnet/nn/perceptron.py and perceptron_kernels.py):
the compiled loss and gradient against the NumPy twin, and whole fits against
scikit-learn's estimators with the same parameters and random_state."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from fastnet.nn import DivergenceError, MLPClassifier, MLPRegressor
from fastnet.nn import perceptron_kernels as K
from fastnet.reference import nn as ref


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16, y[:400]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(300, 8, n_targets=2, noise=5.0, random_state=0)
    return X, y / 100


def _quiet_fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def _assert_same_network(fast, slow, rtol=1e-9, atol=1e-12):
    for a, b in zip(fast.coefs_ + fast.intercepts_, slow.coefs_ + slow.intercepts_,
                    strict=True):
        assert a.dtype == b.dtype
        assert_allclose(a, b, rtol=rtol, atol=atol)
    for name in ("n_iter_", "n_layers_", "n_outputs_", "out_activation_", "t_"):
        assert getattr(fast, name) == getattr(slow, name), name
    for name in ("loss_", "best_loss_", "best_validation_score_"):
        if getattr(slow, name, None) is not None:
            assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9)
    for name in ("loss_curve_", "validation_scores_"):
        if getattr(slow, name, None) is not None:
            assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9)


# ---------------------------------------------------------------- loss and gradient
_OUTPUT_CASES = {   # output activation -> (estimator class, target maker)
    "softmax": (MLPClassifier, lambda rng, n: rng.integers(0, 3, n)),
    "logistic": (MLPClassifier, lambda rng, n: rng.integers(0, 2, n)),
    "logistic-multilabel": (MLPClassifier, lambda rng, n: rng.integers(0, 2, (n, 3))),
    "identity": (MLPRegressor, lambda rng, n: rng.standard_normal((n, 2))),
    "exp": (MLPRegressor, lambda rng, n: rng.poisson(2.0, n).astype(float)),
}


def _loss_grad_case(output, activation, dtype, sparse, weighted, n=40):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 5)) * (rng.random((n, 5)) < 0.6)
    cls, target = _OUTPUT_CASES[output]
    y = target(rng, n)
    extra = {"loss": "poisson"} if output == "exp" else {}
    model = _quiet_fit(cls(hidden_layer_sizes=(6, 4), activation=activation, alpha=0.3,
                           max_iter=1, random_state=0, **extra), X, y)
    Y = model._label_binarizer.transform(y) if cls is MLPClassifier else y
    Y = np.asarray(Y, dtype).reshape(n, -1)
    w = rng.random(n) * 2 if weighted else None
    X = X.astype(dtype)
    coefs = [c.astype(dtype) for c in model.coefs_]
    intercepts = [b.astype(dtype) for b in model.intercepts_]
    model.coefs_, model.intercepts_ = coefs, intercepts
    packed = np.concatenate([a.ravel() for a in coefs + intercepts])
    loss, grad = model._loss_grad_lbfgs(packed, sp.csr_matrix(X) if sparse else X, Y, w)
    expected_loss, gc, gi = ref.perceptron_loss_grad(coefs, intercepts, X, Y, activation,
                                                     model.out_activation_, 0.3, w)
    return loss, grad, expected_loss, np.concatenate([g.ravel() for g in gc + gi])


_ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "softplus"]
# Each pairing compiles its own kernels (~5 s), and the hidden layers' backward pass does
# not depend on the output's (nor the output's on the hidden activation): so each dtype
# pairs every activation with one output, shifted between the dtypes, which covers
# every activation and every output in both dtypes without the 50 pairings
_PAIRINGS = [(activation, output, dtype)
             for dtype, shift in ((np.float64, 0), (np.float32, 2))
             for i, activation in enumerate(_ACTIVATIONS)
             for output in [list(_OUTPUT_CASES)[(i + shift) % len(_OUTPUT_CASES)]]]


@pytest.mark.parametrize("activation, output, dtype", _PAIRINGS)
def test_loss_and_gradient_match_the_twin(output, activation, dtype):
    for sparse, weighted in ((False, False), (True, True)):
        loss, grad, expected_loss, expected_grad = _loss_grad_case(
            output, activation, dtype, sparse, weighted)
        rtol = 1e-10 if dtype == np.float64 else 2e-4
        assert_allclose(loss, expected_loss, rtol=rtol)
        assert_allclose(grad, expected_grad, rtol=rtol, atol=rtol * np.abs(expected_grad).max())


@pytest.mark.no_jit
@pytest.mark.parametrize("output", list(_OUTPUT_CASES))
def test_loss_and_gradient_small(output):
    loss, grad, expected_loss, expected_grad = _loss_grad_case(
        output, "softplus" if output == "identity" else "tanh", np.float64, output == "exp",
        True, n=6)
    assert_allclose(loss, expected_loss, rtol=1e-10)
    assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)


@pytest.mark.no_jit
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_shuffled_batch_rows_are_numpys_fancy_indexing(dtype):
    """The batch gather copies eight rows at a time, then the rest: X[rows] for every
    remainder of eight, repeated rows included."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 13)).astype(dtype)
    for size in (0, 1, 7, 8, 9, 16, 23):
        rows = rng.integers(0, 40, size)
        out = np.full((size, 13), np.nan, dtype=dtype)
        K._gather_rows(X, rows, out)
        assert_array_equal(out, X[rows])


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((12, 4)), rng.integers(0, 3, 12)
    model = _quiet_fit(MLPClassifier((5,), activation="softplus", solver="lbfgs",
                                     max_iter=1, random_state=0), X, y)
    Y = model._label_binarizer.transform(y)
    theta = np.concatenate([a.ravel() for a in model.coefs_ + model.intercepts_])
    _, grad = model._loss_grad_lbfgs(theta, X, Y, None)
    step = 1e-6
    numeric = [(model._loss_grad_lbfgs(theta + step * e, X, Y, None)[0]
                - model._loss_grad_lbfgs(theta - step * e, X, Y, None)[0]) / (2 * step)
               for e in np.eye(theta.size)]
    assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- against scikit-learn
@pytest.mark.parametrize("params", [
    {},
    {"solver": "sgd"},
    {"solver": "sgd", "nesterovs_momentum": False, "learning_rate": "invscaling"},
    {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.5},
    {"solver": "sgd", "momentum": 0.0, "activation": "logistic"},
    {"solver": "lbfgs", "activation": "tanh"},
    {"activation": "identity", "early_stopping": True},
    {"activation": "tanh", "batch_size": 64, "shuffle": False, "alpha": 0.1},
    {"hidden_layer_sizes": (20, 10), "beta_1": 0.5, "epsilon": 1e-6},
    {"n_iter_no_change": 2, "tol": 0.05},
], ids=str)
def test_classifier_matches_scikit_learn(digits, params):
    X, y = digits
    kwargs = {"max_iter": 8, "random_state": 0, **params}
    fast = _quiet_fit(MLPClassifier(**kwargs), X, y)
    slow = _quiet_fit(sk.MLPClassifier(**kwargs), X, y)
    _assert_same_network(fast, slow)
    assert_array_equal(fast.predict(X), slow.predict(X))
    assert_allclose(fast.predict_proba(X), slow.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert_allclose(fast.predict_log_proba(X), slow.predict_log_proba(X), rtol=1e-9)
    assert fast._optimizer.learning_rate == pytest.approx(slow._optimizer.learning_rate) \
        if params.get("solver") != "lbfgs" else True


@pytest.mark.parametrize("target", ["binary", "multilabel", "strings"])
def test_classifier_targets_match_scikit_learn(digits, target):
    X, y = digits
    if target == "binary":
        y = (y > 4).astype(int)
    elif target == "multilabel":
        X, y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    else:
        y = np.char.add("digit ", y.astype(str))
    fast = _quiet_fit(MLPClassifier(max_iter=6, random_state=0), X, y)
    slow = _quiet_fit(sk.MLPClassifier(max_iter=6, random_state=0), X, y)
    _assert_same_network(fast, slow)
    assert_array_equal(fast.classes_, slow.classes_)
    assert_array_equal(fast.predict(X), slow.predict(X))
    assert_allclose(fast.predict_proba(X), slow.predict_proba(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("params", [
    {},
    {"loss": "poisson"},
    {"solver": "lbfgs"},
    {"solver": "sgd", "learning_rate_init": 0.01, "early_stopping": True},
], ids=str)
def test_regressor_matches_scikit_learn(regression, params):
    X, y = regression
    if params.get("loss") == "poisson":
        y = np.abs(y[:, 0])
    kwargs = {"max_iter": 10, "random_state": 0, **params}
    fast = _quiet_fit(MLPRegressor(**kwargs), X, y)
    slow = _quiet_fit(sk.MLPRegressor(**kwargs), X, y)
    _assert_same_network(fast, slow)
    assert_allclose(fast.predict(X), slow.predict(X), rtol=1e-9, atol=1e-10)
    assert fast.score(X, y) == pytest.approx(slow.score(X, y))


def test_sample_weight_matches_scikit_learn(regression, digits):
    X, y = regression
    w = np.random.default_rng(0).random(X.shape[0]) * 3
    for solver in ("adam", "lbfgs"):
        kwargs = {"max_iter": 10, "random_state": 0, "solver": solver}
        fast = _quiet_fit(MLPRegressor(**kwargs), X, y, sample_weight=w)
        slow = _quiet_fit(sk.MLPRegressor(**kwargs), X, y, sample_weight=w)
        _assert_same_network(fast, slow)
    X, y = digits
    w = np.random.default_rng(1).random(X.shape[0])
    fast = _quiet_fit(MLPClassifier(max_iter=5, random_state=0), X, y, sample_weight=w)
    slow = _quiet_fit(sk.MLPClassifier(max_iter=5, random_state=0), X, y, sample_weight=w)
    _assert_same_network(fast, slow)


def test_partial_fit_and_warm_start_match_scikit_learn(digits):
    X, y = digits
    fast, slow = MLPClassifier(random_state=0), sk.MLPClassifier(random_state=0)
    for model in (fast, slow):
        model.partial_fit(X[:200], y[:200], classes=np.unique(y))
        model.partial_fit(X[200:], y[200:])
    _assert_same_network(fast, slow)
    fast = MLPClassifier(max_iter=3, warm_start=True, solver="sgd", random_state=0)
    slow = sk.MLPClassifier(max_iter=3, warm_start=True, solver="sgd", random_state=0)
    for model in (fast, slow):
        _quiet_fit(model, X, y)
        _quiet_fit(model, X, y)
    _assert_same_network(fast, slow)


def test_verbose_prints_what_scikit_learn_prints(digits, capsys):
    X, y = digits
    _quiet_fit(MLPClassifier(max_iter=3, verbose=True, random_state=0), X, y)
    fast = capsys.readouterr().out
    _quiet_fit(sk.MLPClassifier(max_iter=3, verbose=True, random_state=0), X, y)
    slow = capsys.readouterr().out
    assert fast.splitlines()[0][:22] == slow.splitlines()[0][:22] == "Iteration 1, loss = 2."
    assert len(fast.splitlines()) == len(slow.splitlines()) == 3


# ---------------------------------------------------------------- inputs
def test_sparse_input_gives_the_dense_result(digits):
    X, y = digits
    for solver in ("adam", "lbfgs"):
        dense = _quiet_fit(MLPClassifier(max_iter=4, solver=solver, random_state=0), X, y)
        for fmt in (sp.csr_matrix, sp.csc_matrix):
            sparse = _quiet_fit(MLPClassifier(max_iter=4, solver=solver, random_state=0),
                                fmt(X), y)
            _assert_same_network(sparse, dense, rtol=1e-9, atol=1e-12)
            assert_allclose(sparse.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-9)


def test_float32_is_kept(digits):
    X, y = digits
    wide = _quiet_fit(MLPClassifier(max_iter=5, random_state=0), X, y)
    narrow = _quiet_fit(MLPClassifier(max_iter=5, random_state=0), X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in narrow.coefs_ + narrow.intercepts_)
    proba = narrow.predict_proba(X.astype(np.float32))
    assert proba.dtype == np.float32
    assert_allclose(proba, wide.predict_proba(X), atol=1e-3)
    reg = _quiet_fit(MLPRegressor(max_iter=3, random_state=0), X.astype(np.float32), y)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


# ---------------------------------------------------------------- fastnet's extensions
def test_the_seeds_network_through_options():
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25,
                                                        stratify=y, random_state=0)
    seeds = dict(hidden_layer_sizes=(200, 200, 200), activation="softplus", solver="sgd",
                 momentum=0.0, alpha=0.0, learning_rate_init=0.1, batch_size=32,
                 max_iter=40, shuffle=False, random_state=0)
    # the seeds' MLP reaches 0.95 on this split; scikit-learn's Glorot-uniform start
    # reaches 0.944 (random_state 0)
    assert _quiet_fit(MLPClassifier(**seeds), X_train, y_train).score(X_test, y_test) > 0.93
    dropout = {**seeds, "keep_prob": 0.9, "max_iter": 3}
    first = _quiet_fit(MLPClassifier(**dropout), X_train, y_train)
    again = _quiet_fit(MLPClassifier(**dropout), X_train, y_train)
    plain = _quiet_fit(MLPClassifier(**{**dropout, "keep_prob": 1.0}), X_train, y_train)
    assert_array_equal(first.coefs_[0], again.coefs_[0])   # the masks come from random_state
    assert not np.allclose(first.coefs_[0], plain.coefs_[0])


@pytest.mark.no_jit
def test_dropout_masks_and_derivatives():
    h = np.full((200, 50), 2.0)
    scale = np.empty_like(h)
    state = np.empty(4, np.uint64)
    K.xoshiro_seed(7, state)
    K._drop(h, scale, 0.8, state)
    kept = scale != 0
    assert 0.75 < kept.mean() < 0.85
    assert_allclose(scale[kept], 1 / 0.8)
    assert_allclose(h[kept], 2.0 / 0.8)
    assert (h[~kept] == 0).all()
    delta = np.ones_like(h)
    K._backprop_derivative(h, delta, K.TANH, scale, True)
    assert_allclose(delta[kept], (1 - 2.0 ** 2) / 0.8)   # f'(a) from f(a) = 2, times 1/keep
    assert (delta[~kept] == 0).all()


@pytest.mark.no_jit
def test_every_solver_and_input_kind_on_tiny_data():
    """Runs each kernel's body (the no-JIT coverage step) and checks it against
    scikit-learn where scikit-learn has the same option."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 3, 12)
    for params in ({"solver": "adam"}, {"solver": "sgd"}, {"solver": "lbfgs"}):
        kwargs = {"hidden_layer_sizes": (4,), "max_iter": 2, "batch_size": 5,
                  "random_state": 0, **params}
        fast = _quiet_fit(MLPClassifier(**kwargs), sp.csr_matrix(X), y)
        slow = _quiet_fit(sk.MLPClassifier(**kwargs), X, y)
        _assert_same_network(fast, slow)
        assert_allclose(fast.predict_proba(X), slow.predict_proba(X), rtol=1e-9)
    model = _quiet_fit(MLPRegressor(hidden_layer_sizes=(3,), activation="softplus",
                                    keep_prob=0.5, max_iter=2, random_state=0), X, y)
    assert np.isfinite(model.predict(X)).all()
    for target in (y % 2, np.abs(X[:, 0])):
        cls = MLPClassifier if target.dtype.kind == "i" else MLPRegressor
        extra = {} if cls is MLPClassifier else {"loss": "poisson"}
        model = _quiet_fit(cls(hidden_layer_sizes=(3,), activation="logistic", max_iter=2,
                               random_state=0, **extra), X, target)
        assert np.isfinite(model.predict(X)).all()


# ---------------------------------------------------------------- errors
def test_divergence_names_learning_rate_init_and_leaves_the_model():
    X = np.random.default_rng(0).random((30, 2)) * np.finfo(np.float64).max
    y = np.arange(30.0)
    model = _quiet_fit(MLPRegressor(max_iter=2, random_state=0), X / 1e300, y)
    before = [c.copy() for c in model.coefs_]
    with pytest.raises(DivergenceError, match=r"non-finite.*learning_rate_init \(got 0.001\)"):
        _quiet_fit(model, X, y)
    for a, b in zip(before, model.coefs_, strict=True):
        assert_array_equal(a, b)
    assert issubclass(DivergenceError, ValueError)


def test_scikit_learn_errors():
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True).fit(X[:3], y[:3])


# ---------------------------------------------------------------- memory
def test_fit_memory_is_bounded_and_independent_of_epochs():
    """Peak extra memory of an Adam fit: parameter-sized vectors (the packed parameters,
    the gradient, Adam's two moments, the initial and best copies), batch-sized buffers
    and a few n-row label and index vectors; never a copy of X (31 MB here), and nothing
    that grows with the epochs."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, batch, widths = 5000, 200, (64, 64, 10)
    X, y = rng.random((n, 784)), rng.integers(0, 10, n)
    kwargs = dict(hidden_layer_sizes=widths[:-1], random_state=0, tol=0.0)
    _quiet_fit(MLPClassifier(max_iter=1, **kwargs), X[:300], y[:300])  # compile first
    peaks = []
    for epochs in (1, 4):
        tracemalloc.start()
        _quiet_fit(MLPClassifier(max_iter=epochs, **kwargs), X, y)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    units = (784, *widths)
    params = sum(8 * (a * b + b) for a, b in zip(units[:-1], units[1:], strict=True))
    bound = 7 * params
    bound += 8 * batch * (784 + 3 * sum(widths) + widths[-1])   # batch, activations, errors
    bound += n * (8 * widths[-1] + widths[-1] + 3 * 8)   # float and bool targets, indices
    bound += 200_000   # Python objects
    assert peaks[1] < bound < X.nbytes / 4, (peaks, bound)
    assert abs(peaks[1] - peaks[0]) < 0.02 * peaks[0], peaks


def test_a_dense_adam_fit_compiles_only_its_variant(tmp_path):
    """Compile only what a call needs (issue 19): a dense relu network trained by Adam
    compiles no SGD, CSR or dropout kernel (a fresh process on an empty kernel cache, as
    a user's first fit: kernels loaded from the cache would hide their callees)."""
    import os
    import subprocess
    import sys

    script = (
        "import warnings, numpy as np\n"
        "warnings.simplefilter('ignore')\n"
        "from fastnet.nn import MLPClassifier\n"
        "import fastnet.nn.perceptron_kernels as K\n"
        "from fastnet.random import xoshiro_seed\n"
        "X = np.random.default_rng(0).standard_normal((60, 4))\n"
        "MLPClassifier(max_iter=2).fit(X, X[:, 0] > 0).predict(X)\n"
        "kernels = [K._sgd_step, K._csr_times, K._csr_transpose_times, K._drop, xoshiro_seed,"
        " K._adam_step]\n"
        "print([len(kernel.signatures) for kernel in kernels])\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, env=env)
    assert done.stdout.split("\n")[-2] == "[0, 0, 0, 0, 0, 1]"
