import math

import numpy as np
import pytest
from conftest import RTOL, assert_twin
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from fastnet import nn
from fastnet.reference import nn as ref

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit

EXTREMES = np.array([-np.inf, -1e4, -1000.0, -745.0, -740.0, -700.0, -100.0, -30.0, -1.0,
                     -1e-8, 0.0, 1e-8, 1.0, 30.0, 100.0, 700.0, 1000.0, 1e4, np.inf, np.nan])
SHAPES = [(7,), (3, 5), (4, 1), (2, 3, 6), (1000,), (250, 10)]


def _random(rng, shape, dtype, scale=20.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


# ---------------------------------------------------------------- softplus / grad
@pytest.mark.parametrize("func", ["softplus", "softplus_grad"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0])
def test_elementwise_matches_twin(func, shape, beta, rng, dtype):
    x = _random(rng, shape, dtype)
    out = getattr(nn, func)(x, beta=beta)
    assert out.dtype == dtype and out.shape == x.shape
    assert_twin(out, getattr(ref, func)(x, beta=beta))


@pytest.mark.parametrize("func", ["softplus", "softplus_grad"])
def test_elementwise_extremes_match_twin(func, dtype):
    x = EXTREMES.astype(dtype)
    assert_twin(getattr(nn, func)(x), getattr(ref, func)(x))


def test_softplus_hand_values():
    x = np.array([-1000.0, -700.0, -30.0, 0.0, 30.0, 1000.0, np.inf, -np.inf])
    out = nn.softplus(x)
    assert out[0] == 0.0  # exp(-1000) underflows: the exact float64 value is 0
    # log1p keeps the tail: softplus(-700) = exp(-700) to rounding (naive log(1+e^x) gives 0)
    assert_allclose(out[1], math.exp(-700.0), rtol=1e-14)
    assert_allclose(out[2], math.log1p(math.exp(-30.0)), rtol=1e-15)
    assert out[3] == math.log(2.0)
    assert_allclose(out[4], 30.0 + math.exp(-30.0), rtol=1e-15)
    assert out[5] == 1000.0 and out[6] == np.inf and out[7] == 0.0


def test_softplus_beta_definition():
    x = np.linspace(-5, 5, 11)
    for beta in (0.25, 2.0):
        assert_allclose(nn.softplus(x, beta), np.log1p(np.exp(beta * x)) / beta, rtol=1e-14)


def test_softplus_grad_is_derivative_and_stable():
    x = np.linspace(-8, 8, 33)
    h = 1e-6
    numeric = (nn.softplus(x + h) - nn.softplus(x - h)) / (2 * h)
    assert_allclose(nn.softplus_grad(x), numeric, rtol=1e-8, atol=1e-10)
    ends = nn.softplus_grad(np.array([-1e4, 1e4, -np.inf, np.inf]))
    assert_array_equal(ends, [0.0, 1.0, 0.0, 1.0])
    assert_allclose(nn.softplus_grad(2.0, beta=3.0), 1 / (1 + math.exp(-6.0)), rtol=1e-15)


def test_scalar_and_int_input():
    assert isinstance(nn.softplus(0), np.float64)
    assert nn.softplus(np.arange(3)).dtype == np.float64


def test_nan_propagates():
    assert np.isnan(nn.softplus(np.nan)) and np.isnan(nn.softplus_grad(np.nan))


# ---------------------------------------------------------------- softmax / log_softmax
@pytest.mark.parametrize("func", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_matches_twin(func, shape, rng, dtype):
    x = _random(rng, shape, dtype, scale=50.0)
    out = getattr(nn, func)(x)
    assert out.dtype == dtype and out.shape == x.shape
    if func == "log_softmax":
        # log-probabilities near 0 are known to an absolute few eps only: log(sum) with
        # sum = 1 + 1e-8 rounds to the ulp of 1 (and the float32 twin sums in float32)
        assert_allclose(out, ref.log_softmax(x), rtol=RTOL[dtype], atol=4 * np.finfo(dtype).eps)
    else:
        assert_twin(out, getattr(ref, func)(x))


@pytest.mark.parametrize("func", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1, -3])
def test_softmax_axis_matches_twin(func, axis, rng):
    x = _random(rng, (3, 4, 5), np.float64)
    assert_twin(getattr(nn, func)(x, axis=axis), getattr(ref, func)(x, axis=axis))


@pytest.mark.parametrize("func", ["softmax", "log_softmax"])
def test_softmax_extremes_match_twin(func, dtype):
    x = np.array([
        [-np.inf, 0.0, 1.0, -np.inf],
        [1e4, -1e4, 1e4, 0.0],
        [-1e4, -1e4 - 1.0, -1e4 - 800.0, -np.inf],
        [-np.inf, -np.inf, -np.inf, -np.inf],  # no finite max: NaN row
        [np.inf, 0.0, 1.0, 2.0],
        [np.nan, 0.0, 1.0, 2.0],
    ], dtype=dtype)
    out = getattr(nn, func)(x)
    assert_twin(out, getattr(ref, func)(x))
    assert np.isnan(out[3:]).all() and np.isfinite(out[1]).all()


def test_softmax_hand_values():
    out = nn.softmax(np.array([[0.0, math.log(3.0)], [0.0, -np.inf]]))
    assert_allclose(out, [[0.25, 0.75], [1.0, 0.0]], rtol=1e-15)
    assert_allclose(nn.log_softmax(np.array([0.0, math.log(3.0)])),
                    [math.log(0.25), math.log(0.75)], rtol=1e-14)


finite_rows = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)),
                     elements=st.floats(-1e3, 1e3))


