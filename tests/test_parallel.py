import json
import threading

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from fastnet.parallel import TaskError, run
from fastnet.random import spawn_seeds


def draw(scale, seed):
    """A task whose output depends on its seed only through numpy's generator."""
    values = np.random.default_rng(seed).random(3)
    return {"low": scale * values.min(), "high": scale * values.max()}


def fails_on(i, bad, seed):
    if i in bad:
        raise RuntimeError(f"task {i} was told to fail")
    return float(i) + np.random.default_rng(seed).random()


def series_task(seed):
    return pd.Series({"a": 1, "b": np.float64(seed % 7)})


def scalar_task(seed):
    return np.int64(seed % 1000)


TASKS = [{"scale": float(s)} for s in range(6)]


def expected_table(tasks, seed):
    seeds = spawn_seeds(seed, len(tasks))
    rows = [{"task": i, **t, "seed": int(s), **draw(**t, seed=int(s))}
            for i, (t, s) in enumerate(zip(tasks, seeds, strict=True))]
    table = pd.DataFrame(rows)
    table["seed"] = table["seed"].astype(np.uint64)
    return table


def test_rows_follow_the_task_order_and_child_seeds():
    assert_frame_equal(run(draw, TASKS, seed=11), expected_table(TASKS, 11))


@pytest.mark.parametrize("options", [dict(n_jobs=2), dict(n_jobs=2, backend="loky"),
                                     dict(n_jobs=2, backend="threading"),
                                     dict(n_jobs=3, backend="threading"),
                                     dict(backend="sequential")],
                         ids=["default-2", "loky", "threading-2", "threading-3", "sequential"])
def test_same_table_for_every_backend(options):
    assert_frame_equal(run(draw, TASKS, seed=11, **options), expected_table(TASKS, 11))


def test_same_table_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            on_client = run(draw, TASKS, seed=11, backend="dask")
        by_address = run(draw, TASKS, seed=11, scheduler=cluster.scheduler_address)
    assert_frame_equal(on_client, expected_table(TASKS, 11))
    assert_frame_equal(by_address, expected_table(TASKS, 11))


def test_output_kinds():
    count = run(series_task, 3, seed=0)
    assert list(count.columns) == ["task", "seed", "a", "b"]
    assert list(count["b"]) == [int(s) % 7 for s in count["seed"]]
    scalar = run(scalar_task, 2, seed=0)
    assert list(scalar.columns) == ["task", "seed", "result"]
    assert list(scalar["result"]) == [int(s) % 1000 for s in spawn_seeds(0, 2)]
    assert len(run(draw, [], seed=0)) == 0


def test_a_failing_task_names_itself_and_the_others_are_saved(tmp_path):
    path = tmp_path / "study.jsonl"
    tasks = [{"i": i, "bad": [2]} for i in range(5)]
    message = (r"task 2 with parameters \{'i': 2, 'bad': \[2\]\} and seed \d+ raised "
               r"RuntimeError: task 2 was told")
    with pytest.raises(TaskError, match=message) as err:
        run(fails_on, tasks, seed=5, n_jobs=2, backend="threading", checkpoint=path)
    seeds = spawn_seeds(5, 5)
    assert str(int(seeds[2])) in str(err.value)
    assert list(err.value.completed["task"]) == [0, 1, 3, 4]
    saved = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(row["task"] for row in saved) == [0, 1, 3, 4]

    # the rerun computes only task 2 (now told not to fail), and equals a clean run
    calls = []

    def counting(i, bad, seed):
        calls.append(i)
        return fails_on(i, [], seed)

    fixed = [{"i": i, "bad": [2]} for i in range(5)]
    resumed = run(counting, fixed, seed=5, checkpoint=path)
    assert calls == [2]
    clean = run(fails_on, [{"i": i, "bad": []} for i in range(5)], seed=5)
    assert_frame_equal(resumed.drop(columns="bad"), clean.drop(columns="bad"))
    assert len(path.read_text().splitlines()) == 5


def test_checkpoint_keeps_rows_of_an_interrupted_run(tmp_path):
    path = tmp_path / "study.jsonl"

    def interrupted(i, seed):
        if i == 3:
            raise KeyboardInterrupt  # as Ctrl-C in the middle of the study
        return i * 10

    with pytest.raises(KeyboardInterrupt):
        run(interrupted, [{"i": i} for i in range(6)], seed=1, checkpoint=path)
    assert [json.loads(line)["task"] for line in path.read_text().splitlines()] == [0, 1, 2]
    # a row cut short by the interruption is dropped and recomputed
    with path.open("a") as stream:
        stream.write('{"task": 3, "par')
    table = run(lambda i, seed: i * 10, [{"i": i} for i in range(6)], seed=1, checkpoint=path)
    assert list(table["result"]) == [0, 10, 20, 30, 40, 50]


def test_checkpoint_of_another_study_is_refused(tmp_path):
    path = tmp_path / "study.jsonl"
    run(draw, TASKS, seed=11, checkpoint=path)
    before = path.read_text()
    with pytest.raises(ValueError, match="checkpoint .* another study"):
        run(draw, TASKS, seed=12, checkpoint=path)
    with pytest.raises(ValueError, match="checkpoint .* another study"):
        run(draw, [{"scale": 2.0}] * 6, seed=11, checkpoint=path)
    assert path.read_text() == before  # nothing half-written
    assert_frame_equal(run(draw, TASKS, seed=11, checkpoint=path), expected_table(TASKS, 11))


