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
* ``error_model="numpy"`` - a float division by zero gives inf or NaN, as in NumPy,
  instead of raising ``ZeroDivisionError``.  The Python model tests every divisor
  before dividing, and that branch keeps LLVM from vectorising any loop that divides
  (Adam's step, the GMM's and NMF's updates).  Kernels get valid input, so a zero
  divisor is a bug that the twins' comparisons show as NaN.

Nothing is compiled when this module is imported: a decorated function compiles
for the argument types of its first call.

Thread caps and the OpenMP wait policy live in :mod:`fastnet._threads`, which is
imported first so that its policy is in place before any kernel runs.
"""

from __future__ import annotations

import functools
import sys
import types

import numba

from . import (
    _compile_notice,  # noqa: F401 - announces compilation on stderr
    _threads,  # noqa: F401 - sets the OpenMP wait policy before any kernel runs
)

__all__ = ["FASTMATH", "REASSOC_FASTMATH", "PARALLEL_MIN_WORK", "jit", "parallel_jit",
           "serial_or_parallel_jit", "SerialOrParallel", "variant_jit", "Variants",
           "loaded_module_globals", "prange"]

#: LLVM fast-math flags: contraction to FMA, reciprocal approximation and no signed
#: zeros.  Never ``nnan``, ``ninf``, ``afn`` or ``reassoc`` (see the module docstring).
FASTMATH = frozenset({"contract", "arcp", "nsz"})

_OPTIONS = {"cache": True, "nogil": True, "fastmath": set(FASTMATH), "error_model": "numpy"}

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


def _renamed(func, suffix):
    """A copy of ``func`` under another qualified name: Numba's on-disk cache is keyed by
    it, and two variants of one function must not share cache entries."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = f"{func.__qualname__}__{suffix}"
    copy.__doc__ = func.__doc__
    return copy


class SerialOrParallel:
    """A kernel compiled twice, serially and with ``parallel=True`` (and, for compiled
    callers, as :attr:`inline`); ``kernel(work)`` returns the variant for that much
    work (``prange`` is a plain ``range`` in the serial one, so both compute the same
    thing - up to rounding where reassociated sums vectorise differently; the choice
    depends on the work alone, never on the number of threads)."""

    def __init__(self, func, reassociate=False, min_work=PARALLEL_MIN_WORK, **overrides):
        self.serial = jit(_renamed(func, "serial"), reassociate=reassociate, **overrides)
        self.parallel = parallel_jit(func, reassociate=reassociate, **overrides)
        self._func, self._reassociate, self._overrides = func, reassociate, overrides
        self.min_work = min_work
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __call__(self, work):
        return self.parallel if work >= self.min_work else self.serial

    @functools.cached_property
    def inline(self):
        """The serial variant for compiled callers that build it into themselves (Numba
        inlines it at compile time, under the caller's fast-math flags): compiled once,
        inside the caller, rather than once alone and again where it is linked.  Made on
        first use: a dispatcher per kernel at import would delay ``import fastnet``."""
        return jit(_renamed(self._func, "inline"), reassociate=self._reassociate,
                   **{**self._overrides, "inline": "always"})


def serial_or_parallel_jit(func=None, *, reassociate=False, min_work=PARALLEL_MIN_WORK,
                           **overrides):
    """Decorator form of :class:`SerialOrParallel`: ``kernel(n)(*args)``; keyword
    overrides as for :func:`jit`."""
    if func is None:
        return lambda f: SerialOrParallel(f, reassociate, min_work, **overrides)
    return SerialOrParallel(func, reassociate, min_work, **overrides)


class Variants:
    """A kernel compiled once per combination of compile-time constants, so that a call
    compiles only the branches (and the kernels they call) its variant takes.

    The kernel reads the constants as module globals (``if SPARSE: ...``);
    ``kernel(SPARSE=False, ...)`` returns the compiled copy whose globals bind them.
    Numba prunes a branch on a constant before typing it, so a kernel called only in
    pruned branches is never compiled.  A global of the kernel that is itself a
    :class:`Variants` is bound to its variant for the same constants (its names must be
    among the caller's).  Each copy has its own qualified name, which keys Numba's
    on-disk cache, so variants never share cache entries.
    """

    def __init__(self, func, names, reassociate=False):
        self.func, self.names, self.reassociate = func, tuple(names), reassociate
        self._compiled = {}
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def __call__(self, **constants):
        key = tuple(int(constants[name]) for name in self.names)
        compiled = self._compiled.get(key)
        if compiled is None:
            namespace = dict(self.func.__globals__)
            namespace.update(zip(self.names, key, strict=True))
            for name in self.func.__code__.co_names:  # the globals the kernel reads
                value = self.func.__globals__.get(name)
                if isinstance(value, Variants) and value is not self:
                    namespace[name] = value(**{n: constants[n] for n in value.names})
            copy = types.FunctionType(self.func.__code__, namespace, self.func.__name__,
                                      self.func.__defaults__, self.func.__closure__)
            suffix = "_".join(f"{name.lower()}{value}"
                              for name, value in zip(self.names, key, strict=True))
            copy.__qualname__ = f"{self.func.__qualname__}__{suffix}"
            copy.__doc__ = self.func.__doc__
            compiled = self._compiled[key] = jit(copy, reassociate=self.reassociate)
        return compiled


def variant_jit(*names, reassociate=False):
    """Decorator form of :class:`Variants`: ``@variant_jit("SPARSE", "SOLVER")``, then
    ``kernel(SPARSE=False, SOLVER=0)(*args)``; the constants are ints or bools."""
    return lambda func: Variants(func, names, reassociate)


def loaded_module_globals():
    """``(module, name, value)`` for every global of fastnet's modules imported so far
    (a snapshot: callers may rebind them), for tools that act on every kernel loaded:
    ``fastnet compile`` and ``fastnet bench --amdahl``."""
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("fastnet.") and module is not None:
            for name, value in list(vars(module).items()):
                yield module, name, value
