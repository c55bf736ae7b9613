import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
from conftest import assert_twin
from numpy.testing import assert_allclose, assert_array_equal

from fastnet import _validation as validation
from fastnet.graph import spectral
from fastnet.reference import graph as ref

SPARSE_FORMATS = [scipy.sparse.csr_array, scipy.sparse.csc_array, scipy.sparse.coo_array,
                  scipy.sparse.csr_matrix]


@pytest.fixture(params=["serial", "parallel"])
def variant(request, monkeypatch):
    """Run the test with the serial kernels (small inputs pick them), then once more with
    every serial-or-parallel kernel of the module routed to its parallel variant."""
    from fastnet._jit import SerialOrParallel

    if request.param == "parallel":
        for kernel in vars(spectral).values():
            if isinstance(kernel, SerialOrParallel):
                monkeypatch.setattr(kernel, "min_work", 0)
    return request.param


# ---------------------------------------------------------------- graphs
def _planted_data(rng, n_samples=200, groups=(20, 12, 8, 5), n_noise=60, flip=False):
    """Samples x genes: each group of columns follows one hidden factor (pairwise
    correlation ~0.93), the noise columns follow nothing (|corr| ~ 0.07).  With
    ``flip``, the last column of the first group is negated (negative correlations)."""
    blocks = []
    for size in groups:
        factor = rng.standard_normal((n_samples, 1))
        blocks.append(3.0 * factor + 0.8 * rng.standard_normal((n_samples, size)))
    blocks.append(rng.standard_normal((n_samples, n_noise)))
    X = np.hstack(blocks)
    if flip:
        X[:, groups[0] - 1] *= -1
    return X


def _random_graph(rng, n, density=0.3, n_isolated=0, loops=False):
    """Symmetric non-negative weights in [0.1, 1); the last ``n_isolated`` nodes bare."""
    W = rng.uniform(0.1, 1.0, (n, n)) * (rng.random((n, n)) < density)
    A = np.triu(W, 0 if loops else 1)
    A = A + np.triu(A, 1).T
    if n_isolated:
        A[n - n_isolated:] = 0.0
        A[:, n - n_isolated:] = 0.0
    return A


def _disjoint_cliques(sizes, weight=1.0):
    A = np.zeros((sum(sizes), sum(sizes)))
    start = 0
    for size in sizes:
        A[start:start + size, start:start + size] = weight
        start += size
    np.fill_diagonal(A, 0.0)
    return A


def _union(*graphs):
    """Disjoint union (block diagonal) of dense graphs."""
    n = sum(g.shape[0] for g in graphs)
    A = np.zeros((n, n))
    start = 0
    for g in graphs:
        A[start:start + g.shape[0], start:start + g.shape[0]] = g
        start += g.shape[0]
    return A


def _two_clusters(rng, sizes=(30, 20)):
    """Two dense clusters joined by one weak edge: a clear spectral gap."""
    A = _union(*(_random_graph(rng, size, density=0.8) for size in sizes))
    A[sizes[0] - 1, sizes[0]] = A[sizes[0], sizes[0] - 1] = 0.05
    return A


def _component_graph(rng):
    """Components of several kinds: two large random ones, a 10-clique, a self-loop-only
    node, three isolated nodes and a single edge (8 components)."""
    loop = np.array([[2.0]])
    isolated = np.zeros((3, 3))
    return _union(_random_graph(rng, 120, 0.1), _disjoint_cliques([10]),
                  _random_graph(rng, 80, 0.15), loop, isolated, _random_graph(rng, 2, 1.0))


def _projector(U):
    return U @ U.T


def _assert_same_subspace(U, V, atol=1e-8):
    assert U.shape == V.shape
    assert_allclose(_projector(U), _projector(V), atol=atol)


