"""Reproducible fan-out of a study's tasks over joblib backends, Dask included.

:func:`run` calls ``fn(**tasks[i], seed=child_i)`` for every task, where ``child_i``
is the i-th child of one master seed (:func:`fastnet.random.spawn_seeds`): a task's
randomness depends on its index alone, never on which worker ran it or when, so a
study gives the same table on one core, on many processes or on a Dask cluster.

Finished rows can be appended to a checkpoint file (JSON lines, flushed and fsynced
row by row); a rerun with the same tasks and seed computes only what is missing.  A
task that raises does not stop the others: they finish (and are saved), then a
:class:`TaskError` names the failed tasks with their parameters and seeds.
"""

from __future__ import annotations

import contextlib
import json
import numbers
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._threads import cap_worker_threads, default_threads_per_worker, limit_threads
from ._validation import check_bool, check_fits_in_memory
from .random import SeedLike, as_seed_sequence, spawn_seeds

if TYPE_CHECKING:  # pandas is imported when a table is built
    import pandas as pd

__all__ = ["run", "TaskError", "BACKENDS", "check_task_count"]

#: joblib backends :func:`fastnet.parallel.run` accepts (``None``: loky when ``n_jobs > 1``).
BACKENDS = ("loky", "threading", "sequential", "dask")
_PROCESS_BACKENDS = ("loky", "dask")


class TaskError(RuntimeError):
    """One or more tasks raised; ``failures`` lists ``(task, params, seed, error text)``
    and ``completed`` is the DataFrame of the tasks that finished."""

    def __init__(self, failures, completed):
        self.failures, self.completed = failures, completed
        task, params, seed, text = failures[0]
        more = f" (and {len(failures) - 1} more tasks failed)" if len(failures) > 1 else ""
        last = text.strip().splitlines()[-1] if text.strip() else "an exception"
        super().__init__(f"task {task} with parameters {params} and seed {seed} raised "
                         f"{last}{more}; the other tasks finished (see .completed).\n\n"
                         f"{text}")


# ---------------------------------------------------------------- checks
#: Bookkeeping bytes per task (its parameter dict, seed and row), for the memory check.
TASK_BYTES = 256


def check_task_count(n_tasks: int, name: str) -> int:
    """Refuse, before building anything, more tasks than their bookkeeping fits in RAM."""
    check_fits_in_memory(TASK_BYTES * n_tasks, name, f"the bookkeeping of {n_tasks} tasks")


def _check_tasks(tasks):
    if isinstance(tasks, numbers.Integral) and not isinstance(tasks, bool):
        if tasks < 0:
            raise ValueError(f"tasks must be an int >= 0 or a list of dicts; got {tasks}")
        check_task_count(int(tasks), "tasks")
        return [{} for _ in range(int(tasks))]
    if isinstance(tasks, (str, bytes, dict)) or not hasattr(tasks, "__iter__"):
        raise TypeError("tasks must be an int (the number of tasks) or a list of keyword "
                        f"dicts; got {type(tasks).__name__}")
    tasks = list(tasks)
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            raise TypeError(f"tasks[{i}] must be a dict of keyword arguments; "
                            f"got {type(task).__name__}")
        if not all(isinstance(key, str) for key in task):
            raise TypeError(f"tasks[{i}] must have str keys (keyword names); got {list(task)}")
        reserved = {"seed", "task"} & set(task)
        if reserved:
            raise ValueError(f"tasks[{i}] must not set {sorted(reserved)}: run() passes the "
                             "seed and numbers the tasks itself")
    return tasks


def _check_n_jobs(n_jobs):
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"n_jobs must be an int >= 1 (or -1 for every core); "
                        f"got {type(n_jobs).__name__}")
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be an int >= 1 (or -1 for every core); got {n_jobs}")
    return int(n_jobs)


def _check_backend(backend, n_jobs, scheduler):
    if scheduler is not None:
        if backend not in (None, "dask"):
            raise ValueError(f"scheduler= is for backend='dask'; got backend={backend!r}")
        return "dask"
    if backend is None:
        return "loky" if n_jobs > 1 else "sequential"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} or None; got {backend!r}")
    return backend


def _check_picklable(fn, backend):
    try:  # joblib's process backends pickle with cloudpickle
        import cloudpickle as pickler
    except ImportError:  # pragma: no cover
        import pickle as pickler
    try:
        pickler.dumps(fn)
    except Exception as exc:  # noqa: BLE001 - any pickling failure means the same
        raise TypeError(f"fn cannot be pickled for the {backend!r} backend, which runs it in "
                        f"other processes ({type(exc).__name__}: {exc}); define it at module "
                        "level, or use backend='threading' (fastnet's kernels release the "
                        "GIL)") from None


# ---------------------------------------------------------------- one task
def _as_row(output):
    """A task's output as a flat dict of columns."""
    import pandas as pd

    if isinstance(output, pd.Series):
        output = output.to_dict()
    if isinstance(output, dict):
        return {str(key): _plain(value) for key, value in output.items()}
    return {"result": _plain(output)}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError("a task must return a scalar (number, str, bool, None), a dict of "
                    f"scalars or a pandas Series; got a {type(value).__name__}")


