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


def assert_case_matches(case, dtype, args):
    """``case.fast(*args)`` == ``case.reference(*args)`` for a :mod:`fastnet.bench` case:
    agreement in distribution for random samplers (``case.compare``), the dtype kept,
    an absolute tolerance for log-probabilities near 0, ``case.rtol`` where it is set."""
    fast = case.fast(*args)
    if case.compare is not None:
        case.compare(fast, case.reference(*args))
        return
    if np.dtype(dtype).kind == "f":  # float inputs keep their dtype
        assert np.asarray(fast).dtype == np.dtype(dtype)
    expected = case.reference(*args)
    if case.name == "log_softmax":
        assert_allclose(fast, expected, rtol=RTOL[np.dtype(dtype)],
                        atol=4 * np.finfo(dtype).eps)
    elif dtype in case.rtol:
        assert_allclose(fast, expected, rtol=case.rtol[dtype],
                        atol=case.rtol[dtype] * np.abs(expected).max())
    else:
        assert_twin(fast, expected, dtype)


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


def output_with_threads(code, n_threads):
    """Standard output of ``code`` run in a fresh interpreter with NUMBA_NUM_THREADS set."""
    import os
    import subprocess
    import sys
    import textwrap

    env = {**os.environ, "NUMBA_NUM_THREADS": str(n_threads), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, check=True,
                          capture_output=True, text=True).stdout
