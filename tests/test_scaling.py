import numpy as np
import pytest
from conftest import assert_twin
from numpy.testing import assert_allclose

from fastnet.decomposition import (
    column_stats,
    minmax_normalize,
    minmax_range,
    minmax_unnormalize,
    standardize,
    unstandardize,
)
from fastnet.reference import decomposition as ref

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit


@pytest.fixture
def data(rng, dtype):
    train = (rng.standard_normal((1100, 9)) * rng.uniform(0.1, 30, 9) + 5).astype(dtype)
    test = (rng.standard_normal((40, 9)) * 10).astype(dtype)
    return train, test


def test_column_stats_equal_numpy(data):
    train, _ = data
    mean, std = column_stats(train)
    t64 = train.astype(np.float64)
    rtol = 1e-12 if train.dtype == np.float64 else 1e-6
    assert_allclose(mean, t64.mean(axis=0), rtol=rtol)
    assert_allclose(std, t64.std(axis=0), rtol=rtol)


@pytest.mark.parametrize("name", ["standardize", "minmax_normalize"])
def test_forward_matches_twin(data, name):
    train, test = data
    import fastnet.decomposition as fast

    out = getattr(fast, name)(test, train)
    assert out.dtype == train.dtype
    assert_twin(out, getattr(ref, name)(test, train), train.dtype) if train.dtype == np.float64 \
        else assert_allclose(out, getattr(ref, name)(test, train), rtol=1e-4, atol=1e-5)
    assert_allclose(getattr(fast, name)(train), getattr(fast, name)(train, train))


def test_inverses(data):
    train, test = data
    tol = dict(rtol=1e-10) if train.dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    assert_allclose(unstandardize(standardize(test, train), train), test, **tol)
    assert_allclose(minmax_unnormalize(minmax_normalize(test, train), train), test, **tol)
    if train.dtype == np.float64:
        assert_allclose(unstandardize(test, train), ref.unstandardize(test, train), rtol=1e-12)
        assert_allclose(minmax_unnormalize(test, train), ref.minmax_unnormalize(test, train),
                        rtol=1e-12)


def test_standardized_training_data_has_zero_mean_unit_std(data):
    train, _ = data
    Z = standardize(train).astype(np.float64)
    atol = 1e-10 if train.dtype == np.float64 else 1e-4
    assert_allclose(Z.mean(axis=0), 0.0, atol=atol)
    assert_allclose(Z.std(axis=0), 1.0, atol=atol)


def test_degenerate_cases():
    X = np.array([[0.1, 2.0], [0.1, 4.0], [0.1, 6.0]])
    Z = standardize(X)
    assert_allclose(Z[:, 0], 0.0, atol=1e-15)  # constant column: centred, unscaled
    assert_allclose(Z, ref.standardize(X), atol=1e-15)
    constant = np.full((3, 2), 4.0)
    assert minmax_range(constant) == (4.0, 1.0)
    assert_allclose(minmax_normalize(constant), 0.0)
    assert_allclose(minmax_normalize(np.array([[0.0, 5.0], [10.0, 2.5]])),
                    [[0.0, 0.5], [1.0, 0.25]])


def test_bad_input():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="X has 3 columns but X_train has 2"):
        standardize(X, np.ones((4, 2)))
    with pytest.raises(ValueError, match="X_train must contain only finite values"):
        minmax_normalize(X, np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="X must be 2-D"):
        standardize(np.ones(3))
    with pytest.raises(TypeError, match="X must hold real numbers"):
        unstandardize(np.array([["a"]]), X)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        column_stats(np.array([[np.inf, 1.0]]))
    with pytest.raises(ValueError, match="X_train must be 2-D"):
        minmax_range(np.ones(3))
