"""fastnet.graph.sharded_sbm on a real distributed.LocalCluster (2 worker processes):
the same graph as sbm, bit for bit, for any number of shards; statistics computed on
the workers; a lost worker; bad input."""

import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from fastnet.graph import feedforward_block_probs, sbm, sharded_sbm, signal_flow

distributed = pytest.importorskip("distributed")

SIZES = [40_000, 35_000, 25_000]  # 10^5 nodes
P = np.array([[3e-4, 5e-5, 1e-5], [5e-5, 2e-4, 4e-5], [1e-5, 4e-5, 5e-4]])
BLOCK_WEIGHTS = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def assert_same_csr(A, B):
    assert A.shape == B.shape and A.dtype == B.dtype
    for name in ("indptr", "indices", "data"):
        a, b = getattr(A, name), getattr(B, name)
        assert a.dtype == b.dtype, name
        assert_array_equal(a, b)


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("loops", [False, True])
def test_same_graph_as_sbm_for_any_shards(client, directed, loops):
    expected = sbm(SIZES, P, directed=directed, loops=loops, sparse=True, seed=5)
    for n_shards in (None, 1, 7):
        G = sharded_sbm(SIZES, P, directed=directed, loops=loops, seed=5, n_shards=n_shards,
                        client=client)
        assert len(G.shards) == (4 if n_shards is None else n_shards)  # 2 per thread
        assert G.n_nodes == 10**5 and G.n_edges == expected.nnz
        assert_same_csr(G.to_scipy(), expected)


@pytest.mark.parametrize("wt,dtype", [(BLOCK_WEIGHTS, np.int8), (2.5, np.float32),
                                      (1, np.bool_)])
def test_weights_and_value_dtypes(client, wt, dtype):
    expected = sbm(SIZES, P, wt=wt, sparse=True, seed=9, dtype=dtype)
    G = sharded_sbm(SIZES, P, wt=wt, seed=9, n_shards=3, dtype=dtype, client=client)
    assert_same_csr(G.to_scipy(), expected)


@pytest.mark.parametrize("directed", [True, False])
def test_weight_functions_draw_the_same_weights_in_any_shard(client, directed):
    """np.random functions draw per row chunk from the chunk's own seed: a shard draws
    its chunks' weights, the same as sbm's, whatever the shards (here with per-pair
    functions, numbers and arguments, and an integer dtype)."""
    wt = [[np.random.poisson, 2.0, np.random.normal], [2.0, np.random.exponential, 1.0],
          [np.random.normal, 1.0, np.random.poisson]]
    wtargs = [[dict(lam=3), {}, dict(loc=5.0)], [{}, dict(scale=2.0), {}],
              [dict(loc=5.0), {}, dict(lam=7)]]
    expected = sbm(SIZES, P, directed=directed, wt=wt, wtargs=wtargs, sparse=True, seed=3)
    assert len(np.unique(expected.data)) > 1000  # drawn, not constant
    for n_shards in (1, 5):
        G = sharded_sbm(SIZES, P, directed=directed, wt=wt, wtargs=wtargs, seed=3,
                        n_shards=n_shards, client=client)
        assert_same_csr(G.to_scipy(), expected)
    counts = sbm(SIZES, P, wt=np.random.poisson, wtargs=dict(lam=3.0), sparse=True, seed=3,
                 dtype=np.int16)
    assert_same_csr(sharded_sbm(SIZES, P, wt=np.random.poisson, wtargs=dict(lam=3.0),
                                seed=3, n_shards=3, dtype=np.int16, client=client).to_scipy(),
                    counts)


@pytest.mark.parametrize("directed", [True, False])
def test_statistics_computed_on_the_workers(client, directed):
    G = sharded_sbm(SIZES, P, directed=directed, loops=True, seed=2, n_shards=5,
                    client=client)
    A = sbm(SIZES, P, directed=directed, loops=True, sparse=True, seed=2)
    labels = G.labels()
    assert_array_equal(labels, np.repeat([0, 1, 2], SIZES))
    pattern = (A != 0).astype(np.int64)
    counts = [[pattern[labels == i][:, labels == j].nnz for j in range(3)] for i in range(3)]
    assert_array_equal(G.block_pair_counts(), counts)
    degrees = client.gather(G.degrees())
    assert [d.size for d in degrees] == [stop - start for start, stop in G.shard_rows]
    assert_array_equal(np.concatenate(degrees), np.diff(A.indptr))


