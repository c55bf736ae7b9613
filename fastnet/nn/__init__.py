"""Neural networks: activation and loss kernels, and a minibatch-SGD multilayer perceptron."""

from .activations import (
    cross_entropy,
    kl_divergence,
    log_softmax,
    onehot,
    softmax,
    softplus,
    softplus_grad,
)

_MLP_NAMES = {"MLP", "MLPClassifier", "DivergenceError"}


def __getattr__(name):
    # the MLP module loads scikit-learn and pandas: only on first use, so that
    # ``import fastnet`` stays light
    if name in _MLP_NAMES:
        from . import mlp

        return getattr(mlp, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["softplus", "softplus_grad", "softmax", "log_softmax", "kl_divergence",
           "cross_entropy", "onehot", "MLP", "MLPClassifier", "DivergenceError"]
