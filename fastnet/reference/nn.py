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
    """Per-row ``sum(p log(p / q))`` with both clipped to ``[1e-15, 1 - 1e-15]``, the MLP
    study's loss."""
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


# ---------------------------------------------------------------- the MLP
def mlp_init(layer_sizes, rng, bias=1.0, dtype=np.float64):
    """Weights ``N(0, 2 / (n_in + n_out))`` drawn layer by layer from ``rng``; biases ``bias``."""
    coefs, intercepts = [], []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        W = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))
        coefs.append(W.astype(dtype))
        intercepts.append(np.full(n_out, bias, dtype=dtype))
    return coefs, intercepts


def dense(x, W, b):
    """Pre-activations ``b + x @ W``."""
    return b + x @ W


def mlp_predict_proba(coefs, intercepts, X):
    """Softplus hidden layers, softmax output, no dropout."""
    h = X
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        h = softplus(dense(h, W, b))
    return softmax(dense(h, coefs[-1], intercepts[-1]))


def mlp_train(coefs, intercepts, X, y, epochs, batch_size, learning_rate, keep_prob=1.0,
              shuffle=False, rng=None):
    """Minibatch SGD as in the spec; updates ``coefs`` and ``intercepts`` in place.

    Per epoch: a permutation ``rng.permutation(n)`` if ``shuffle``; per batch and hidden
    layer, in forward order, a mask ``rng.random(a.shape) < keep_prob`` if
    ``keep_prob < 1``.  Returns ``[(mean batch loss, accuracy during the epoch), ...]``.
    """
    n = X.shape[0]
    n_classes = coefs[-1].shape[1]
    batch_size = min(batch_size, n)
    history = []
    for _ in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        batch_losses, correct = [], 0
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            x, labels = X[rows], y[rows]
            target = onehot(labels, n_classes, X.dtype)
            # forward pass
            pre, post, scales = [], [x], []
            for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
                a = dense(post[-1], W, b)
                if keep_prob < 1:
                    mask = (rng.random(a.shape) < keep_prob).astype(a.dtype)
                else:
                    mask = np.ones_like(a)
                pre.append(a)
                scales.append(mask / keep_prob)
                post.append(softplus(a) * mask / keep_prob)
            output = softmax(dense(post[-1], coefs[-1], intercepts[-1]))
            batch_losses.append(np.mean(kl_divergence(target, output)))
            correct += np.sum(np.argmax(output, axis=1) == labels)
            # backprop: delta_k = sigma'(a_k) * (delta_{k+1} @ W_k^T), sigma' the sigmoid
            delta = output - target
            grads = []
            for k in range(len(coefs) - 1, -1, -1):
                d_W = post[k].T @ delta / batch_size
                d_b = np.sum(delta, axis=0) / batch_size
                grads.append((k, d_W, d_b))
                if k > 0:
                    delta = softplus_grad(pre[k - 1]) * scales[k - 1] * (delta @ coefs[k].T)
            for k, d_W, d_b in grads:
                coefs[k] -= learning_rate * d_W
                intercepts[k] -= learning_rate * d_b
        history.append((np.mean(batch_losses), correct / n))
    return history


# ---------------------------------------------------------------- scikit-learn's MLP
_HIDDEN = {
    "identity": (lambda a: a, lambda h: np.ones_like(h)),
    "relu": (lambda a: np.maximum(a, 0), lambda h: (h != 0).astype(h.dtype)),
    "tanh": (np.tanh, lambda h: 1 - h ** 2),
    "logistic": (lambda a: 1 / (1 + np.exp(-a)), lambda h: h * (1 - h)),
    "softplus": (lambda a: np.logaddexp(0, a), lambda h: -np.expm1(-h)),
}
_OUTPUT = {
    "identity": lambda a: a,
    "exp": np.exp,
    "logistic": lambda a: 1 / (1 + np.exp(-a)),
    "softmax": lambda a: softmax(a, axis=1),
}


def perceptron_loss_grad(coefs, intercepts, X, Y, activation, out_activation, alpha,
                         sample_weight=None):
    """scikit-learn's multilayer-perceptron loss (with the L2 term) and its gradient
    ``(coef_grads, intercept_grads)`` on the batch ``(X, Y)`` (``Y`` 2-D).  The loss
    follows the output activation: identity - half the squared error averaged over
    rows and outputs; exp - the Poisson deviance halved; logistic - binary log loss;
    softmax - log loss, probabilities clipped to [eps, 1 - eps]."""
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    f, f_prime = _HIDDEN[activation]
    post = [X]
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        post.append(f(post[-1] @ W + b))
    P = _OUTPUT[out_activation](post[-1] @ coefs[-1] + intercepts[-1])
    eps = np.finfo(P.dtype).eps
    Q = np.clip(P, eps, 1 - eps)
    if out_activation == "identity":
        per_row = ((Y - P) ** 2).sum(axis=1) / (2 * Y.shape[1])
    elif out_activation == "exp":
        with np.errstate(divide="ignore", invalid="ignore"):
            per_row = (np.where(Y > 0, Y * np.log(Y / P), 0.0) - Y + P).sum(axis=1)
    elif out_activation == "softmax":
        per_row = -(Y * np.log(Q)).sum(axis=1)
    else:
        per_row = -(Y * np.log(Q) + (1 - Y) * np.log(1 - Q)).sum(axis=1)
    total = w.sum()
    loss = (w @ per_row + 0.5 * alpha * sum((W ** 2).sum() for W in coefs)) / total
    delta = (P - Y) * w[:, None]
    coef_grads, intercept_grads = [None] * len(coefs), [None] * len(coefs)
    for k in range(len(coefs) - 1, -1, -1):
        coef_grads[k] = (post[k].T @ delta + alpha * coefs[k]) / total
        intercept_grads[k] = delta.sum(axis=0) / total
        if k > 0:
            delta = (delta @ coefs[k].T) * f_prime(post[k])
    return loss, coef_grads, intercept_grads