def test_progress_bar(capsys):
    run(draw, TASKS, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err


def test_threads_per_worker(monkeypatch):
    import fastnet.parallel as parallel

    monkeypatch.setattr(parallel, "_WARMED_UP", set())  # draw's first run in this process
    seen = []
    monkeypatch.setattr(parallel, "limit_threads", lambda n, blas=True: _Recorder(n, seen))
    run(draw, TASKS, seed=1, n_jobs=2, backend="threading")
    cores = parallel.default_threads_per_worker(1)
    assert seen[0] == cores  # the warm-up task in the parent
    assert set(seen[1:]) == {max(1, cores // 2)}


def thread_caps(seed):
    """The Numba and BLAS thread counts a task sees, and its process."""
    import os

    import numba
    from threadpoolctl import threadpool_info

    blas = {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}
    return {"numba": numba.get_num_threads(), "blas": max(blas), "pid": os.getpid()}


def test_worker_processes_keep_their_cap_and_the_parent_is_restored(monkeypatch):
    import os

    import numba
    from threadpoolctl import threadpool_info

    import fastnet.parallel as parallel
    from fastnet._threads import default_threads_per_worker

    def caps():
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        return numba.get_num_threads(), max(blas)

    monkeypatch.setattr(parallel, "_WARMED_UP", set())
    before = caps()
    table = run(thread_caps, 6, seed=0, n_jobs=2, backend="loky")
    assert caps() == before
    workers = table[table["pid"] != os.getpid()]
    assert len(workers) == 5  # the first run of a function: task 0 runs in the parent
    per_worker = default_threads_per_worker(2)
    assert set(workers["numba"]) == {per_worker} and set(workers["blas"]) == {per_worker}
    again = run(thread_caps, 6, seed=0, n_jobs=2, backend="loky")
    assert (again["pid"] != os.getpid()).all()  # later runs: every task in the workers
    assert caps() == before


def test_threading_backend_caps_each_thread_and_restores_the_process(monkeypatch):
    import numba
    from threadpoolctl import threadpool_info

    import fastnet.parallel as parallel
    from fastnet._threads import default_threads_per_worker

    def caps():
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        return numba.get_num_threads(), max(blas)

    monkeypatch.setattr(parallel, "_WARMED_UP", {parallel._key(thread_caps)})  # no warm-up
    before = caps()
    table = run(thread_caps, 6, seed=0, n_jobs=2, backend="threading")
    per_thread = default_threads_per_worker(2)
    assert set(table["numba"]) == {per_thread} and set(table["blas"]) == {per_thread}
    assert caps() == before


class _Recorder:
    """Stands in for limit_threads: records the thread count of each task."""

    def __init__(self, n, seen):
        seen.append(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("call, error, match", [
    (dict(n_jobs=0), ValueError, "n_jobs must be an int >= 1"),
    (dict(n_jobs=1.5), TypeError, "n_jobs must be an int"),
    (dict(backend="spark"), ValueError, "backend must be one of loky, threading"),
    (dict(backend="dask"), ValueError, "backend='dask' needs a running distributed.Client"),
    (dict(scheduler="tcp://x:1", backend="loky"), ValueError, "scheduler= is for backend='dask'"),
    (dict(seed=None), TypeError, "seed must be an int"),
    (dict(seed=-1), ValueError, "seed must be an int >= 0"),
    (dict(tasks="abc"), TypeError, "tasks must be an int"),
    (dict(tasks=[{"scale": 1.0}, 3]), TypeError, r"tasks\[1\] must be a dict"),
    (dict(tasks=[{"scale": 1.0, "seed": 3}]), ValueError, r"tasks\[0\] must not set \['seed'\]"),
    (dict(tasks=-2), ValueError, "tasks must be an int >= 0"),
    (dict(fn=3), TypeError, "fn must be callable"),
    (dict(progress="yes"), TypeError, "progress must be True or False"),
])
def test_bad_arguments(call, error, match):
    kwargs = {"fn": draw, "tasks": TASKS, "seed": 1, **call}
    with pytest.raises(error, match=match):
        run(kwargs.pop("fn"), kwargs.pop("tasks"), **kwargs)


def test_unpicklable_function_suggests_threading():
    lock = threading.Lock()

    def closure(seed):
        return lock.locked()

    with pytest.raises(TypeError, match="cannot be pickled for the 'loky'.*backend='threading'"):
        run(closure, 2, seed=0, n_jobs=2)
    assert list(run(closure, 2, seed=0, n_jobs=2, backend="threading")["result"]) == [False] * 2


def test_unsupported_output_is_a_task_error():
    with pytest.raises(TaskError, match="a task must return a scalar"):
        run(lambda seed: np.zeros(3), 1, seed=0)


def test_checkpoint_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="checkpoint must be a file path"):
        run(draw, TASKS, seed=1, checkpoint=tmp_path)


def test_gmm_vs_kmeans_study_is_identical_on_every_backend():
    """The issue's acceptance test: the same 8-simulation table serially, on two loky
    processes, on threads and on a real two-process Dask cluster."""
    distributed = pytest.importorskip("distributed")
    from fastnet.studies import gmm_vs_kmeans

    serial = gmm_vs_kmeans(n_sims=8)
    assert_frame_equal(gmm_vs_kmeans(n_sims=8, n_jobs=2), serial)
    assert_frame_equal(gmm_vs_kmeans(n_sims=8, n_jobs=2, backend="threading"), serial)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            assert_frame_equal(gmm_vs_kmeans(n_sims=8, backend="dask"), serial)
