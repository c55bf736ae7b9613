import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastnet import _stats

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit


@pytest.mark.parametrize("n", [1, _stats.ROW_CHUNK, 2 * _stats.ROW_CHUNK + 77])
def test_column_mean_std_equal_numpy(rng, dtype, n):
    X = (rng.standard_normal((n, 5)) * [1e-3, 1.0, 10.0, 1e3, 0.0] + 7.0).astype(dtype)
    mean, std = _stats.column_mean_std(X)
    assert mean.dtype == std.dtype == np.float64
    X64 = X.astype(np.float64)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(mean, X64.mean(axis=0), rtol=rtol)
    assert_allclose(_stats.column_means(X), mean, rtol=0)
    assert_allclose(std, X64.std(axis=0), rtol=rtol, atol=rtol * np.abs(X64).max())
    assert std[4] == 0.0  # a constant column


@pytest.mark.parametrize("n", [1, _stats.ROW_CHUNK, 2 * _stats.ROW_CHUNK + 77, 40_000])
def test_column_sums_squares_equal_numpy_and_flag_non_finite(rng, dtype, n):
    X = (rng.standard_normal((n, 5)) * [1e-3, 1.0, 10.0, 1e3, 0.0] + 7.0).astype(dtype)
    sums, squares = _stats.column_sums_squares(X)  # 40,000 x 5 runs the parallel variant
    assert sums.dtype == squares.dtype == np.float64
    X64 = X.astype(np.float64)
    assert_allclose(sums, X64.sum(axis=0), rtol=1e-12)
    assert_allclose(squares, (X64 * X64).sum(axis=0), rtol=1e-12)
    X[n // 2, 1], X[n - 1, 3] = np.nan, -np.inf
    sums, squares = _stats.column_sums_squares(X)
    assert np.isfinite(sums).tolist() == [True, False, True, False, True]
    assert np.isfinite(squares).tolist() == [True, False, True, False, True]
