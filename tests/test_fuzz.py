"""Hypothesis fuzzing: fast kernels == their pure-NumPy twins on drawn inputs.

Part 1 draws ``size`` and ``seed`` for every (case, dtype) of :data:`fastnet.bench.CASES`
and compares by the rules of ``test_bench.py``.  Part 2 draws the values themselves
(extremes, zeros, subnormals, odd shapes) for the element-wise and row-wise kernels,
the clustering metrics, the graph tools and the scaling functions.

Every fuzzer is derandomized (the same examples on every run, no example database), so
CI is reproducible; example counts keep the whole file to about a minute on 2 cores.
Only valid inputs are drawn: bad input is another file's business.
"""

import math
import os
import warnings

import numpy as np
import pytest
import scipy.sparse
from conftest import RTOL, assert_case_matches, assert_twin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from numpy.testing import assert_allclose, assert_array_equal

from fastnet import bench, nn
from fastnet.cluster import (
    adjusted_rand_score,
    calinski_harabasz_score,
    homogeneity_score,
    kmeans,
    within_cluster_distance,
)
from fastnet.cluster.metrics import contingency_matrix
from fastnet.decomposition import minmax_normalize, standardize
from fastnet.graph import (
    connected_components,
    degree_centrality,
    normalized_laplacian,
    signal_flow,
)
from fastnet.reference import cluster as ref_cluster
from fastnet.reference import decomposition as ref_decomposition
from fastnet.reference import graph as ref_graph
from fastnet.reference import nn as ref_nn

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit

FLOATS = [np.dtype(np.float64), np.dtype(np.float32)]


#: CI's no-JIT coverage step runs this file with NUMBA_DISABLE_JIT=1: the kernels are
#: then plain Python, and one (the simplest) example per fuzzer runs every kernel body.
NO_JIT = os.environ.get("NUMBA_DISABLE_JIT") == "1"