# ---------------------------------------------------------------- correlation graph
@pytest.mark.no_jit
@pytest.mark.parametrize("threshold", [0.75, 0.3, 0.0])
@pytest.mark.parametrize("flip", [False, True])
def test_correlation_graph_matches_twin(rng, threshold, flip, monkeypatch, variant):
    X = _planted_data(rng, flip=flip)
    expected = ref.correlation_graph(X, threshold)
    dense = spectral.correlation_graph(X, threshold)
    if threshold > 0:
        assert_twin(dense, expected)
    else:  # correlations near 0 are known to ~eps absolutely, not relatively
        assert_allclose(dense, expected, rtol=1e-10, atol=1e-14)
    assert dense.flags.c_contiguous and dense.dtype == np.float64
    assert_array_equal(dense, dense.T)
    # several column blocks, the last one ragged
    monkeypatch.setattr(spectral, "BLOCK_BYTES",
                        8 * X.shape[1] * 7)
    sparse = spectral.correlation_graph(X, threshold, sparse=True)
    assert isinstance(sparse, scipy.sparse.csr_array)
    assert sparse.indices.dtype == np.int32 and sparse.indptr.dtype == np.int32
    # gemm slabs and syrk round differently; the kept pattern is the same
    assert_allclose(sparse.toarray(), dense, rtol=1e-13, atol=1e-15)
    assert sparse.nnz == np.count_nonzero(expected) == np.count_nonzero(dense)
    canonical = sparse.copy()
    canonical.has_sorted_indices = False
    canonical.sort_indices()
    assert_array_equal(canonical.indices, sparse.indices)


def test_correlation_graph_signs_and_planted_groups(rng):
    X = _planted_data(rng, flip=True)
    A = spectral.correlation_graph(X)
    assert (A[19, :19] < -0.75).all() and (A[:19, :19][~np.eye(19, dtype=bool)] > 0.75).all()
    # only the 4 planted groups are linked: 4 + 60 noise components
    assert spectral.connected_components(A) == 4 + 60


def test_correlation_graph_single_block_and_integer_input(rng):
    X = rng.integers(-5, 6, (30, 12))
    X[:, 1] = 2 * X[:, 0] + 1  # exactly correlated: clipped at 1
    expected = ref.correlation_graph(X.astype(float), 0.2)
    assert_twin(spectral.correlation_graph(X, 0.2), expected)
    assert_twin(spectral.correlation_graph(X, 0.2, sparse=True).toarray(), expected)
    assert spectral.correlation_graph(X, 0.2).max() <= 1.0
    assert spectral.correlation_graph(X, 0.2, sparse=True).max() <= 1.0


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_columns_are_isolated_nodes(rng, sparse, variant):
    X = _planted_data(rng, groups=(6, 4), n_noise=10)
    X[:, 2] = 3.0
    X[:, 7] = 0.1  # a mean that does not round back to 0.1
    X[:, 15] = 0.0
    constant = [2, 7, 15]
    A = spectral.correlation_graph(X, 0.5, sparse=sparse)
    A = A.toarray() if sparse else A
    assert np.isfinite(A).all()
    assert (A[constant] == 0).all() and (A[:, constant] == 0).all()
    keep = np.setdiff1d(np.arange(X.shape[1]), constant)
    assert_twin(A[np.ix_(keep, keep)], ref.correlation_graph(X[:, keep], 0.5))
    assert spectral.degree_centrality(A)[constant].tolist() == [0.0, 0.0, 0.0]


def test_sparse_correlation_graph_refuses_an_edge_list_larger_than_memory(rng, monkeypatch):
    # a threshold of 0 keeps every pair: on a machine of "1 MiB" that graph cannot fit
    X = rng.standard_normal((20, 600))
    monkeypatch.setattr(validation, "physical_memory", lambda: 2**20)
    with pytest.raises(ValueError, match="threshold: a sparse graph of at least .* edges"):
        spectral.correlation_graph(X, 0.0, sparse=True)
    assert spectral.correlation_graph(X, 0.99, sparse=True).nnz == 0  # small graphs pass


