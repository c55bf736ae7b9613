"""Neural networks: activation and loss kernels, the seeds' minibatch-SGD multilayer
perceptron (:class:`MLP`) and scikit-learn's (:class:`MLPClassifier`, :class:`MLPRegressor`)."""

from .activations import (
    cross_entropy,
    kl_divergence,
    log_softmax,
    onehot,
    softmax,
    softplus,
    softplus_grad,
)

#: name -> the module defining it, imported on first use
_LAZY = {"MLP": "mlp", "DivergenceError": "mlp", "MLPClassifier": "perceptron",
         "MLPRegressor": "perceptron"}


def __getattr__(name):
    # the MLP modules load on first use (the classifier imports scikit-learn), so that
    # ``import fastnet`` stays light
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["softplus", "softplus_grad", "softmax", "log_softmax", "kl_divergence",
           "cross_entropy", "onehot", "MLP", "MLPClassifier", "MLPRegressor",
           "DivergenceError"]
