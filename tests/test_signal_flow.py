import sys

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
from conftest import output_with_threads
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from fastnet.graph.signal_flow import signal_flow
from fastnet.reference.graph import signal_flow as twin

TOL = 1e-8  # the CG stops at a relative residual of 1e-10; pinv itself rounds at ~1e-13
SPARSE_FORMATS = [scipy.sparse.csr_array, scipy.sparse.csr_matrix, scipy.sparse.coo_array,
                  scipy.sparse.coo_matrix, scipy.sparse.csc_array]


def _module():
    # the module, even if fastnet.graph later re-exports a function of the same name
    return sys.modules["fastnet.graph.signal_flow"]


def _random_digraph(rng, n, p, self_loops=True):
    """Weighted digraph with some reciprocal pairs of equal weight (sign 0) and, if asked,
    self-loops."""
    A = (rng.random((n, n)) < p) * rng.uniform(0.1, 3.0, (n, n))
    equal = np.triu(rng.random((n, n)) < p / 2, 1)
    A.T[equal] = A[equal]
    if not self_loops:
        np.fill_diagonal(A, 0.0)
    return A


def _random_graphs():
    rng = np.random.default_rng(7)
    for n in (2, 3, 10, 57, 200):
        for p in (0.05, 0.3, 0.8):
            for self_loops in (False, True):
                yield _random_digraph(rng, n, p, self_loops)


def _feedforward(n_blocks=5, block_size=20):
    """Every node of block k points to every node of block k + 1, nothing else."""
    block = np.repeat(np.arange(n_blocks), block_size)
    return (block[None, :] == block[:, None] + 1).astype(np.float64), block


def _components_graph(sizes, n_isolated, seed=3):
    """Dense random components of the given sizes plus isolated nodes (one with a
    self-loop), nodes shuffled so components interleave; returns (A, labels)."""
    rng = np.random.default_rng(seed)
    n = sum(sizes) + n_isolated
    A = np.zeros((n, n))
    labels = np.repeat(np.arange(len(sizes) + n_isolated), list(sizes) + [1] * n_isolated)
    start = 0
    for size in sizes:
        block = _random_digraph(rng, size, 0.3)
        chain = np.eye(size, k=1) * 2.0  # keeps the block connected
        A[start:start + size, start:start + size] = block + chain
        start += size
    A[n - 1, n - 1] = 5.0  # a self-loop on an isolated node
    perm = rng.permutation(n)
    return A[np.ix_(perm, perm)], labels[perm]


def _assert_zero_mean_per_component(z, labels):
    for c in np.unique(labels):
        assert abs(z[labels == c].mean()) < 1e-12 * max(1.0, np.abs(z).max())


def _spy_on(monkeypatch, name):
    """Record the matrix size of every call of the dense path's solver ``name``."""
    module = _module()
    original = getattr(module, name)
    sizes = []

    def spy(M, rhs):
        sizes.append(M.shape[0])
        return original(M, rhs)

    monkeypatch.setattr(module, name, spy)
    return sizes


def _spy_on_solves(monkeypatch):
    return _spy_on(monkeypatch, "_refined_solve")


def _spy_on_float64_factorisations(monkeypatch):
    return _spy_on(monkeypatch, "_cholesky_solve")


def test_refined_float32_solve_reaches_float64_accuracy(rng, monkeypatch):
    module = _module()
    float64_calls = _spy_on_float64_factorisations(monkeypatch)
    B = rng.standard_normal((200, 200))
    M = B @ B.T + 200 * np.eye(200)  # well conditioned: float32 + refinement suffices
    x = rng.standard_normal(200)
    solved = module._refined_solve(M.copy(), M @ x)
    assert float64_calls == []
    np.testing.assert_allclose(solved, np.linalg.solve(M, M @ x), rtol=1e-12, atol=1e-12)


def test_refinement_that_stalls_falls_back_to_float64(rng, monkeypatch):
    module = _module()
    float64_calls = _spy_on_float64_factorisations(monkeypatch)
    # two cliques joined by an edge of weight 1e-9: cond(M) ~ 1e11 > 1 / eps_float32
    n = 60
    W = np.zeros((n, n))
    W[:30, :30] = W[30:, 30:] = 1.0
    W[29, 30] = W[30, 29] = 1e-9
    np.fill_diagonal(W, 0.0)
    M = np.diag(W.sum(axis=1)) - W + W.sum() / n**2
    b = rng.standard_normal(n)
    solved = module._refined_solve(M.copy(), b)
    assert float64_calls == [n]
    residual = np.abs(M @ solved - b).max()
    assert residual <= 1e-12 * np.abs(M).sum(axis=1).max() * np.abs(solved).max()


