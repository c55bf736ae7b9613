import os
import subprocess
import sys

import pytest

from fastnet.precompile import compile_steps, precompile

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                                reason="nothing is compiled")

LARGE_CALL = """
import numpy as np
from fastnet.nn import softplus
softplus(np.linspace(-5.0, 5.0, 2_000_000))  # large: the parallel variant
"""


def _run(code, cache_dir, *args):
    environment = {k: v for k, v in os.environ.items() if k != "FASTNET_COMPILE_NOTICE"}
    environment["NUMBA_CACHE_DIR"] = str(cache_dir)
    done = subprocess.run([sys.executable, *args] if not code else
                          [sys.executable, "-c", code], env=environment, text=True,
                          capture_output=True, check=True)
    # the progress bar's carriage returns share lines with the notices: count them
    return done.stdout, done.stderr.count("fastnet: compiling")


def test_compile_fills_the_cache_for_later_processes(tmp_path):
    """After ``fastnet compile --filter softplus`` (small inputs: the serial variant,
    then the parallel one for the same types), a later process's large softplus call
    compiles nothing: no compile notice."""
    out, notices = _run(None, tmp_path, "-m", "fastnet", "compile", "--filter", "softplus")
    assert "compiled the kernels of" in out and notices
    assert _run(LARGE_CALL, tmp_path) == ("", 0)
    _, fresh = _run(LARGE_CALL, tmp_path / "empty")  # the control: it does compile
    assert fresh


def test_compile_steps_cover_the_estimators_in_both_dtypes():
    labels = [label for label, _ in compile_steps()]
    for name in ("KMeans", "GaussianMixture diag", "NMF", "PCA", "MLPClassifier binary",
                 "MLPRegressor"):
        assert f"{name} float64" in labels and f"{name} float32" in labels
    assert all(label.startswith("softplus") for label, _ in compile_steps("softplus$"))


def test_unknown_filter_is_an_error():
    with pytest.raises(ValueError, match="matches no benchmark case"):
        precompile("no_such_case", progress=False)
