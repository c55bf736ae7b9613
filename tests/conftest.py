import numpy as np
import pytest
from numpy.testing import assert_allclose

# Twins agree to ~1e-10 in float64; float32 kernels may round differently by a few ulps.
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 2e-5,
        np.dtype(np.int64): 1e-10}  # int64: cases on integer labels with float results


def assert_twin(actual, expected, dtype=None):
    """Fast result == reference twin, within the dtype's tolerance, NaN where NaN."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    dtype = np.dtype(dtype or expected.dtype)
    assert actual.shape == expected.shape
    # atol only absorbs subnormal rounding differences (e.g. exp(-740))
    tiny = np.finfo(dtype).smallest_normal if dtype.kind == "f" else 1e-300
    assert_allclose(actual, expected, rtol=RTOL[dtype], atol=tiny, equal_nan=True)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


def assert_passes_estimator_checks(estimator):
    """Every applicable check of sklearn.utils.estimator_checks passes; scikit-learn
    itself skips only check_array_api_input (without SCIPY_ARRAY_API set)."""
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SkipTestWarning for the array-API check
        results = check_estimator(estimator, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert len(results) > 40 and failed == [] and skipped <= {"check_array_api_input"}


def output_with_threads(code, n_threads):
    """Standard output of ``code`` run in a fresh interpreter with NUMBA_NUM_THREADS set."""
    import os
    import subprocess
    import sys
    import textwrap

    env = {**os.environ, "NUMBA_NUM_THREADS": str(n_threads), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, check=True,
                          capture_output=True, text=True).stdout