@settings(max_examples=60, deadline=None)
@given(finite_rows, st.floats(-1e3, 1e3))
def test_softmax_rows_sum_to_one_and_shift_invariant(x, c):
    p = nn.softmax(x)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert ((p >= 0) & (p <= 1)).all()
    assert_allclose(nn.softmax(x + c), p, rtol=1e-9, atol=1e-11)


@settings(max_examples=60, deadline=None)
@given(finite_rows)
def test_log_softmax_is_log_of_softmax(x):
    p = nn.softmax(x)
    where = p >= np.finfo(np.float64).smallest_normal
    assert_allclose(nn.log_softmax(x)[where], np.log(p[where]), rtol=1e-12, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-1e4, 1e4)),
       st.sampled_from([0.5, 1.0, 2.0]))
def test_softplus_odd_part_is_identity(x, beta):
    # softplus(x) - softplus(-x) = x for every beta
    assert_allclose(nn.softplus(x, beta) - nn.softplus(-x, beta), x, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- losses and one-hot
def _distributions(rng, n, k, dtype):
    return ref.softmax(_random(rng, (n, k), np.float64, 3.0)).astype(dtype)


@pytest.mark.parametrize("n,k", [(1, 2), (50, 10), (7, 300)])
def test_kl_divergence_matches_twin(n, k, rng, dtype):
    p = ref.onehot(rng.integers(0, k, n), k, dtype)
    q = _distributions(rng, n, k, dtype)
    out = nn.kl_divergence(p, q)
    assert out.dtype == dtype and out.shape == (n,)
    assert_twin(out, ref.kl_divergence(p, q))
    soft = _distributions(rng, n, k, dtype)
    assert_twin(nn.kl_divergence(soft, q), ref.kl_divergence(soft, q))


def test_kl_divergence_identities(rng):
    import scipy.special

    p, q = _distributions(rng, 20, 6, np.float64), _distributions(rng, 20, 6, np.float64)
    # away from the clipping bounds it is scipy's relative entropy
    assert_allclose(nn.kl_divergence(p, q), scipy.special.rel_entr(p, q).sum(axis=1), rtol=1e-12)
    assert_allclose(nn.kl_divergence(p, p), 0.0, atol=1e-15)
    assert (nn.kl_divergence(p, q) >= 0).all()
    one = nn.kl_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0]))  # clipped: ~ log(1e15)
    assert np.ndim(one) == 0 and 34 < one < 35
    lo, hi = 1e-15, 1.0 - 1e-15  # the clipped one-hot row [0, 1]
    assert_allclose(nn.kl_divergence([0.0, 1.0], [0.5, 0.5]),
                    lo * math.log(lo / 0.5) + hi * math.log(hi / 0.5), rtol=1e-15)


