"""``fastnet compile``: fill the on-disk kernel cache before first use (issue 19), for
container images and cluster workers whose first call should not wait for Numba.

Kernels compile for the argument types of their calls, so the command makes the calls
a user's code makes, on small inputs: every case of the benchmark table (which covers
the public functions) at its quick size, in float64 and float32 where the case takes
them, and the drop-in estimators with their defaults on small float64 and float32 data.
Small inputs choose the serial variant of the kernels that have a serial and a parallel
one (:class:`fastnet._jit.SerialOrParallel`); each such kernel's other variant is then
compiled for the same argument types, so large inputs find theirs in the cache too.

Numba writes the cache next to each module, or, where the installed package is
read-only, to its fallback location (``NUMBA_CACHE_DIR`` chooses another).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["compile_steps", "precompile"]


def _estimator_fits(dtype: str) -> Iterator[tuple[str, Callable[[], object]]]:
    """Default fits of the drop-in estimators on small data of ``dtype``."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)).astype(dtype)
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    positive = np.abs(X)

    def fit(module, name, data, *args, **params):
        def call():
            import importlib

            estimator = getattr(importlib.import_module(f"fastnet.{module}"), name)(**params)
            estimator.fit(data, *args)
            if hasattr(estimator, "predict"):
                estimator.predict(data)
            if hasattr(estimator, "transform"):
                estimator.transform(data)

        return call

    yield f"KMeans {dtype}", fit("cluster", "KMeans", X, n_clusters=3, random_state=0)
    for kind in ("full", "tied", "diag", "spherical"):
        yield (f"GaussianMixture {kind} {dtype}",
               fit("cluster", "GaussianMixture", X, n_components=3, covariance_type=kind,
                   random_state=0))
    yield f"NMF {dtype}", fit("decomposition", "NMF", positive, n_components=3,
                               random_state=0, max_iter=20)
    yield f"PCA {dtype}", fit("decomposition", "PCA", X, n_components=3)
    yield f"MLPClassifier {dtype}", fit("nn", "MLPClassifier", X, labels, max_iter=2,
                                        random_state=0)
    yield f"MLPClassifier binary {dtype}", fit("nn", "MLPClassifier", X, labels > 0,
                                               max_iter=2, random_state=0)
    yield f"MLPRegressor {dtype}", fit("nn", "MLPRegressor", X, X[:, 0], max_iter=2,
                                       random_state=0)


def _case_calls(pattern: str | None) -> Iterator[tuple[str, Callable[[], object]]]:
    """Each selected benchmark case's fast callable on its quick inputs."""
    from .bench.harness import select

    for case in select(pattern):
        for dtype in case.dtypes:
            def call(case=case, dtype=dtype):
                case.fast(*case.inputs(case.sizes[0], dtype))

            yield f"{case.name} {dtype}", call


def compile_steps(pattern: str | None = None) -> list[tuple[str, Callable[[], object]]]:
    """The calls ``fastnet compile`` makes: the benchmark cases whose name matches
    ``pattern`` (all when None) and, without a pattern, the estimators' default fits."""
    steps = list(_case_calls(pattern))
    if pattern is None:
        for dtype in ("float64", "float32"):
            steps += list(_estimator_fits(dtype))
    return steps


def _other_variants() -> int:
    """Compile the parallel variant of every serial-or-parallel kernel for the argument
    types its serial variant was called with, and the other way round; returns how
    many signatures were added."""
    from ._jit import SerialOrParallel, loaded_module_globals

    added = 0
    seen: set[int] = set()
    for _, _, value in loaded_module_globals():
        if not isinstance(value, SerialOrParallel) or id(value) in seen:
            continue
        seen.add(id(value))
        pair = (value.serial, value.parallel)
        for source, target in (pair, pair[::-1]):
            for signature in list(getattr(source, "signatures", ())):
                if signature not in getattr(target, "signatures", ()):
                    target.compile(signature)
                    added += 1
    return added


def precompile(pattern: str | None = None, progress: bool = True) -> int:
    """Make the calls of :func:`fastnet.precompile.compile_steps`, then compile the
    other variant of each serial-or-parallel kernel they reached; returns the number of
    steps made.

    >>> from fastnet.precompile import precompile
    >>> precompile("softplus", progress=False)  # doctest: +SKIP
    4
    """
    steps = compile_steps(pattern)
    if not steps:
        raise ValueError(f"filter {pattern!r} matches no benchmark case")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(steps) + 1, unit="step", file=sys.stderr, dynamic_ncols=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the tiny fits
        for label, call in steps:
            if bar is not None:
                bar.set_description(label)
            call()
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.set_description("parallel and serial variants")
        _other_variants()
    if bar is not None:
        bar.update()
        bar.close()
    return len(steps)
