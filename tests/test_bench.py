"""The comparison table drives these tests: fast == reference twin == peers."""

import io

import numpy as np
import pytest
from conftest import RTOL, assert_case_matches
from numpy.testing import assert_allclose

from fastnet import bench

CASE_DTYPES = [(case, dtype) for case in bench.CASES for dtype in case.dtypes]
IDS = [f"{case.name}-{dtype}" for case, dtype in CASE_DTYPES]


@pytest.mark.parametrize("case,dtype", CASE_DTYPES, ids=IDS)
def test_fast_matches_reference(case, dtype):
    assert_case_matches(case, dtype, case.inputs(case.sizes[0], dtype))


@pytest.mark.parametrize("case,dtype", CASE_DTYPES, ids=IDS)
def test_fast_matches_peers(case, dtype):
    args = case.inputs(case.sizes[0], dtype)
    fast = case.fast(*args)
    for label, peer in case.peers().items():
        eps = np.finfo(dtype).eps if np.dtype(dtype).kind == "f" else 1e-15
        assert_allclose(fast, peer(*args), rtol=RTOL[np.dtype(dtype)] * 10, atol=4 * eps,
                        err_msg=label)


def test_inputs_are_reproducible():
    for case in bench.CASES:
        a, b = case.inputs(100, "float64"), case.inputs(100, "float64")
        for x, y in zip(a, b, strict=True):
            if hasattr(x, "toarray"):  # scipy sparse graphs
                x, y = x.toarray(), y.toarray()
            np.testing.assert_array_equal(x, y)


def test_random_cases_compare_catches_a_wrong_sampler():
    case = next(c for c in bench.CASES if c.name == "sbm_sparse")
    sizes, p = case.inputs(case.sizes[0], "float64")
    wrong = case.reference(sizes, p * 1.2)  # 20 % too many edges everywhere
    with pytest.raises(AssertionError):
        case.compare(case.fast(sizes, p), wrong)


def test_select():
    assert [c.name for c in bench.select("softplus")] == ["softplus", "softplus_grad"]
    assert [c.name for c in bench.select("softplus")] == [c.name for c in bench.select("soft*us*")]
    assert bench.select(None) == bench.CASES
    assert bench.select("nothing-matches") == []


def test_select_and_run_take_a_table():
    table = [c for c in bench.CASES if c.name in ("onehot", "softmax")]
    assert bench.select("o", cases=table) == table
    assert bench.select("one*", cases=table) == table[1:]
    with pytest.raises(ValueError, match="matches no case; cases are softmax, onehot$"):
        bench.run("softplus", quiet=True, cases=table)


def test_tolerances_name_the_case_dtypes():
    for case in bench.CASES:
        assert set(case.rtol) | set(case.atol) <= set(case.dtypes), case.name


def test_time_calls_interleaves_the_functions():
    calls = []
    a, b = (lambda *args: calls.append("a")), (lambda *args: calls.append("b"))
    # one loop each; a pause (however short) before each block: no call is reused
    times = bench.time_calls([a, b], (), repeat=3, min_time=0.0, settle=1e-9)
    assert len(times) == 2 and all(t >= 0 for t in times)
    # warm-ups and the calls that count the loops, then rounds in rotating order
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] + ["b", "a"] + ["a", "b"]


def test_time_calls_of_slow_functions_count_the_loop_counting_calls():
    """When every function lasts min_time (one loop each) and nothing pauses between
    blocks, the calls that counted the loops are the first round; without warm-up no
    call goes untimed (a quick run: 3 calls of a slow reference instead of 5)."""
    calls = []
    a, b = (lambda *args: calls.append("a")), (lambda *args: calls.append("b"))
    bench.time_calls([a, b], (), repeat=3, min_time=0.0, settle=0.0)
    assert calls == ["a", "a", "b", "b"] + ["b", "a"] + ["a", "b"]
    calls.clear()
    bench.time_calls([a, b], (), repeat=3, min_time=0.0, settle=0.0, warm_up=False)
    assert calls == ["a", "b"] + ["b", "a"] + ["a", "b"]