def test_correlation_graph_of_one_feature_and_all_constant():
    assert_array_equal(spectral.correlation_graph(np.ones((4, 1)) * [[1], [2], [3], [5]]),
                       [[0.0]])
    assert spectral.correlation_graph(np.ones((5, 3)), sparse=True).nnz == 0


# ---------------------------------------------------------------- degree, top k
def test_degree_centrality_matches_twin(rng, variant):
    A = _random_graph(rng, 60, n_isolated=4, loops=True)
    A[3, 5] = A[5, 3] = -0.7  # signed weights are fine here
    expected = ref.degree_centrality(A)
    assert_twin(spectral.degree_centrality(A), expected)
    for fmt in SPARSE_FORMATS:
        assert_twin(spectral.degree_centrality(fmt(A)), expected)
    assert_twin(spectral.degree_centrality(A.tolist()), expected)
    assert spectral.degree_centrality(np.zeros((0, 0))).shape == (0,)


def test_top_k_matches_twin_with_ties(rng):
    for scores in (rng.integers(0, 5, 40), rng.integers(0, 5, 40).astype(float),
                   rng.standard_normal(33), np.zeros(7), np.array([0.0, -0.0, 0.0]),
                   np.array([2**60 + 1, 2**60, 2**60 + 1]), rng.random(12) < 0.5):
        for k in range(scores.size + 1):
            assert_array_equal(spectral.top_k(scores, k), ref.top_k(scores, k))
    assert_array_equal(spectral.top_k([3.0, 1.0, 3.0, 7.0, 3.0], 3), [3, 4, 2])  # by hand


def test_top_k_edges(rng):
    scores = rng.standard_normal(25)
    assert spectral.top_k(scores, 0).shape == (0,)
    assert_array_equal(spectral.top_k(scores, 25), np.argsort(scores)[::-1])
    assert spectral.top_k([], 0).shape == (0,)
    assert_array_equal(spectral.top_k(scores.astype(np.float32), 5), ref.top_k(scores, 5))


def test_top_5_genes_of_the_study_pipeline(rng):
    X = _planted_data(rng)
    A = spectral.correlation_graph(X)
    degree = spectral.degree_centrality(A)
    assert_array_equal(spectral.top_k(degree, 5), ref.top_k(ref.degree_centrality(
        ref.correlation_graph(X)), 5))
    assert (spectral.top_k(degree, 5) < 20).all()  # the biggest group has the hubs


# ---------------------------------------------------------------- Laplacian
def _laplacian_cases(rng):
    yield _random_graph(rng, 50)
    yield _random_graph(rng, 40, n_isolated=5, loops=True)
    yield _component_graph(rng)
    yield np.abs(ref.correlation_graph(_planted_data(rng)))  # np.corrcoef's rounding
    signed = _random_graph(rng, 30, density=0.9)
    signed[0, 1] = signed[1, 0] = -0.2  # negative weights, positive degrees
    yield signed
    yield np.zeros((4, 4))


def _assert_laplacian(actual, expected):
    """rtol 1e-10, plus an absolute 1e-15 for the diagonal of a self-loop-only node,
    ``1 - A_ii / d_i``: 0 up to one rounding (fused multiply-add here, not in the twin)."""
    assert_allclose(actual, expected, rtol=1e-10, atol=1e-15)


def test_normalized_laplacian_matches_twin(rng, variant):
    for A in _laplacian_cases(rng):
        expected = ref.normalized_laplacian(A)
        dense = spectral.normalized_laplacian(A)
        assert isinstance(dense, np.ndarray) and dense.flags.c_contiguous
        _assert_laplacian(dense, expected)
        for fmt in SPARSE_FORMATS:
            L = spectral.normalized_laplacian(fmt(A))
            assert isinstance(L, scipy.sparse.csr_array)
            _assert_laplacian(L.toarray(), expected)
            assert L.has_canonical_format and (L.data != 0).all()
            # the pattern: A's, plus the diagonal of nodes with positive degree
            pattern = (A != 0) | np.diag(ref.degree_centrality(A) > 0)
            stored = L.toarray() != 0
            assert not (stored & ~pattern).any()
            assert not (pattern & (np.abs(expected) > 1e-15) & ~stored).any()


