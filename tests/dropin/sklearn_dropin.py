"""pytest plugin: run scikit-learn's own test module of an estimator with fastnet's
class bound in its place (the drop-in yardstick of DESIGN.md's "two contracts").

    python -m pytest -p sklearn_dropin --dropin=pca

(with ``tests/dropin`` on ``PYTHONPATH``; ``.ci/dropin`` does this for every
estimator).  The plugin rebinds the public name (``sklearn.decomposition.PCA``) before
the test module is imported, so ``from sklearn.decomposition import PCA`` in the module
gets fastnet's class, then collects the module with ``--pyargs``.  Tests of
scikit-learn's private helpers, which never touch the public class, still run against
scikit-learn.  Known failures are deselected: ``tests/dropin/<name>.txt`` lists one
per line as ``test_name[params]: reason`` (``#`` starts a comment), the way
scikit-learn-intelex keeps its deselection list.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

#: name -> (scikit-learn module that exports the classes, class names separated by
#: commas, fastnet module, scikit-learn test module)
ESTIMATORS = {
    "pca": ("sklearn.decomposition", "PCA", "fastnet.decomposition",
            "sklearn.decomposition.tests.test_pca"),
    "kmeans": ("sklearn.cluster", "KMeans", "fastnet.cluster",
               "sklearn.cluster.tests.test_k_means"),
    "gaussian_mixture": ("sklearn.mixture", "GaussianMixture", "fastnet.cluster",
                         "sklearn.mixture.tests.test_gaussian_mixture"),
    "nmf": ("sklearn.decomposition", "NMF", "fastnet.decomposition",
            "sklearn.decomposition.tests.test_nmf"),
    "mlp": ("sklearn.neural_network", "MLPClassifier,MLPRegressor", "fastnet.nn",
            "sklearn.neural_network.tests.test_mlp"),
}


def known_failures(name: str) -> dict[str, str]:
    """{test name (with its parameters) or function name: reason} for ``name``."""
    path = Path(__file__).with_name(f"{name}.txt")
    known = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.split("#", 1)[0].strip()
        if line:
            test, _, reason = line.partition(": ")
            if not reason.strip():
                raise ValueError(f"{path}: no reason given for {test}")
            known[test.strip()] = reason.strip()
    return known


def pytest_addoption(parser):
    parser.addoption("--dropin", choices=sorted(ESTIMATORS),
                     help="estimator whose scikit-learn test module runs with fastnet's class")
    parser.addoption("--dropin-report-only", action="store_true",
                     help="run the known failures too (to measure the pass rate)")


def pytest_configure(config):
    name = config.getoption("--dropin")
    if name is None:
        return
    sk_module, classes, fast_module, _ = ESTIMATORS[name]
    for cls in classes.split(","):
        setattr(importlib.import_module(sk_module), cls,
                getattr(importlib.import_module(fast_module), cls))


def pytest_collection_modifyitems(config, items):
    name = config.getoption("--dropin")
    if name is None or config.getoption("--dropin-report-only"):
        return
    known = known_failures(name)
    keep, drop = [], []
    for item in items:
        (drop if item.name in known or item.originalname in known else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_report_header(config):
    name = config.getoption("--dropin")
    if name is not None:
        sk_module, classes, fast_module, _ = ESTIMATORS[name]
        return "drop-in: " + ", ".join(f"{sk_module}.{cls} is {fast_module}.{cls}"
                                       for cls in classes.split(","))
    return None
