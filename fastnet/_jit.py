"""The one place where Numba options live.

Every kernel in fastnet is decorated with :func:`jit` or :func:`parallel_jit` from
this module, so the compilation policy is set once:

* ``cache=True`` - compiled machine code is written next to the module and reused
  by later processes (joblib workers load it instead of recompiling);
* ``nogil=True`` - kernels release the GIL, so threads can run them side by side;
* :data:`FASTMATH` - the fast-math flags that keep IEEE NaN/inf semantics: no
  ``nnan``/``ninf`` (NaN and inf inputs must behave as in NumPy), no ``afn``
  (libm-accurate ``exp``/``log``, so tails such as ``softplus(-700)`` stay exact) and
  no ``reassoc``: reassociation lets LLVM rewrite ``(x - m) - c`` as ``x - (m + c)``,
  which loses most of ``log_softmax``'s significant digits near 0.  Kernels that
  need a vectorised reduction write it with explicit partial sums instead.

Nothing is compiled when this module is imported: a decorated function compiles
for the argument types of its first call.

Thread caps and the OpenMP wait policy live in :mod:`fastnet._threads`, which is
imported first so that its policy is in place before any kernel runs.
"""

from __future__ import annotations

import types

import numba

from . import _threads  # noqa: F401 - sets the OpenMP wait policy before any kernel runs

__all__ = ["FASTMATH", "REASSOC_FASTMATH", "PARALLEL_MIN_WORK", "jit", "parallel_jit",
           "serial_or_parallel_jit", "SerialOrParallel", "prange"]

#: LLVM fast-math flags: contraction to FMA, reciprocal approximation and no signed
#: zeros.  Never ``nnan``, ``ninf``, ``afn`` or ``reassoc`` (see the module docstring).
FASTMATH = frozenset({"contract", "arcp", "nsz"})

_OPTIONS = {"cache": True, "nogil": True, "fastmath": set(FASTMATH)}

prange = numba.prange


#: FASTMATH plus ``reassoc``, for kernels whose inner loops are plain sums or dot
#: products (distances): reassociation is what lets LLVM vectorise such a reduction
#: (k-means distances, for one).  Only for sums where the order matters
#: no more than rounding; never for expressions like ``(x - m) - c``.
REASSOC_FASTMATH = FASTMATH | {"reassoc"}


def jit(func=None, *, reassociate=False, **overrides):
    """Compile ``func`` with fastnet's serial kernel options.

    Use as ``@jit``, ``@jit(inline="always")`` or ``@jit(reassociate=True)`` (see
    :data:`REASSOC_FASTMATH`); keyword overrides are merged over the defaults (use
    sparingly - the point of this module is one policy).
    """
    options = {**_OPTIONS, **overrides}
    if reassociate:
        options["fastmath"] = set(REASSOC_FASTMATH)
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def parallel_jit(func=None, *, reassociate=False, **overrides):
    """Like :func:`jit` but with ``parallel=True`` so ``prange`` loops run on threads."""
    return jit(func, reassociate=reassociate, parallel=True, **overrides)


#: Below this many elements of work a kernel runs serially: waking the thread pool
#: (its threads sleep between regions, see :mod:`fastnet._threads`) costs more than a
#: small array takes.
PARALLEL_MIN_WORK = 1 << 16


class SerialOrParallel:
    """A kernel compiled twice, serially and with ``parallel=True``; ``kernel(work)``
    returns the variant for that much work (``prange`` is a plain ``range`` in the
    serial one, so both compute the same thing - up to rounding where reassociated
    sums vectorise differently; the choice depends on the work alone, never on the
    number of threads)."""

    def __init__(self, func, reassociate=False, min_work=PARALLEL_MIN_WORK):
        # a copy under another name: Numba's on-disk cache is keyed by the function's
        # qualified name, and the two variants must not share cache entries
        serial_func = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                         func.__defaults__, func.__closure__)
        serial_func.__qualname__ = f"{func.__qualname__}__serial"
        serial_func.__doc__ = func.__doc__
        self.serial = jit(serial_func, reassociate=reassociate)
        self.parallel = parallel_jit(func, reassociate=reassociate)
        self.min_work = min_work
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __call__(self, work):
        return self.parallel if work >= self.min_work else self.serial


def serial_or_parallel_jit(func=None, *, reassociate=False, min_work=PARALLEL_MIN_WORK):
    """Decorator form of :class:`SerialOrParallel`: ``kernel(n)(*args)``."""
    if func is None:
        return lambda f: SerialOrParallel(f, reassociate, min_work)
    return SerialOrParallel(func, reassociate, min_work)
