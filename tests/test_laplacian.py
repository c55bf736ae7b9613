"""fastnet.graph.laplacian: the normalized Laplacian against its twin, and its checks
(symmetry, non-negative degrees)."""

import numpy as np
import pytest
import scipy.sparse
from conftest import (
    BAD_GRAPHS,
    SPARSE_FORMATS,
    component_graph,
    planted_data,
    random_graph,
)
from numpy.testing import assert_allclose

from fastnet.graph import correlation_graph, laplacian, spectral_embedding, spectral_partition
from fastnet.reference import graph as ref


def _laplacian_cases(rng):
    yield random_graph(rng, 50)
    yield random_graph(rng, 40, n_isolated=5, loops=True)
    yield component_graph(rng)
    yield np.abs(ref.correlation_graph(planted_data(rng)))  # np.corrcoef's rounding
    signed = random_graph(rng, 30, density=0.9)
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
        dense = laplacian.normalized_laplacian(A)
        assert isinstance(dense, np.ndarray) and dense.flags.c_contiguous
        _assert_laplacian(dense, expected)
        for fmt in SPARSE_FORMATS:
            L = laplacian.normalized_laplacian(fmt(A))
            assert isinstance(L, scipy.sparse.csr_array)
            _assert_laplacian(L.toarray(), expected)
            assert L.has_canonical_format and (L.data != 0).all()
            # the pattern: A's, plus the diagonal of nodes with positive degree
            pattern = (A != 0) | np.diag(ref.degree_centrality(A) > 0)
            stored = L.toarray() != 0
            assert not (stored & ~pattern).any()
            assert not (pattern & (np.abs(expected) > 1e-15) & ~stored).any()


def test_laplacian_of_isolated_nodes_is_zero(rng):
    A = random_graph(rng, 20, n_isolated=3)
    for L in (laplacian.normalized_laplacian(A),
              laplacian.normalized_laplacian(scipy.sparse.csr_array(A)).toarray()):
        assert (L[17:] == 0).all() and (L[:, 17:] == 0).all()
        assert_allclose(np.diag(L)[:17], 1.0)
    # one edge of weight 2: [[1, -1], [-1, 1]] by hand
    assert_allclose(laplacian.normalized_laplacian([[0, 2], [2, 0]]), [[1, -1], [-1, 1]],
                    rtol=1e-15)


def test_laplacian_asks_for_symmetry_and_nonnegative_degrees(rng, variant):
    A = random_graph(rng, 20)
    A[2, 7] += 1e-3
    for graph in (A, scipy.sparse.csr_array(A)):
        with pytest.raises(ValueError, match=r"A must be symmetric.*A\[2, 7\]"):
            laplacian.normalized_laplacian(graph)
    B = random_graph(rng, 20)
    B[3, 9], B[9, 3] = 0.0, 0.5  # structural asymmetry: (9, 3) stored, (3, 9) not
    with pytest.raises(ValueError, match="A must be symmetric"):
        laplacian.normalized_laplacian(scipy.sparse.csr_array(B))
    C = random_graph(rng, 200)  # several tiles: the pair is found off the first one
    C[150, 70] *= 1 + 1e-8
    for graph in (C, scipy.sparse.csr_array(C)):
        with pytest.raises(ValueError, match=r"A must be symmetric.*A\[70, 150\]"):
            laplacian.normalized_laplacian(graph)
    C[150, 70] = C[70, 150] * (1 + 1e-12)  # within rounding tolerance: accepted
    laplacian.normalized_laplacian(C)
    X = planted_data(rng, flip=True)
    signed = correlation_graph(X)
    for graph in (signed, scipy.sparse.csr_array(signed)):
        with pytest.raises(ValueError, match=r"A has nodes with negative weighted degree "
                                             r"\(node 19.*signed graph.*correlation_graph"):
            laplacian.normalized_laplacian(graph)
        with pytest.raises(ValueError, match="negative weighted degree"):
            spectral_embedding(graph, 2)


# ---------------------------------------------------------------- bad input
_ASYMMETRIC = np.array([[0.0, 1.0], [0.5, 0.0]])
_NEGATIVE = np.array([[0.0, -1.0], [-1.0, 0.0]])


@pytest.mark.parametrize("A, error, message", BAD_GRAPHS)
def test_bad_graphs(A, error, message):
    with pytest.raises(error, match=message):
        laplacian.normalized_laplacian(A)


@pytest.mark.parametrize("func", [laplacian.normalized_laplacian, spectral_partition,
                                  lambda A: spectral_embedding(A, 1)])
def test_symmetry_and_degrees_are_checked(func):
    for A in (_ASYMMETRIC, scipy.sparse.csr_array(_ASYMMETRIC)):
        with pytest.raises(ValueError, match="A must be symmetric"):
            func(A)
    for A in (_NEGATIVE, scipy.sparse.csr_array(_NEGATIVE)):
        with pytest.raises(ValueError, match="A has nodes with negative weighted degree"):
            func(A)
