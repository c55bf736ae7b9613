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


def _private_imports():
    """(module, imported module, name) for every ``from X import _name`` in fastnet/ that
    names a function, class or constant (importing a private *module* is allowed)."""
    import ast
    import importlib.util
    from pathlib import Path

    root = Path(fastnet.__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        package = ".".join(parts if path.name == "__init__.py" else parts[:-1])
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 package) if node.level else node.module
            for alias in node.names:
                target = root.parent.joinpath(*source.split("."), alias.name)
                is_module = target.with_suffix(".py").exists() or target.is_dir()
                if alias.name.startswith("_") and not alias.name.startswith("__") \
                        and not is_module:
                    yield ".".join(parts), source, alias.name


def test_no_module_imports_a_private_name_from_another_package():
    # one area's kernels are not another's API: what is shared across areas gets a
    # public name in a neutral module (fastnet._stats, fastnet._validation, ...)
    def area(module):
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 2 else parts[0]

    crossing = [(m, source, name) for m, source, name in _private_imports()
                if source.split(".")[0] == "fastnet"
                and (area(m) != area(source) or (area(source) == "fastnet" and m != source))]
    assert crossing == []
