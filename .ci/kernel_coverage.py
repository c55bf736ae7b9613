"""Check that a no-JIT test run executed the Python body of every Numba kernel.

Run after ``NUMBA_DISABLE_JIT=1 coverage run --source=fastnet -m pytest ...``: with
the JIT disabled the kernels run as plain Python, so coverage sees their lines.  A
kernel is any function in ``fastnet/`` decorated with one of the decorators of
``fastnet/_jit.py``.  The report lists each kernel's executed body lines; the check
fails if a kernel's body never ran (its compiled-only behaviour would be untested
against plain Python semantics).

Usage: ``python .ci/kernel_coverage.py [--data-file .coverage] [--verbose]``
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

KERNEL_DECORATORS = {"jit", "parallel_jit", "serial_or_parallel_jit", "variant_jit"}
PACKAGE = Path(__file__).resolve().parent.parent / "fastnet"


def _decorator_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _body_lines(func: ast.FunctionDef) -> set[int]:
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring is not executed code
    return {node.lineno for stmt in body for node in ast.walk(stmt)
            if isinstance(node, ast.stmt)}


def kernels(package: Path = PACKAGE):
    """Yield (path, name, body line numbers) for every decorated kernel."""
    for path in sorted(package.rglob("*.py")):
        if path.name == "_jit.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                    _decorator_name(d) in KERNEL_DECORATORS for d in node.decorator_list):
                yield path, node.name, _body_lines(node)


def main(argv=None) -> int:
    import coverage

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", default=".coverage")
    parser.add_argument("--verbose", action="store_true", help="list every kernel")
    args = parser.parse_args(argv)

    data = coverage.CoverageData(basename=args.data_file)
    data.read()
    never_run, total_lines, run_lines, n_kernels = [], 0, 0, 0
    for path, name, body in kernels():
        executed = set(data.lines(str(path)) or ()) & body
        n_kernels += 1
        total_lines += len(body)
        run_lines += len(executed)
        label = f"{path.relative_to(PACKAGE.parent)}::{name}"
        if not executed:
            never_run.append(label)
        if args.verbose or len(executed) < len(body):
            missing = sorted(body - executed)
            print(f"{label}: {len(executed)}/{len(body)} lines"
                  + (f", not run: {missing}" if missing else ""))
    print(f"{n_kernels} kernels, {run_lines}/{total_lines} body lines executed without the JIT "
          f"({100 * run_lines / max(total_lines, 1):.1f}%)")
    if n_kernels == 0:
        print("no kernels found: is the package path right?", file=sys.stderr)
        return 1
    if never_run:
        print(f"{len(never_run)} kernel(s) never ran without the JIT:", *never_run,
              sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
