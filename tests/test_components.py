"""fastnet.graph.components: connected components against scipy and the twin."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
from conftest import (
    BAD_GRAPHS,
    SPARSE_FORMATS,
    component_graph,
    disjoint_cliques,
    planted_data,
    random_graph,
)
from numpy.testing import assert_array_equal

from fastnet.graph import components, correlation_graph
from fastnet.reference import graph as ref


def _component_cases(rng):
    yield component_graph(rng)
    yield disjoint_cliques([5, 1, 7, 3, 3])
    yield random_graph(rng, 40, density=0.04, n_isolated=6)
    yield correlation_graph(planted_data(rng))
    yield np.zeros((5, 5))
    yield random_graph(rng, 30, density=0.5)


def test_connected_components_equal_zero_eigenvalues_and_scipy(rng):
    for A in _component_cases(rng):
        expected, scipy_labels = scipy.sparse.csgraph.connected_components(
            A, directed=False)
        assert ref.connected_components(A) == expected  # the yardstick agrees
        for graph in [A] + [fmt(A) for fmt in SPARSE_FORMATS]:
            count, labels = components.connected_components(graph, return_labels=True)
            assert components.connected_components(graph) == count == expected
            assert_array_equal(labels, scipy_labels)  # same partition, same numbering
            firsts = np.unique(labels, return_index=True)[1]
            assert_array_equal(np.sort(firsts), firsts)  # numbered by smallest node


def test_components_of_disjoint_cliques_by_hand():
    A = disjoint_cliques([3, 4, 2])
    count, labels = components.connected_components(A, return_labels=True)
    assert count == 3 and labels.tolist() == [0] * 3 + [1] * 4 + [2] * 2
    assert components.connected_components(np.zeros((0, 0))) == 0


def test_components_treat_one_way_edges_as_undirected():
    A = np.zeros((4, 4))
    A[3, 0] = 1.0  # only one direction stored
    count, labels = components.connected_components(scipy.sparse.coo_array(A),
                                                    return_labels=True)
    assert count == 3 and labels.tolist() == [0, 1, 2, 0]
    assert components.connected_components(A) == 3


@pytest.mark.parametrize("density", [0.0, 0.001, 0.01, 0.3])
def test_symmetric_components_search_equals_union_find(rng, density):
    n = 300
    W = np.triu(rng.random((n, n)) < density, 1).astype(np.float64)
    W = W + W.T
    np.fill_diagonal(W, rng.random(n))  # a Laplacian's degrees: ignored
    expected = np.empty(n, dtype=np.int64)
    count = components._dense_components(W, np.empty(n, dtype=np.int64), expected)
    labels = np.empty(n, dtype=np.int64)
    assert components._symmetric_dense_components(W, np.empty(n, dtype=np.int64),
                                                  labels) == count
    assert_array_equal(labels, expected)
    assert_array_equal(components.symmetric_component_labels(W)[1], expected)


@pytest.mark.parametrize("A, error, message", BAD_GRAPHS)
def test_bad_graphs(A, error, message):
    with pytest.raises(error, match=message):
        components.connected_components(A)
