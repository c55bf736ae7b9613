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
