"""fastnet.graph.sbm: distribution, determinism, CSR layout, weights, twin, bad input."""

import sys

import numpy as np
import pytest
import scipy.sparse
from conftest import output_with_threads
from numpy.testing import assert_array_equal

from fastnet.graph import block_labels, feedforward_block_probs, sbm
from fastnet.reference import graph as ref

SBM_MODULE = sys.modules["fastnet.graph.sbm"]


def block_pair_counts(A, sizes, directed):
    """Edges per block pair (upper triangle only for undirected graphs)."""
    A = scipy.sparse.csr_array(A)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    coo = A.tocoo()
    rows, cols = coo.row, coo.col
    if not directed:
        keep = rows <= cols
        rows, cols = rows[keep], cols[keep]
    bi = np.searchsorted(bounds, rows, side="right") - 1
    bj = np.searchsorted(bounds, cols, side="right") - 1
    counts = np.zeros((len(sizes), len(sizes)))
    np.add.at(counts, (bi, bj), 1)
    return counts


def pair_totals(sizes, directed, loops):
    """Number of candidate node pairs per block pair."""
    sizes = np.asarray(sizes, dtype=float)
    pairs = np.outer(sizes, sizes)
    if directed:
        if not loops:
            pairs[np.diag_indices_from(pairs)] -= sizes
    else:
        pairs[np.diag_indices_from(pairs)] = sizes * (sizes - 1) / 2 + (sizes if loops else 0)
        pairs = np.triu(pairs)
    return pairs


def assert_counts_plausible(A, sizes, p, directed, loops):
    counts = block_pair_counts(A, sizes, directed)
    pairs = pair_totals(sizes, directed, loops)
    expected = pairs * p
    sd = np.sqrt(pairs * p * (1 - p))
    mask = pairs > 0
    assert np.all(np.abs(counts - expected)[mask] <= 5 * sd[mask] + 1e-9), (counts, expected)


def assert_csr_canonical(A):
    assert isinstance(A, scipy.sparse.csr_array)
    for r in range(A.shape[0]):
        row = A.indices[A.indptr[r]:A.indptr[r + 1]]
        assert np.all(np.diff(row) > 0)  # sorted, no duplicates
    assert A.indices.size == A.nnz and A.data.size == A.nnz


