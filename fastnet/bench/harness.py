"""The harness of the comparison table: :class:`Case`, selecting cases by name, and
timing them (:func:`run`, printed by :func:`format_table`)."""

from __future__ import annotations

import fnmatch
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

__all__ = ["Case", "select", "time_call", "time_calls", "SETTLE_SECONDS", "run",
           "format_table", "fast_function", "same_values"]


@dataclass(frozen=True)
class Case:
    """One row of the comparison table.

    ``make_inputs(size, dtype, rng)`` returns the positional arguments; ``size`` is
    the case's own measure of work (elements for activations, rows for matrices).
    ``peers()`` returns ``{label: callable}`` for installed libraries computing the
    same result (tests compare them); ``baselines()`` the same for callables that are
    only timed: a floor such as the BLAS products alone, or a library whose result
    differs in detail.  ``rtol`` and ``atol`` override the tests' tolerances per dtype
    name: ``rtol`` alone also allows that fraction of the largest result as absolute
    error; ``atol`` serves results near 0, such as log-probabilities, where a relative
    tolerance means nothing.  Random samplers cannot equal their twin draw for draw:
    ``compare(fast, reference)`` then asserts that the two results agree in
    distribution.

    >>> from fastnet.bench import CASES
    >>> case = next(c for c in CASES if c.name == "softmax")
    >>> [x.shape for x in case.inputs(100, "float32")]
    [(10, 10)]
    """

    name: str
    fast: Callable
    reference: Callable
    make_inputs: Callable[[int, np.dtype, np.random.Generator], tuple]
    peers: Callable[[], dict] = field(default=lambda: {})
    sizes: tuple[int, int] = (10_000, 1_000_000)  # (quick, full)
    dtypes: tuple[str, ...] = ("float64", "float32")
    baselines: Callable[[], dict] = field(default=lambda: {})
    rtol: dict[str, float] = field(default_factory=dict)
    atol: dict[str, float] = field(default_factory=dict)
    compare: Callable | None = None

    def inputs(self, size: int, dtype: str | np.dtype, seed: int = 0) -> tuple:
        return self.make_inputs(size, np.dtype(dtype), np.random.default_rng(seed))


def fast_function(area: str, name: str) -> Callable:
    """``fastnet.<area>.<name>``, imported on its first call, so that the table loads
    without importing every area."""
    def fast(*args):
        return getattr(importlib.import_module(f"..{area}", __package__), name)(*args)

    fast.__name__ = name
    return fast


def same_values(fast, reference) -> None:
    """``compare`` for cases whose fast result equals the reference exactly."""
    np.testing.assert_array_equal(fast, reference)


def _table() -> list[Case]:
    from . import CASES  # the whole table, assembled by the package from its areas

    return CASES


def select(pattern: str | None = None, cases: Sequence[Case] | None = None) -> list[Case]:
    """Cases whose name matches the glob ``pattern`` (or contains it); all if None.
    ``cases`` defaults to the whole table, :data:`fastnet.bench.CASES`."""
    cases = _table() if cases is None else cases
    if not pattern:
        return list(cases)
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    return [c for c in cases if fnmatch.fnmatch(c.name, glob)]


def time_call(func: Callable, args: tuple, repeat: int = 7, min_time: float = 0.05) -> float:
    """Median seconds per call over ``repeat`` timings (each of enough loops to last
    ``min_time``).  The first call (JIT compilation or cache load) is not timed."""
    return time_calls([func], args, repeat, min_time, settle=0.0)[0]  # nothing to wait for


#: Seconds to wait before each timed block of :func:`time_calls`.  OpenBLAS's threads
#: keep spinning about 0.1 s after a call (2^28 cycles) and OpenMP's may too; without
#: the pause a function timed right after scikit-learn's shares a vCPU with them, and
#: since fastnet's own threads sleep between regions the penalty falls on one side only.
SETTLE_SECONDS = 0.15
#: Seconds each timed block of a ``--quick`` run lasts at least (0.05 otherwise): a smoke
#: run of every case, where the spread of the timings matters less than its length.
QUICK_MIN_TIME = 0.005