def _call(fn, index, params, seed, n_threads=None, parent_pid=None):
    """Run one task with capped threads; returns ``(index, row or None, error text)``.
    ``n_threads=None``: the caller has capped them.  Fanned-out tasks pass the
    ``parent_pid`` of :func:`run`: in a worker process the cap is set once for the
    process; in a thread of the user's process (threading backend) only Numba's
    thread-local cap is set, under the BLAS cap :func:`_execute` holds for all."""
    try:
        if n_threads is None:
            return index, _as_row(fn(**params, seed=seed)), None
        if parent_pid is not None and os.getpid() != parent_pid:
            cap_worker_threads(n_threads)
            return index, _as_row(fn(**params, seed=seed)), None
        with limit_threads(n_threads, blas=parent_pid is None):
            return index, _as_row(fn(**params, seed=seed)), None
    except Exception:  # noqa: BLE001 - reported with the task's index, params and seed
        return index, None, traceback.format_exc()


# ---------------------------------------------------------------- checkpoint
def _read_checkpoint(path, tasks, seeds):
    """Finished rows of a checkpoint written for the same tasks and seeds."""
    done = {}
    if not path.exists():
        return done
    with path.open() as stream:
        lines = stream.read().split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) or (number == len(lines) - 1 and not lines[-1]):
                break  # a row cut short by an interruption: it is recomputed
            raise ValueError(f"checkpoint {path} line {number} is not a JSON row") from None
        index = record.get("task")
        if (not isinstance(index, int) or not 0 <= index < len(tasks)
                or record.get("seed") != int(seeds[index])
                or record.get("params") != json.loads(json.dumps(tasks[index]))):
            raise ValueError(f"checkpoint {path} was written by another study (line {number} "
                             "does not match these tasks and seed); pass another checkpoint "
                             "path or delete the file")
        done[index] = record["output"]
    return done


def _append(stream, index, params, seed, row):
    stream.write(json.dumps({"task": index, "params": params, "seed": seed, "output": row})
                 + "\n")
    stream.flush()
    os.fsync(stream.fileno())


