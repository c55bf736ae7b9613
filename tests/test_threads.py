import numba
import pytest

from fastnet import _threads


def test_limit_threads_caps_and_restores():
    from threadpoolctl import threadpool_info

    before = numba.get_num_threads()
    with _threads.limit_threads(1) as n:
        assert n == 1 and numba.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    assert numba.get_num_threads() == before
    with _threads.limit_threads(10_000) as n:
        assert n == _threads.max_threads()


@pytest.mark.parametrize("bad,err", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_limit_threads_bad_input(bad, err):
    with pytest.raises(err, match="n_threads"):
        with _threads.limit_threads(bad):
            pass


def test_threads_per_worker():
    import os

    cores = os.cpu_count()
    assert _threads.default_threads_per_worker(1) == cores
    assert _threads.default_threads_per_worker(cores * 4) == 1


def test_cap_worker_threads_sets_both_for_good(monkeypatch):
    calls = []
    monkeypatch.setattr(_threads, "_process_blas_cap", None)
    monkeypatch.setattr("threadpoolctl.threadpool_limits",
                        lambda limits, user_api: calls.append((limits, user_api)))
    previous = numba.get_num_threads()
    try:
        assert _threads.cap_worker_threads(1) == 1
        assert numba.get_num_threads() == 1
        _threads.cap_worker_threads(1)  # the process cap is already set: threadpoolctl once
        assert calls == [(1, "blas")]
        with pytest.raises(ValueError, match="n_threads must be >= 1"):
            _threads.cap_worker_threads(0)
    finally:
        numba.set_num_threads(previous)


def test_limit_threads_can_leave_blas_alone():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before, numba_before = blas_threads(), numba.get_num_threads()
    with _threads.limit_threads(1, blas=False):
        assert numba.get_num_threads() == 1
        assert blas_threads() == before
    assert numba.get_num_threads() == numba_before


# A fresh interpreter in which NumPy's BLAS is loaded but SciPy's (the one compiled
# np.dot calls use) is not yet: the state of a user's process before its first fit.
_FRESH_PROCESS = """
import sys
import numpy
from threadpoolctl import threadpool_info
from fastnet import _threads

def blas():
    return sorted((i["filepath"], i["num_threads"]) for i in threadpool_info()
                  if i["user_api"] == "blas")

assert "scipy.linalg" not in sys.modules, "the test needs SciPy's BLAS not yet loaded"
assert len(blas()) == 1, blas()
{body}
"""


def _run_fresh(body):
    import subprocess
    import sys

    code = _FRESH_PROCESS.format(body=body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_limit_threads_reaches_scipys_blas_loaded_later():
    # the block loads SciPy's BLAS before capping: both libraries are capped inside it,
    # including after the first compiled product or scipy.linalg import
    _run_fresh("""
with _threads.limit_threads(1):
    inside = blas()
    import scipy.linalg
    after_import = blas()
assert len(inside) == 2 and all(n == 1 for _, n in inside), inside
assert all(n == 1 for _, n in after_import), after_import
""")


def test_cap_worker_threads_reaches_scipys_blas_loaded_later():
    _run_fresh("""
_threads.cap_worker_threads(1)
import scipy.linalg
capped = blas()
assert len(capped) == 2 and all(n == 1 for _, n in capped), capped
""")


def _blas_threads():
    from threadpoolctl import threadpool_info

    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


def test_one_blas_thread_below_caps_small_work_only():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        with _threads.one_blas_thread_below(_threads.SMALL_PRODUCT_WORK):
            assert _blas_threads() == {2}
        with _threads.one_blas_thread_below(_threads.SMALL_PRODUCT_WORK - 1):
            assert _blas_threads() == {1}
            with _threads.one_blas_thread_below(10):  # nested: the outer one restores
                assert _blas_threads() == {1}
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}


def test_one_blas_thread_below_leaves_blas_alone_in_other_threads():
    # threadpoolctl lets one thread at a time set OpenBLAS's process-wide count, so
    # only the main thread caps: a worker's block neither caps nor takes that control
    import threading

    from threadpoolctl import threadpool_limits

    seen = []

    def worker():
        with _threads.one_blas_thread_below(10):
            seen.append(_blas_threads())

    with threadpool_limits(2, user_api="blas"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(20)
        assert seen == [{2}]
        with _threads.one_blas_thread_below(10):  # the main thread still can
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}
