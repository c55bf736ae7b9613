import warnings

import numpy as np
import pytest
from conftest import output_with_threads
from numpy.testing import assert_allclose, assert_array_equal

from fastnet._jit import PARALLEL_MIN_WORK
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
def test_plain_assignment_through_the_bounded_kernel(rng, dtype):
    """With no bounds (upper = inf, lower = half gaps = 0) the bounded kernel is the
    plain assignment: every row takes its nearest centre (the first of equal ones, also
    for rows that sit on a centre), its squared distance, and the sums and counts of the
    labels (the serial variant; the parallel one gives its bits, tested below)."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    X = (rng.standard_normal((4000, 3)) + rng.integers(0, 4, (4000, 1)) * 2).astype(dtype)
    centers = np.ascontiguousarray(X[[5, 17, 17, 40, 99, 3, 8]])  # two the same
    squared = ((X[:, None, :].astype(np.float64) - centers[None]) ** 2).sum(axis=2)
    expected = squared.argmin(axis=1)
    assert not np.isin(expected, [2]).any() and expected[17] == 1  # the first of equal
    for size in (4000, 40):
        work = module._Workspace(size, 3, 7, X.dtype)
        sums, counts = work.assign(X[:size], centers)
        assert_array_equal(work.labels, expected[:size])
        assert_allclose(work.distances, squared[np.arange(size), expected[:size]],
                        rtol=1e-6 if dtype == np.float32 else 1e-14)
        assert work.distances[5] == 0 and work.distances[17] == 0
        assert_array_equal(counts, np.bincount(expected[:size], minlength=7))
        by_label = np.zeros((7, 3))
        np.add.at(by_label, expected[:size], X[:size].astype(np.float64))
        assert_allclose(sums, by_label, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bounded_pass_is_the_same_serially_and_on_threads(rng, dtype):
    """Below BOUNDED_MIN_WORK the bounded pass runs its serial variant: the labels,
    distances, bounds, sums and counts of the parallel one, bit for bit, with no bounds
    and with the bounds the first pass left (64 features: vectorised distances)."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    X = (rng.standard_normal((3000, 64)) + rng.integers(0, 5, (3000, 1))).astype(dtype)
    centers = np.ascontiguousarray(X[[1, 50, 300, 999, 2000, 2500, 2999, 7]])
    assert PARALLEL_MIN_WORK <= X.size * 8 < module.BOUNDED_MIN_WORK
    outputs = []
    for kernel in (module._assign_with_bounds.serial, module._assign_with_bounds.parallel):
        work = module._Workspace(3000, 64, 8, X.dtype)
        work.labels[:] = 0
        upper, lower = np.full(3000, np.inf), np.zeros(3000)
        passes = []
        for gaps in (np.zeros(8), module.half_gaps(centers)):  # no bounds, then settled
            kernel(X, centers, X.dtype.type(0), gaps, work.labels, upper, lower,
                   work.distances, True, *module._no_move(8), work.entry_labels,
                   work.changes, work.sums, work.counts)
            passes.append([a.copy() for a in (work.labels, work.distances, upper, lower,
                                              work.sums.sum(axis=0), work.counts.sum(axis=0))])
        outputs.append(passes)
    for serial, parallel in zip(*outputs, strict=True):
        for a, b in zip(serial, parallel, strict=True):
            assert_array_equal(a, b)


@pytest.mark.no_jit
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_half_gaps_are_half_the_nearest_other_centre(rng, dtype):
    """half_gaps: half the distance from each centre to its nearest other one, from
    differences (close centres far from the origin), and inf for a single centre."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    centers = (1e3 + rng.standard_normal((7, 300))).astype(dtype)
    centers[4] = centers[2] + 1e-3  # a close pair
    diffs = centers[:, None, :].astype(np.float64) - centers[None].astype(np.float64)
    squared = (diffs ** 2).sum(axis=2)
    np.fill_diagonal(squared, np.inf)
    expected = 0.5 * np.sqrt(squared.min(axis=1))
    assert_allclose(module.half_gaps(centers), expected, rtol=1e-12)
    assert_array_equal(module.half_gaps(centers[:1]), [np.inf])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_plusplus_step_is_the_same_serially_and_on_threads(rng, dtype):
    """Below PLUSPLUS_MIN_WORK a k-means++ step measures its candidates serially: the
    trial distances and per-chunk potentials of the parallel variant, bit for bit."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    X = (rng.standard_normal((3000, 64)) + rng.integers(0, 5, (3000, 1))).astype(dtype)
    candidates = np.array([3, 700, 701, 2999], dtype=np.int64)
    closest = rng.random(3000) * 100
    weights = rng.random(3000)
    assert X.size * len(candidates) < module.PLUSPLUS_MIN_WORK
    outputs = []
    for kernel in (module._plusplus_trials.serial, module._plusplus_trials.parallel):
        trial = np.empty((4, 3000))
        partial = np.empty((module._n_chunks(3000), 4))
        kernel(X, candidates, closest, weights, trial, partial)
        outputs.append((trial, partial))
    for serial, parallel in zip(*outputs, strict=True):
        assert_array_equal(serial, parallel)
    assert_allclose(outputs[0][0][1], np.minimum(closest, ((X - X[700]) ** 2).sum(axis=1)),
                    rtol=1e-5 if dtype == np.float32 else 1e-12)


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



