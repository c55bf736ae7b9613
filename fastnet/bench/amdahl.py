"""The serial share of each case at one thread: the Amdahl bound on its thread scaling
(``fastnet bench --amdahl``).

A case's fast callable runs in a child process with Numba's and BLAS's threads capped
at 1, sampled by py-spy (``py-spy record --native``) a few hundred times a second.  A
sample counts as *multi-threaded work* when the main thread is inside a BLAS or LAPACK
library (a native frame of OpenBLAS, MKL, BLIS or FlexiBLAS, whatever runs under it) or
inside a parallel Numba kernel (its call goes through :func:`_parallel_region`, which
the child wraps around every ``parallel=True`` dispatcher of fastnet once the case has
compiled); every other sample - Python, NumPy's elementwise loops, SciPy's sparse
routines, serial kernels, allocation - is *serial*.  With serial share ``s`` at one
thread, no number of threads ``p`` can make the case faster than ``1 / (s + (1 - s) /
p)`` (Amdahl's law); the table prints that bound at 16 threads.  It is an upper bound:
memory bandwidth and LAPACK's own serial steps (counted here as multi-threaded) cap
the real scaling lower.  A parallel kernel called from compiled code rather than from
Python carries no marker frame and counts as serial.

This measures the code's structure, not the machine, so it works on a 2-vCPU machine
whose threads cannot show a speed-up.  It needs py-spy (``pip install py-spy``) and
permission to trace a child process (ptrace).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import TextIO

from .harness import Case, _table, select

__all__ = ["classify_samples", "run_amdahl", "format_amdahl"]

#: library-name fragments of the multi-threaded BLAS/LAPACK builds NumPy and SciPy use
BLAS_LIBRARIES = ("openblas", "libmkl", "blis", "flexiblas")
REGION = "_parallel_region"
MEASURED = "_measured_calls"
AT_THREADS = 16  # the thread count of the printed Amdahl bound
#: samples per second: py-spy pauses the child to unwind its native stack at every
#: sample, and at several hundred a second the pauses outlast the intervals and bias the
#: counts towards the frames that are slow to unwind (compiled kernels)
SAMPLE_RATE = 100


def _parallel_region(dispatcher, args, kwargs):
    """Calls a parallel Numba kernel; its name in a sampled stack marks the region."""
    return dispatcher(*args, **kwargs)


class _Marked:
    """A parallel dispatcher called through :func:`_parallel_region`."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher

    def __call__(self, *args, **kwargs):
        return _parallel_region(self.dispatcher, args, kwargs)

    def __getattr__(self, name):
        return getattr(self.dispatcher, name)


def _mark_parallel_kernels() -> int:
    """Route every Python-side call of fastnet's parallel Numba kernels through
    :func:`_parallel_region`; returns how many were marked.  Call it only after the case
    has run once: compiled callers of a kernel are then already compiled, and a marked
    kernel is only ever called from Python."""
    from numba.core.registry import CPUDispatcher

    from .._jit import SerialOrParallel, loaded_module_globals

    marked: dict[int, _Marked] = {}
    for module, attr, value in loaded_module_globals():
        if isinstance(value, SerialOrParallel) and not isinstance(value.parallel, _Marked):
            value.parallel = marked.setdefault(id(value.parallel), _Marked(value.parallel))
        elif isinstance(value, CPUDispatcher) and value.targetoptions.get("parallel"):
            setattr(module, attr, marked.setdefault(id(value), _Marked(value)))
    return len(marked)


def _measured_calls(func, args, seconds: float) -> int:
    """Calls ``func(*args)`` until ``seconds`` have passed (at least once)."""
    calls, start = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - start < seconds:
        func(*args)
        calls += 1
    return calls


def classify_samples(raw: str) -> dict[str, int]:
    """Counts of ``serial``, ``blas`` and ``kernels`` samples in py-spy's raw output
    (one ``frame;frame;...;frame count`` line per distinct stack, outermost first),
    counting only the stacks inside :func:`_measured_calls`."""
    counts = {"serial": 0, "blas": 0, "kernels": 0}
    for line in raw.splitlines():
        stack, _, number = line.rstrip().rpartition(" ")
        if not number.isdigit():
            continue
        frames = stack.split(";")
        inside = [i for i, frame in enumerate(frames) if frame.startswith(MEASURED + " ")]
        if not inside:
            continue
        below = frames[inside[0] + 1:]
        if any(frame.startswith(REGION + " ") for frame in below):
            counts["kernels"] += int(number)
        elif any(lib in frame.lower() for frame in below for lib in BLAS_LIBRARIES):
            counts["blas"] += int(number)
        else:
            counts["serial"] += int(number)
    return counts