def test_laplacian_of_isolated_nodes_is_zero(rng):
    A = _random_graph(rng, 20, n_isolated=3)
    for L in (spectral.normalized_laplacian(A),
              spectral.normalized_laplacian(scipy.sparse.csr_array(A)).toarray()):
        assert (L[17:] == 0).all() and (L[:, 17:] == 0).all()
        assert_allclose(np.diag(L)[:17], 1.0)
    # one edge of weight 2: [[1, -1], [-1, 1]] by hand
    assert_allclose(spectral.normalized_laplacian([[0, 2], [2, 0]]), [[1, -1], [-1, 1]],
                    rtol=1e-15)


def test_laplacian_asks_for_symmetry_and_nonnegative_degrees(rng, variant):
    A = _random_graph(rng, 20)
    A[2, 7] += 1e-3
    for graph in (A, scipy.sparse.csr_array(A)):
        with pytest.raises(ValueError, match=r"A must be symmetric.*A\[2, 7\]"):
            spectral.normalized_laplacian(graph)
    B = _random_graph(rng, 20)
    B[3, 9], B[9, 3] = 0.0, 0.5  # structural asymmetry: (9, 3) stored, (3, 9) not
    with pytest.raises(ValueError, match="A must be symmetric"):
        spectral.normalized_laplacian(scipy.sparse.csr_array(B))
    C = _random_graph(rng, 200)  # several tiles: the pair is found off the first one
    C[150, 70] *= 1 + 1e-8
    for graph in (C, scipy.sparse.csr_array(C)):
        with pytest.raises(ValueError, match=r"A must be symmetric.*A\[70, 150\]"):
            spectral.normalized_laplacian(graph)
    C[150, 70] = C[70, 150] * (1 + 1e-12)  # within rounding tolerance: accepted
    spectral.normalized_laplacian(C)
    X = _planted_data(rng, flip=True)
    signed = spectral.correlation_graph(X)
    for graph in (signed, scipy.sparse.csr_array(signed)):
        with pytest.raises(ValueError, match=r"A has nodes with negative weighted degree "
                                             r"\(node 19.*signed graph.*correlation_graph"):
            spectral.normalized_laplacian(graph)
        with pytest.raises(ValueError, match="negative weighted degree"):
            spectral.spectral_embedding(graph, 2)


# ---------------------------------------------------------------- components
def _component_cases(rng):
    yield _component_graph(rng)
    yield _disjoint_cliques([5, 1, 7, 3, 3])
    yield _random_graph(rng, 40, density=0.04, n_isolated=6)
    yield spectral.correlation_graph(_planted_data(rng))
    yield np.zeros((5, 5))
    yield _random_graph(rng, 30, density=0.5)


def test_connected_components_equal_zero_eigenvalues_and_scipy(rng):
    for A in _component_cases(rng):
        expected, scipy_labels = scipy.sparse.csgraph.connected_components(
            A, directed=False)
        assert ref.connected_components(A) == expected  # the yardstick agrees
        for graph in [A] + [fmt(A) for fmt in SPARSE_FORMATS]:
            count, labels = spectral.connected_components(graph, return_labels=True)
            assert spectral.connected_components(graph) == count == expected
            assert_array_equal(labels, scipy_labels)  # same partition, same numbering
            firsts = np.unique(labels, return_index=True)[1]
            assert_array_equal(np.sort(firsts), firsts)  # numbered by smallest node


def test_components_of_disjoint_cliques_by_hand():
    A = _disjoint_cliques([3, 4, 2])
    count, labels = spectral.connected_components(A, return_labels=True)
    assert count == 3 and labels.tolist() == [0] * 3 + [1] * 4 + [2] * 2
    assert spectral.connected_components(np.zeros((0, 0))) == 0