@pytest.mark.no_jit
def test_both_drivers_agree_from_previous_labels(rng):
    """Starts with labels (random partitions): the first iteration compares with them,
    later ones learn from the bounded kernel whether a label changed; the drivers stop
    at the same iteration, also when the start's labels are already Lloyd's."""
    import sys

    module = sys.modules["fastnet.cluster.kmeans"]
    X = rng.standard_normal((3000, 4)) + rng.integers(0, 5, (3000, 1)) * 3.0
    init = np.ascontiguousarray(X[:6])
    converged = module._lloyd_compiled_loop(X, init, 300, 0.0, module._Workspace(3000, 4, 6,
                                                                                  X.dtype))
    starts = [(init, rng.integers(0, 6, 3000)), (converged.centers, converged.labels)]
    for centers, labels in starts:
        results = [driver(X, centers, 300, 0.0, module._Workspace(3000, 4, 6, X.dtype),
                          labels)
                   for driver in (module._lloyd_python_loop, module._lloyd_compiled_loop)]
        python, compiled = results
        # the same iterations; the compiled loop divides the sums by the counts as a
        # product with the reciprocal (fast-math's arcp), so the last bit may differ
        assert_array_equal(python.labels, compiled.labels)
        assert_allclose(python.centers, compiled.centers, rtol=1e-15)
        assert_allclose(python.inertia, compiled.inertia, rtol=1e-14)
        assert python.n_iter == compiled.n_iter
    assert python.n_iter == 1  # Lloyd's labels from the start: stopped at once


