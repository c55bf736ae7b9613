import numpy as np

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