def test_components_treat_one_way_edges_as_undirected():
    A = np.zeros((4, 4))
    A[3, 0] = 1.0  # only one direction stored
    count, labels = spectral.connected_components(scipy.sparse.coo_array(A),
                                                  return_labels=True)
    assert count == 3 and labels.tolist() == [0, 1, 2, 0]
    assert spectral.connected_components(A) == 3


# ---------------------------------------------------------------- spectral embedding
def _check_embedding(A, k, atol=1e-8):
    """Eigenvalues equal the twin's; the eigenvectors span the twin's subspace (only
    meaningful when the k-th and (k+1)-th eigenvalues differ: asserted)."""
    twin_values = np.linalg.eigvalsh(ref.normalized_laplacian(A))
    if k < A.shape[0]:
        assert twin_values[k] - twin_values[k - 1] > 1e-3  # the subspace is well defined
    U, values = spectral.spectral_embedding(A, k, return_eigenvalues=True)
    assert_allclose(values, twin_values[:k], rtol=1e-10, atol=1e-10)
    _assert_same_subspace(U, ref.spectral_embedding(A, k), atol)
    assert_allclose(np.linalg.norm(U, axis=0), 1.0, rtol=1e-12)
    peak = U[np.argmax(np.abs(U), axis=0), np.arange(k)]
    assert (peak > 0).all()
    return U


def test_spectral_embedding_matches_twin_dense_and_small_sparse(rng):
    A = _random_graph(rng, 60, density=0.3)
    for k in (1, 2, 5, 60):
        for graph in (A, scipy.sparse.csr_array(A)):
            _check_embedding(graph, k)
    # a single simple eigenvector is the twin's up to sign
    twin = ref.spectral_embedding(A, 3)
    ours = spectral.spectral_embedding(A, 3)
    assert_allclose(np.abs(np.sum(ours * twin, axis=0)), 1.0, rtol=1e-9)


def test_spectral_embedding_of_many_components(rng, variant):
    # planted correlation graph: 4 groups + 60 isolated genes = 64 zero eigenvalues
    A = spectral.correlation_graph(_planted_data(rng))
    U = _check_embedding(A, 64)
    _check_embedding(scipy.sparse.csr_array(A), 64)
    assert_allclose(U.T @ U, np.eye(64), atol=1e-10)
    # k = c on a graph of components of every kind
    _check_embedding(_component_graph(rng), 8)


@pytest.mark.parametrize("as_sparse", [True, False])
def test_spectral_embedding_component_path(rng, monkeypatch, as_sparse, variant):
    """Graphs above DENSE_MAX nodes: component by component, Lanczos on the large ones."""
    monkeypatch.setattr(spectral, "DENSE_MAX", 30)
    A = _component_graph(rng)  # 120- and 80-node components: eigsh; the clique: eigh
    graph = scipy.sparse.csr_array(A) if as_sparse else A
    for k in (8, 9, 12):  # the 8 zeros, then the smallest nonzero eigenvalues
        _check_embedding(graph, k, atol=1e-7)
        U = spectral.spectral_embedding(graph, k)
        assert_array_equal(U, spectral.spectral_embedding(graph, k))  # deterministic
    # the zero eigenvectors: one per component, supported on it, by smallest node
    U = spectral.spectral_embedding(graph, 8)
    labels = scipy.sparse.csgraph.connected_components(A, directed=False)[1]
    for c in range(8):
        assert_array_equal(np.flatnonzero(np.abs(U[:, c]) > 1e-12),
                           np.flatnonzero(labels == c))


def test_spectral_embedding_component_path_with_small_pieces(rng, monkeypatch):
    monkeypatch.setattr(spectral, "DENSE_MAX", 5)
    A = _union(_random_graph(rng, 12, 0.6), _disjoint_cliques([3, 4]), np.zeros((2, 2)))
    for k in (5, 21):
        twin_values = np.linalg.eigvalsh(ref.normalized_laplacian(A))
        values = spectral.spectral_embedding(scipy.sparse.csr_array(A), k,
                                             return_eigenvalues=True)[1]
        assert_allclose(values, twin_values[:k], rtol=1e-10, atol=1e-10)
    _check_embedding(scipy.sparse.csr_array(A), 5)


