"""fastnet.graph.correlation: the thresholded correlation graph against its twin."""

import numpy as np
import pytest
import scipy.sparse
from conftest import assert_twin, planted_data
from numpy.testing import assert_allclose, assert_array_equal

from fastnet import _validation as validation
from fastnet.graph import connected_components, correlation, degree_centrality
from fastnet.reference import graph as ref


@pytest.mark.no_jit
@pytest.mark.parametrize("threshold", [0.75, 0.3, 0.0])
@pytest.mark.parametrize("flip", [False, True])
def test_correlation_graph_matches_twin(rng, threshold, flip, monkeypatch, variant):
    X = planted_data(rng, flip=flip)
    expected = ref.correlation_graph(X, threshold)
    dense = correlation.correlation_graph(X, threshold)
    if threshold > 0:
        assert_twin(dense, expected)
    else:  # correlations near 0 are known to ~eps absolutely, not relatively
        assert_allclose(dense, expected, rtol=1e-10, atol=1e-14)
    assert dense.flags.c_contiguous and dense.dtype == np.float64
    assert_array_equal(dense, dense.T)
    # several column blocks, the last one ragged
    monkeypatch.setattr(correlation, "BLOCK_BYTES",
                        8 * X.shape[1] * 7)
    sparse = correlation.correlation_graph(X, threshold, sparse=True)
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
    X = planted_data(rng, flip=True)
    A = correlation.correlation_graph(X)
    assert (A[19, :19] < -0.75).all() and (A[:19, :19][~np.eye(19, dtype=bool)] > 0.75).all()
    # only the 4 planted groups are linked: 4 + 60 noise components
    assert connected_components(A) == 4 + 60


def test_correlation_graph_single_block_and_integer_input(rng):
    X = rng.integers(-5, 6, (30, 12))
    X[:, 1] = 2 * X[:, 0] + 1  # exactly correlated: clipped at 1
    expected = ref.correlation_graph(X.astype(float), 0.2)
    assert_twin(correlation.correlation_graph(X, 0.2), expected)
    assert_twin(correlation.correlation_graph(X, 0.2, sparse=True).toarray(), expected)
    assert correlation.correlation_graph(X, 0.2).max() <= 1.0
    assert correlation.correlation_graph(X, 0.2, sparse=True).max() <= 1.0


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_columns_are_isolated_nodes(rng, sparse, variant):
    X = planted_data(rng, groups=(6, 4), n_noise=10)
    X[:, 2] = 3.0
    X[:, 7] = 0.1  # a mean that does not round back to 0.1
    X[:, 15] = 0.0
    constant = [2, 7, 15]
    A = correlation.correlation_graph(X, 0.5, sparse=sparse)
    A = A.toarray() if sparse else A
    assert np.isfinite(A).all()
    assert (A[constant] == 0).all() and (A[:, constant] == 0).all()
    keep = np.setdiff1d(np.arange(X.shape[1]), constant)
    assert_twin(A[np.ix_(keep, keep)], ref.correlation_graph(X[:, keep], 0.5))
    assert degree_centrality(A)[constant].tolist() == [0.0, 0.0, 0.0]


def test_sparse_correlation_graph_refuses_an_edge_list_larger_than_memory(rng, monkeypatch):
    # a threshold of 0 keeps every pair: on a machine of "1 MiB" that graph cannot fit
    X = rng.standard_normal((20, 600))
    monkeypatch.setattr(validation, "physical_memory", lambda: 2**20)
    with pytest.raises(ValueError, match="threshold: a sparse graph of at least .* edges"):
        correlation.correlation_graph(X, 0.0, sparse=True)
    assert correlation.correlation_graph(X, 0.99, sparse=True).nnz == 0  # small graphs pass


def test_correlation_graph_of_one_feature_and_all_constant():
    assert_array_equal(correlation.correlation_graph(np.ones((4, 1)) * [[1], [2], [3], [5]]),
                       [[0.0]])
    assert correlation.correlation_graph(np.ones((5, 3)), sparse=True).nnz == 0


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
        correlation.correlation_graph(X, threshold, sparse=sparse)


def test_results_do_not_depend_on_the_number_of_threads():
    """The correlation graph (dense and sparse) and, on it, the Laplacian and the
    components: the same bits with 1 and 2 threads."""
    from conftest import output_with_threads

    code = """
        import hashlib
        import numpy as np
        from fastnet.graph import connected_components, correlation_graph
        from fastnet.graph import normalized_laplacian
        digest = lambda a: hashlib.sha256(a.tobytes()).hexdigest()[:16]
        rng = np.random.default_rng(7)
        X = rng.standard_normal((60, 400))
        X[:, :40] += 4 * rng.standard_normal((60, 1))
        A = correlation_graph(X, 0.3)
        S = correlation_graph(X, 0.3, sparse=True)
        L = normalized_laplacian(np.abs(S))
        print(digest(A), digest(S.data), digest(S.indices), digest(L.data),
              connected_components(S))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)
