"""fastnet.graph.centrality: weighted degree centrality and top k against the twins."""

import numpy as np
import pytest
from conftest import (
    BAD_GRAPHS,
    SPARSE_FORMATS,
    assert_twin,
    planted_data,
    random_graph,
)
from numpy.testing import assert_array_equal

from fastnet.graph import centrality, correlation_graph
from fastnet.reference import graph as ref


# ---------------------------------------------------------------- degree
def test_degree_centrality_matches_twin(rng, variant):
    A = random_graph(rng, 60, n_isolated=4, loops=True)
    A[3, 5] = A[5, 3] = -0.7  # signed weights are fine here
    expected = ref.degree_centrality(A)
    assert_twin(centrality.degree_centrality(A), expected)
    for fmt in SPARSE_FORMATS:
        assert_twin(centrality.degree_centrality(fmt(A)), expected)
    assert_twin(centrality.degree_centrality(A.tolist()), expected)
    assert centrality.degree_centrality(np.zeros((0, 0))).shape == (0,)


@pytest.mark.parametrize("A, error, message", BAD_GRAPHS)
def test_bad_graphs(A, error, message):
    with pytest.raises(error, match=message):
        centrality.degree_centrality(A)


# ---------------------------------------------------------------- top k
def test_top_k_matches_twin_with_ties(rng):
    for scores in (rng.integers(0, 5, 40), rng.integers(0, 5, 40).astype(float),
                   rng.standard_normal(33), np.zeros(7), np.array([0.0, -0.0, 0.0]),
                   np.array([2**60 + 1, 2**60, 2**60 + 1]), rng.random(12) < 0.5):
        for k in range(scores.size + 1):
            assert_array_equal(centrality.top_k(scores, k), ref.top_k(scores, k))
    assert_array_equal(centrality.top_k([3.0, 1.0, 3.0, 7.0, 3.0], 3), [3, 4, 2])  # by hand


def test_top_k_edges(rng):
    scores = rng.standard_normal(25)
    assert centrality.top_k(scores, 0).shape == (0,)
    assert_array_equal(centrality.top_k(scores, 25), np.argsort(scores)[::-1])
    assert centrality.top_k([], 0).shape == (0,)
    assert_array_equal(centrality.top_k(scores.astype(np.float32), 5), ref.top_k(scores, 5))


def test_top_5_genes_of_the_study_pipeline(rng):
    X = planted_data(rng)
    A = correlation_graph(X)
    degree = centrality.degree_centrality(A)
    assert_array_equal(centrality.top_k(degree, 5), ref.top_k(ref.degree_centrality(
        ref.correlation_graph(X)), 5))
    assert (centrality.top_k(degree, 5) < 20).all()  # the biggest group has the hubs


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
        centrality.top_k(scores, k)