# ---------------------------------------------------------------- against the twin
def test_dense_matches_twin_on_random_digraphs():
    for A in _random_graphs():
        assert_allclose(signal_flow(A), twin(A), rtol=TOL, atol=TOL)


def test_sparse_matches_twin_on_random_digraphs():
    for A in _random_graphs():
        expected = twin(A)
        sparse = scipy.sparse.csr_array(A)
        assert_allclose(signal_flow(sparse), expected, rtol=TOL, atol=TOL)
        assert_allclose(signal_flow(A, method="sparse"), expected, rtol=TOL, atol=TOL)
        assert_allclose(signal_flow(sparse, method="dense"), expected, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("fmt", SPARSE_FORMATS)
@pytest.mark.parametrize("method", ["auto", "sparse", "dense"])
def test_sparse_formats(fmt, method):
    rng = np.random.default_rng(11)
    A = _random_digraph(rng, 80, 0.08)
    assert_allclose(signal_flow(fmt(A), method=method), twin(A), rtol=TOL, atol=TOL)


def test_feedforward_blocks_sit_one_above_the_next():
    A, block = _feedforward()
    expected = twin(A)
    for z in (signal_flow(A), signal_flow(scipy.sparse.csr_array(A))):
        assert_allclose(z, expected, rtol=TOL, atol=TOL)
        heights = np.array([z[block == k].mean() for k in range(5)])
        assert_allclose(np.diff(heights), -1.0, rtol=0, atol=TOL)
        assert_allclose(z, heights[block], rtol=0, atol=TOL)  # constant within a block
        assert abs(z.mean()) < 1e-12


@pytest.mark.parametrize("sizes,n_isolated,solves", [
    ((30, 25), 5, [25, 30]),  # per-component factorisations (splitting halves the flops)
    ((50,), 5, [55]),  # one component + isolated nodes: factorised in place
    ((50, 3), 2, [55]),  # a giant and a small component: in place with block shifts
])
def test_components_and_isolated_nodes(sizes, n_isolated, solves, monkeypatch):
    A, labels = _components_graph(sizes, n_isolated)
    expected = twin(A)
    isolated = np.isin(labels, np.flatnonzero(np.bincount(labels) == 1))
    shapes = _spy_on_solves(monkeypatch)
    for fmt in (np.asarray, scipy.sparse.csr_array):
        z = signal_flow(fmt(A))
        assert_allclose(z, expected, rtol=TOL, atol=TOL)
        _assert_zero_mean_per_component(z, labels)
        assert isolated.sum() == n_isolated and np.all(z[isolated] == 0.0)
    assert sorted(shapes) == solves


def test_whole_graph_cg_then_per_component_centring(monkeypatch):
    """Jacobi-PCG from 0 on all components at once converges to *a* solution of L z = b
    (D^-1/2 b is orthogonal to the null space of D^-1/2 L D^-1/2), which is not the
    minimum-norm one: the preconditioner leaves each component with a non-zero mean, and
    subtracting it gives pinv(L) b."""
    module = _module()
    original = module._pcg
    raw = []

    def spy(work):
        kernel = original(work)

        def run(*args):
            out = kernel(*args)
            raw.append(args[6].copy())  # x, before the wrapper centres it
            return out
        return run

    monkeypatch.setattr(module, "_pcg", spy)
    A, labels = _components_graph((30, 25), 5)
    z = signal_flow(scipy.sparse.csr_array(A))
    L, b = _independent_laplacian_and_b(scipy.sparse.csr_array(A))
    (x,) = raw
    assert np.linalg.norm(L @ x - b) <= 1e-9 * np.linalg.norm(b)
    means = np.array([x[labels == c].mean() for c in range(2)])
    assert np.all(np.abs(means) > 1e-4)
    assert_allclose(z, twin(A), rtol=TOL, atol=TOL)
    for c in range(2):
        assert_allclose(z[labels == c], x[labels == c] - means[c], rtol=0, atol=1e-12)
    assert np.all(x[labels >= 2] == 0.0)  # isolated nodes never move


def test_cholesky_failure_falls_back_to_least_squares(monkeypatch):
    def refuse(M, rhs):
        raise np.linalg.LinAlgError("not positive definite")

    monkeypatch.setattr(_module(), "_cholesky_solve", refuse)
    for sizes, n_isolated in (((30, 25), 5), ((50,), 5)):
        A, labels = _components_graph(sizes, n_isolated)
        z = signal_flow(A)
        assert_allclose(z, twin(A), rtol=TOL, atol=TOL)
        _assert_zero_mean_per_component(z, labels)


def test_self_loops_contribute_nothing():
    rng = np.random.default_rng(5)
    A = _random_digraph(rng, 40, 0.2, self_loops=False)
    looped = A + np.diag(rng.uniform(0.0, 100.0, 40))
    for method in ("dense", "sparse"):
        assert_array_equal(signal_flow(looped, method), signal_flow(A, method))
    assert_allclose(signal_flow(looped), twin(A), rtol=TOL, atol=TOL)


def test_symmetric_graph_has_zero_flow():
    rng = np.random.default_rng(6)
    A = _random_digraph(rng, 30, 0.3)
    A = A + A.T
    for method in ("dense", "sparse"):
        assert_array_equal(signal_flow(A, method), np.zeros(30))


def test_dtypes_orders_and_input_left_alone():
    rng = np.random.default_rng(8)
    A = (_random_digraph(rng, 25, 0.3) * 4).round()
    expected = twin(A)
    for variant in (A.astype(np.int64), A.astype(np.float32), np.asfortranarray(A),
                    A.tolist()):
        z = signal_flow(variant)
        assert z.dtype == np.float64 and z.shape == (25,)
        assert_allclose(z, expected, rtol=TOL, atol=TOL)
    assert_allclose(signal_flow(A > 0), twin((A > 0).astype(float)), rtol=TOL, atol=TOL)
    copy = A.copy()
    sparse = scipy.sparse.csr_array(A)
    sparse_copy = sparse.copy()
    signal_flow(A)
    signal_flow(sparse)
    assert_array_equal(A, copy)
    assert_array_equal(sparse.toarray(), sparse_copy.toarray())


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.float32, np.float64])
def test_sparse_input_is_read_in_place_whatever_its_value_dtype(dtype, monkeypatch):
    from fastnet.graph import _adjacency, feedforward_block_probs, sbm

    p = feedforward_block_probs(4, 0.02, 0.1, 0.2)
    expected = signal_flow(sbm([150] * 4, p, directed=True, sparse=True, seed=1).toarray())
    A = sbm([150] * 4, p, directed=True, sparse=True, seed=1, dtype=dtype)
    shared = _adjacency.as_adjacency(A, copy=False)
    # no O(edges) copy
    assert np.shares_memory(shared.data, A.data) and np.shares_memory(shared.indices, A.indices)
    data, indices = A.data.copy(), A.indices.copy()
    assert_allclose(signal_flow(A), expected, rtol=TOL, atol=TOL)
    assert_array_equal(A.data, data)
    assert_array_equal(A.indices, indices)
    with_zeros = A.astype(np.float64)
    with_zeros.data[::3] = 0.0  # explicitly stored zeros are no edges
    dropped = scipy.sparse.csr_array(with_zeros.toarray())
    assert_allclose(signal_flow(with_zeros), signal_flow(dropped), rtol=TOL, atol=TOL)