def _py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=os.path.dirname(sys.executable))
    if found is None:
        raise ValueError("--amdahl samples with py-spy, which is not installed: "
                         "pip install py-spy (or fastnet's [bench] extra)")
    return found


def run_amdahl(pattern: str | None = None, quick: bool = False, seconds: float = 5.0,
               rate: int = SAMPLE_RATE, dtypes: Sequence[str] | None = None,
               stream: TextIO | None = None, quiet: bool = False) -> list[dict]:
    """Sample every selected case's fast callable at one thread (module docstring).

    Each case is sampled for ``seconds`` of its calls (at least one call), after one
    unsampled call that compiles its kernels.  Returns one dict per (case, dtype): the
    sample counts (``serial``, ``blas``, ``kernels``), ``serial_share`` and ``bound``
    (the Amdahl bound at :data:`AT_THREADS` threads).  Rows are printed as they finish
    unless ``quiet``.
    """
    spy = _py_spy()
    selected = [(case.name, size, dtype) for case, size, dtype in
                _selected(pattern, quick, dtypes)]
    stream = None if quiet else (stream or sys.stdout)
    if stream is not None:
        print(_header(), file=stream, flush=True)
    rows = []
    for name, size, dtype in selected:
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "samples.txt")
            command = [spy, "record", "--native", "--rate", str(rate), "--format", "raw",
                       "--output", out, "--",
                       sys.executable, "-m", "fastnet.bench.amdahl", name, str(size), dtype,
                       str(seconds), "1" if quick else "0"]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0 or not os.path.exists(out):
                raise RuntimeError(f"py-spy could not sample {name} ({dtype}): "
                                   f"{(done.stderr or done.stdout).strip()[-600:]}")
            with open(out) as handle:
                counts = classify_samples(handle.read())
        total = sum(counts.values())
        share = counts["serial"] / total if total else float("nan")
        row = {"case": name, "size": size, "dtype": dtype, **counts, "samples": total,
               "serial_share": share, "bound": 1.0 / (share + (1.0 - share) / AT_THREADS)}
        rows.append(row)
        if stream is not None:
            print(_format_row(row), file=stream, flush=True)
    return rows


def _selected(pattern: str | None, quick: bool,
              dtypes: Sequence[str] | None) -> list[tuple[Case, int, str]]:
    """(case, size, dtype) of every selected case, without building its inputs."""
    cases = select(pattern)
    if not cases:
        raise ValueError(f"filter {pattern!r} matches no case; cases are "
                         f"{', '.join(c.name for c in _table())}")
    return [(case, case.sizes[0] if quick else case.sizes[1], dtype) for case in cases
            for dtype in case.dtypes if dtypes is None or dtype in dtypes]


def _header() -> str:
    return (f"{'case':<28}{'size':>10} {'dtype':<8}{'samples':>8}{'serial':>8}{'BLAS':>7}"
            f"{'kernels':>9}   bound at {AT_THREADS} threads")


def _format_row(row: dict) -> str:
    total = max(row["samples"], 1)
    return (f"{row['case']:<28}{row['size']:>10} {row['dtype']:<8}{row['samples']:>8}"
            f"{row['serial'] / total:>8.1%}{row['blas'] / total:>7.1%}"
            f"{row['kernels'] / total:>9.1%}   {row['bound']:.1f}x")


def format_amdahl(rows: list[dict]) -> str:
    """The printed table for rows returned by :func:`run_amdahl`."""
    return "\n".join([_header(), *(_format_row(row) for row in rows)])


def _child(name: str, size: int, dtype: str, seconds: float, quick: bool) -> None:
    from .._threads import limit_threads

    matches = [case for case, case_size, case_dtype in _selected(name, quick, [dtype])
               if case.name == name and case_size == size]
    if not matches:
        raise SystemExit(f"no case {name} at size {size} in {dtype}")
    case = matches[0]
    args = case.inputs(size, dtype)
    with limit_threads(1):
        case.fast(*args)  # compiles every kernel the case needs, before marking
        _mark_parallel_kernels()
        _measured_calls(case.fast, args, seconds)


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5] == "1")
