"""Peak memory of the large-data paths, measured with tracemalloc (NumPy reports its
allocations to it), against the bounds their docstrings state.

The other large-data paths have theirs next to their tests: SBM sparse sampling in
test_sbm.py, NMF in test_nmf.py, the MLP in test_mlp.py and PCA in test_pca.py.
"""

import tracemalloc

import numpy as np
import pytest

from fastnet.cluster import KMeans, kmeans
from fastnet.graph import feedforward_block_probs, sbm, signal_flow


def _peak_bytes(func, *args, **kwargs):
    tracemalloc.start()
    try:
        result = func(*args, **kwargs)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("dtype", [np.float64, np.bool_])
def test_sparse_signal_flow_memory_is_linear_in_edges_and_nodes(dtype):
    p = feedforward_block_probs(5, 2e-5, 1e-4, 1e-4)
    # compile first
    signal_flow(sbm([100] * 5, p, directed=True, sparse=True, seed=0, dtype=dtype))
    A = sbm([40_000] * 5, p, directed=True, sparse=True, seed=1, dtype=dtype)
    n = A.shape[0]
    z, peak = _peak_bytes(signal_flow, A)
    assert A.nnz > 10**6 and z.shape == (n,)
    # docstring: the transposed CSR and W = (A + A^T) / 2 (int32 index + float64 value
    # per entry, about 2 entries per edge) + ~16 vectors of n float64, 26 bytes per edge
    # measured; a float64 copy of the input (12 bytes per edge) or any n x n array
    # would break this, whatever the input's value dtype
    assert peak <= 30 * A.nnz + 16 * 8 * n


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [96, 256])  # both assignment kernels (products from d = 128)
def test_kmeans_never_copies_X(dtype, d):
    rng = np.random.default_rng(0)
    n, k = 1_600_000 // d, 8
    X = rng.standard_normal((n, d)).astype(dtype)
    # compile (or load) first, at full size: X is large enough for the parallel
    # variants, which X[:500] would not reach; 3 iterations reach the bounded pass
    kmeans(X, k, max_iter=3, seed=0)
    bound = (16 * 8 * n + 64 * k * d * 8  # the docstring's
             + (X.dtype.itemsize * n * k if d >= 128 else 0))
    assert bound < 0.5 * X.nbytes  # so a copy of X cannot hide under it
    _, peak = _peak_bytes(kmeans, X, k, n_init=2, max_iter=20, seed=1)
    assert peak <= bound
    # copy_x=False: like scikit-learn's, the estimator centres wide data in a copy of X
    # by default
    _, peak = _peak_bytes(KMeans(k, n_init=2, max_iter=20, random_state=1,
                                     copy_x=False).fit, X)
    assert peak <= bound