def test_scale_invariance():
    rng = np.random.default_rng(9)
    A = _random_digraph(rng, 60, 0.1)
    for method in ("dense", "sparse"):
        assert_allclose(signal_flow(1e6 * A, method), twin(A), rtol=TOL, atol=TOL)


def test_doc_example():
    A = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    for method in ("dense", "sparse"):
        assert_allclose(signal_flow(A, method), [1.0, 0.0, -1.0], rtol=0, atol=1e-12)
    assert_allclose(signal_flow(np.array([[0.0, 2.0], [0.0, 0.0]])), [0.5, -0.5], atol=1e-15)


def test_empty_graph_gives_empty_flows():
    for A in (np.zeros((0, 0)), scipy.sparse.csr_array((0, 0))):
        for method in ("auto", "dense", "sparse"):
            z = signal_flow(A, method)
            assert z.shape == (0,) and z.dtype == np.float64
    assert_array_equal(signal_flow(np.zeros((4, 4))), np.zeros(4))
    assert_array_equal(signal_flow(scipy.sparse.csr_array((4, 4))), np.zeros(4))


# ---------------------------------------------------------------- large sparse graphs
def _independent_laplacian_and_b(A):
    """L and b built with scipy from the definition (W_ii cancels in D - W)."""
    W = (A + A.T) / 2
    L = scipy.sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    b = np.asarray(W.multiply((A - A.T).sign()).sum(axis=1)).ravel()
    return L, b


