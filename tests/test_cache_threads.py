"""Numba's on-disk cache and thread safety, tested in fresh interpreters.

* kernels compile once per environment: a second process loads them from the cache;
* two processes compiling into the same empty cache at the same time neither crash
  nor corrupt it (joblib workers and CI runners do exactly this);
* parallel kernels called from several Python threads at once (joblib's threading
  backend) work with the installed threading layer and give the serial answers;
* reductions and parallel random draws give bit-identical results for any number
  of Numba threads (the modules' own tests cover k-means, GMM, MLP, SBM, signal
  flow and spectral tools; this file covers the rest).

Every scenario runs in a subprocess, so that a crash (an abort in a threading layer,
a segfault on a corrupt cache file) fails the test instead of killing pytest.
"""

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import output_with_threads

# Calls a few kernels of several kinds: serial, parallel, serial-or-parallel, and a
# kernel calling another kernel.  Prints digests of the results and the cache hit
# and miss counts of the dispatchers it used.
_CACHE_PROBE = """
    import hashlib
    import numpy as np
    from fastnet.cluster import metrics, within_cluster_distance
    from fastnet.nn import activations, kl_divergence, softmax

    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 10))
    labels = rng.integers(0, 4, 300)
    results = [softmax(x), kl_divergence(softmax(x), softmax(x[::-1])),
               within_cluster_distance(x, labels)]
    print(*(hashlib.sha256(np.asarray(r).tobytes()).hexdigest()[:16] for r in results))

    dispatchers = [activations._softmax_kernel.serial, activations._kl_row_sums_kernel.serial,
                   metrics._cluster_sums.serial]
    hits = sum(sum(d.stats.cache_hits.values()) for d in dispatchers)
    misses = sum(sum(d.stats.cache_misses.values()) for d in dispatchers)
    print("hits", hits, "misses", misses)
"""


def _python(code, cache_dir=None):
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if cache_dir is not None:
        environment["NUMBA_CACHE_DIR"] = str(cache_dir)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process):
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    digests, counts = out.strip().splitlines()
    _, hits, _, misses = counts.split()
    return digests, int(hits), int(misses)


def _compiled_then_loaded(code, cache_dir, timeout=600):
    """Stdout of ``code`` in a process that compiles into the empty ``cache_dir``, then
    in one that loads every kernel from it."""
    outputs = []
    for _ in range(2):
        process = _python(code, cache_dir)
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, err[-2000:]
        outputs.append(out)
    return outputs


def _cache_files(cache_dir):
    return sorted(str(p.relative_to(cache_dir)) for p in cache_dir.rglob("*")
                  if p.suffix in (".nbi", ".nbc"))


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="nothing is compiled")
def test_kernels_compile_once_then_load_from_the_cache(tmp_path):
    first = _finish(_python(_CACHE_PROBE, tmp_path))
    assert first[1] == 0 and first[2] == 3  # compiled: nothing to load yet
    files = _cache_files(tmp_path)
    assert any(f.endswith(".nbi") for f in files) and any(f.endswith(".nbc") for f in files)

    second = _finish(_python(_CACHE_PROBE, tmp_path))
    assert second == (first[0], 3, 0)  # same results, every kernel loaded, none compiled
    assert _cache_files(tmp_path) == files


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="nothing is compiled")
def test_two_processes_compiling_into_one_empty_cache(tmp_path):
    racers = [_python(_CACHE_PROBE, tmp_path) for _ in range(2)]  # start together
    results = [_finish(p) for p in racers]
    assert results[0][0] == results[1][0]
    # the cache they wrote is usable: a third process loads every kernel from it
    assert _finish(_python(_CACHE_PROBE, tmp_path)) == (results[0][0], 3, 0)


def test_parallel_kernels_from_many_python_threads():
    # big enough for the parallel variants (PARALLEL_MIN_WORK elements and more)
    code = """
        import numba
        import numpy as np
        from joblib import Parallel, delayed
        from fastnet.cluster import kmeans, within_cluster_distance
        from fastnet.graph import sbm
        from fastnet.nn import kl_divergence, softmax

        rng = np.random.default_rng(0)
        x = rng.standard_normal((40_000, 10))
        labels = rng.integers(0, 5, 40_000)

        def work(i):
            p = softmax(x * (1 + i % 2))
            g = sbm([20_000, 20_000], [[1e-3, 2e-4], [2e-4, 1e-3]], sparse=True, seed=i % 2)
            km = kmeans(x[:5000], 4, seed=i % 2)
            return (p.sum(axis=1).round(12).tolist()[:5], float(kl_divergence(p, p[::-1]).sum()),
                    float(within_cluster_distance(x, labels)), g.nnz, g.indices.sum(),
                    km.inertia)

        serial = [work(i) for i in range(2)] * 4
        threaded = Parallel(n_jobs=4, backend="threading")(delayed(work)(i) for i in range(8))
        assert threaded == serial, (threaded, serial)
        print("ok", numba.threading_layer())
    """
    process = _python(code)  # the environment's cache, as a user's process would
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    assert out.startswith("ok")


