"""fastnet.graph.spectral: spectral embedding and bipartition against the twins."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
from conftest import (
    BAD_GRAPHS,
    component_graph,
    disjoint_cliques,
    disjoint_union,
    planted_data,
    random_graph,
)
from numpy.testing import assert_allclose, assert_array_equal

from fastnet.graph import correlation, spectral
from fastnet.reference import graph as ref


# ---------------------------------------------------------------- spectral embedding
def _two_clusters(rng, sizes=(30, 20)):
    """Two dense clusters joined by one weak edge: a clear spectral gap."""
    A = disjoint_union(*(random_graph(rng, size, density=0.8) for size in sizes))
    A[sizes[0] - 1, sizes[0]] = A[sizes[0], sizes[0] - 1] = 0.05
    return A


def _projector(U):
    return U @ U.T


def _assert_same_subspace(U, V, atol=1e-8):
    assert U.shape == V.shape
    assert_allclose(_projector(U), _projector(V), atol=atol)


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
    A = random_graph(rng, 60, density=0.3)
    for k in (1, 2, 5, 60):
        for graph in (A, scipy.sparse.csr_array(A)):
            _check_embedding(graph, k)
    # a single simple eigenvector is the twin's up to sign
    twin = ref.spectral_embedding(A, 3)
    ours = spectral.spectral_embedding(A, 3)
    assert_allclose(np.abs(np.sum(ours * twin, axis=0)), 1.0, rtol=1e-9)


def test_spectral_embedding_of_many_components(rng, variant):
    # planted correlation graph: 4 groups + 60 isolated genes = 64 zero eigenvalues
    A = correlation.correlation_graph(planted_data(rng))
    U = _check_embedding(A, 64)
    _check_embedding(scipy.sparse.csr_array(A), 64)
    assert_allclose(U.T @ U, np.eye(64), atol=1e-10)
    # k = c on a graph of components of every kind
    _check_embedding(component_graph(rng), 8)


@pytest.mark.parametrize("as_sparse", [True, False])
def test_spectral_embedding_component_path(rng, monkeypatch, as_sparse, variant):
    """Graphs above DENSE_MAX nodes: component by component, Lanczos on the large ones."""
    monkeypatch.setattr(spectral, "DENSE_MAX", 30)
    A = component_graph(rng)  # 120- and 80-node components: eigsh; the clique: eigh
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
    A = disjoint_union(random_graph(rng, 12, 0.6), disjoint_cliques([3, 4]),
                       np.zeros((2, 2)))
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
@pytest.mark.parametrize("func", [spectral.spectral_partition,
                                  lambda A: spectral.spectral_embedding(A, 1)])
@pytest.mark.parametrize("A, error, message", BAD_GRAPHS)
def test_bad_graphs(func, A, error, message):
    with pytest.raises(error, match=message):
        func(A)


_SQUARE = np.array([[0.0, 1.0], [1.0, 0.0]])


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