def time_calls(funcs: list[Callable], args: tuple, repeat: int = 7,
               min_time: float = 0.05, settle: float = SETTLE_SECONDS,
               warm_up: bool = True) -> list[float]:
    """:func:`time_call` for several functions on the same arguments, interleaved:
    round r times each function once, so a machine that drifts (other load, clock
    changes) slows all of them alike and their ratios stay steady.  The order rotates
    from round to round: each function follows each other one equally often (a heavy
    reference leaves caches cold).  Each timed block starts ``settle`` seconds after
    the previous one ended, once the threads the previous function left spinning have
    gone to sleep, so each library is timed as it runs on its own.  Without
    ``warm_up`` (the functions have run once already, or a smoke run accepts a first
    call's imports in one of its timings) no call goes untimed."""
    loops, first = [], []
    for func in funcs:
        if warm_up:
            func(*args)  # compilation or cache load, not timed
        start = time.perf_counter()
        func(*args)
        first.append(time.perf_counter() - start)
        loops.append(max(1, int(min_time / max(first[-1], 1e-9))))
    samples = [[] for _ in funcs]
    rounds = range(repeat)
    if max(loops) == 1 and settle == 0:
        # every function takes min_time or longer: the calls that counted the loops are
        # already a round of single-call timings (without pauses: with them, each timed
        # block must start after one)
        samples = [[t] for t in first]
        rounds = range(1, repeat)
    for r in rounds:
        for k in range(len(funcs)):
            i = (r + k) % len(funcs)
            if settle > 0:
                time.sleep(settle)
            start = time.perf_counter()
            for _ in range(loops[i]):
                funcs[i](*args)
            samples[i].append((time.perf_counter() - start) / loops[i])
    return [statistics.median(out) for out in samples]


def case_inputs(pattern: str | None, cases: Sequence[Case] | None, quick: bool,
                dtypes: Sequence[str] | None) -> Iterator[tuple[Case, int, str, tuple]]:
    """(case, size, dtype, arguments) for every selected case at its quick or full size
    and each of its dtypes (those in ``dtypes`` if given), built one at a time as the
    caller iterates.  A ``pattern`` that matches no case raises ``ValueError`` at once,
    before anything is printed or built."""
    cases = _table() if cases is None else cases
    selected = select(pattern, cases)
    if not selected:
        raise ValueError(f"filter {pattern!r} matches no case; cases are "
                         f"{', '.join(c.name for c in cases)}")

    def build():
        for case in selected:
            size = case.sizes[0] if quick else case.sizes[1]
            for dtype in dtypes or case.dtypes:
                if dtype in case.dtypes:
                    yield case, size, dtype, case.inputs(size, dtype)

    return build()


def run(pattern: str | None = None, quick: bool = False, repeat: int = 7,
        dtypes: Sequence[str] | None = None, stream: TextIO | None = None,
        quiet: bool = False, cases: Sequence[Case] | None = None) -> list[dict]:
    """Time every selected case at its quick or full size (fast, reference, peers and
    baselines interleaved: see :func:`time_calls`); print rows as they finish
    (to ``stream``, default standard output, unless ``quiet``).  ``cases`` defaults
    to the whole table.

    Returns one dict per (case, dtype): times in seconds and ``speedup`` = reference
    time / fast time (> 1 means fastnet is faster), plus one entry per peer.
    """
    selected = case_inputs(pattern, cases, quick, dtypes)
    rows = []
    stream = None if quiet else (stream or sys.stdout)
    if stream is not None:
        print(_header(), file=stream, flush=True)
    for case, size, dtype, args in selected:
        start = time.perf_counter()
        case.fast(*args)
        first_call = time.perf_counter() - start
        others = {**case.peers(), **case.baselines()}
        fast, reference, *times = time_calls(  # quick sizes: a smoke run, no pauses
            [case.fast, case.reference, *others.values()], args, repeat,
            min_time=QUICK_MIN_TIME if quick else 0.05,
            settle=0.0 if quick else SETTLE_SECONDS, warm_up=not quick)
        peers = dict(zip(others, times, strict=True))
        row = {"case": case.name, "size": size, "dtype": dtype, "fast": fast,
               "reference": reference, "speedup": reference / fast,
               "first_call": first_call, "peers": peers}
        rows.append(row)
        if stream is not None:
            print(_format_row(row), file=stream, flush=True)
    return rows


def _header() -> str:
    return (f"{'case':<24}{'size':>10} {'dtype':<8}{'fast ms':>10}{'ref ms':>10}"
            f"{'ref/fast':>10}{'1st call s':>12}  peers (ms, peer/fast)")


def _format_row(row: dict) -> str:
    peers = ", ".join(f"{label} {t * 1e3:.3g} ({t / row['fast']:.2f}x)"
                      for label, t in row["peers"].items()) or "-"
    return (f"{row['case']:<24}{row['size']:>10} {row['dtype']:<8}{row['fast'] * 1e3:>10.3f}"
            f"{row['reference'] * 1e3:>10.3f}{row['speedup']:>9.2f}x{row['first_call']:>12.2f}"
            f"  {peers}")


def format_table(rows: list[dict]) -> str:
    """The printed table for rows returned by :func:`run`."""
    return "\n".join([_header(), *(_format_row(r) for r in rows)])
