"""fastnet: Numba-compiled kernels for machine learning and network science.

The fast functions live in subpackages named after their area (``fastnet.nn``,
...); their pure-NumPy twins live at the same names under ``fastnet.reference``.
Nothing is compiled at import time: each kernel compiles (or loads from the
on-disk cache) on its first call.
"""

__version__ = "0.1.0"

from .nn import (  # noqa: E402
    cross_entropy,
    kl_divergence,
    log_softmax,
    onehot,
    softmax,
    softplus,
    softplus_grad,
)

_SUBMODULES = {"nn", "decomposition", "cluster", "graph", "reference", "random", "bench",
               "parallel", "studies", "plot", "demo",
               "cli"}


def __getattr__(name):
    # Subpackages load on first use (``fastnet.reference.nn``) so ``import fastnet`` stays light.
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", "softplus", "softplus_grad", "softmax", "log_softmax",
           "kl_divergence", "cross_entropy", "onehot"]