def test_large_sparse_random_digraph_residual():
    rng = np.random.default_rng(12)
    n, m = 20_000, 200_000
    rows, cols = rng.integers(0, n - 10, m), rng.integers(0, n - 10, m)
    weights = rng.uniform(0.5, 2.0, m)
    # a separate 4-node chain and 6 isolated nodes at the end
    rows = np.concatenate([rows, [n - 10, n - 9, n - 8]])
    cols = np.concatenate([cols, [n - 9, n - 8, n - 7]])
    weights = np.concatenate([weights, [1.0, 1.0, 1.0]])
    A = scipy.sparse.coo_array((weights, (rows, cols)), shape=(n, n)).tocsr()
    A.sum_duplicates()
    z = signal_flow(A)
    L, b = _independent_laplacian_and_b(A)
    assert np.linalg.norm(L @ z - b) <= 1e-8 * np.linalg.norm(b)
    n_components, labels = scipy.sparse.csgraph.connected_components(A, directed=True,
                                                                     connection="weak")
    assert n_components == 8
    _assert_zero_mean_per_component(z, labels)
    assert np.all(z[n - 6:] == 0.0)
    assert_allclose(z[n - 10:n - 6], [1.5, 0.5, -0.5, -1.5], rtol=0, atol=1e-8)


def test_deterministic_for_any_number_of_threads():
    code = """
        import hashlib
        import numpy as np, scipy.sparse
        from fastnet.graph.signal_flow import signal_flow
        rng = np.random.default_rng(4)
        n = 30_000
        rows, cols = rng.integers(0, n, 150_000), rng.integers(0, n, 150_000)
        A = scipy.sparse.csr_array((rng.uniform(0.5, 2.0, rows.size), (rows, cols)),
                                   shape=(n, n))
        z = signal_flow(A)
        print(hashlib.sha256(z.tobytes()).hexdigest())
        D = (rng.random((400, 400)) < 0.1) * rng.uniform(0.5, 2.0, (400, 400))
        print(hashlib.sha256(signal_flow(D).tobytes()).hexdigest())
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


def test_non_convergence_warns_and_returns_centred_flows():
    rng = np.random.default_rng(13)
    A = scipy.sparse.csr_array(_random_digraph(rng, 200, 0.03, self_loops=False))
    with pytest.warns(ConvergenceWarning, match="max_iter=1 "):
        z = signal_flow(A, max_iter=1)
    assert np.isfinite(z).all()
    labels = scipy.sparse.csgraph.connected_components(A, connection="weak")[1]
    _assert_zero_mean_per_component(z, labels)
    with pytest.warns(ConvergenceWarning, match="did not reach tol=1e-30"):
        signal_flow(A, tol=1e-30, max_iter=50)
    assert_allclose(signal_flow(A, max_iter=10_000, tol=1e-12), twin(A), rtol=TOL, atol=TOL)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad,error,message", [
    (np.ones((3, 4)), ValueError, "A must be a square matrix"),
    (np.ones(3), ValueError, "A must be 2-D"),
    (np.ones((2, 2, 2)), ValueError, "A must be 2-D"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, "A must contain only finite"),
    (np.array([[0.0, np.inf], [1.0, 0.0]]), ValueError, "A must contain only finite"),
    (np.array([[0.0, -1.0], [1.0, 0.0]]), ValueError, "A must have non-negative weights"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "A must hold real numbers"),
    (np.array([[0j, 1j], [1j, 0j]]), TypeError, "A must hold real numbers"),
    ([[0, 1], [1]], TypeError, "A must be an array of real numbers"),
    (scipy.sparse.csr_array(np.ones((3, 4))), ValueError, "A must be a square matrix"),
    (scipy.sparse.coo_array(np.ones(3)), ValueError, "A must be a square matrix"),
    (scipy.sparse.csr_array([[0.0, np.nan], [1.0, 0.0]]), ValueError,
     "A must contain only finite"),
    (scipy.sparse.csr_array([[0.0, -2.0], [1.0, 0.0]]), ValueError,
     "A must have non-negative weights"),
    (scipy.sparse.csr_array(np.array([[0j, 1j], [1j, 0j]])), TypeError,
     "A must hold real numbers"),
])
def test_bad_adjacency(bad, error, message):
    with pytest.raises(error, match=message):
        signal_flow(bad)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"method": "pinv"}, ValueError, "method must be one of 'auto', 'dense', 'sparse'; "
                                     "got 'pinv'"),
    ({"method": None}, ValueError, "method must be one of 'auto', 'dense', 'sparse'"),
    ({"tol": 0.0}, ValueError, "tol must be a finite number > 0"),
    ({"tol": -1e-3}, ValueError, "tol must be a finite number > 0"),
    ({"tol": np.nan}, ValueError, "tol must be a finite number > 0"),
    ({"tol": "1e-8"}, TypeError, "tol must be a real number"),
    ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"max_iter": -5}, ValueError, "max_iter must be >= 1"),
    ({"max_iter": 2.5}, TypeError, "max_iter must be an int"),
])
def test_bad_options(kwargs, error, message):
    with pytest.raises(error, match=message):
        signal_flow(np.eye(3, k=1), **kwargs)
