"""Cases of :mod:`fastnet.graph`: SBM sampling (dense and sparse), signal flow, the
correlation graph and the spectral tools."""

from __future__ import annotations

import numpy as np

from ..reference import graph as ref_graph
from .harness import Case, fast_function, same_values

__all__ = ["CASES"]

# ---------------------------------------------------------------- SBM sampling
#: The signal-flow study's probabilities (low, within-block, feedforward), on 10 blocks
SBM_LOW_P, SBM_DIAG_P, SBM_FF_P = 0.05, 0.2, 0.3
#: 5 blocks whose expected degree is ~17 at every size: ~17 million directed edges at
#: 10^6 nodes
SPARSE_SBM_P = (1e-5, 3e-5, 3e-5)


def inputs_sbm_dense(size, dtype, rng):
    return [size // 10] * 10, ref_graph.feedforward_block_probs(10, SBM_LOW_P, SBM_DIAG_P,
                                                                 SBM_FF_P)


def inputs_sbm_sparse(size, dtype, rng):
    scale = 1_000_000 / size  # the same expected degree at every size
    probs = [q * scale for q in SPARSE_SBM_P]
    return [size // 5] * 5, ref_graph.feedforward_block_probs(5, *probs)


def fast_sbm(sparse):
    def sample(sizes, p):
        from ..graph import sbm

        return sbm(sizes, p, directed=True, sparse=sparse, seed=0)

    return sample


def twin_sbm(sparse):
    def sample(sizes, p):
        return ref_graph.sbm(sizes, p, directed=True, sparse=sparse, seed=0)

    return sample


def baselines_igraph_sbm():
    try:
        import igraph
    except ImportError:
        return {}
    return {"igraph Graph.SBM": lambda sizes, p: igraph.Graph.SBM(
        np.asarray(p).tolist(), list(sizes), directed=True)}


def same_block_densities(n_blocks):
    """Per block-pair edge counts of two directed samples of the same ``n_blocks``
    equal-block SBM agree within 6 standard deviations of their difference."""

    def compare(fast, reference):
        import scipy.sparse

        fast, reference = scipy.sparse.csr_array(fast), scipy.sparse.csr_array(reference)
        assert fast.shape == reference.shape
        labels = np.repeat(np.arange(n_blocks), fast.shape[0] // n_blocks)
        counts = []
        for A in (fast, reference):
            coo = A.tocoo()
            table = np.zeros((n_blocks, n_blocks))
            np.add.at(table, (labels[coo.row], labels[coo.col]), 1)
            counts.append(table)
        # Binomial counts: a difference of two has variance at most twice the mean
        tolerance = 6 * np.sqrt(2 * np.maximum(counts[1], 1.0))
        assert np.all(np.abs(counts[0] - counts[1]) <= tolerance), (counts[0], counts[1])

    return compare


SBM_CASES = [
    Case(name="sbm_dense", fast=fast_sbm(False), reference=twin_sbm(False),
         make_inputs=inputs_sbm_dense, baselines=baselines_igraph_sbm, sizes=(1_000, 5_000),
         dtypes=("float64",), compare=same_block_densities(10)),
    Case(name="sbm_sparse", fast=fast_sbm(True), reference=twin_sbm(True),
         make_inputs=inputs_sbm_sparse, baselines=baselines_igraph_sbm,
         sizes=(30_000, 1_000_000), dtypes=("float64",), compare=same_block_densities(5)),
]


# ---------------------------------------------------------------- signal flow
SIGNAL_FLOW_P = (0.05, 0.1, 0.3)  # low, within-block, feedforward: 10 blocks


def inputs_flow_graph(size, dtype, rng):
    from ..graph import sbm

    probs = ref_graph.feedforward_block_probs(10, *SIGNAL_FLOW_P)
    return (sbm([size // 10] * 10, probs, directed=True, seed=int(rng.integers(2**32))),)


def inputs_sparse_flow_graph(size, dtype, rng):
    from ..graph import sbm

    probs = ref_graph.feedforward_block_probs(5, 1e-5, 2e-5, 2e-5) * (1_000_000 / size)
    return (sbm([size // 5] * 5, probs, directed=True, sparse=True,
                seed=int(rng.integers(2**32))),)


def peer_scipy_cg_signal_flow(A):
    """Signal flow with scipy's sparse algebra and conjugate gradients (the reference
    at sizes where the pinv twin cannot run): W, b and L by sparse operations, CG on
    L z = b, then each component's mean removed."""
    import scipy.sparse
    import scipy.sparse.csgraph
    import scipy.sparse.linalg

    A = scipy.sparse.csr_array(A)
    W = (A + A.T) / 2
    b = np.asarray((W.multiply((A - A.T).sign())).sum(axis=1)).ravel()
    L = scipy.sparse.diags_array(np.asarray(W.sum(axis=1)).ravel()) - W
    z, _ = scipy.sparse.linalg.cg(L, b, rtol=1e-10, maxiter=10 * A.shape[0])
    _, labels = scipy.sparse.csgraph.connected_components(W, directed=False)
    return z - (np.bincount(labels, weights=z) / np.bincount(labels))[labels]


SIGNAL_FLOW_CASES = [
    Case(name="signal_flow_dense", fast=fast_function("graph", "signal_flow"),
         reference=ref_graph.signal_flow, make_inputs=inputs_flow_graph, sizes=(600, 3_000),
         dtypes=("float64",), rtol={"float64": 1e-8}),
    Case(name="signal_flow_sparse", fast=fast_function("graph", "signal_flow"),
         reference=peer_scipy_cg_signal_flow, make_inputs=inputs_sparse_flow_graph,
         sizes=(30_000, 1_000_000), dtypes=("float64",), rtol={"float64": 1e-6}),
]


# ---------------------------------------------------------------- correlation and spectral
def inputs_gene_like(size, dtype, rng):
    """800 samples x ``size`` genes in 18 co-expressed groups (correlation ~0.9 within a
    group, ~0 across): a correlation graph of 18 connected components, as in the gene
    co-expression study."""
    n_samples, n_groups = 800, 18
    factors = rng.standard_normal((n_samples, n_groups))
    group = rng.integers(0, n_groups, size)
    return (factors[:, group] + 0.35 * rng.standard_normal((n_samples, size)),)


def inputs_gene_graph(size, dtype, rng):
    return (ref_graph.correlation_graph(*inputs_gene_like(size, dtype, rng)),)


def fast_embedding(A):
    from ..graph import spectral_embedding

    return spectral_embedding(A, 18)


def twin_embedding(A):
    return ref_graph.spectral_embedding(A, 18)


def same_subspace(fast, reference):
    """Eigenvectors of a repeated eigenvalue are defined up to rotation: compare the
    projectors onto the spanned subspaces."""
    np.testing.assert_allclose(fast @ fast.T, reference @ reference.T, atol=1e-8)


SPECTRAL_CASES = [
    Case(name="correlation_graph", fast=fast_function("graph", "correlation_graph"),
         reference=ref_graph.correlation_graph, make_inputs=inputs_gene_like,
         sizes=(500, 3_000), dtypes=("float64",)),
    Case(name="normalized_laplacian", fast=fast_function("graph", "normalized_laplacian"),
         reference=ref_graph.normalized_laplacian, make_inputs=inputs_gene_graph,
         sizes=(500, 3_000), dtypes=("float64",)),
    Case(name="connected_components", fast=fast_function("graph", "connected_components"),
         reference=ref_graph.connected_components, make_inputs=inputs_gene_graph,
         sizes=(500, 3_000), dtypes=("float64",), compare=same_values),
    Case(name="spectral_embedding", fast=fast_embedding, reference=twin_embedding,
         make_inputs=inputs_gene_graph, sizes=(500, 3_000), dtypes=("float64",),
         compare=same_subspace),
]

CASES = SBM_CASES + SIGNAL_FLOW_CASES + SPECTRAL_CASES