def test_reductions_do_not_depend_on_the_number_of_threads():
    code = """
        import hashlib
        import numpy as np
        from fastnet import cluster, decomposition, nn
        digest = lambda a: hashlib.sha256(np.asarray(a).tobytes()).hexdigest()[:16]

        rng = np.random.default_rng(11)
        X = rng.standard_normal((30_000, 12))
        labels = rng.integers(0, 7, 30_000)
        other = (labels + rng.integers(0, 2, 30_000)) % 7
        P, Q = nn.softmax(X), nn.softmax(X[::-1])
        print(digest(nn.kl_divergence(P, Q)), digest(nn.cross_entropy(labels, Q)),
              digest(nn.log_softmax(X)), digest(nn.softplus(X)))
        print(digest(cluster.within_cluster_distance(X, labels)),
              digest(cluster.within_cluster_distance(X[:3000], labels[:3000], method="pairwise")),
              digest(cluster.calinski_harabasz_score(X, labels)),
              digest(cluster.adjusted_rand_score(labels, other)),
              digest(cluster.homogeneity_score(labels, other)))
        print(*(digest(a) for a in decomposition.column_stats(X)),
              digest(decomposition.standardize(X)), digest(decomposition.minmax_normalize(X)))
        model = decomposition.PCA(5).fit(X)
        print(digest(model.components_), digest(model.transform(X)))
    """
    assert output_with_threads(code, 1) == output_with_threads(code, 2)


# One script, run once in a process that compiles every kernel it needs into an empty
# cache and once in a process that loads them all: each line is "<what> <digest>", and
# the tests below compare their own lines.  (Each scenario in its own pair of processes
# compiled the same k-means and GMM kernels four times over: 40 s of CI.)
_COMPILED_VS_CACHED = """
    import dataclasses
    import hashlib
    import warnings

    import numpy as np
    import scipy.sparse

    from fastnet.bench import CASES
    from fastnet.cluster import GaussianMixture, KMeans, calinski_harabasz_score

    warnings.simplefilter("ignore")

    def digest(value, h):
        if isinstance(value, np.ndarray):
            h.update(str(value.dtype).encode() + np.ascontiguousarray(value).tobytes())
        elif scipy.sparse.issparse(value):
            for part in (value.data, value.indices, value.indptr):
                digest(np.asarray(part), h)
        elif isinstance(value, (tuple, list)):
            for item in value:
                digest(item, h)
        elif isinstance(value, dict):
            for key in sorted(value):
                digest(value[key], h)
        elif dataclasses.is_dataclass(value):
            for field in dataclasses.fields(value):
                digest(getattr(value, field.name), h)
        elif hasattr(value, "to_numpy"):
            digest(value.to_numpy(), h)
        else:
            h.update(repr(value).encode())

    # every case of the benchmark table at its quick size, in each of its dtypes
    for case in CASES:
        for dtype in case.dtypes:
            h = hashlib.sha256()
            np.random.seed(0)  # PCA(30)'s defaults draw from the global RandomState
            digest(case.fast(*case.inputs(case.sizes[0], dtype)), h)
            print("table", case.name, dtype, h.hexdigest()[:16])

    # the tied and diag/spherical passes were compiled with reassociation: LLVM
    # optimises a parallel kernel's body once in its gufunc and again in the module
    # that links it, and regrouped their sums differently in the two, so a fresh
    # compile and the cache gave different last bits of the fitted parameters on these
    # data (the table's 2,000-row inputs did not show it)
    rng = np.random.default_rng(0)
    X = rng.normal(0, 3, (6, 5))[rng.integers(0, 6, 20000)] + rng.standard_normal((20000, 5))
    for kind in ("full", "tied", "diag", "spherical"):
        m = GaussianMixture(6, covariance_type=kind, random_state=1, max_iter=20).fit(X)
        h = hashlib.sha256()
        digest([m.weights_, m.means_, m.covariances_, m.lower_bound_], h)
        print("gmm", kind, h.hexdigest()[:16])

    # Calinski-Harabasz's squared deviations were a reassociated sum in a parallel
    # kernel: on these data a fresh compile and the cache gave different last bits
    rng = np.random.default_rng(50002)
    X = rng.normal(0, 3, (3, 2))[rng.integers(0, 3, 50000)] + rng.standard_normal((50000, 2))
    labels = KMeans(3, random_state=2).fit(X).labels_
    print("calinski_harabasz", repr(calinski_harabasz_score(X, labels)))
"""


@pytest.fixture(scope="module")
def compiled_and_cached(tmp_path_factory):
    """{what: (line compiled, line loaded)} of :data:`_COMPILED_VS_CACHED`."""
    if os.environ.get("NUMBA_DISABLE_JIT") == "1":
        pytest.skip("nothing is compiled")
    compiled, loaded = (out.splitlines() for out in _compiled_then_loaded(
        _COMPILED_VS_CACHED, tmp_path_factory.mktemp("cache"), timeout=900))
    return {line.rsplit(" ", 1)[0]: (line, other)
            for line, other in zip(compiled, loaded, strict=True)}


def _lines(outputs, what):
    return {key: pair for key, pair in outputs.items() if key.split()[0] == what}


def test_gmm_every_covariance_type_compiled_equals_cached(compiled_and_cached):
    gmm = _lines(compiled_and_cached, "gmm")
    assert len(gmm) == 4
    assert {key: pair for key, pair in gmm.items() if pair[0] != pair[1]} == {}


def test_calinski_harabasz_compiled_equals_cached(compiled_and_cached):
    [(line, other)] = _lines(compiled_and_cached, "calinski_harabasz").values()
    assert line == other


def test_every_benchmark_case_gives_the_same_bits_compiled_and_loaded(compiled_and_cached):
    """Issue 19: the result of every case of the benchmark table (its fast callable at
    the quick size, in each of its dtypes), in a process that compiles every kernel into
    an empty cache and in one that loads them all from it, is the same bytes."""
    table = _lines(compiled_and_cached, "table")
    assert len(table) >= 50  # every case and dtype
    assert {key: pair for key, pair in table.items() if pair[0] != pair[1]} == {}
