"""Thread control: caps on Numba's and the BLAS library's threads, and the OpenMP
wait policy.

fastnet alternates BLAS calls with parallel kernels.  OpenMP workers that spin-wait
after a parallel region steal the cores the next BLAS call needs, so, unless the user
has chosen otherwise, ``OMP_WAIT_POLICY=PASSIVE`` is set here, before Numba's OpenMP
threading layer starts (the runtime reads it once, when it loads; :mod:`fastnet._jit`
imports this module before any kernel can run).

A BLAS cap reaches only the BLAS libraries loaded when it is set (threadpoolctl
searches the process's loaded libraries).  NumPy's OpenBLAS loads with NumPy, but
SciPy's - the one every compiled ``np.dot`` and ``scipy.linalg`` call uses - loads
only when ``scipy.linalg`` is first imported, often inside the first fit.  So every
cap loads it first; otherwise a one-thread block would run its products on all cores.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402

__all__ = ["limit_threads", "max_threads", "cap_worker_threads", "default_threads_per_worker",
           "one_blas_thread_below", "SMALL_PRODUCT_WORK"]


def max_threads() -> int:
    """Number of threads Numba's pool was started with (``NUMBA_NUM_THREADS``)."""
    return numba.config.NUMBA_NUM_THREADS


def _load_blas_libraries() -> None:
    """Load SciPy's BLAS (the one Numba's ``np.dot`` binds, through
    ``scipy.linalg.cython_blas``) so that a BLAS cap set next reaches it too."""
    import scipy.linalg.cython_blas  # noqa: F401


def _check_n_threads(n_threads) -> int:
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(f"n_threads must be a positive int; got {type(n_threads).__name__}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1; got {n_threads}")
    return min(int(n_threads), max_threads())


@contextlib.contextmanager
def limit_threads(n_threads: int, *, blas: bool = True):
    """Cap Numba's and the BLAS library's threads inside a ``with`` block.

    ``n_threads`` above the size of Numba's pool is clipped to it.  The cap is
    thread-local for Numba (as :func:`numba.set_num_threads` is) and process-wide
    for BLAS (through threadpoolctl); both are restored on exit.  ``blas=False``
    caps Numba only: for threads running side by side under one BLAS cap held by
    their caller (a process-wide cap set and restored by each thread would race).

    >>> from fastnet._threads import limit_threads
    >>> with limit_threads(1):
    ...     pass
    """
    n = _check_n_threads(n_threads)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        if blas:
            from threadpoolctl import threadpool_limits

            _load_blas_libraries()
            with threadpool_limits(limits=n, user_api="blas"):
                yield n
        else:
            yield n
    finally:
        numba.set_num_threads(previous)


_process_blas_cap = None  # the BLAS cap cap_worker_threads set in this process


def cap_worker_threads(n_threads: int) -> int:
    """Cap Numba's threads (for the calling thread) and BLAS's (for the process) for
    good: for worker processes, which run nothing but tasks.  The BLAS cap is applied
    once per process (threadpoolctl searches the loaded libraries on every call, which
    per task would be most of a small task's overhead); Numba's is a cheap thread-local
    call.
    Never call it in the user's own process: use :func:`limit_threads` there."""
    global _process_blas_cap
    n = _check_n_threads(n_threads)
    numba.set_num_threads(n)
    if _process_blas_cap != n:
        from threadpoolctl import threadpool_limits

        _load_blas_libraries()
        threadpool_limits(limits=n, user_api="blas")
        _process_blas_cap = n
    return n


def default_threads_per_worker(n_workers: int) -> int:
    """Threads each of ``n_workers`` parallel workers should use: ``max(1, cores // n)``."""
    return max(1, (os.cpu_count() or 1) // max(1, n_workers))


#: Multiply-adds per product below which a fit runs its BLAS products on one thread.
#: OpenBLAS splits such products over its threads at a loss, and its threads keep
#: spinning after each call, taking the cores from the parallel kernel that follows.
#: Set below the crossover measured on 2 vCPUs (README, "Drop-in estimators"): more
#: cores make a threaded product faster.
SMALL_PRODUCT_WORK = 1 << 24

_blas_found = None  # threadpoolctl's controller of the BLAS libraries, found once


def _blas_controller():
    global _blas_found
    if _blas_found is None:
        from threadpoolctl import ThreadpoolController

        _load_blas_libraries()
        _blas_found = ThreadpoolController().select(user_api="blas")
    return _blas_found


@contextlib.contextmanager
def one_blas_thread_below(work: int, threshold: int = SMALL_PRODUCT_WORK):
    """Run the block's BLAS calls on one thread when ``work`` (multiply-adds of its
    typical product) is below ``threshold``; otherwise leave BLAS as it is.

    Only the main thread caps.  BLAS's thread count is process-wide, and threadpoolctl
    lets one thread at a time set it: caps set and restored from several threads
    would race and could leave BLAS capped.  (Worker threads of fastnet's parallel
    runs have BLAS capped by their caller.)  The libraries are looked up once per
    process, not on every block as a fresh ``threadpool_limits`` does.
    A product gives the same bits on one thread where OpenBLAS splits only its rows
    and columns over threads; NMF's ``X^T W`` it splits by sums, so small NMF fits
    equal scikit-learn's fits on one BLAS thread bit for bit (tests/test_nmf.py).

    >>> from fastnet._threads import one_blas_thread_below
    >>> with one_blas_thread_below(1000):
    ...     pass
    """
    if work >= threshold or threading.current_thread() is not threading.main_thread():
        yield
        return
    with _blas_controller().limit(limits=1):
        yield