# ---------------------------------------------------------------- run
def run(fn: Callable[..., Any], tasks: int | Sequence[Mapping[str, Any]], *,
        seed: SeedLike,
        n_jobs: int = 1, backend: str | None = None, progress: bool = False,
        checkpoint: str | os.PathLike | None = None,
        scheduler: str | None = None) -> pd.DataFrame:
    """Run ``fn(**tasks[i], seed=child_i)`` for every task; one row per task, in order.

    Parameters
    ----------
    fn : callable
        Returns a scalar, a dict of scalars or a pandas Series.  Process backends
        need it picklable (a module-level function).
    tasks : int or list of dict
        ``n`` tasks without parameters, or one keyword dict per task.
    seed : int >= 0 or numpy.random.SeedSequence
        Master seed; task i gets ``int(spawn_seeds(seed, n)[i])`` (a uint64 value;
        reduce it, e.g. ``seed % 2**32``, where a library wants a 32-bit seed).
    n_jobs : int >= 1, or -1 for every core
        Parallel workers.  Each task runs with ``max(1, cores // n_jobs)`` Numba and
        BLAS threads (for Dask: cores // the cluster's total worker threads).
    backend : None, 'loky', 'threading', 'sequential' or 'dask'
        None means loky when ``n_jobs > 1``.  'dask' needs a running
        ``distributed.Client`` or ``scheduler=``.
    progress : bool
        Show a progress bar (tqdm) with completed/total and ETA on standard error.
    checkpoint : path, optional
        JSON-lines file: each finished row is appended (flushed and fsynced) as it
        completes; a rerun with the same tasks and seed skips the finished ones.
    scheduler : str, optional
        Address of a Dask scheduler (``'tcp://host:8786'``); implies backend='dask'.

    Returns
    -------
    pandas.DataFrame with columns ``task``, the parameters, ``seed``, the outputs.

    Raises
    ------
    TaskError
        After every other task has finished (and been saved), if any task raised.

    Examples
    --------
    >>> from fastnet.parallel import run
    >>> def draw(scale, seed):
    ...     return {"value": scale * np.random.default_rng(seed).random()}
    >>> table = run(draw, [{"scale": 1.0}, {"scale": 10.0}], seed=7)
    >>> list(table.columns)
    ['task', 'scale', 'seed', 'value']
    >>> table.equals(run(draw, [{"scale": 1.0}, {"scale": 10.0}], seed=7, n_jobs=2,
    ...                  backend="threading"))
    True
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    tasks = _check_tasks(tasks)
    if seed is None:
        raise TypeError("seed must be an int >= 0 or a numpy.random.SeedSequence (None would "
                        "make the study irreproducible)")
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) or isinstance(
            seed, np.random.SeedSequence):
        seeds = spawn_seeds(as_seed_sequence(seed), len(tasks))
    else:
        raise TypeError("seed must be an int >= 0 or a numpy.random.SeedSequence; "
                        f"got {type(seed).__name__}")
    n_jobs = _check_n_jobs(n_jobs)
    backend = _check_backend(backend, n_jobs, scheduler)
    if backend in _PROCESS_BACKENDS:
        _check_picklable(fn, backend)
    check_bool(progress, "progress")
    path = None if checkpoint is None else Path(checkpoint)
    if path is not None and path.exists() and path.is_dir():
        raise ValueError(f"checkpoint must be a file path; {path} is a directory")
    rows = {} if path is None else _read_checkpoint(path, tasks, seeds)
    pending = [i for i in range(len(tasks)) if i not in rows]

    failures = []
    bar = _progress_bar(progress, len(tasks), len(rows))
    stream = None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a")
    try:
        def collect(result):
            index, row, error = result
            if error is None:
                rows[index] = row
                if stream is not None:
                    _append(stream, index, tasks[index], int(seeds[index]), row)
            else:
                failures.append((index, tasks[index], int(seeds[index]), error))
            if bar is not None:
                bar.update(1)

        for result in _execute(fn, tasks, seeds, pending, n_jobs, backend, scheduler):
            collect(result)
    finally:
        if stream is not None:
            stream.close()
        if bar is not None:
            bar.close()
    table = _table(tasks, seeds, rows)
    if failures:
        failures.sort(key=lambda failure: failure[0])
        raise TaskError(failures, table)
    return table


#: Task functions whose first task this process has run itself (see :func:`_execute`).
_WARMED_UP = set()


def _key(fn):
    return getattr(fn, "__module__", None), getattr(fn, "__qualname__", repr(fn))


def _execute(fn, tasks, seeds, pending, n_jobs, backend, scheduler):
    """Yield ``(index, row, error)`` as tasks finish.  The first time this process runs
    ``fn``, its first pending task runs here before the fan-out: it compiles (or loads)
    every kernel the task needs, so workers find them in Numba's on-disk cache instead
    of compiling them all at once.  Later runs of ``fn`` fan out every task (the
    warm-up would leave the workers idle for one task's time)."""
    if not pending:
        return
    if backend == "sequential" or n_jobs == 1 and backend != "dask":
        # one cap for the whole loop: threadpoolctl searches the loaded libraries each time
        with limit_threads(default_threads_per_worker(1)):
            for i in pending:
                yield _call(fn, i, tasks[i], int(seeds[i]))
        _WARMED_UP.add(_key(fn))
        return
    rest = pending
    if _key(fn) not in _WARMED_UP:  # later runs of fn: its kernels are compiled and cached
        first, rest = pending[0], pending[1:]
        yield _call(fn, first, tasks[first], int(seeds[first]), default_threads_per_worker(1))
        _WARMED_UP.add(_key(fn))
        if not rest:
            return
    from joblib import Parallel, delayed, parallel_config
    from threadpoolctl import threadpool_limits

    with _dask_client(backend, scheduler) as client:
        workers = n_jobs if client is None else max(1, sum(client.nthreads().values()))
        threads = default_threads_per_worker(workers)
        config = {"backend": backend} if client is None else {"backend": "dask",
                                                              "client": client}
        # one BLAS cap for the threads this process may run tasks on (threading
        # backend, in-process Dask workers); loky's worker processes cap their own
        blas_cap = (contextlib.nullcontext() if backend == "loky"
                    else threadpool_limits(limits=threads, user_api="blas"))
        with parallel_config(**config), blas_cap:
            parallel = Parallel(n_jobs=n_jobs if client is None else workers,
                                return_as="generator_unordered")
            yield from parallel(delayed(_call)(fn, i, tasks[i], int(seeds[i]), threads,
                                               os.getpid()) for i in rest)


class _dask_client:
    """The Dask client to use: one connected to ``scheduler`` (closed on exit), or the
    current one; ``None`` for the other backends."""

    def __init__(self, backend, scheduler):
        self.backend, self.scheduler, self.own = backend, scheduler, None

    def __enter__(self):
        if self.backend != "dask":
            return None
        try:
            import distributed
        except ImportError:
            raise ImportError('backend="dask" needs dask.distributed: '
                              'pip install "fastnet[dask]"') from None
        if self.scheduler is not None:
            self.own = distributed.Client(self.scheduler)
            return self.own
        try:
            return distributed.get_client()
        except ValueError:
            raise ValueError("backend='dask' needs a running distributed.Client (create one "
                             "first) or scheduler='tcp://host:port'") from None

    def __exit__(self, *exc):
        if self.own is not None:
            self.own.close()


def _progress_bar(progress, total, done):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, unit="task", file=sys.stderr, dynamic_ncols=True)


def _table(tasks, seeds, rows):
    import pandas as pd

    records = []
    for i in sorted(rows):
        records.append({"task": i, **tasks[i], "seed": int(seeds[i]), **rows[i]})
    table = pd.DataFrame.from_records(records)
    if len(table):
        table["seed"] = table["seed"].astype(np.uint64)
    else:
        table = pd.DataFrame({"task": pd.Series(dtype=np.int64),
                              "seed": pd.Series(dtype=np.uint64)})
    return table