SIZES = [300, 200, 250]
P = np.array([[0.02, 0.3, 0.001], [0.3, 0.25, 0.05], [0.001, 0.05, 0.1]])
P_DIRECTED = np.array([[0.02, 0.3, 0.001], [0.0, 0.25, 0.05], [0.01, 0.6, 0.1]])


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("loops", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_block_pair_counts_match_expectation(directed, loops, seed):
    p = P_DIRECTED if directed else P
    A = sbm(SIZES, p, directed=directed, loops=loops, sparse=True, seed=seed)
    assert_csr_canonical(A)
    assert_counts_plausible(A, SIZES, p, directed, loops)
    diagonal = A.diagonal()
    if not loops:
        assert not diagonal.any()
    if not directed:
        assert (A != A.T).nnz == 0


def test_loops_are_sampled_when_allowed():
    A = sbm([50, 50], [[1.0, 0.0], [0.0, 1.0]], loops=True, seed=0)
    assert_array_equal(A.diagonal(), 1.0)
    B = sbm([1000], [[0.5]], directed=True, loops=True, sparse=True, seed=0)
    assert 500 - 5 * np.sqrt(250) <= B.diagonal().sum() <= 500 + 5 * np.sqrt(250)


@pytest.mark.parametrize("directed", [False, True])
def test_positions_unbiased_at_segment_edges(directed):
    """The geometric skips restart or carry at every block boundary; each boundary
    column must still be hit with probability p (a biased carry would show here)."""
    sizes, p = [5000, 5000], 0.003
    probs = np.full((2, 2), p)
    A = sbm(sizes, probs, directed=directed, sparse=True, seed=7)
    column_hits = np.bincount(A.indices, minlength=10000)
    candidates = 10000 - 1  # every other node may point at a column
    sd = np.sqrt(candidates * p * (1 - p))
    for col in [0, 4999, 5000, 9999]:
        assert abs(column_hits[col] - candidates * p) <= 5 * sd, col
    # the first sampled neighbour of row r is r + 1 (undirected) as often as any other
    first_after_row = np.array([(A.indices[A.indptr[r]:A.indptr[r + 1]] == r + 1).any()
                                for r in range(9999)])
    assert abs(first_after_row.sum() - 9999 * p) <= 5 * np.sqrt(9999 * p * (1 - p))


def test_sparse_probabilities_at_scale():
    sizes = [200_000] * 5
    p = feedforward_block_probs(5, 1e-6, 4e-6, 3e-6)
    A = sbm(sizes, p, directed=True, sparse=True, seed=3)
    assert A.shape == (10**6, 10**6) and A.indices.dtype == np.int32
    assert_counts_plausible(A, sizes, p, True, False)


def test_same_seed_same_graph_any_thread_count():
    code = """
        import hashlib
        from fastnet.graph import sbm, feedforward_block_probs
        A = sbm([30_000] * 4, feedforward_block_probs(4, 1e-4, 5e-4, 3e-1) * 0.01,
                directed=True, sparse=True, seed=11)
        U = sbm([3_000] * 3, [[0.3, 0.01, 0.0], [0.01, 0.2, 0.001], [0.0, 0.001, 0.05]],
                sparse=True, seed=12)
        h = hashlib.sha256()
        for M in (A, U):
            for arr in (M.indptr, M.indices, M.data):
                h.update(arr.tobytes())
        print(h.hexdigest())
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


def test_seeds():
    a = sbm([500, 500], P[:2, :2], sparse=True, seed=5)
    b = sbm([500, 500], P[:2, :2], sparse=True, seed=5)
    c = sbm([500, 500], P[:2, :2], sparse=True, seed=6)
    assert (a != b).nnz == 0 and (a != c).nnz > 0
    d = sbm([500, 500], P[:2, :2], sparse=True, seed=np.random.SeedSequence(5))
    assert (a != d).nnz == 0


@pytest.mark.no_jit
@pytest.mark.parametrize("directed", [False, True])
def test_dense_equals_sparse(directed):
    p = P_DIRECTED if directed else P
    kwargs = dict(directed=directed, wt=np.random.poisson, wtargs=dict(lam=4), seed=9)
    dense = sbm(SIZES, p, **kwargs)
    sparse = sbm(SIZES, p, sparse=True, **kwargs)
    assert dense.dtype == np.float64 and isinstance(dense, np.ndarray)
    assert_array_equal(dense, sparse.toarray())


def test_perfect_feedforward_equals_twin():
    """p in {0, 1}: no randomness, so the fast sampler and the twin must agree exactly."""
    sizes = [50] * 5
    p = feedforward_block_probs(5, 0.0, 0.0, 1.0)
    A, labels = sbm(sizes, p, directed=True, return_labels=True, seed=1)
    B, ref_labels = ref.sbm(sizes, p, directed=True, return_labels=True, seed=2)
    assert_array_equal(A, B)
    assert_array_equal(labels, ref_labels)
    full = feedforward_block_probs(3, 1.0, 1.0, 0.0)
    full = np.maximum(full, full.T)
    assert_array_equal(sbm([4, 3, 5], full, seed=0), ref.sbm([4, 3, 5], full, seed=0))


@pytest.mark.parametrize("directed", [False, True])
def test_agrees_with_twin_in_distribution(directed):
    p = P_DIRECTED if directed else P
    fast = np.mean([block_pair_counts(sbm(SIZES, p, directed=directed, sparse=True, seed=s),
                                      SIZES, directed) for s in range(4)], axis=0)
    twin = np.mean([block_pair_counts(ref.sbm(SIZES, p, directed=directed, seed=s),
                                      SIZES, directed) for s in range(4)], axis=0)
    pairs = pair_totals(SIZES, directed, False)
    sd = np.sqrt(pairs * p * (1 - p) / 4 * 2)  # difference of two means of 4 draws
    assert np.all(np.abs(fast - twin) <= 5 * sd + 1e-9)


@pytest.mark.no_jit
def test_constant_and_block_weights():
    A = sbm([100, 100], [[0.2, 0.1], [0.1, 0.3]], wt=2.5, sparse=True, seed=0)
    assert_array_equal(np.unique(A.data), [2.5])
    wt = np.array([[1.0, 2.0], [3.0, 4.0]])
    B = sbm([100, 100], [[0.2, 0.1], [0.1, 0.3]], directed=True, wt=wt, seed=0)
    labels = block_labels([100, 100])
    for i in range(2):
        for j in range(2):
            block = B[np.ix_(labels == i, labels == j)]
            assert_array_equal(np.unique(block[block != 0]), [wt[i, j]])
    S = sbm([100, 100], [[0.2, 0.1], [0.1, 0.3]], directed=True, wt=wt, sparse=True, seed=0)
    assert_array_equal(S.toarray(), B)  # per-edge block weights written into the CSR


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint16, np.float32])
def test_value_dtype_stores_the_same_graph_in_fewer_bytes(dtype, directed):
    sizes, p = [60, 40], [[0.3, 0.05], [0.05, 0.2]]
    reference = sbm(sizes, p, directed=directed, sparse=True, seed=3)
    A = sbm(sizes, p, directed=directed, sparse=True, seed=3, dtype=dtype)
    assert A.dtype == np.dtype(dtype) and A.data.itemsize == np.dtype(dtype).itemsize
    assert_array_equal(A.indptr, reference.indptr)
    assert_array_equal(A.indices, reference.indices)
    assert_array_equal(A.data.astype(np.float64), reference.data)
    dense = sbm(sizes, p, directed=directed, seed=3, dtype=dtype)
    assert dense.dtype == np.dtype(dtype)
    assert_array_equal(dense.astype(np.float64), reference.toarray())


def test_value_dtype_holds_drawn_and_block_weights():
    sizes, p = [60, 40], [[0.3, 0.05], [0.05, 0.2]]
    kwargs = dict(wt=np.random.poisson, wtargs=dict(lam=3.0), sparse=True, seed=4)
    assert_array_equal(sbm(sizes, p, dtype=np.int16, **kwargs).data,
                       sbm(sizes, p, **kwargs).data)
    wt = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_array_equal(sbm(sizes, p, directed=True, wt=wt, seed=0, dtype=np.int8),
                       sbm(sizes, p, directed=True, wt=wt, seed=0))
    halves = sbm(sizes, p, wt=0.1, sparse=True, seed=0, dtype=np.float32)
    assert_array_equal(np.unique(halves.data), [np.float32(0.1)])  # floats round


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(wt=2.5, dtype=np.int8), ValueError, "wt: weight 2.5 cannot be stored as int8"),
    (dict(wt=1e39, dtype=np.float32), ValueError, "weight 1e\\+39 cannot be stored as float32"),
    (dict(wt=np.random.normal, dtype=np.bool_), ValueError, r"wt\[0, 0\]: weight .* bool"),
    (dict(wt=300, dtype=np.int8, sparse=False), ValueError, "cannot be stored as int8"),
    (dict(dtype="abc"), TypeError, "dtype must be a NumPy bool, integer or floating"),
    (dict(dtype=np.complex128), TypeError, "dtype must be a NumPy bool, integer or"),
    (dict(dtype=object), TypeError, "dtype must be a NumPy bool, integer or floating"),
])
def test_value_dtype_bad_input(kwargs, error, match):
    args = dict(sparse=True, seed=1)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        sbm([10, 10], [[0.3, 0.2], [0.2, 0.3]], **args)


@pytest.mark.no_jit
def test_weight_functions_follow_their_distribution():
    sizes, p = [400, 400], [[0.3, 0.2], [0.2, 0.3]]
    A = sbm(sizes, p, wt=np.random.poisson, wtargs=dict(lam=3.0), sparse=True, seed=4)
    upper = scipy.sparse.triu(A, 1).data  # independent draws (lower half mirrors them)
    assert abs(upper.mean() - 3.0) <= 5 * np.sqrt(3.0 / upper.size)
    B = sbm(sizes, p, wt=np.random.poisson, wtargs=dict(lam=3.0), sparse=True, seed=4)
    assert_array_equal(A.data, B.data)  # global-state functions are re-seeded
    # one function per block pair; edges drawn as zero weight stay stored as 0 entries
    wt = np.array([[np.random.normal, np.random.uniform]] * 2, dtype=object)
    wtargs = np.array([[dict(loc=10.0, scale=1.0), dict(low=0.0, high=1.0)]] * 2, dtype=object)
    C = sbm(sizes, np.array(p), directed=True, wt=wt, wtargs=wtargs, seed=1)
    labels = block_labels(sizes)
    normal_block = C[np.ix_(labels == 0, labels == 0)]
    uniform_block = C[np.ix_(labels == 0, labels == 1)]
    assert 9.5 < normal_block[normal_block != 0].mean() < 10.5
    assert 0.0 < uniform_block[uniform_block != 0].max() < 1.0


def test_weights_are_drawn_per_row_chunk_in_block_pair_order():
    """The documented rule, step by step: chunk c of rows seeds a RandomState from the
    c-th child of the weight seed (sbm's second child of ``seed``) and draws, block pair
    by block pair in row-major order, that pair's edges of the chunk in row-major edge
    order."""
    from fastnet.graph.sbm import _chunk_rows
    from fastnet.random import as_seed_sequence, spawn_seeds, spawn_sequences

    sizes, p = [300, 500], [[0.05, 0.02], [0.03, 0.04]]
    A = sbm(sizes, p, directed=True, wt=np.random.poisson, wtargs=dict(lam=4.0),
            sparse=True, seed=12)
    rows_per_chunk = _chunk_rows(800)
    seeds = spawn_seeds(spawn_sequences(as_seed_sequence(12), 2)[1], -(-800 // rows_per_chunk))
    blocks = block_labels(sizes)
    expected = np.empty_like(A.data)
    for c, seed in enumerate(seeds):
        state = np.random.RandomState([int(seed) & 0xFFFFFFFF, int(seed) >> 32])
        first, last = A.indptr[c * rows_per_chunk], A.indptr[min(800, (c + 1) * rows_per_chunk)]
        edges = np.arange(first, last)
        row_of = np.searchsorted(A.indptr, edges, side="right") - 1
        for i in range(2):
            for j in range(2):
                mine = edges[(blocks[row_of] == i) & (blocks[A.indices[edges]] == j)]
                if mine.size:
                    expected[mine] = state.poisson(size=mine.size, lam=4.0)
    assert_array_equal(A.data, expected)


def test_generator_methods_are_used_as_given():
    generator = np.random.default_rng(0)
    A = sbm([200], [[0.5]], wt=generator.exponential, wtargs=dict(scale=2.0), sparse=True,
            seed=0)
    assert abs(scipy.sparse.triu(A).data.mean() - 2.0) < 0.3


def test_slot_overflow_reruns_to_the_same_graph(monkeypatch):
    expected = sbm(SIZES, P, sparse=True, seed=3)
    monkeypatch.setattr(SBM_MODULE, "SLOT_SIGMAS", -100.0)  # every slot too small
    monkeypatch.setattr(SBM_MODULE, "SLOT_PAD", 0.0)
    again = sbm(SIZES, P, sparse=True, seed=3)
    assert (expected != again).nnz == 0
    assert_csr_canonical(again)


def test_empty_and_zero_size_blocks():
    A, labels = sbm([3, 0, 2], np.full((3, 3), 1.0), return_labels=True, seed=0)
    assert A.shape == (5, 5) and A.sum() == 5 * 4
    assert_array_equal(labels, [0, 0, 0, 2, 2])
    E = sbm([0], [[0.5]], sparse=True, seed=0)
    assert E.shape == (0, 0) and E.nnz == 0


def test_degree_correction_dense():
    sizes = [200, 200]
    dc = np.where(np.arange(400) % 2 == 0, 3.0, 1.0)
    dc = dc / np.concatenate([np.full(200, dc[:200].sum()), np.full(200, dc[200:].sum())])
    A = sbm(sizes, [[0.2, 0.05], [0.05, 0.2]], dc=dc, seed=0)
    degree = A.sum(axis=1)
    assert 2.0 < degree[::2].mean() / degree[1::2].mean() < 4.0
    assert (A == A.T).all() and not A.diagonal().any()
    with pytest.warns(UserWarning, match="normalizing"):
        sbm(sizes, [[0.2, 0.05], [0.05, 0.2]], dc=np.ones(400), seed=0)
    B = sbm(sizes, [[0.2, 0.05], [0.05, 0.2]], dc=np.random.exponential, seed=2)
    C = sbm(sizes, [[0.2, 0.05], [0.05, 0.2]], dc=np.random.exponential, seed=2)
    assert_array_equal(B, C)
    D = sbm(sizes, [[0.2, 0.05], [0.05, 0.2]], dc=[np.random.exponential, np.random.uniform],
            dc_kws=[dict(scale=1.0), dict(low=1.0, high=2.0)], seed=2)
    assert D.shape == (400, 400)


def test_helpers_match_twins():
    assert_array_equal(feedforward_block_probs(5, 0.05, 0.2, 0.3),
                       ref.feedforward_block_probs(5, 0.05, 0.2, 0.3))
    assert_array_equal(block_labels([3, 1, 2]), ref.block_labels([3, 1, 2]))
    assert block_labels([3, 1, 2]).dtype == np.int64


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(p=[[0.1, 1.2], [1.2, 0.1]]), ValueError, "p must hold probabilities in"),
    (dict(p=[[0.1, -0.1], [-0.1, 0.1]]), ValueError, "p must hold probabilities in"),
    (dict(p=[[0.1, np.nan], [np.nan, 0.1]]), ValueError, "p must contain only finite"),
    (dict(p=[[0.1, 0.2, 0.3]]), ValueError, r"p must have shape len\(n\) x len\(n\)"),
    (dict(p=[[0.1, 0.2], [0.3, 0.1]]), ValueError, "p must be symmetric when directed=False"),
    (dict(p="abc"), TypeError, "p must be a 2x2 array"),
    (dict(n=[10, -1]), ValueError, "n must hold block sizes >= 0"),
    (dict(n=[10, 2.5]), TypeError, "n must hold whole numbers"),
    (dict(n=10), TypeError, "n must be a list or array of block sizes"),
    (dict(n=[[10, 10]]), ValueError, "n must be a non-empty 1-D list"),
    (dict(directed="yes"), TypeError, "directed must be True or False"),
    (dict(loops=1), TypeError, "loops must be True or False"),
    (dict(sparse=None), TypeError, "sparse must be True or False"),
    (dict(seed=-1), ValueError, "seed must be an int >= 0"),
    (dict(wt=np.nan), ValueError, "wt must be finite"),
    (dict(wt=[[1.0, 2.0], [3.0, 1.0]]), ValueError, "wt must be symmetric"),
    (dict(wt=[[1.0, 2.0]]), ValueError, "wt must be a number, a function or a len"),
    (dict(wt=np.random.poisson, wtargs=[1]), TypeError, "wtargs must be a dict"),
    (dict(wt=lambda size: np.ones(size + 1)), ValueError, r"wt\[0, 0\]\(size="),
    (dict(dc=np.ones(20), sparse=True), NotImplementedError, "dc .* dense output only"),
    (dict(dc=np.ones(5)), ValueError, "dc must have one weight per node"),
    (dict(dc=-np.ones(20)), ValueError, "dc must give finite, non-negative"),
])
def test_bad_input(kwargs, error, match):
    args = dict(n=[10, 10], p=[[0.1, 0.2], [0.2, 0.1]])
    args.update(kwargs)
    with pytest.raises(error, match=match):
        sbm(args.pop("n"), args.pop("p"), **args)


def test_dense_output_too_large_is_refused_before_allocating():
    with pytest.raises(ValueError, match="pass sparse=True"):
        sbm([10**6, 10**6], np.full((2, 2), 1e-6))


@pytest.mark.parametrize("args,error,match", [
    ((0, 0.1, 0.2, 0.3), ValueError, "n_blocks must be >= 1"),
    ((2.0, 0.1, 0.2, 0.3), TypeError, "n_blocks must be an int"),
    ((3, 1.5, 0.2, 0.3), ValueError, "low_p must be a probability"),
    ((3, 0.1, "x", 0.3), TypeError, "diag_p must be a probability"),
    ((3, 0.1, 0.2, -0.3), ValueError, "feedforward_p must be a probability"),
])
def test_feedforward_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        feedforward_block_probs(*args)


def test_block_labels_bad_input():
    with pytest.raises(ValueError, match="sizes must hold block sizes >= 0"):
        block_labels([1, -2])


@pytest.mark.parametrize("directed", [True, False])
def test_peak_memory_is_a_small_multiple_of_the_csr_output(directed):
    """Sampling writes CSR directly: besides the output, only chunk slots (a few percent)
    and, for undirected graphs, the upper triangle before mirroring (half the output)."""
    import tracemalloc

    p = feedforward_block_probs(5, 1e-4, 3e-4, 3e-4)
    p = p if directed else np.maximum(p, p.T)
    sbm([100] * 5, p, directed=directed, sparse=True, seed=0)  # compile outside the trace
    tracemalloc.start()
    try:
        A = sbm([40_000] * 5, p, directed=directed, sparse=True, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    output = A.data.nbytes + A.indices.nbytes + A.indptr.nbytes
    assert A.nnz > 10**6
    assert peak <= (1.2 if directed else 1.8) * output


@pytest.mark.no_jit
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, bool])
def test_constant_weights_equal_numpys_fill(dtype):
    """Constant edge values are written by a parallel fill above PARALLEL_MIN_WORK
    elements: the same array as np.full, below and above it (a remainder chunk too)."""
    from fastnet._jit import PARALLEL_MIN_WORK
    from fastnet.graph.sbm_weights import FILL_CHUNK, constant_values

    for size in (0, 7, PARALLEL_MIN_WORK, 3 * FILL_CHUNK + 5):
        for value in (1, 2.5):
            expected = np.full(size, value, dtype=dtype)
            got = constant_values(size, value, dtype)
            assert got.dtype == expected.dtype
            assert_array_equal(got, expected)
