import numba
import numpy as np
import pytest

from fastnet import _jit


def test_fastmath_keeps_ieee_semantics():
    assert not {"nnan", "ninf", "afn", "reassoc", "fast"} & _jit.FASTMATH
    assert _jit.FASTMATH  # some flags are on


def test_decorators_apply_the_policy_lazily():
    def add_one(x):
        return x + 1.0

    kernel = _jit.jit(add_one)
    from numba.core.caching import FunctionCache

    assert kernel.targetoptions["nogil"] and isinstance(kernel._cache, FunctionCache)
    assert kernel.targetoptions["fastmath"] == set(_jit.FASTMATH)
    assert kernel.signatures == []  # nothing compiled before the first call
    assert kernel(1.0) == 2.0 and len(kernel.signatures) == 1
    parallel = _jit.parallel_jit(add_one)
    assert parallel.targetoptions["parallel"] is True
    assert _jit.jit(inline="always")(add_one).targetoptions["inline"] == "always"
    reassociating = _jit.parallel_jit(reassociate=True)(add_one)
    assert reassociating.targetoptions["fastmath"] == _jit.FASTMATH | {"reassoc"}
    assert not {"nnan", "ninf", "afn"} & _jit.REASSOC_FASTMATH


def test_nan_and_inf_survive_fastmath():
    @_jit.jit
    def is_nan_and_inf(x, y):
        return x != x, y > 1e308

    assert is_nan_and_inf(np.nan, np.inf) == (True, True)


def test_limit_threads_caps_and_restores():
    from threadpoolctl import threadpool_info

    before = numba.get_num_threads()
    with _jit.limit_threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    assert numba.get_num_threads() == before
    with _jit.limit_threads(10_000) as n:
        assert n == _jit.max_threads()


@pytest.mark.parametrize("bad,err", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_limit_threads_bad_input(bad, err):
    with pytest.raises(err, match="n_threads"):
        with _jit.limit_threads(bad):
            pass


def test_threads_per_worker():
    import os

    cores = os.cpu_count()
    assert _jit.default_threads_per_worker(1) == cores
    assert _jit.default_threads_per_worker(cores * 4) == 1


def test_serial_or_parallel_picks_by_work_and_caches_apart():
    def double(x, out):
        for i in _jit.prange(x.size):
            out[i] = 2.0 * x[i]

    kernel = _jit.serial_or_parallel_jit(min_work=100)(double)
    assert kernel(99) is kernel.serial and kernel(100) is kernel.parallel
    assert kernel.parallel.targetoptions["parallel"] is True
    assert "parallel" not in kernel.serial.targetoptions
    assert kernel.serial.py_func.__qualname__ != kernel.parallel.py_func.__qualname__
    x = np.arange(5.0)
    for variant in (kernel.serial, kernel.parallel):
        out = np.empty_like(x)
        variant(x, out)
        np.testing.assert_array_equal(out, 2 * x)


def test_cap_worker_threads_sets_both_for_good(monkeypatch):
    import numba

    calls = []
    monkeypatch.setattr(_jit, "_process_blas_cap", None)
    monkeypatch.setattr("threadpoolctl.threadpool_limits",
                        lambda limits, user_api: calls.append((limits, user_api)))
    previous = numba.get_num_threads()
    try:
        assert _jit.cap_worker_threads(1) == 1
        assert numba.get_num_threads() == 1
        _jit.cap_worker_threads(1)  # the process cap is already set: threadpoolctl once
        assert calls == [(1, "blas")]
        with pytest.raises(ValueError, match="n_threads must be >= 1"):
            _jit.cap_worker_threads(0)
    finally:
        numba.set_num_threads(previous)


def test_limit_threads_can_leave_blas_alone():
    import numba
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before, numba_before = blas_threads(), numba.get_num_threads()
    with _jit.limit_threads(1, blas=False):
        assert numba.get_num_threads() == 1
        assert blas_threads() == before
    assert numba.get_num_threads() == numba_before