def test_time_calls_waits_for_spinning_threads_before_each_block(monkeypatch):
    events = []
    monkeypatch.setattr(bench.harness.time, "sleep", lambda s: events.append(("sleep", s)))
    a, b = (lambda *args: events.append("a")), (lambda *args: events.append("b"))
    bench.time_calls([a, b], (), repeat=2, min_time=0.0, settle=0.25)
    pause = ("sleep", 0.25)
    assert events == ["a", "a", "b", "b"] + [pause, "a", pause, "b", pause, "b", pause, "a"]
    assert bench.harness.SETTLE_SECONDS > 0.1  # OpenBLAS spins about 0.1 s after a call


def test_run_prints_a_row_per_case_and_dtype():
    stream = io.StringIO()
    rows = bench.run("onehot", quick=True, repeat=1, stream=stream)
    assert [(r["case"], r["dtype"]) for r in rows] == [("onehot", "float64"), ("onehot", "float32")]
    assert all(r["speedup"] == r["reference"] / r["fast"] > 0 for r in rows)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("case") and len(lines) == 3
    assert bench.format_table(rows).splitlines()[0] == lines[0]


def test_run_unknown_filter():
    with pytest.raises(ValueError, match="matches no case; cases are softplus"):
        bench.run("nope", quiet=True)


def test_baselines_run():
    for case in bench.CASES:
        args = case.inputs(case.sizes[0] // 10 or 1, case.dtypes[0])
        for baseline in case.baselines().values():
            baseline(*args)  # must accept the case's inputs


@pytest.mark.parametrize("case", bench.CASES, ids=[c.name for c in bench.CASES])
def test_benchmark_fast(benchmark, case):
    """pytest-benchmark: `pytest --benchmark-enable -k benchmark` times every case
    (at the quick size; `fastnet bench` and asv cover the full sizes)."""
    args = case.inputs(case.sizes[0], "float64")
    case.fast(*args)  # compile outside the timing
    benchmark(case.fast, *args)


def test_thread_scaling_rows_and_table():
    from fastnet._threads import max_threads
    from fastnet.bench.threads import format_scaling, parse_thread_counts, run_scaling

    assert parse_thread_counts("2,1,2") == sorted({1, min(2, max_threads())})
    assert parse_thread_counts(f"{max_threads() + 5}") == [max_threads()]
    for bad in ("", "0,1", "a"):
        with pytest.raises(ValueError, match="threads must be"):
            parse_thread_counts(bad)
    # a table of two tiny cases, one with a baseline: the mechanics, not the kernels
    def double(x):
        return 2 * x

    tiny = [bench.Case(name=name, fast=double, reference=double,
                       make_inputs=lambda size, dtype, rng: (np.ones(size, dtype),),
                       baselines=baselines, sizes=(10, 100))
            for name, baselines in (("tiny_a", lambda: {"floor": np.negative}),
                                    ("tiny_b", lambda: {}))]
    counts = sorted({1, max_threads()})
    rows = run_scaling("tiny", [1, max_threads()], quick=True, repeat=1, dtypes=["float32"],
                       quiet=True, cases=tiny)
    assert [r["case"] for r in rows] == ["tiny_a", "tiny_b"]
    assert [set(r["times"]) for r in rows] == [{"fast", "floor"}, {"fast"}]
    for row in rows:
        assert row["size"] == 10 and row["dtype"] == "float32"
        assert all(sorted(t) == counts and min(t.values()) > 0 for t in row["times"].values())
        fast = row["times"]["fast"]
        assert row["scaling"] == {n: fast[counts[0]] / fast[n] for n in counts}
    table = format_scaling(rows).splitlines()
    assert len(table) == 3 and "scaling" in table[0] and table[1].startswith("tiny_a ")
    assert "floor" in table[1] and table[2].rstrip().endswith("-")
    with pytest.raises(ValueError, match="matches no case"):
        run_scaling("nope", [1], quiet=True)


def test_cli_thread_scaling(capsys):
    from fastnet.cli import main

    assert main(["bench", "--quick", "--filter", "onehot", "--repeat", "1",
                 "--threads", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "scaling" in out and "onehot" in out
    assert main(["bench", "--filter", "onehot", "--threads", "x"]) == 2
