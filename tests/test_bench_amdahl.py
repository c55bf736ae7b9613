import shutil

import pytest

from fastnet.bench import amdahl

TOP = "<module> (x.py:1);_measured_calls (fastnet/bench/amdahl.py:80);fit (a.py:9);"
RAW = "\n".join([
    "<module> (x.py:1);helper (x.py:3) 7",  # outside the measured calls
    TOP + "dgemm_kernel_SKYLAKEX (libscipy_openblas64_-32a4b2a6.so) 11",
    TOP + "cblas_dgemm (libmkl_rt.so.2);0x7f00 (?) 2",
    TOP + "_Marked.__call__ (fastnet/bench/amdahl.py:56);"
          "_parallel_region (fastnet/bench/amdahl.py:46);0x7fc4f2febf1d (?) 5",
    TOP + "DOUBLE_multiply (numpy/_core/_multiarray_umath.so) 3",
    TOP[:-1] + " 4",
    TOP + "dsyrk_thread_UN (libopenblas.so.0);0x7f01 (?) 1",
])


def test_classify_samples_by_hand():
    """Only stacks inside _measured_calls count; a parallel-region frame below it makes
    a kernel sample, a frame of a BLAS library (whatever runs under it) a BLAS sample;
    all else is serial."""
    assert amdahl.classify_samples(RAW) == {"serial": 3 + 4, "blas": 11 + 2 + 1, "kernels": 5}
    assert amdahl.classify_samples("") == {"serial": 0, "blas": 0, "kernels": 0}


def test_unknown_case_is_a_value_error():
    with pytest.raises(ValueError, match="matches no case"):
        amdahl._selected("no_such_case", False, None)


@pytest.mark.skipif(shutil.which("py-spy") is None, reason="py-spy is not installed")
def test_sampled_shares_follow_the_code_structure():
    """softplus of 10^6 values is one parallel kernel; pca_fit (20,000 x 784) is mostly
    one BLAS product: the samples must say so (structure, not timing)."""
    rows = amdahl.run_amdahl("softplus*", dtypes=["float64"], seconds=1.0, quiet=True)
    rows += amdahl.run_amdahl("pca_fit", dtypes=["float64"], seconds=1.0, quiet=True)
    assert [row["case"] for row in rows] == ["softplus", "softplus_grad", "pca_fit"]
    softplus, pca = rows[0], rows[2]
    for row in rows:
        assert row["samples"] == row["serial"] + row["blas"] + row["kernels"] > 20
        assert row["bound"] == pytest.approx(
            1 / (row["serial_share"] + (1 - row["serial_share"]) / amdahl.AT_THREADS))
    assert softplus["kernels"] > 0.5 * softplus["samples"] and softplus["blas"] == 0
    # the structural claim is that BLAS outweighs each other kind of sample, not a share:
    # the shares move with the machine's load
    assert pca["blas"] > max(pca["serial"], pca["kernels"])
