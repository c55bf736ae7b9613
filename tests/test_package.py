"""Import-time behaviour: light, and nothing compiled."""

import subprocess
import sys
import textwrap

import fastnet


def test_import_compiles_nothing_and_stays_light():
    code = textwrap.dedent("""
        import sys
        import fastnet
        from fastnet.nn import activations
        from numba.core.registry import CPUDispatcher
        from fastnet._jit import SerialOrParallel
        kernels = [f for f in vars(activations).values() if isinstance(f, CPUDispatcher)]
        for f in vars(activations).values():
            if isinstance(f, SerialOrParallel):
                kernels += [f.serial, f.parallel]
        assert kernels, "no kernels found"
        compiled = [k.py_func.__name__ for k in kernels if k.signatures]
        heavy = [m for m in ("pandas", "sklearn", "joblib", "matplotlib", "dask")
                 if m in sys.modules]
        print(len(kernels), compiled, heavy)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    n_kernels, rest = result.stdout.strip().split(" ", 1)
    assert int(n_kernels) >= 5 and rest == "[] []", result.stdout


def test_public_names():
    for name in ["softplus", "softplus_grad", "softmax", "log_softmax", "kl_divergence",
                 "cross_entropy", "onehot"]:
        assert callable(getattr(fastnet, name)) and callable(getattr(fastnet.nn, name))
        assert callable(getattr(fastnet.reference.nn, name))
    assert isinstance(fastnet.__version__, str)


def test_subpackages_load_on_first_use():
    code = ("import sys, fastnet; assert 'fastnet.cluster' not in sys.modules; "
            "fastnet.cluster.kmeans; fastnet.decomposition.nmf; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "ok"