def fuzz(max_examples):
    """Derandomized settings: the same examples on every run, nothing stored."""
    return settings(max_examples=1 if NO_JIT else max_examples, deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def twin(func, *args, **kwargs):
    """Call a reference twin quietly: the obvious NumPy code may overflow (inf) or divide
    0/0 (NaN) with a RuntimeWarning, which pytest turns into an error here.  The fast
    kernels are called outside this, so a warning from them still fails the test."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return func(*args, **kwargs)


# ================================================================ 1. the bench table
#: case name -> (smallest size, largest size, examples per dtype).  Sizes are each
#: case's own work measure (see its make_inputs); the ranges are valid inputs that run
#: in milliseconds, the expensive cases get tiny sizes and few examples.
BUDGET = {
    # elements (activations) or elements // 10 rows of 10 classes
    "softplus": (0, 5_000, 25),
    "softplus_grad": (0, 5_000, 25),
    "softmax": (1, 5_000, 25),
    "log_softmax": (1, 5_000, 25),
    "kl_divergence": (1, 5_000, 25),
    "cross_entropy": (1, 5_000, 25),
    "onehot": (0, 5_000, 25),
    # rows of 784 features through a 784-200-200-200-10 network: one epoch
    "mlp_epoch": (1, 200, 3),
    "mlp_epoch_dropout": (1, 200, 3),
    # rows x 784 with 100 components: at least 100 rows
    "nmf_iterations": (100, 250, 3),
    # rows x 784, 100 components
    "pca_fit": (150, 600, 2),
    # rows; at least k rows (n == k is tested in test_kmeans_tiny_n_regression)
    "kmeans_lloyd": (10, 2_000, 6),
    "gaussian_mixture": (30, 1_000, 5),
    "kmeans_blobs_20_starts": (6, 600, 5),
    # k = 18: small sizes exercise the relocation of empty clusters (CASE_REGRESSIONS)
    "kmeans_embedding_18": (20, 800, 6),
    # genes (columns) of a 1,000-sample matrix: 9 values of k, 5 starts each
    "kmeans_select_k_wide": (1, 20, 2),
    "gmm_long_em": (20, 300, 2),
    # labels
    "adjusted_rand_score": (1, 5_000, 25),
    "homogeneity_score": (1, 5_000, 25),
    "calinski_harabasz_score": (20, 3_000, 20),
    "within_cluster_distance": (1, 200, 15),  # the twin's pair loop is O(n^2)
    # nodes
    "sbm_dense": (10, 800, 4),
    "sbm_sparse": (30, 20_000, 4),  # p = 30 / size must stay <= 1
    "signal_flow_dense": (10, 250, 4),  # the twin's pinv is O(n^3)
    "signal_flow_sparse": (20, 5_000, 5),  # p = 20 / size must stay <= 1
    "correlation_graph": (2, 300, 5),
    "normalized_laplacian": (2, 300, 5),
    "connected_components": (2, 300, 5),
    # all 18 groups present, so the 18 smallest eigenvalues are the 18 zero ones
    "spectral_embedding": (250, 400, 3),
    # simulations, one example each: every simulation fits models of 20 starts, and
    # n_jobs=2 starts loky's worker pool on its first call
    "gmm_vs_kmeans_study": (6, 10, 1),
    "gmm_vs_kmeans_n_jobs": (2, 6, 1),
    # rows: scikit-learn's estimator against fastnet's, 8 clusters or 30 components
    "dropin_kmeans": (50, 1_000, 2),
    "dropin_kmeans_sparse": (50, 500, 2),
    **{f"dropin_gaussian_mixture_{kind}": (50, 500, 2)
       for kind in ("full", "tied", "diag", "spherical")},
    "dropin_pca_30": (40, 400, 2),
    "dropin_pca_095": (40, 400, 2),
    "dropin_nmf_digits": (40, 400, 2),
    "dropin_nmf": (40, 400, 2),
}

CASE_DTYPES = [(case, dtype) for case in bench.CASES for dtype in case.dtypes]
IDS = [f"{case.name}-{dtype}" for case, dtype in CASE_DTYPES]


@pytest.mark.parametrize("case,dtype", CASE_DTYPES, ids=IDS)
def test_case_matches_twin_on_drawn_sizes_and_seeds(case, dtype):
    # a case added to the table without a budget is still fuzzed: over seeds, at the
    # quick size test_bench.py uses
    low, high, examples = BUDGET.get(case.name, (case.sizes[0], case.sizes[0], 2))

    @fuzz(examples)
    @given(size=st.integers(low, high), seed=st.integers(0, 2**32 - 1))
    def check(size, seed):
        assert_case_matches(case, dtype, case.inputs(size, dtype, seed))

    check()


def test_budget_names_only_cases():
    assert set(BUDGET) <= {case.name for case in bench.CASES}


# ---------------------------------------------------------------- regressions found here
# Fuzz finding, fixed: relocating an empty cluster to the farthest point could take the
# only point of a singleton cluster and leave that cluster empty; the next centre update
# divided by a zero count (ZeroDivisionError in the compiled small-work loop, 0/0 in the
# threaded path and in the twin).  Relocation now passes over the last point of a cluster.
CASE_REGRESSIONS = [  # (case, dtype, size, seed): minimised examples of the fuzzer
    pytest.param("kmeans_embedding_18", "float64", 60, 0, id="kmeans_embedding_18-60-0"),
    pytest.param("kmeans_embedding_18", "float64", 269, 0, id="kmeans_embedding_18-269-0"),
    pytest.param("kmeans_blobs_20_starts", "float64", 3, 1, id="kmeans_blobs_20_starts-3-1"),
]


@pytest.mark.parametrize("name,dtype,size,seed", CASE_REGRESSIONS)
def test_case_regressions(name, dtype, size, seed):
    case = next(c for c in bench.CASES if c.name == name)
    assert_case_matches(case, dtype, case.inputs(size, dtype, seed))


def test_kmeans_tiny_n_regression():
    X = np.array([[8.0], [6.0], [5.0]])
    expected = ref_cluster.kmeans(X, 3, init="random-partition", n_init=1, max_iter=80, seed=0)
    result = kmeans(X, 3, init="random-partition", n_init=1, max_iter=80, seed=0)
    assert_twin(result.centers, expected[0])
    assert sorted(result.centers.ravel()) == [5.0, 6.0, 8.0]  # one point per cluster


# ================================================================ 2. drawn values
def specials(dtype, values):
    """``values`` (python floats) rounded to ``dtype`` (1e308 is inf in float32)."""
    with np.errstate(over="ignore"):
        rounded = np.asarray(values, dtype=np.float64).astype(dtype)
    return st.sampled_from(sorted({float(v) for v in rounded}, key=lambda v: (math.isnan(v), v)))


def extreme_floats(dtype, values, *, nan=True):
    """Any float of ``dtype`` (subnormals, +/-0, +/-inf, NaN if ``nan``), half the time
    one of the hand-picked ``values``."""
    width = np.dtype(dtype).itemsize * 8
    return st.one_of(specials(dtype, values),
                     st.floats(width=width, allow_nan=nan, allow_subnormal=True))


ACTIVATION_EXTREMES = [-np.inf, -1e308, -1e38, -1e4, -1000.0, -745.0, -740.0, -710.0,
                       -700.0, -89.0, -88.0, -100.0, -30.0, -1.0, -1e-8, -5e-324, -1e-45,
                       -0.0, 0.0, 5e-324, 1e-45, 1e-8, 1.0, 30.0, 88.0, 89.0, 100.0, 700.0,
                       710.0, 1000.0, 1e4, 1e38, 1e308, np.inf, np.nan]


@st.composite
def activation_arrays(draw, dtype, min_dims=1):
    shape = draw(array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=12))
    return draw(arrays(dtype, shape, elements=extreme_floats(dtype, ACTIVATION_EXTREMES)))


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", ["softplus", "softplus_grad"])
@fuzz(120)
@given(data=st.data(), beta=st.sampled_from([1.0, 0.5, 3.0, 1e-3, 50.0]))
def test_elementwise_extremes(name, dtype, data, beta):
    x = data.draw(activation_arrays(dtype, min_dims=0))
    out = np.asarray(getattr(nn, name)(x, beta=beta))
    expected = np.asarray(twin(getattr(ref_nn, name), x, beta=beta))
    assert out.shape == x.shape and out.dtype == dtype
    # The twin's logaddexp(0, beta * x) / beta overflows when beta * x does (beta > 1,
    # |x| near the dtype's max); the fast kernel never forms exp of a large number and
    # returns the right value there: softplus(x) = x + log1p(exp(-beta x)) / beta = x.
    with np.errstate(over="ignore"):
        overflow = np.isfinite(x) & ~np.isfinite(dtype.type(beta) * x)
    if name == "softplus" and overflow.any():
        assert_array_equal(out[overflow & (x > 0)], x[overflow & (x > 0)])
        assert_array_equal(out[overflow & (x < 0)], 0.0)
        out, expected = out[~overflow], expected[~overflow]
    assert_twin(out, expected, dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@fuzz(120)
@given(data=st.data())
def test_rowwise_extremes(name, dtype, data):
    x = data.draw(activation_arrays(dtype))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    out = getattr(nn, name)(x, axis=axis)
    expected = twin(getattr(ref_nn, name), x, axis=axis)
    assert out.shape == x.shape and out.dtype == dtype
    # both subtract the slice maximum first: neither overflows, so they agree everywhere,
    # NaN exactly on the slices whose maximum is not finite (documented)
    moved = np.moveaxis(x, axis, -1)
    peak = np.where(np.isnan(moved).any(axis=-1), np.nan, moved.max(axis=-1))
    assert_array_equal(np.isnan(np.moveaxis(out, axis, -1)).all(axis=-1), ~np.isfinite(peak))
    if name == "log_softmax":  # log-probabilities: absolute error near 0
        assert_allclose(out, expected, rtol=RTOL[dtype], atol=4 * np.finfo(dtype).eps)
    else:
        assert_twin(out, expected, dtype)
        sums = np.moveaxis(out, axis, -1).sum(axis=-1, dtype=np.float64)
        assert_allclose(sums[np.isfinite(peak)], 1.0,
                        rtol=moved.shape[-1] * 4 * np.finfo(dtype).eps)


PROBABILITY_EXTREMES = [0.0, 0.0, 1.0, 5e-324, 1e-45, 1e-300, 1e-38, 1e-16, 1e-15, 2e-15,
                        1e-8, 0.5, 1 - 1e-15, 1 - 2e-16]


@st.composite
def probability_rows(draw, dtype, shape):
    """Rows summing to 1: one-hot rows, rows with exact zeros, tiny and subnormal
    entries, and general weights normalised in float64 then rounded to ``dtype`` (then
    renormalised once more, so float32 rows pass the row-sum check)."""
    weights = draw(arrays(np.float64, shape, elements=st.one_of(
        st.sampled_from([0.0, 1.0, 5e-324, 1e-300, 1e-20, 1e-15, 1e-8]),
        st.floats(0, 1e6))))
    rows = weights.reshape(-1, shape[-1])
    hot = draw(st.integers(0, shape[-1] - 1))
    rows[rows.sum(axis=1) == 0, hot] = 1.0  # an all-zero row becomes one-hot
    rows /= rows.sum(axis=1, keepdims=True)
    rows = rows.astype(dtype)
    rows /= rows.sum(axis=1, keepdims=True, dtype=dtype)
    return rows.reshape(shape)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@fuzz(150)
@given(data=st.data())
def test_kl_divergence_extremes(dtype, data):
    shape = data.draw(array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=12))
    p = data.draw(probability_rows(dtype, shape))
    q = data.draw(st.one_of(probability_rows(dtype, shape), st.just(p)))
    out = nn.kl_divergence(p, q)
    assert out.dtype == dtype and out.shape == shape[:-1]
    assert_twin(out, twin(ref_nn.kl_divergence, p, q), dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@fuzz(150)
@given(data=st.data())
def test_cross_entropy_extremes(dtype, data):
    n, k = data.draw(st.integers(1, 40)), data.draw(st.integers(1, 12))
    # only the picked probabilities must lie in [0, 1]; rows need not sum to 1
    probs = data.draw(arrays(dtype, (n, k), elements=st.one_of(
        specials(dtype, PROBABILITY_EXTREMES),
        st.floats(0, 1, width=dtype.itemsize * 8, allow_subnormal=True))))
    labels = data.draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    out = nn.cross_entropy(labels, probs)
    assert out.dtype == dtype and out.shape == (n,)
    assert_twin(out, twin(ref_nn.cross_entropy, labels, probs), dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@fuzz(80)
@given(data=st.data(), label_dtype=st.sampled_from(["int8", "uint8", "int32", "int64",
                                                    "uint64", "float64"]))
def test_onehot_labels(dtype, data, label_dtype):
    n_classes = data.draw(st.integers(1, 130))
    y = data.draw(arrays(label_dtype, st.integers(0, 50),
                         elements=st.integers(0, min(n_classes, 128) - 1)))
    if y.size and data.draw(st.booleans()):  # the default: max(y) + 1 columns
        n_classes = None
    out = nn.onehot(y, n_classes, dtype)
    assert out.dtype == dtype
    assert_array_equal(out, ref_nn.onehot(y, n_classes, dtype))


# ---------------------------------------------------------------- clustering metrics
LABEL_EXTREMES = [np.iinfo(np.int64).min, -7, -1, 0, 1, 3, 2**40, np.iinfo(np.int64).max]


@st.composite
def label_pairs(draw, min_size=1):
    """Two label vectors of one length: small codes, or a few arbitrary int64 values
    (negative, huge) that take the np.unique path of the encoder."""
    n = draw(st.integers(min_size, 120))

    def labels():
        values = st.one_of(st.integers(0, draw(st.integers(0, 9))),
                           st.sampled_from(LABEL_EXTREMES))
        return arrays(np.int64, n, elements=values)

    return draw(labels()), draw(labels())


@fuzz(150)
@given(label_pairs())
def test_label_metrics_match_sklearn_and_twins(pair):
    import sklearn.metrics

    a, b = pair
    for name, fast in [("adjusted_rand_score", adjusted_rand_score),
                       ("homogeneity_score", homogeneity_score)]:
        result = fast(a, b)
        assert_twin(result, getattr(sklearn.metrics, name)(a, b), np.int64)
        assert_twin(result, getattr(ref_cluster, name)(a, b), np.int64)
    expected = sklearn.metrics.cluster.contingency_matrix(a, b)
    assert_array_equal(contingency_matrix(a, b), expected)


@st.composite
def points_and_labels(draw, min_clusters=1):
    n = draw(st.integers(1, 60))
    d = draw(st.integers(1, 5))
    elements = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 1e-8, 1e6]),
                         st.floats(-1e3, 1e3, allow_subnormal=True))
    X = draw(arrays(np.float64, (n, d), elements=elements))
    labels = draw(arrays(np.int64, n, elements=st.integers(0, draw(st.integers(0, 6)))))
    return X, labels


@fuzz(100)
@given(points_and_labels())
def test_within_cluster_distance_matches_twin(data):
    X, labels = data
    expected = ref_cluster.within_cluster_distance(X, labels)
    # 'exact' takes deviations from the means sum / count, which are off by rounding:
    # three copies of 1.9 give 7e-32, not 0.  That error is relative to the data's scale.
    atol = 4 * np.finfo(np.float64).eps * float((X * X).sum())
    assert_allclose(within_cluster_distance(X, labels), expected, rtol=RTOL[X.dtype], atol=atol)
    assert_twin(within_cluster_distance(X, labels, method="pairwise"), expected)


def point_masses(X, labels):
    """Every cluster's points are identical."""
    return all((X[labels == c] == X[labels == c][0]).all() for c in np.unique(labels))


@fuzz(100)
@given(points_and_labels())
def test_calinski_harabasz_matches_twin_and_sklearn(data):
    import sklearn.metrics

    X, labels = data
    k = np.unique(labels).size
    if not 1 < k < X.shape[0]:  # the score needs 2..n-1 clusters (else a ValueError)
        return
    if point_masses(X, labels):  # rounding noise / rounding noise: see the test below
        return
    result = calinski_harabasz_score(X, labels)
    assert_twin(result, twin(ref_cluster.calinski_harabasz_score, X, labels))
    assert_twin(result, twin(sklearn.metrics.calinski_harabasz_score, X, labels))


@pytest.mark.parametrize("X,labels", [
    pytest.param(np.full((4, 1), 0.5), [0, 1, 1, 1], id="4x0.5"),
    pytest.param(np.r_[np.full((3, 2), -2.0), np.full((5, 2), 3.25)], [0] * 3 + [1] * 5,
                 id="two-point-masses"),
])
def test_calinski_harabasz_exactly_zero_dispersion(X, labels):
    import sklearn.metrics

    # fuzz finding: the promised 1.0 needs WCSM == 0 exactly, i.e. cluster means that
    # round back to the points (n copies of 0.1 do not: the docstring now says so)
    assert calinski_harabasz_score(X, labels) == 1.0
    assert sklearn.metrics.calinski_harabasz_score(X, labels) == 1.0


# ---------------------------------------------------------------- graph tools
DYADIC_WEIGHTS = [0.25, 0.5, 1.0, 2.0, 3.75]  # sums of these are exact


@st.composite
def adjacency(draw, *, symmetric, weights="binary", max_nodes=16):
    """Square non-negative adjacency matrix, 0/1, dyadic or any positive weights,
    mostly zeros (several components, isolated nodes, self-loops)."""
    n = draw(st.integers(1, max_nodes))
    nonzero = {"binary": st.just(1.0), "dyadic": st.sampled_from(DYADIC_WEIGHTS),
               "any": st.floats(1e-6, 1e6)}[weights]
    A = draw(arrays(np.float64, (n, n), elements=st.one_of(st.just(0.0), st.just(0.0),
                                                           nonzero)))
    if symmetric:
        A = np.triu(A) + np.triu(A, 1).T
    return A


def sparse_or_dense(A, sparse):
    return scipy.sparse.csr_array(A) if sparse else A


def dense(M):
    return M.toarray() if scipy.sparse.issparse(M) else np.asarray(M)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@fuzz(80)
@given(A=st.one_of(adjacency(symmetric=True), adjacency(symmetric=True, weights="any")))
def test_normalized_laplacian_and_degrees_match_twin(sparse, A):
    M = sparse_or_dense(A, sparse)
    L = normalized_laplacian(M)
    assert scipy.sparse.issparse(L) == sparse
    # Entries lie in [-1, 1]; a self-loop's diagonal 1 - A_ii / d_i cancels (1 - 1 for a
    # lone looped node), so it is known to a few eps absolute, like log_softmax near 0.
    assert_allclose(dense(L), ref_graph.normalized_laplacian(A), rtol=RTOL[A.dtype],
                    atol=4 * np.finfo(np.float64).eps)
    assert_twin(degree_centrality(M), ref_graph.degree_centrality(A))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@fuzz(80)
@given(data=st.data())
def test_connected_components_matches_twin_and_scipy(sparse, data):
    import scipy.sparse.csgraph

    # the twin counts eigenvalues < 1e-10: exact for 0/1 and dyadic weights of small
    # graphs; weights spanning 12 orders of magnitude are checked against scipy only
    weights = data.draw(st.sampled_from(["binary", "dyadic", "any"]))
    A = data.draw(adjacency(symmetric=True, weights=weights))
    count, labels = connected_components(sparse_or_dense(A, sparse), return_labels=True)
    expected, expected_labels = scipy.sparse.csgraph.connected_components(A, directed=False)
    assert count == expected
    assert_array_equal(labels, expected_labels)  # both number by smallest node
    if weights != "any":
        assert count == ref_graph.connected_components(A)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@fuzz(80)
@given(A=st.one_of(adjacency(symmetric=False), adjacency(symmetric=False, weights="dyadic")))
def test_signal_flow_matches_pinv_twin(sparse, A):
    # dyadic weights: b and the degrees are exact in both, so the comparison is of the
    # solvers (Cholesky per component or conjugate gradients vs pinv)
    expected = ref_graph.signal_flow(A)
    rtol = 1e-6 if sparse else 1e-8  # as the signal_flow_sparse / _dense cases
    for method in ["auto", "dense", "sparse"]:
        z = signal_flow(sparse_or_dense(A, sparse), method=method)
        tol = 1e-6 if (method == "sparse" or (method == "auto" and sparse)) else rtol
        assert_allclose(z, expected, rtol=tol, atol=tol * np.abs(expected).max(initial=0.0))


# ---------------------------------------------------------------- scaling
@st.composite
def train_and_test(draw, dtype):
    n, m = draw(st.integers(1, 40)), draw(st.integers(1, 6))
    width = dtype.itemsize * 8
    elements = st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.1, 1e-3]),
                         st.floats(-1e4, 1e4, width=width))
    train = draw(arrays(dtype, (n, m), elements=elements))
    test = draw(arrays(dtype, (draw(st.integers(1, 10)), m), elements=elements))
    return train, test


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("name", ["standardize", "minmax_normalize"])
@fuzz(80)
@given(data=st.data())
def test_scaling_matches_twin(name, dtype, data):
    train, test = data.draw(train_and_test(dtype))
    fast = {"standardize": standardize, "minmax_normalize": minmax_normalize}[name]
    reference = getattr(ref_decomposition, name)
    for args in [(train,), (test, train)]:
        out = fast(*args)
        assert out.dtype == dtype
        if dtype == np.float64:
            assert_twin(out, reference(*args), dtype)
        else:  # test_scaling.py's float32 tolerance
            assert_allclose(out, reference(*args), rtol=1e-4, atol=1e-5)


def test_float32_constant_column_regression():
    """Fuzz finding, fixed in the twin: a constant float32 column is centred and left
    unscaled (0).  The twin's float32 mean of 7 x 0.1 was an ulp off, its std (~1e-8)
    passed the float64 threshold 10 eps |mean| and the noise was scaled up to -1; the
    twin now takes its statistics in float64."""
    X = np.full((7, 1), 0.1, dtype=np.float32)
    assert_array_equal(standardize(X), 0.0)
    assert_array_equal(ref_decomposition.standardize(X), 0.0)
