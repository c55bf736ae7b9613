import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                                reason="nothing is compiled")

CALLS = """
import numpy as np
from fastnet import _stats
X = np.ones((40, 3))
_stats.column_means(X)          # compiles a kernel of fastnet._stats
_stats.column_sums_squares(X)   # another kernel of the same module: no second line
"""


def _stderr(cache_dir, code=CALLS, **env):
    environment = {k: v for k, v in os.environ.items() if k != "FASTNET_COMPILE_NOTICE"}
    environment.update(NUMBA_CACHE_DIR=str(cache_dir), **env)
    done = subprocess.run([sys.executable, "-c", code], env=environment, text=True,
                          capture_output=True, check=True)
    return [line for line in done.stderr.splitlines() if line.startswith("fastnet:")]


def test_compiling_is_announced_once_per_module_and_not_when_cached(tmp_path):
    assert _stderr(tmp_path) == [
        "fastnet: compiling the _stats kernels for float64 (first use; cached on disk "
        "afterwards)"]
    assert _stderr(tmp_path) == []  # loaded from the cache: nothing compiles


def test_the_notice_can_be_silenced(tmp_path):
    assert _stderr(tmp_path / "a", FASTNET_COMPILE_NOTICE="0") == []
    quiet = ("import logging\nlogging.getLogger('fastnet.compile').setLevel(logging.ERROR)\n"
             + CALLS)
    assert _stderr(tmp_path / "b", code=quiet) == []
