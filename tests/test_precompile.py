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


# ---------------------------------------------------------------- read-only install
READ_ONLY_FIT = """
import sys
sys.path.insert(0, {site!r})
import numpy as np
import fastnet
assert fastnet.__file__.startswith({site!r}), fastnet.__file__
from fastnet.cluster import KMeans
from fastnet.nn import softplus
X = np.random.default_rng(0).standard_normal((300, 3))
print(KMeans(3, random_state=0, n_init=1).fit(X).inertia_ if {fit} else softplus(X).sum())
"""


def _read_only_copy(site):
    """fastnet's package as installed in a directory nobody may write to: directories
    r-x, files r--, no cache files."""
    import shutil
    from pathlib import Path

    import fastnet

    shutil.copytree(Path(fastnet.__file__).parent, site / "fastnet",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [site, *site.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def _unprivileged(code, home, **env):
    """``code`` run by a process without root's right to write anywhere (``unshare
    --user``: a new user namespace drops CAP_DAC_OVERRIDE, so the permission bits hold
    even for root); returns (stdout, number of compile notices)."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("FASTNET_COMPILE_NOTICE", "NUMBA_CACHE_DIR")}
    environment.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), **env)
    done = subprocess.run(["unshare", "--user", sys.executable, "-c", code],
                          env=environment, text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr.count("fastnet: compiling")


def test_a_read_only_install_caches_in_numbas_fallback_or_numba_cache_dir(tmp_path):
    """Installed where it cannot write (a system site-packages, a container image),
    fastnet still compiles, caches in Numba's per-user fallback location and loads from
    it in the next process, or caches in ``NUMBA_CACHE_DIR`` when that is set; nothing
    is written next to the package."""
    import shutil

    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--user", "true"], capture_output=True).returncode != 0:
        pytest.skip("unprivileged user namespaces (unshare --user) are not available")
    site, home = tmp_path / "site", tmp_path / "home"
    home.mkdir()
    _read_only_copy(site)
    try:
        fit = READ_ONLY_FIT.format(site=str(site), fit=True)
        first, compiled = _unprivileged(fit, home)
        assert compiled  # compiled: nothing was cached yet
        assert list((home / ".cache" / "numba").rglob("*.nbi"))  # the fallback cache
        assert _unprivileged(fit, home) == (first, 0)  # loaded from it: no compiling
        cache_dir = tmp_path / "cache"
        call = READ_ONLY_FIT.format(site=str(site), fit=False)
        assert _unprivileged(call, home, NUMBA_CACHE_DIR=str(cache_dir))[1]
        assert list(cache_dir.rglob("*.nbi"))
        assert not [path for path in site.rglob("*") if path.suffix in (".nbi", ".nbc")]
    finally:
        for path in [site, *site.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