def test_result_is_a_frozen_dataclass(blobs):
    import dataclasses

    result = kmeans(blobs, 5, seed=0)
    assert [f.name for f in dataclasses.fields(result)] == ["centers", "labels", "inertia",
                                                            "n_iter"]
    assert repr(result).startswith("KMeansResult(k=5, inertia=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.inertia = 0.0


# ---------------------------------------------------------------- scikit-learn's KMeans
def _sk_estimator(**kwargs):
    from sklearn.cluster import KMeans as SkKMeans

    return SkKMeans(**kwargs)


def _fit_both(X, sample_weight=None, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = KMeans(**kwargs).fit(X, sample_weight=sample_weight)
        theirs = _sk_estimator(**kwargs).fit(X, sample_weight=sample_weight)
    return ours, theirs


def _assert_same_fit(ours, theirs, rtol=1e-7):
    assert_array_equal(ours.labels_, theirs.labels_)
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol,
                    atol=rtol * np.abs(theirs.cluster_centers_).max())
    assert_allclose(ours.inertia_, theirs.inertia_, rtol=rtol)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    assert ours.labels_.dtype == theirs.labels_.dtype


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("random_state", [0, 1, 7])
def test_same_random_state_gives_scikit_learn_fit(blobs, init, random_state):
    """scikit-learn's draws (k-means++ and 'random', several starts): the same
    starting centres, hence the same fit, for the same random_state."""
    ours, theirs = _fit_both(blobs, n_clusters=5, init=init, n_init=3,
                             random_state=random_state)
    _assert_same_fit(ours, theirs)
    # the default n_init='auto' (1 start for k-means++, 10 for 'random')
    ours, theirs = _fit_both(blobs, n_clusters=5, init=init, random_state=random_state)
    _assert_same_fit(ours, theirs)
    assert ours._n_init == theirs._n_init == (1 if init == "k-means++" else 10)


@pytest.mark.parametrize("container", ["csr", "csc", "dense"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_and_sparse_input_give_scikit_learn_fit(blobs, rng, container, dtype):
    import scipy.sparse as sp

    X = np.where(blobs > 2, blobs, 0.0).astype(dtype)  # a third of the entries nonzero
    if container != "dense":
        X = getattr(sp, f"{container}_matrix")(X)
    weights = rng.uniform(0.2, 3.0, X.shape[0])
    ours, theirs = _fit_both(X, sample_weight=weights, n_clusters=4, n_init=2,
                             random_state=3)
    _assert_same_fit(ours, theirs, rtol=1e-7 if dtype == np.float64 else 1e-4)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.score(X, sample_weight=weights), theirs.score(X, sample_weight=weights),
                    rtol=1e-6)
    assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-5, atol=1e-5)
    assert ours.transform(X).dtype == theirs.transform(X).dtype


@pytest.mark.no_jit
@pytest.mark.parametrize("sparse", [False, True])
def test_weighted_driver_matches_twin(rng, sparse):
    """The weighted dense / CSR kernels against the NumPy twin, with zero weights and
    clusters that start empty (relocation)."""
    import scipy.sparse as sp

    from fastnet.cluster.kmeans_weighted import lloyd_weighted

    X = rng.standard_normal((500, 6)) + rng.integers(0, 4, (500, 1)) * 3
    X[X < 0.5] = 0.0
    weights = rng.uniform(0.0, 2.0, 500)
    weights[::7] = 0.0
    init = np.vstack([X[:4], np.full((2, 6), 50.0)])  # the last two start empty
    data = sp.csr_matrix(X) if sparse else X
    for max_iter, tol in [(1, 0.0), (3, 0.0), (100, 0.0), (100, 1e-3)]:
        centers, labels, inertia, n_iter = lloyd_weighted(data, weights, init, max_iter, tol)
        twin = ref.kmeans_weighted(X, weights, init, max_iter, tol)
        assert_array_equal(labels, twin[1])
        assert_allclose(centers, twin[0], rtol=1e-10, atol=1e-12)
        assert_allclose(inertia, twin[2], rtol=1e-10)
        assert n_iter == twin[3]


def test_bounds_on_csr_rows_change_nothing(rng):
    """CSR Lloyd with Hamerly's bounds (the default) gives the plain pass's labels,
    centres, inertia and iterations (verbose runs the plain pass), bit for bit: a
    skipped row keeps the label the products would give it."""
    import contextlib
    import io

    import scipy.sparse as sp

    from fastnet.cluster.kmeans_weighted import lloyd_weighted

    topics = rng.integers(0, 6, 20000)
    X = sp.random(20000, 300, density=0.05, format="csr", random_state=4)
    X = (X + sp.csr_matrix((np.ones(20000), topics * 50, np.arange(20001)),
                           shape=(20000, 300)) * 0.3).tocsr()
    weights = rng.uniform(0.0, 2.0, 20000)
    init = np.vstack([X[:6].toarray(), np.full((1, 300), 9.0)])  # the last starts empty
    for tol in (0.0, 1e-6):
        bounded = lloyd_weighted(X, weights, init, 100, tol)
        with contextlib.redirect_stdout(io.StringIO()):
            plain = lloyd_weighted(X, weights, init, 100, tol, verbose=True)
        assert_array_equal(bounded[1], plain[1])
        assert_array_equal(bounded[0], plain[0])
        assert bounded[2:] == plain[2:] and bounded[3] > 10


@pytest.mark.no_jit
def test_wide_weighted_data_matches_twin(rng):
    from fastnet.cluster.kmeans import WIDE
    from fastnet.cluster.kmeans_weighted import lloyd_weighted

    X = rng.standard_normal((300, WIDE + 8)) + rng.integers(0, 3, (300, 1)) * 2
    weights = rng.uniform(0.5, 1.5, 300)
    centers, labels, inertia, n_iter = lloyd_weighted(X, weights, X[:3], 50, 0.0)
    twin = ref.kmeans_weighted(X, weights, X[:3], 50, 0.0)
    assert_array_equal(labels, twin[1])
    assert_allclose(inertia, twin[2], rtol=1e-10)
    assert n_iter == twin[3]


def test_seeds_options_equal_the_functional_api(blobs):
    """init='random-partition' (the seeds' init) and a SeedSequence random_state use
    fastnet's seeding: the fit of fastnet.cluster.kmeans with that seed."""
    for seed in (0, 5):
        model = KMeans(5, init="random-partition", n_init=3, max_iter=80,
                       random_state=seed).fit(blobs)
        result = kmeans(blobs, 5, init="random-partition", n_init=3, max_iter=80, seed=seed)
        assert_array_equal(model.labels_, result.labels)
        assert_array_equal(model.cluster_centers_, result.centers)
        assert model.inertia_ == result.inertia and model.n_iter_ == result.n_iter
        model = KMeans(5, n_init=3, random_state=np.random.SeedSequence(seed)).fit(blobs)
        result = kmeans(blobs, 5, n_init=3, seed=seed)
        assert_array_equal(model.labels_, result.labels)
        assert_array_equal(model.cluster_centers_, result.centers)


def test_elkan_gives_lloyds_result(blobs):
    lloyd = KMeans(5, random_state=2).fit(blobs)
    elkan = KMeans(5, random_state=2, algorithm="elkan").fit(blobs)
    assert_array_equal(elkan.labels_, lloyd.labels_)
    assert_array_equal(elkan.cluster_centers_, lloyd.cluster_centers_)
    assert elkan.n_iter_ == lloyd.n_iter_


def test_parameter_validation_and_warnings_as_scikit_learn(blobs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils._param_validation import InvalidParameterError

    for params in [{"n_clusters": "3"}, {"n_clusters": 0}, {"init": "forgy"},
                   {"n_init": 0}, {"algorithm": "full"}, {"tol": -1.0},
                   {"random_state": "seed"}]:
        with pytest.raises(InvalidParameterError):
            KMeans(**params).fit(blobs)
    with pytest.raises(ValueError, match=r"n_samples=600 should be >= n_clusters=601"):
        KMeans(601).fit(blobs)
    with pytest.raises(ValueError, match="at least one non-zero number"):
        KMeans(2).fit(blobs, sample_weight=np.zeros(600))
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(3,\), expected \(600,\)"):
        KMeans(2).fit(blobs, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight"):
        KMeans(2).fit(blobs, sample_weight=np.full(600, np.nan))
    with pytest.warns(RuntimeWarning, match="performing only one init in KMeans instead "
                      "of n_init=10"):
        KMeans(2, init=blobs[:2], n_init=10).fit(blobs)
    duplicates = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(3\) found "
                      r"smaller than n_clusters \(4\)"):
        model = KMeans(4, random_state=0).fit(duplicates)
    assert set(model.labels_) == {0, 1, 2}


def test_copy_x_false_restores_x_and_failed_refit_keeps_the_model(blobs):
    X = blobs.copy()
    model = KMeans(5, copy_x=False, random_state=0).fit(X)
    assert_allclose(X, blobs, rtol=0, atol=1e-12)
    centers = model.cluster_centers_.copy()
    with pytest.raises(ValueError):
        model.set_params(n_clusters=1000).fit(blobs)
    assert_array_equal(model.cluster_centers_, centers)
    assert model.n_features_in_ == 4


def test_verbose_prints_scikit_learns_messages(blobs, capsys):
    KMeans(5, random_state=0, verbose=1, tol=0).fit(blobs)
    out = capsys.readouterr().out
    assert "Initialization complete" in out
    assert "Iteration 0, inertia" in out
    assert "strict convergence" in out


def test_callable_init_and_feature_names(blobs):
    import pandas as pd

    def first_rows(X, k, random_state):
        assert isinstance(random_state, np.random.RandomState)
        return X[:k].copy()  # scikit-learn's Lloyd would write into a view of X

    ours, theirs = _fit_both(blobs, n_clusters=5, init=first_rows, n_init=1)
    _assert_same_fit(ours, theirs)
    frame = pd.DataFrame(blobs, columns=list("abcd"))
    model = KMeans(3, random_state=0).fit(frame)
    assert list(model.feature_names_in_) == list("abcd")
    assert list(model.get_feature_names_out()) == ["kmeans0", "kmeans1", "kmeans2"]
    assert isinstance(model.set_output(transform="pandas").transform(frame), pd.DataFrame)


@pytest.mark.parametrize("sparse", [False, True])
def test_kmeans_plusplus_draws_as_scikit_learn(blobs, rng, sparse):
    """The same RandomState gives scikit-learn's k-means++ centres (its public
    ``kmeans_plusplus``), weighted or not, dense or CSR."""
    import scipy.sparse as sp
    from sklearn.cluster import kmeans_plusplus

    from fastnet.cluster.kmeans_estimator import _sklearn_plusplus

    X = sp.csr_matrix(np.where(blobs > 1, blobs, 0.0)) if sparse else blobs
    for seed, weights in [(0, np.ones(len(blobs))), (4, rng.uniform(0, 2, len(blobs)))]:
        theirs, _ = kmeans_plusplus(X, 7, sample_weight=weights,
                                    random_state=np.random.RandomState(seed))
        ours = _sklearn_plusplus(X, 7, weights, np.random.RandomState(seed))
        assert_array_equal(ours, theirs)


def test_seeds_options_on_sparse_input(blobs):
    """fastnet's seeding on CSR input: the draws and the fit of the dense input."""
    import scipy.sparse as sp

    X = np.where(blobs > 1, blobs, 0.0)
    for init in ("random-partition", "k-means++"):
        dense = KMeans(5, init=init, n_init=2, random_state=np.random.SeedSequence(3)).fit(X)
        csr = KMeans(5, init=init, n_init=2,
                     random_state=np.random.SeedSequence(3)).fit(sp.csr_matrix(X))
        assert_array_equal(csr.labels_, dense.labels_)
        assert_allclose(csr.cluster_centers_, dense.cluster_centers_, rtol=1e-10)


def test_weighted_and_sparse_fits_identical_for_any_number_of_threads():
    code = """
        import numpy as np
        import scipy.sparse as sp
        from fastnet.cluster import KMeans
        rng = np.random.default_rng(0)
        X = rng.standard_normal((20000, 6))
        X[X < 0.3] = 0.0
        w = rng.uniform(0.1, 2.0, 20000)
        for data in (X, sp.csr_matrix(X)):
            m = KMeans(7, n_init=2, random_state=11).fit(data, sample_weight=w)
            print(repr(m.inertia_), m.labels_[:50].tolist(), repr(m.cluster_centers_.sum()))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


@pytest.mark.parametrize("spread_ties", [True, False])
def test_kmeans_plusplus_kernels_match_twin(rng, spread_ties):
    from fastnet.cluster.kmeans import _kmeans_plusplus

    X = np.repeat(rng.standard_normal((40, 3)), 3, axis=0)  # duplicates: ties at the end
    X = np.vstack([X, rng.standard_normal((2000, 3)) * 5])[: 120 + 300]
    weights = rng.uniform(0.0, 2.0, len(X))
    for k in (1, 5, 60):
        uniforms = rng.random((k - 1, 2 + int(np.log(k))))
        ours = _kmeans_plusplus(X, k, 7, uniforms, weights, spread_ties)
        assert_array_equal(ours, ref.kmeans_plusplus(X, k, 7, uniforms, weights, spread_ties))
    X = X[:120]  # 40 distinct points, 45 centres: the total reaches 0
    uniforms = rng.random((44, 5))
    ours = _kmeans_plusplus(X, 45, 0, uniforms, np.ones(120), spread_ties)
    twin = ref.kmeans_plusplus(X, 45, 0, uniforms, np.ones(120), spread_ties)
    # equal weights make exact ties between candidates, which rounding breaks either way
    assert_array_equal(np.unique(ours, axis=0), np.unique(twin, axis=0))
    assert_array_equal(np.unique(ours, axis=0), np.unique(X, axis=0))


@pytest.mark.no_jit
def test_csr_candidate_distances_equal_scikit_learns(rng):
    """k-means++ on CSR: distances from densified candidate rows (one sparse-times-dense
    pass) equal scikit-learn's sparse-times-sparse ``euclidean_distances``."""
    import scipy.sparse as sp
    from sklearn.metrics.pairwise import euclidean_distances
    from sklearn.utils.extmath import row_norms

    from fastnet.cluster.kmeans_estimator import _csr_squared_distances

    for n, d in ((300, 50), (3000, 400)):  # the serial and the parallel kernel
        X = sp.random(n, d, density=0.1, format="lil", random_state=3) * 10
        X[5] = 0.0  # an empty row
        X = X.tocsr()
        norms = row_norms(X, squared=True)
        rows = np.array([7, 5, 7, 299])
        expected = euclidean_distances(X[rows], X, Y_norm_squared=norms, squared=True)
        closest = np.full(n, np.inf)
        np.testing.assert_array_equal(_csr_squared_distances(X, rows, norms, closest),
                                      expected)
        closest = expected[0] / 2  # the running minimum of k-means++
        np.testing.assert_array_equal(_csr_squared_distances(X, rows, norms, closest),
                                      np.minimum(expected, closest))
