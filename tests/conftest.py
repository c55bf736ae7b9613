import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose

# Twins agree to ~1e-10 in float64; float32 kernels may round differently by a few ulps.
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 2e-5,
        np.dtype(np.int64): 1e-10}  # int64: cases on integer labels with float results


def assert_twin(actual, expected, dtype=None):
    """Fast result == reference twin, within the dtype's tolerance, NaN where NaN."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    dtype = np.dtype(dtype or expected.dtype)
    assert actual.shape == expected.shape
    # atol only absorbs subnormal rounding differences (e.g. exp(-740))
    tiny = np.finfo(dtype).smallest_normal if dtype.kind == "f" else 1e-300
    assert_allclose(actual, expected, rtol=RTOL[dtype], atol=tiny, equal_nan=True)


def assert_case_matches(case, dtype, args):
    """``case.fast(*args)`` == ``case.reference(*args)`` for a :mod:`fastnet.bench` case:
    agreement in distribution for random samplers (``case.compare``), the dtype kept,
    ``case.rtol`` and ``case.atol`` where they are set (an ``rtol`` alone also allows
    that fraction of the largest result as absolute error), else :func:`assert_twin`."""
    fast = case.fast(*args)
    if case.compare is not None:
        case.compare(fast, case.reference(*args))
        return
    if np.dtype(dtype).kind == "f":  # float inputs keep their dtype
        assert np.asarray(fast).dtype == np.dtype(dtype)
    expected = case.reference(*args)
    name = np.dtype(dtype).name  # the tolerances are keyed by dtype name
    if name in case.rtol or name in case.atol:
        rtol = case.rtol.get(name, RTOL[np.dtype(dtype)])
        atol = case.atol[name] if name in case.atol else rtol * np.abs(expected).max()
        assert_allclose(fast, expected, rtol=rtol, atol=atol)
    else:
        assert_twin(fast, expected, dtype)


def labelled_data(rng, n=50, m=6, k=3, dtype=np.float64):
    """``n`` standard-normal rows of ``m`` features and labels ``0..k-1`` in equal
    shares, shuffled (data for the MLP and its classifier)."""
    X = rng.standard_normal((n, m)).astype(dtype)
    y = np.arange(n) % k
    rng.shuffle(y)
    return X, y


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(params=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


def output_with_threads(code, n_threads):
    """Standard output of ``code`` run in a fresh interpreter with NUMBA_NUM_THREADS set."""
    import os
    import subprocess
    import sys
    import textwrap

    env = {**os.environ, "NUMBA_NUM_THREADS": str(n_threads), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, check=True,
                          capture_output=True, text=True).stdout


# Graphs and helpers shared by the tests of fastnet.graph's spectral tools
# (test_correlation, test_centrality, test_laplacian, test_components, test_spectral).
SPARSE_FORMATS = [scipy.sparse.csr_array, scipy.sparse.csc_array, scipy.sparse.coo_array,
                  scipy.sparse.csr_matrix]


# ---------------------------------------------------------------- graph tests: kernels
def route_to_parallel(monkeypatch):
    """Route every serial-or-parallel kernel of the spectral tools' modules to its
    parallel variant (the small inputs of the tests would pick the serial one)."""
    from fastnet._jit import SerialOrParallel
    from fastnet.graph import centrality, components, correlation, laplacian, spectral

    for module in (correlation, centrality, laplacian, components, spectral):
        for kernel in vars(module).values():
            if isinstance(kernel, SerialOrParallel):
                monkeypatch.setattr(kernel, "min_work", 0)


@pytest.fixture(params=["serial", "parallel"])
def variant(request, monkeypatch):
    """Run the test with the serial kernels (small inputs pick them), then once more with
    every serial-or-parallel kernel routed to its parallel variant."""
    if request.param == "parallel":
        route_to_parallel(monkeypatch)
    return request.param


# ---------------------------------------------------------------- graph tests: graphs
def planted_data(rng, n_samples=200, groups=(20, 12, 8, 5), n_noise=60, flip=False):
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


def random_graph(rng, n, density=0.3, n_isolated=0, loops=False):
    """Symmetric non-negative weights in [0.1, 1); the last ``n_isolated`` nodes bare."""
    W = rng.uniform(0.1, 1.0, (n, n)) * (rng.random((n, n)) < density)
    A = np.triu(W, 0 if loops else 1)
    A = A + np.triu(A, 1).T
    if n_isolated:
        A[n - n_isolated:] = 0.0
        A[:, n - n_isolated:] = 0.0
    return A


def disjoint_cliques(sizes, weight=1.0):
    A = np.zeros((sum(sizes), sum(sizes)))
    start = 0
    for size in sizes:
        A[start:start + size, start:start + size] = weight
        start += size
    np.fill_diagonal(A, 0.0)
    return A


def disjoint_union(*graphs):
    """Disjoint union (block diagonal) of dense graphs."""
    n = sum(g.shape[0] for g in graphs)
    A = np.zeros((n, n))
    start = 0
    for g in graphs:
        A[start:start + g.shape[0], start:start + g.shape[0]] = g
        start += g.shape[0]
    return A


def component_graph(rng):
    """Components of several kinds: two large random ones, a 10-clique, a self-loop-only
    node, three isolated nodes and a single edge (8 components)."""
    loop = np.array([[2.0]])
    isolated = np.zeros((3, 3))
    return disjoint_union(random_graph(rng, 120, 0.1), disjoint_cliques([10]),
                          random_graph(rng, 80, 0.15), loop, isolated,
                          random_graph(rng, 2, 1.0))


BAD_GRAPHS = [
    (np.ones((2, 3)), ValueError, "A must be a square"),
    (scipy.sparse.csr_array(np.ones((2, 3))), ValueError, "A must be a square"),
    (np.array([[0.0, np.nan], [np.nan, 0.0]]), ValueError, "A must contain only finite"),
    (scipy.sparse.csr_array(np.array([[0.0, np.inf], [np.inf, 0.0]])), ValueError,
     "A must contain only finite"),
    (np.ones(3), ValueError, "A must be 2-D"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "A must hold real numbers"),
]