# ---------------------------------------------------------------- spectral partition
def test_spectral_partition_matches_twin(rng, monkeypatch):
    A = _two_clusters(rng)
    expected = np.repeat([0, 1], [30, 20])  # by hand: the two clusters
    assert_array_equal(ref.spectral_partition(A), expected)
    for graph in (A, scipy.sparse.csr_array(A)):
        assert_array_equal(spectral.spectral_partition(graph), expected)
    # shuffled nodes: the sign convention follows the first node, not the cluster
    perm = rng.permutation(50)
    shuffled = A[np.ix_(perm, perm)]
    assert_array_equal(spectral.spectral_partition(shuffled), ref.spectral_partition(shuffled))
    assert spectral.spectral_partition(shuffled)[0] == 0
    monkeypatch.setattr(spectral, "DENSE_MAX", 10)
    assert_array_equal(spectral.spectral_partition(scipy.sparse.csr_array(shuffled)),
                       ref.spectral_partition(shuffled))


def test_spectral_partition_by_hand():
    A = np.ones((6, 6)) - np.eye(6)
    A[:3, 3:] = A[3:, :3] = 0.0
    A[2, 3] = A[3, 2] = 0.1
    assert spectral.spectral_partition(A).tolist() == [0, 0, 0, 1, 1, 1]
    assert spectral.spectral_partition(A[::-1, ::-1]).tolist() == [0, 0, 0, 1, 1, 1]


# ---------------------------------------------------------------- bad input
_SQUARE = np.array([[0.0, 1.0], [1.0, 0.0]])
_ASYMMETRIC = np.array([[0.0, 1.0], [0.5, 0.0]])
_NEGATIVE = np.array([[0.0, -1.0], [-1.0, 0.0]])

_BAD_GRAPHS = [
    (np.ones((2, 3)), ValueError, "A must be a square"),
    (scipy.sparse.csr_array(np.ones((2, 3))), ValueError, "A must be a square"),
    (np.array([[0.0, np.nan], [np.nan, 0.0]]), ValueError, "A must contain only finite"),
    (scipy.sparse.csr_array(np.array([[0.0, np.inf], [np.inf, 0.0]])), ValueError,
     "A must contain only finite"),
    (np.ones(3), ValueError, "A must be 2-D"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "A must hold real numbers"),
]


@pytest.mark.parametrize("func", [spectral.degree_centrality, spectral.normalized_laplacian,
                                  spectral.connected_components, spectral.spectral_partition,
                                  lambda A: spectral.spectral_embedding(A, 1)])
@pytest.mark.parametrize("A, error, message", _BAD_GRAPHS)
def test_bad_graphs(func, A, error, message):
    with pytest.raises(error, match=message):
        func(A)


@pytest.mark.parametrize("func", [spectral.normalized_laplacian, spectral.spectral_partition,
                                  lambda A: spectral.spectral_embedding(A, 1)])
def test_symmetry_and_degrees_are_checked(func):
    for A in (_ASYMMETRIC, scipy.sparse.csr_array(_ASYMMETRIC)):
        with pytest.raises(ValueError, match="A must be symmetric"):
            func(A)
    for A in (_NEGATIVE, scipy.sparse.csr_array(_NEGATIVE)):
        with pytest.raises(ValueError, match="A has nodes with negative weighted degree"):
            func(A)