def test_a_lost_worker_gives_the_same_graph(client):
    G = sharded_sbm(SIZES, P, seed=4, n_shards=6, client=client)
    holders = {w for ws in client.who_has(G.shards).values() for w in ws}
    victim = sorted(holders)[0]
    # the worker process dies with its shards; its nanny starts a fresh one and the
    # scheduler recomputes the lost shards from their chunk seeds
    with pytest.raises(Exception):  # noqa: B017 - the connection dies with the worker
        client.run(os._exit, 1, workers=[victim])
    assert_same_csr(G.to_scipy(), sbm(SIZES, P, sparse=True, seed=4))


def test_a_worker_lost_while_sampling_gives_the_same_graph(client, tmp_path):
    """A worker process dies inside a sampling task (the first task to start, on either
    worker, exits the process); the scheduler runs the task again on a live worker,
    from the same chunk seeds: the same graph."""
    marker = str(tmp_path / "crashed")

    def crash_in_the_first_task():  # sent by value: a local function
        import os

        from fastnet.graph import sharded

        original = sharded._sample_shard

        def sample_or_crash(*args):
            try:  # exactly one task, on one worker, creates the marker and dies
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return original(*args)
            os._exit(1)

        sample_or_crash.original = original
        sharded._sample_shard = sample_or_crash

    def restore():
        from fastnet.graph import sharded

        sharded._sample_shard = getattr(sharded._sample_shard, "original",
                                        sharded._sample_shard)

    client.run(crash_in_the_first_task)
    try:
        G = sharded_sbm(SIZES, P, seed=6, n_shards=6, client=client)
        assert_same_csr(G.to_scipy(), sbm(SIZES, P, sparse=True, seed=6))
        assert os.path.exists(marker)  # a worker did die mid-task
    finally:
        client.run(restore)


@pytest.mark.parametrize("dtype", [np.float64, np.bool_])
def test_signal_flow_of_a_sharded_graph_equals_one_machine(client, dtype):
    sizes, p = [20_000] * 5, feedforward_block_probs(5, 2e-5, 2e-4, 2e-4)
    expected = signal_flow(sbm(sizes, p, directed=True, sparse=True, seed=3, dtype=dtype))
    for n_shards in (1, 6):
        G = sharded_sbm(sizes, p, directed=True, seed=3, n_shards=n_shards, dtype=dtype,
                        client=client)
        z = signal_flow(G)
        assert np.abs(z - expected).max() <= 1e-8 * np.abs(expected).max()
    block_means = [z[G.labels() == b].mean() for b in range(5)]
    assert np.all(np.diff(block_means) < 0)  # the chain's order


def test_signal_flow_of_a_sharded_graph_centres_each_component(client):
    # blocks 0-1 and block 2 are not connected, and block 3's p leaves isolated nodes
    p = np.array([[2e-3, 4e-3, 0, 0], [1e-3, 2e-3, 0, 0], [0, 0, 5e-3, 0], [0, 0, 0, 2e-4]])
    sizes = [2_000, 1_500, 800, 1_000]
    A = sbm(sizes, p, directed=True, sparse=True, seed=7)
    assert (np.diff(A.indptr) + np.bincount(A.indices, minlength=A.shape[0]) == 0).any()
    z = signal_flow(sharded_sbm(sizes, p, directed=True, seed=7, n_shards=5, client=client))
    expected = signal_flow(A)
    assert np.abs(z - expected).max() <= 1e-8 * np.abs(expected).max()
    assert abs(z[:3_500].mean()) < 1e-10 and abs(z[3_500:4_300].mean()) < 1e-10


def test_signal_flow_of_a_sharded_graph_warns_when_cg_stops_short(client):
    from sklearn.exceptions import ConvergenceWarning

    p = feedforward_block_probs(3, 1e-4, 1e-3, 1e-3)
    G = sharded_sbm([3_000] * 3, p, directed=True, seed=0, n_shards=2, client=client)
    with pytest.warns(ConvergenceWarning, match="max_iter=2 "):
        z = signal_flow(G, max_iter=2)
    assert abs(z.mean()) < 1e-12  # still centred


def test_signal_flow_of_an_undirected_sharded_graph_is_zero(client):
    G = sharded_sbm(SIZES, P, seed=1, client=client)
    assert_array_equal(signal_flow(G), np.zeros(G.n_nodes))
    with pytest.raises(ValueError, match="method must be 'auto' or 'sparse'"):
        signal_flow(G, method="dense")