@pytest.mark.parametrize("n,k", [(1, 2), (200, 10)])
def test_cross_entropy_matches_twin_kl_and_sklearn(n, k, rng, dtype):
    from sklearn.metrics import log_loss

    labels = rng.integers(0, k, n)
    q = _distributions(rng, n, k, dtype)
    out = nn.cross_entropy(labels, q)
    assert out.dtype == dtype and out.shape == (n,)
    assert_twin(out, ref.cross_entropy(labels, q))
    # kl(onehot, q) differs only by the clipped zeros: (k-1) * 1e-15 * log(1e-15 / q)
    assert_allclose(out, nn.kl_divergence(nn.onehot(labels, k, dtype), q), rtol=1e-5,
                    atol=1e-11 * k if dtype == np.float64 else 1e-5)
    if dtype == np.float64:
        assert_allclose(out.mean(), log_loss(labels, q, labels=np.arange(k)), rtol=1e-12)


def test_cross_entropy_clips():
    out = nn.cross_entropy([1, 0], np.array([[0.5, 0.5], [1.0, 0.0]]))
    assert_allclose(out, [math.log(2.0), -math.log(1.0 - 1e-15)], rtol=1e-14)
    assert nn.cross_entropy([0], [[0.0, 1.0]])[0] == -math.log(1e-15)


def test_onehot_matches_twin_and_sklearn(rng, dtype):
    from sklearn.preprocessing import label_binarize

    y = rng.integers(0, 6, 40)
    out = nn.onehot(y, 6, dtype=dtype)
    assert out.dtype == dtype
    assert_array_equal(out, ref.onehot(y, 6, dtype))
    assert_array_equal(out, label_binarize(y, classes=np.arange(6)))
    assert_array_equal(nn.onehot([2, 0]), [[0, 0, 1], [1, 0, 0]])
    assert nn.onehot(np.array([], dtype=int), 3).shape == (0, 3)
    assert_array_equal(nn.onehot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])


def test_onehot_parallel_kernel_matches_twin(rng, dtype):
    # above PARALLEL_MIN_WORK the rows are written by the parallel kernel
    from fastnet._jit import PARALLEL_MIN_WORK

    y = rng.integers(0, 7, PARALLEL_MIN_WORK // 7 + 1001)
    out = nn.onehot(y, 7, dtype=dtype)
    assert out.size >= PARALLEL_MIN_WORK and out.dtype == dtype
    assert_array_equal(out, ref.onehot(y, 7, dtype))


# ---------------------------------------------------------------- bad input
ALL = [nn.softplus, nn.softplus_grad, nn.softmax, nn.log_softmax]


@pytest.mark.parametrize("func", ALL)
@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([object(), 1]),
                                 np.array([1 + 2j]), [[1.0, 2.0], [3.0]]])
def test_activations_refuse_non_real(func, bad):
    with pytest.raises(TypeError, match="x must"):
        func(bad)


@pytest.mark.parametrize("func", [nn.softplus, nn.softplus_grad])
@pytest.mark.parametrize("beta", [0.0, -1.0, np.nan, np.inf])
def test_bad_beta(func, beta):
    with pytest.raises(ValueError, match="beta"):
        func([1.0], beta=beta)
    with pytest.raises(TypeError, match="beta"):
        func([1.0], beta="1")


