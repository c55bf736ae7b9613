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


def test_division_by_zero_follows_numpy():
    # error_model="numpy": no divisor test per division (it blocks vectorisation), and
    # a zero divisor gives what NumPy gives instead of raising ZeroDivisionError
    @_jit.jit
    def divide(a, b, out):
        for i in range(a.size):
            out[i] = a[i] / b[i]

    a, b = np.array([1.0, -1.0, 0.0, 6.0]), np.array([0.0, 0.0, 0.0, 3.0])
    out = np.empty(4)
    divide(a, b, out)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(out, a / b)
    assert divide.targetoptions["error_model"] == "numpy"


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


# ---------------------------------------------------------------- variants
MODE = OFFSET = 0  # bound anew in each compiled variant


@_jit.jit
def _tripled(x):
    return 3.0 * x


@_jit.jit
def _negated(x):
    return -x


@_jit.variant_jit("MODE")
def _inner(x):
    if MODE == 1:
        return _tripled(x)
    return _negated(x)


@_jit.variant_jit("MODE", "OFFSET")
def _outer(x):
    return _inner(x) + OFFSET


def test_variants_bind_constants_prune_branches_and_cache_apart(monkeypatch):
    """Each variant reads its own constants (the nested variant too), a branch its
    constants rule out is never compiled, and every variant has its own qualified
    name (the key of Numba's on-disk cache).  Compiled here without the cache: a
    variant loaded from it would not compile its callees, pruned or not."""
    monkeypatch.setattr(_jit, "_OPTIONS", {**_jit._OPTIONS, "cache": False})
    for kernel in (_outer, _inner):
        monkeypatch.setattr(kernel, "_compiled", {})
    negate = _outer(MODE=0, OFFSET=5)
    assert negate(2.0) == 3.0 and _outer(MODE=0, OFFSET=5) is negate
    assert _tripled.signatures == []  # MODE == 1 was pruned before typing
    triple = _outer(MODE=1, OFFSET=5)
    assert triple(2.0) == 11.0 and len(_tripled.signatures) == 1
    assert _outer(MODE=True, OFFSET=-1)(2.0) == 5.0  # bools bind as ints
    names = {v.py_func.__qualname__ for v in (negate, triple, _inner(MODE=0), _inner(MODE=1))}
    assert names == {"_outer__mode0_offset5", "_outer__mode1_offset5", "_inner__mode0",
                     "_inner__mode1"}
