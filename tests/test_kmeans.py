import warnings

import numpy as np
import pytest
from conftest import output_with_threads
from numpy.testing import assert_allclose, assert_array_equal

from fastnet.cluster import KMeans, kmeans
from fastnet.reference import cluster as ref


@pytest.fixture
def blobs(rng):
    centres = rng.normal(0, 6, (5, 4))
    return np.vstack([c + rng.standard_normal((120, 4)) for c in centres])


def _sklearn(X, init, **kwargs):
    from sklearn.cluster import KMeans as SkKMeans

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkKMeans(len(init), init=init, n_init=1, algorithm="lloyd", **kwargs).fit(X)


@pytest.mark.parametrize("tol", [0.0, 1e-4])
def test_same_centres_give_scikit_learn_answers(blobs, rng, tol):
    init = blobs[rng.choice(len(blobs), 5, replace=False)]
    ours = kmeans(blobs, 5, init=init, max_iter=100, tol=tol)
    theirs = _sklearn(blobs, init, max_iter=100, tol=tol)
    assert_array_equal(ours.labels, theirs.labels_)
    assert_allclose(ours.centers, theirs.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.inertia, theirs.inertia_, rtol=1e-10)
    assert ours.n_iter == theirs.n_iter_


def test_max_iter_and_wide_data_match_scikit_learn(rng):
    X = rng.standard_normal((300, 200))
    init = X[:6].copy()
    for max_iter in (1, 3):
        ours = kmeans(X, 6, init=init, max_iter=max_iter, tol=0.0)
        theirs = _sklearn(X, init, max_iter=max_iter, tol=0.0)
        assert_array_equal(ours.labels, theirs.labels_)
        assert_allclose(ours.inertia, theirs.inertia_, rtol=1e-10)


def test_random_partition_matches_twin(blobs):
    for seed in (0, 1, 2):
        fast = kmeans(blobs, 5, init="random-partition", n_init=3, max_iter=80, seed=seed)
        centers, labels, inertia, n_iter = ref.kmeans(blobs, 5, n_init=3, max_iter=80,
                                                      seed=seed)
        assert_array_equal(fast.labels, labels)
        assert_allclose(fast.centers, centers, rtol=1e-10, atol=1e-12)
        assert_allclose(fast.inertia, inertia, rtol=1e-10)
        assert fast.n_iter == n_iter


def test_inertia_identity_and_best_of_starts(blobs):
    result = kmeans(blobs, 5, n_init=4, seed=3)
    direct = ((blobs - result.centers[result.labels]) ** 2).sum()
    assert_allclose(result.inertia, direct, rtol=1e-10)
    singles = [kmeans(blobs, 5, n_init=1, seed=s).inertia
               for s in np.random.SeedSequence(3).spawn(4)]
    assert_allclose(result.inertia, min(singles), rtol=1e-12)


def test_empty_cluster_takes_the_farthest_point():
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    init = np.array([[1.0], [100.0]])  # nobody is nearest to 100
    result = kmeans(X, 2, init=init, max_iter=1, tol=0.0)
    # first pass: all in cluster 0 (mean 3.25); the farthest from centre 1.0 is 10.0
    assert_allclose(result.centers, [[1.0], [10.0]])
    centers, labels, _, _ = ref.kmeans(X, 2, init=init, max_iter=1, tol=0.0)
    assert_allclose(result.centers, centers)