def test_signal_flow_study_sharded_gives_the_one_machine_table(client, tmp_path):
    from fastnet.studies import signal_flow_separation

    kwargs = dict(n_blocks=3, block_size=[400, 600], n_sims=2, seed=5)
    one_machine = signal_flow_separation(**kwargs)
    sharded = signal_flow_separation(**kwargs, sharded=True)  # the current client
    assert_array_equal(sharded["seed"], one_machine["seed"])
    np.testing.assert_allclose(sharded["mean"], one_machine["mean"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(sharded["separation"], one_machine["separation"], rtol=0,
                               atol=1e-3)  # P(z_i > z_j): a near-tie may flip
    from fastnet.cli import main

    address = client.scheduler.address
    with pytest.raises(ValueError, match="leave n_jobs"):
        signal_flow_separation(**kwargs, sharded=True, n_jobs=2)
    import pandas as pd

    args = ["study", "signal-flow", "--n-blocks", "3", "--block-size", "300", "--seed", "4"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    assert main([*args, "--sharded", "--scheduler", address, "--out",
                 str(tmp_path / "sharded")]) == 0
    tables = [pd.read_csv(tmp_path / out / "signal_flow.csv") for out in ("one", "sharded")]
    np.testing.assert_allclose(tables[1]["mean"], tables[0]["mean"], rtol=0, atol=1e-8)


@pytest.mark.no_jit
def test_shard_laplacian_rows_times_a_vector():
    import scipy.sparse

    from fastnet.graph.sharded_flow import _laplacian_rows_times

    rng = np.random.default_rng(0)
    W = scipy.sparse.random(12, 12, density=0.3, random_state=1, format="csr")
    W = (W + W.T).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    degree = np.asarray(W.sum(axis=1)).ravel()
    p = rng.standard_normal(12)
    expected = degree * p - W @ p
    rows = W[4:9]  # a shard: rows 4 .. 8, columns global
    out = np.empty(5)
    _laplacian_rows_times(rows.indptr, rows.indices, rows.data, degree[4:9], 4, p, out)
    np.testing.assert_allclose(out, expected[4:9], rtol=1e-12, atol=1e-12)


def test_bad_input(client):
    with pytest.raises(ValueError, match="n_shards must be >= 1"):
        sharded_sbm(SIZES, P, seed=0, n_shards=0, client=client)
    generator = np.random.default_rng(0)  # a weight function with its own state
    with pytest.raises(NotImplementedError, match="np.random.<name> functions"):
        sharded_sbm(SIZES, P, wt=generator.exponential, seed=0, client=client)
    with pytest.raises(NotImplementedError, match="np.random.<name> functions"):
        sharded_sbm(SIZES, P, wt=[[np.random.poisson, 1.0, 1.0], [1.0, 2.0, 1.0],
                                  [1.0, 1.0, lambda size: np.ones(size)]],
                    wtargs=[[{"lam": 3}, {}, {}], [{}, {}, {}], [{}, {}, {}]],
                    directed=True, seed=0, client=client)
    with pytest.raises(ValueError, match="p must hold probabilities"):
        sharded_sbm(SIZES, P * 1e5, seed=0, client=client)
    with pytest.raises(ValueError, match="cannot be stored as int8"):
        sharded_sbm(SIZES, P, wt=2.5, dtype=np.int8, seed=0, client=client)


def test_graphs_too_large_for_the_workers_are_refused_before_sampling():
    with distributed.LocalCluster(n_workers=1, processes=False, memory_limit="100MiB",
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            # ~5 x 10^7 expected edges: ~0.4 GiB of CSR arrays (int32 + float32)
            with pytest.raises(ValueError, match="more than their memory limits"):
                sharded_sbm([10**6], [[1e-4]], directed=True, seed=0, dtype=np.float32)
            assert not client.has_what()[next(iter(client.has_what()))]  # nothing sampled
    with distributed.LocalCluster(n_workers=0, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            with pytest.raises(ValueError, match="has no workers"):
                sharded_sbm([100], [[0.1]], seed=0, client=client)


def test_expected_stored_entries_matches_sampled_counts():
    from fastnet.graph.sharded import expected_stored_entries

    sizes = np.array(SIZES)
    for directed in (True, False):
        for loops in (False, True):
            A = sbm(SIZES, P * 20, directed=directed, loops=loops, sparse=True, seed=1)
            stored = A.nnz if directed else (A.nnz + A.diagonal().astype(bool).sum()) / 2
            expected = expected_stored_entries(sizes, P * 20, directed, loops)
            assert abs(stored - expected) < 5 * np.sqrt(expected)


def test_a_closed_client_or_none_is_refused(monkeypatch):
    with distributed.LocalCluster(n_workers=1, processes=False,
                                  dashboard_address=None) as cluster:
        closed = distributed.Client(cluster)
        closed.close()
        with pytest.raises(ValueError, match="client must be a running"):
            sharded_sbm([100], [[0.1]], seed=0, client=closed)
    def no_client():  # what distributed says when no client exists in the process
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "get_client", no_client)
    with pytest.raises(ValueError, match="needs a Dask client"):
        sharded_sbm([100], [[0.1]], seed=0)