@pytest.mark.parametrize("func", [nn.softmax, nn.log_softmax])
def test_softmax_bad_axis_and_shape(func):
    with pytest.raises(ValueError, match="axis"):
        func(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        func(np.zeros((2, 3)), axis=1.0)
    with pytest.raises(ValueError, match="x must be"):
        func(3.0)
    with pytest.raises(ValueError, match="at least one entry"):
        func(np.zeros((2, 0)))


def test_kl_divergence_bad_input():
    p = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        nn.kl_divergence(p, np.array([[0.2, 0.3, 0.5]]))
    with pytest.raises(ValueError, match="y_pred rows must sum to 1"):
        nn.kl_divergence(p, np.array([[0.5, 0.6]]))
    with pytest.raises(ValueError, match=r"y_true must hold probabilities in \[0, 1\]"):
        nn.kl_divergence(np.array([[1.5, -0.5]]), p)
    with pytest.raises(ValueError, match="y_pred must hold probabilities"):
        nn.kl_divergence(p, np.array([[np.nan, 0.5]]))
    with pytest.raises(TypeError, match="y_true"):
        nn.kl_divergence(np.array([["a", "b"]]), p)
    with pytest.raises(ValueError, match="y_true must be 1-D or 2-D"):
        nn.kl_divergence(np.full((1, 1, 2), 0.5), np.full((1, 1, 2), 0.5))


def test_cross_entropy_bad_input():
    q = np.array([[0.5, 0.5], [0.1, 0.9]])
    with pytest.raises(ValueError, match=r"labels must hold labels in \[0, 2\)"):
        nn.cross_entropy([0, 2], q)
    with pytest.raises(ValueError, match="labels must hold labels >= 0"):
        nn.cross_entropy([0, -1], q)
    with pytest.raises(ValueError, match="labels must have 2 entries"):
        nn.cross_entropy([0], q)
    with pytest.raises(TypeError, match="labels must hold integer labels"):
        nn.cross_entropy([0.5, 1.0], q)
    with pytest.raises(ValueError, match=r"probs\[1, labels\[1\]\] is 1.5"):
        nn.cross_entropy([0, 1], np.array([[0.5, 0.5], [-0.5, 1.5]]))
    with pytest.raises(ValueError, match="probs must be 2-D"):
        nn.cross_entropy([0], [0.5, 0.5])


def test_onehot_bad_input():
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 3\)"):
        nn.onehot([0, 3], 3)
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        nn.onehot([-1, 0], 3)
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        nn.onehot([], 0)
    with pytest.raises(ValueError, match="n_classes is required"):
        nn.onehot(np.array([], dtype=int))
    with pytest.raises(TypeError, match="n_classes must be an int"):
        nn.onehot([0], 2.0)
    with pytest.raises(TypeError, match="y must hold integer labels"):
        nn.onehot(["a"], 2)
    with pytest.raises(ValueError, match="y must be 1-D"):
        nn.onehot([[0, 1]], 2)
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        nn.onehot([0], 2, dtype=np.int64)


@pytest.fixture
def parallel_everywhere(monkeypatch):
    """Route every serial-or-parallel kernel of the module to its parallel variant."""
    import fastnet._validation
    from fastnet._jit import SerialOrParallel
    from fastnet.nn import activations

    for module in (activations, fastnet._validation):
        for kernel in vars(module).values():
            if isinstance(kernel, SerialOrParallel):
                monkeypatch.setattr(kernel, "min_work", 0)


@pytest.mark.parametrize("func", ["softplus", "softplus_grad", "softmax", "log_softmax"])
def test_parallel_variants_match_twin(func, rng, dtype, parallel_everywhere):
    x = np.concatenate([_random(rng, (300, 7), dtype, 30.0), EXTREMES[:7][None].astype(dtype)])
    out = getattr(nn, func)(x)
    if func == "log_softmax":
        assert_allclose(out, ref.log_softmax(x), rtol=RTOL[dtype], atol=4 * np.finfo(dtype).eps)
    else:
        assert_twin(out, getattr(ref, func)(x))


def test_parallel_variants_of_losses(rng, dtype, parallel_everywhere):
    labels = rng.integers(0, 10, 500)
    q = _distributions(rng, 500, 10, dtype)
    p = ref.onehot(labels, 10, dtype)
    assert_twin(nn.kl_divergence(p, q), ref.kl_divergence(p, q))
    assert_twin(nn.cross_entropy(labels, q), ref.cross_entropy(labels, q))
    with pytest.raises(ValueError, match="y_pred rows must sum to 1"):
        nn.kl_divergence(p, q * 2)


def test_probability_check(dtype):
    from fastnet.nn.activations import as_probabilities

    p = np.array([[0.25, 0.75], [1.0, 0.0]], dtype=dtype)
    assert as_probabilities(p, "P") is p
    as_probabilities(np.array([0.5, 0.5 + 1e-9]), "P")  # within the row-sum tolerance
    with pytest.raises(ValueError, match="P rows must sum to 1.*row 1 sums to 0.9"):
        as_probabilities(np.array([[0.5, 0.5], [0.5, 0.4]], dtype=dtype), "P")
    as_probabilities(np.array([[0.5, 0.4]], dtype=dtype), "P", normalized=False)
    with pytest.raises(ValueError, match=r"P must hold probabilities in \[0, 1\].*row 0 has -0.1"):
        as_probabilities(np.array([[-0.1, 1.1]], dtype=dtype), "P")
    with pytest.raises(ValueError, match="P must hold probabilities"):
        as_probabilities(np.array([[np.nan, 1.0]], dtype=dtype), "P", normalized=False)
    with pytest.raises(ValueError, match="P must hold probabilities"):
        as_probabilities(np.array([[np.inf, 1.0]], dtype=dtype), "P", normalized=False)