def test_identical_for_any_number_of_threads():
    code = """
        import numpy as np
        from fastnet.cluster import kmeans
        X = np.random.default_rng(0).standard_normal((5000, 3))
        r = kmeans(X, 7, n_init=2, seed=11)
        print(repr(r.inertia), r.labels[:50].tolist(), repr(r.centers.sum()))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


def test_float32_and_estimator(blobs):
    X32 = blobs.astype(np.float32)
    model = KMeans(5, n_init=2, random_state=0).fit(X32)
    assert model.cluster_centers_.dtype == np.float32
    assert_array_equal(model.predict(X32), model.labels_)
    assert_allclose(-model.score(X32), model.inertia_, rtol=1e-5)
    distances = model.transform(X32)
    assert distances.shape == (len(X32), 5)
    assert_array_equal(np.argmin(distances, axis=1), model.labels_)
    assert_array_equal(KMeans(5, n_init=2, random_state=0).fit_predict(X32), model.labels_)


def test_bad_input(blobs):
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        kmeans(blobs, 0)
    with pytest.raises(ValueError, match="n_clusters must be <= 600"):
        kmeans(blobs, 601)
    with pytest.raises(ValueError, match="X must contain only finite values"):
        kmeans(np.where(blobs > 5, np.nan, blobs), 2)
    with pytest.raises(ValueError, match="X must be 2-D"):
        kmeans(blobs[:, 0], 2)
    with pytest.raises(ValueError, match=r"init must have shape \(3, 4\)"):
        kmeans(blobs, 3, init=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="init must be 'random-partition', 'k-means\\+\\+'"):
        kmeans(blobs, 3, init="forgy")
    with pytest.raises(ValueError, match="n_init must be >= 1"):
        kmeans(blobs, 3, n_init=0)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        kmeans(blobs, 3, max_iter=0)
    with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
        kmeans(blobs, 3, tol=-1.0)
    model = KMeans(3, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 4"):
        model.predict(blobs[:, :3])


@pytest.mark.no_jit
def test_wide_data_path_matches_twin(rng):
    from fastnet.cluster.kmeans import WIDE

    X = rng.standard_normal((400, WIDE + 20)) + rng.integers(0, 3, (400, 1)) * 2
    fast = kmeans(X, 3, init="random-partition", max_iter=50, seed=9)
    centers, labels, inertia, n_iter = ref.kmeans(X, 3, max_iter=50, seed=9)
    assert_array_equal(fast.labels, labels)
    assert_allclose(fast.inertia, inertia, rtol=1e-10)
    assert fast.n_iter == n_iter


def test_bounds_skip_nothing_they_should_not(rng):
    """Overlapping clusters and many iterations: Hamerly's bounds must reproduce plain
    Lloyd exactly (scikit-learn's labels, centres, inertia and iteration count)."""
    X = rng.standard_normal((2000, 3))
    for seed in range(3):
        init = X[np.random.default_rng(seed).choice(2000, 12, replace=False)]
        ours = kmeans(X, 12, init=init, max_iter=200, tol=0.0)
        theirs = _sklearn(X, init, max_iter=200, tol=0.0)
        assert_array_equal(ours.labels, theirs.labels_)
        assert_allclose(ours.centers, theirs.cluster_centers_, rtol=1e-10, atol=1e-12)
        assert_allclose(ours.inertia, theirs.inertia_, rtol=1e-10)
        assert ours.n_iter == theirs.n_iter_


@pytest.mark.no_jit
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_both_drivers_agree_with_empty_clusters(rng, dtype):
    """The Python-driven loop (with Hamerly's bounds) and the compiled loop run the
    same iterations, empty-cluster relocation included."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    X = (rng.standard_normal((300, 3)) + rng.integers(0, 3, (300, 1)) * 4).astype(dtype)
    init = np.vstack([X[:4], np.full((3, 3), 100.0)]).astype(dtype)  # 3 start empty
    for max_iter in (1, 2, 50):
        results = []
        for driver in (module._lloyd_python_loop, module._lloyd_compiled_loop):
            work = module._Workspace(300, 3, 7, X.dtype)
            results.append(driver(X, init, max_iter, 0.0, work, None))
        python, compiled = results
        assert_array_equal(python.labels, compiled.labels)
        assert_array_equal(python.centers, compiled.centers)
        assert python.n_iter == compiled.n_iter
        assert python.inertia == compiled.inertia
        assert np.bincount(python.labels, minlength=7).min() > 0


def test_result_is_a_frozen_dataclass(blobs):
    import dataclasses

    result = kmeans(blobs, 5, seed=0)
    assert [f.name for f in dataclasses.fields(result)] == ["centers", "labels", "inertia",
                                                            "n_iter"]
    assert repr(result).startswith("KMeansResult(k=5, inertia=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.inertia = 0.0
