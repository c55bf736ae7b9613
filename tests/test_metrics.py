import numpy as np
import pytest
import sklearn.metrics as skm
from numpy.testing import assert_allclose

from fastnet import cluster
from fastnet.reference import cluster as ref


def _labelings(rng):
    n = 400
    yield rng.integers(0, 5, n), rng.integers(0, 7, n)  # random
    yield np.zeros(n, int), rng.integers(0, 3, n)  # one class
    yield rng.integers(0, 4, n), np.zeros(n, int)  # one cluster
    yield np.arange(n), rng.integers(0, 9, n)  # singleton classes
    yield rng.integers(0, 3, n), np.arange(n)  # singleton clusters
    labels = rng.integers(0, 4, n)
    yield labels, labels  # identical
    yield np.array(["w", "x", "y", "z"])[labels], labels * 1000 + 7  # strings, sparse ints
    yield labels.astype(float) * 2.5, -labels  # floats and negative ints


@pytest.mark.filterwarnings("ignore:Clustering metrics expects discrete values")
@pytest.mark.parametrize("name", ["adjusted_rand_score", "homogeneity_score"])
def test_label_metrics_equal_scikit_learn_and_twin(name, rng):
    for labels_true, labels_pred in _labelings(rng):
        ours = getattr(cluster, name)(labels_true, labels_pred)
        assert_allclose(ours, getattr(skm, name)(labels_true, labels_pred), rtol=1e-10,
                        atol=1e-12)
        assert_allclose(ours, getattr(ref, name)(labels_true, labels_pred), rtol=1e-10,
                        atol=1e-12)


def test_sparse_contingency_path(rng, monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules["fastnet.cluster.metrics"], "MAX_DENSE_CELLS", 10)
    a, b = rng.integers(0, 30, 2000), rng.integers(0, 40, 2000)
    assert_allclose(cluster.adjusted_rand_score(a, b), skm.adjusted_rand_score(a, b),
                    rtol=1e-10)
    assert_allclose(cluster.homogeneity_score(a, b), skm.homogeneity_score(a, b), rtol=1e-10)


def test_large_n_matches_scikit_learn(rng):
    a, b = rng.integers(0, 10, 300_000), rng.integers(0, 12, 300_000)
    assert_allclose(cluster.adjusted_rand_score(a, b), skm.adjusted_rand_score(a, b),
                    rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(cluster.contingency_matrix(a, b),
                                  skm.cluster.contingency_matrix(a, b))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16, np.uint64])
def test_integer_encoding_equals_np_unique(rng, dtype):
    # the compiled encoding (parallel above PARALLEL_MIN_WORK labels) against NumPy's
    # sort-based one, with gaps between the values and labels from both ends of the range
    from fastnet._jit import PARALLEL_MIN_WORK
    from fastnet.cluster.metrics import _encode

    values = np.array([0, 3, 4, 9, 1000, 65535], dtype=dtype)
    for n in (50, PARALLEL_MIN_WORK + 17):
        labels = values[rng.integers(0, values.size - 1, n)]
        labels[-1] = values[-1]
        codes, found = _encode(labels, "labels")
        expected_values, expected_codes = np.unique(labels, return_inverse=True)
        np.testing.assert_array_equal(found, expected_values)
        np.testing.assert_array_equal(codes, expected_codes)
        assert codes.dtype == np.int64


def test_calinski_harabasz_and_within_distance(rng):
    X = rng.standard_normal((500, 6)) + rng.integers(0, 3, (500, 1)) * 4
    for labels in (rng.integers(0, 4, 500), np.repeat(np.array(["a", "b"]), 250)):
        ch = cluster.calinski_harabasz_score(X, labels)
        assert_allclose(ch, skm.calinski_harabasz_score(X, labels), rtol=1e-10)
        assert_allclose(ch, ref.calinski_harabasz_score(X, labels), rtol=1e-10)
        exact = cluster.within_cluster_distance(X, labels)
        assert_allclose(exact, ref.within_cluster_distance(X, labels), rtol=1e-10)
        assert_allclose(exact, cluster.within_cluster_distance(X, labels, "pairwise"),
                        rtol=1e-10)
    # identity: within-cluster distance is half the within-cluster sum of squares
    labels = rng.integers(0, 3, 500)
    wcss = sum(((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in range(3))
    assert_allclose(cluster.within_cluster_distance(X, labels), wcss / 2, rtol=1e-12)


def test_hand_values():
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    assert cluster.calinski_harabasz_score(X, [0, 0, 1, 1]) == 50.0
    assert cluster.within_cluster_distance(np.array([[0.0], [2.0], [5.0]]), [0, 0, 1]) == 1.0
    assert cluster.majority_cluster_map([0, 0, 0, 1], [5, 5, 2, 2]) == {0: 5, 1: 2}
    assert cluster.majority_cluster_map(["a", "a", "b"], [1, 1, 1]) == {"a": 1, "b": 1}
    assert cluster.adjusted_rand_score([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0


def test_class_log_likelihood_matches_direct_computation(rng):
    from scipy.stats import multivariate_normal
    from sklearn.mixture import GaussianMixture

    X = rng.standard_normal((300, 3))
    y = rng.integers(0, 4, 300)
    gmm = GaussianMixture(2, random_state=0).fit(X)
    table, classes = cluster.class_log_likelihood(X, y, gmm)
    assert table.shape == (4, 2) and classes.tolist() == [0, 1, 2, 3]
    for i in range(4):
        for j in range(2):
            expected = np.mean(np.log(gmm.weights_[j]) + multivariate_normal(
                gmm.means_[j], gmm.covariances_[j]).logpdf(X[y == i]))
            assert_allclose(table[i, j], expected, rtol=1e-10)


def test_bad_input(rng):
    X = rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match="labels_true and labels_pred must have the same length"):
        cluster.adjusted_rand_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="labels_pred must be 1-D"):
        cluster.homogeneity_score([0, 1], [[0, 1]])
    with pytest.raises(ValueError, match="labels_true must not contain NaN"):
        cluster.adjusted_rand_score([0.0, np.nan], [0, 1])
    with pytest.raises(ValueError, match="Valid values are 2 to n_samples - 1"):
        cluster.calinski_harabasz_score(X, np.zeros(10, int))
    with pytest.raises(ValueError, match="labels must have 10 entries"):
        cluster.within_cluster_distance(X, [0, 1])
    with pytest.raises(ValueError, match="method must be 'exact' or 'pairwise'"):
        cluster.within_cluster_distance(X, np.zeros(10, int), method="fast")
    with pytest.raises(ValueError, match="X must contain only finite values"):
        cluster.calinski_harabasz_score(np.full((4, 1), np.inf), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="labels_true and labels_pred must have the same length"):
        cluster.majority_cluster_map([0, 1], [0])
    with pytest.raises(ValueError, match="labels_true must be 1-D"):
        cluster.contingency_matrix([[0, 1]], [0, 1])
    with pytest.raises(ValueError, match="labels must have 10 entries"):
        cluster.class_log_likelihood(X, [0, 1], object())
    with pytest.raises(TypeError, match="mixture must be a fitted Gaussian mixture"):
        cluster.class_log_likelihood(X, np.zeros(10, int), object())