@pytest.mark.parametrize("X, threshold, error, message", [
    (np.ones(5), 0.5, ValueError, "X must be 2-D"),
    (np.array([[1.0, np.nan], [2.0, 3.0]]), 0.5, ValueError, "X must contain only finite"),
    (np.array([["a", "b"], ["c", "d"]]), 0.5, TypeError, "X must hold real numbers"),
    (np.ones((1, 4)), 0.5, ValueError, "X must have at least 2 row"),
    (np.ones((3, 0)), 0.5, ValueError, "X must have at least 2 row.*1 column"),
    (np.eye(3), 1.0, ValueError, r"threshold must be in \[0, 1\)"),
    (np.eye(3), -0.1, ValueError, "threshold must be a finite number >= 0"),
    (np.eye(3), np.nan, ValueError, "threshold must be a finite number >= 0"),
    (np.eye(3), "0.5", TypeError, "threshold must be a real number"),
    (np.eye(3), True, TypeError, "threshold must be a real number"),
])
@pytest.mark.parametrize("sparse", [False, True])
def test_bad_correlation_input(X, threshold, error, message, sparse):
    with pytest.raises(error, match=message):
        spectral.correlation_graph(X, threshold, sparse=sparse)


@pytest.mark.parametrize("scores, k, error, message", [
    ([1.0, 2.0], -1, ValueError, r"k must be in \[0, 2\]"),
    ([1.0, 2.0], 3, ValueError, r"k must be in \[0, 2\]"),
    ([1.0, 2.0], 1.0, TypeError, "k must be an int"),
    ([1.0, 2.0], True, TypeError, "k must be an int"),
    ([[1.0, 2.0]], 1, ValueError, "scores must be 1-D"),
    ([1.0, np.nan], 1, ValueError, "scores must contain only finite"),
    (["a", "b"], 1, TypeError, "scores must hold real numbers"),
    ([[1.0], [2.0, 3.0]], 1, TypeError, "scores must be a 1-D array"),
])
def test_bad_top_k_input(scores, k, error, message):
    with pytest.raises(error, match=message):
        spectral.top_k(scores, k)


@pytest.mark.parametrize("k, error, message", [
    (0, ValueError, r"n_components must be in \[1, 2\]"),
    (3, ValueError, r"n_components must be in \[1, 2\]"),
    (1.0, TypeError, "n_components must be an int"),
    (None, TypeError, "n_components must be an int"),
])
def test_bad_n_components(k, error, message):
    for A in (_SQUARE, scipy.sparse.csr_array(_SQUARE)):
        with pytest.raises(error, match=message):
            spectral.spectral_embedding(A, k)


def test_partition_needs_two_nodes():
    with pytest.raises(ValueError, match="A must have at least 2 nodes"):
        spectral.spectral_partition(np.zeros((1, 1)))


def test_results_do_not_depend_on_the_number_of_threads():
    from conftest import output_with_threads

    code = """
        import hashlib
        import numpy as np
        from fastnet.graph import spectral
        digest = lambda a: hashlib.sha256(a.tobytes()).hexdigest()[:16]
        rng = np.random.default_rng(7)
        X = rng.standard_normal((60, 400))
        X[:, :40] += 4 * rng.standard_normal((60, 1))
        A = spectral.correlation_graph(X, 0.3)
        S = spectral.correlation_graph(X, 0.3, sparse=True)
        L = spectral.normalized_laplacian(np.abs(S))
        print(digest(A), digest(S.data), digest(S.indices), digest(L.data),
              spectral.connected_components(S))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


@pytest.mark.parametrize("density", [0.0, 0.001, 0.01, 0.3])
def test_symmetric_components_search_equals_union_find(rng, density):
    n = 300
    W = np.triu(rng.random((n, n)) < density, 1).astype(np.float64)
    W = W + W.T
    np.fill_diagonal(W, rng.random(n))  # a Laplacian's degrees: ignored
    expected = np.empty(n, dtype=np.int64)
    count = spectral._dense_components(W, np.empty(n, dtype=np.int64), expected)
    labels = np.empty(n, dtype=np.int64)
    assert spectral._symmetric_dense_components(W, np.empty(n, dtype=np.int64), labels) == count
    np.testing.assert_array_equal(labels, expected)
