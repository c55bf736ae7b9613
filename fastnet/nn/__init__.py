"""Neural-network building blocks: activations, losses and (later) the MLP."""

from .activations import (
    cross_entropy,
    kl_divergence,
    log_softmax,
    onehot,
    softmax,
    softplus,
    softplus_grad,
)

__all__ = ["softplus", "softplus_grad", "softmax", "log_softmax", "kl_divergence",
           "cross_entropy", "onehot"]
