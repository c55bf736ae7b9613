"""Pure-NumPy twins of :mod:`fastnet.nn`: the obvious code, written for clarity."""

from __future__ import annotations

import numpy as np

CLIP = 1e-15


def softplus(x, beta=1.0):
    """``log(1 + exp(beta x)) / beta``, via ``logaddexp(0, beta x)`` so it cannot overflow."""
    with np.errstate(invalid="ignore"):  # NaN in, NaN out, quietly
        return np.logaddexp(0.0, beta * np.asarray(x)) / beta


def softplus_grad(x, beta=1.0):
    """The logistic sigmoid ``1 / (1 + exp(-beta x)) = exp(-log(1 + exp(-beta x)))``."""
    with np.errstate(invalid="ignore"):
        return np.exp(-np.logaddexp(0.0, -beta * np.asarray(x)))


def softmax(x, axis=-1):
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):
        z = x - x.max(axis=axis, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``(x - max) - log(sum(exp(x - max)))`` along ``axis``."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):
        z = x - x.max(axis=axis, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def kl_divergence(y_true, y_pred):
    """Per-row ``sum(p log(p / q))`` with both clipped to ``[1e-15, 1 - 1e-15]`` (the seed)."""
    y_pred = np.clip(np.asarray(y_pred), CLIP, 1 - CLIP)
    y_true = np.clip(np.asarray(y_true), CLIP, 1 - CLIP)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


def cross_entropy(labels, probs):
    """``-log(probs[i, labels[i]])`` with the same clipping."""
    probs = np.asarray(probs)
    picked = probs[np.arange(probs.shape[0]), np.asarray(labels)]
    return -np.log(np.clip(picked, CLIP, 1 - CLIP))


def onehot(y, n_classes=None, dtype=np.float64):
    """``onehot(y)[i, c] = 1 if y[i] == c else 0``."""
    y = np.asarray(y)
    if n_classes is None:
        n_classes = int(y.max()) + 1
    return (y[:, None] == np.arange(n_classes)).astype(dtype)
