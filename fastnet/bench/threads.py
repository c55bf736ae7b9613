"""Thread scaling of the comparison table: each case's fast callable (and its baselines,
such as the BLAS floor) timed with Numba's and BLAS's threads capped together at each
of several thread counts (``fastnet bench --threads 1,2,4,8,16``).

``scaling`` is the time at the fewest threads over the time at each count: on a
machine whose cores are real (not two hyper-threads of one core), a kernel that
scales perfectly doubles it with every doubling of threads.  Thread counts above the
size of Numba's pool (``NUMBA_NUM_THREADS``, the number of cores by default) are
clipped to it, and so reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from .._threads import limit_threads, max_threads
from .harness import Case, case_inputs, time_calls

__all__ = ["parse_thread_counts", "run_scaling", "format_scaling"]


def parse_thread_counts(text: str) -> list[int]:
    """``"1,2,4"`` as ``[1, 2, 4]``: distinct positive ints, increasing, clipped to the
    size of Numba's thread pool."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"threads must be a comma-separated list of ints such as 1,2,4; "
                         f"got {text!r}") from None
    if not counts or min(counts) < 1:
        raise ValueError(f"threads must be ints >= 1 such as 1,2,4; got {text!r}")
    return sorted({min(n, max_threads()) for n in counts})


def run_scaling(pattern: str | None = None, thread_counts: Sequence[int] = (1, 2),
                quick: bool = False, repeat: int = 5, dtypes: Sequence[str] | None = None,
                stream: TextIO | None = None, quiet: bool = False,
                cases: Sequence[Case] | None = None) -> list[dict]:
    """Time every selected case's fast callable and baselines at each thread count.

    At each count, the fast callable and the baselines are timed in interleaved rounds
    (:func:`fastnet.bench.harness.time_calls`) inside one
    :func:`fastnet._threads.limit_threads` block, which caps Numba's threads and the
    BLAS library's together.  Returns one dict per (case, dtype): ``times`` maps each
    label ("fast" and the baselines' labels) to ``{threads: seconds}``, and
    ``scaling`` maps each thread count to the fast time at the fewest threads over the
    fast time at that count.  Rows are printed as they finish unless ``quiet``.
    """
    import sys

    selected = case_inputs(pattern, cases, quick, dtypes)
    counts = sorted(set(thread_counts))
    stream = None if quiet else (stream or sys.stdout)
    if stream is not None:
        print(_header(counts), file=stream, flush=True)
    rows = []
    for case, size, dtype, args in selected:
        funcs = {"fast": case.fast, **case.baselines()}
        times = {label: {} for label in funcs}
        for n in counts:
            with limit_threads(n):
                measured = time_calls(list(funcs.values()), args, repeat)
            for label, seconds in zip(funcs, measured, strict=True):
                times[label][n] = seconds
        fast = times["fast"]
        row = {"case": case.name, "size": size, "dtype": dtype, "times": times,
               "scaling": {n: fast[counts[0]] / fast[n] for n in counts}}
        rows.append(row)
        if stream is not None:
            print(_format_row(row, counts), file=stream, flush=True)
    return rows


def _header(counts: Sequence[int]) -> str:
    threads = "".join(f"{f'{n} thr ms':>12}" for n in counts)
    return (f"{'case':<24}{'size':>10} {'dtype':<8}{threads}{'scaling':>10}"
            f"  baselines (ms at each count)")


def _format_row(row: dict, counts: Sequence[int]) -> str:
    fast = row["times"]["fast"]
    cells = "".join(f"{fast[n] * 1e3:>12.3f}" for n in counts)
    baselines = "; ".join(f"{label} " + " ".join(f"{t[n] * 1e3:.3g}" for n in counts)
                          for label, t in row["times"].items() if label != "fast") or "-"
    return (f"{row['case']:<24}{row['size']:>10} {row['dtype']:<8}{cells}"
            f"{row['scaling'][counts[-1]]:>9.2f}x  {baselines}")


def format_scaling(rows: list[dict]) -> str:
    """The printed table for rows returned by :func:`run_scaling`."""
    counts = sorted(rows[0]["scaling"]) if rows else [1]
    return "\n".join([_header(counts), *(_format_row(r, counts) for r in rows)])
