"""Pure-NumPy twins of :mod:`fastnet.decomposition`, written as the seeds' formulas read."""

from __future__ import annotations

import numpy as np


def _random_init(n, m, k, seed, dtype):
    # H = rand(k, m) first, then W = rand(n, k), from one generator (the documented start)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    H = rng.random((k, m)).astype(dtype)
    W = rng.random((n, k)).astype(dtype)
    return W, H


def cost(X, W, H):
    """Mean squared residual ``sum((X - W H)^2) / (n m)``."""
    diff = X - np.dot(W, H)
    return (diff * diff).sum() / (X.shape[0] * X.shape[1])


def nmf(X, n_components, max_iter=500, pseudo_count=1e-3, seed=None, W_init=None,
        H_init=None):
    """Lee-Seung multiplicative updates, H first then W, as in the seed.

    Returns ``(W, H, cost_history, delta_H, delta_W)``.
    """
    X = np.asarray(X)
    n, m = X.shape
    if W_init is None:
        W, H = _random_init(n, m, n_components, seed, X.dtype)
    else:
        W, H = np.array(W_init, dtype=X.dtype), np.array(H_init, dtype=X.dtype)
    costs, delta_H, delta_W = [], [], []
    for _ in range(max_iter):
        old_H = H
        H = old_H * (W.T.dot(X)) / (W.T.dot(W.dot(H)) + pseudo_count)
        old_W = W
        W = W * (X.dot(H.T)) / (W.dot(H.dot(H.T)) + pseudo_count)
        delta_H.append(np.linalg.norm(H - old_H))
        delta_W.append(np.linalg.norm(W - old_W))
        costs.append(cost(X, W, H))
    return W, H, np.array(costs), np.array(delta_H), np.array(delta_W)


def _std_filled(X_train):
    # statistics in float64 whatever the dtype: a float32 mean of a constant column
    # can be an ulp off, and that noise must not pass for variance
    mu = np.mean(X_train, axis=0, dtype=np.float64)
    std = np.std(X_train, axis=0, dtype=np.float64)
    std_filled = std.copy()
    # zero variance (within rounding) -> left unscaled
    std_filled[std <= 10 * np.finfo(np.float64).eps * np.abs(mu)] = 1.0
    return mu, std_filled


def standardize(X, X_train=None):
    X_train = X if X_train is None else X_train
    mu, std_filled = _std_filled(X_train)
    return ((X - mu) / std_filled).astype(_float_dtype(X))


def unstandardize(X, X_train):
    mu, std_filled = _std_filled(X_train)
    return (mu + std_filled * X).astype(_float_dtype(X))


def _float_dtype(X):
    X = np.asarray(X)
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)


def minmax_normalize(X, X_train=None):
    X_train = X if X_train is None else X_train
    low, high = np.min(X_train), np.max(X_train)
    width = high - low if high > low else 1.0
    return (X - low) / width


def minmax_unnormalize(X, X_train):
    low, high = np.min(X_train), np.max(X_train)
    width = high - low if high > low else 1.0
    return X * width + low


def pca(X, n_components=None, standardize=True):
    """Covariance ``Z^T Z / (n - 1)`` of the standardised (or centred) data, its top-k
    eigenpairs sorted descending, scores ``Z V``.

    Returns ``(scores, components, explained_variance, explained_variance_ratio, mean, scale)``.
    """
    X = np.asarray(X, dtype=np.float64)
    mu, std_filled = _std_filled(X)
    if not standardize:
        std_filled = np.ones_like(std_filled)
    Z = (X - mu) / std_filled
    C = 1.0 / (len(Z) - 1) * np.dot(Z.T, Z)
    eigenvalues, eigenvectors = np.linalg.eigh(C)
    order = np.argsort(eigenvalues)[::-1][: n_components or X.shape[1]]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    # sign rule: the largest-|entry| of each component is positive
    biggest = np.argmax(np.abs(eigenvectors), axis=0)
    eigenvectors = eigenvectors * np.sign(eigenvectors[biggest, np.arange(len(order))])
    ratio = eigenvalues / np.trace(C)
    return Z.dot(eigenvectors), eigenvectors.T, eigenvalues, ratio, mu, std_filled


def denoise(X, basis, center=0.0, scale=1.0):
    """``((X - c) / s) B^T (B B^T)^+ B * s + c``: projection onto the rows of ``basis``
    (the seeds' ``X B B^T`` when the rows are orthonormal)."""
    Z = (X - center) / scale
    return (Z @ basis.T @ np.linalg.pinv(basis @ basis.T) @ basis) * scale + center


def nmf_cd_sweep(X, W, Ht, l1_reg, l2_reg, permutation):
    """One coordinate-descent sweep over ``W`` for ``X ~ W Ht^T`` (scikit-learn's 'cd'),
    component by component in ``permutation`` order, each over all rows; returns the
    updated copy of ``W`` and the sum of ``|projected gradient|``."""
    W = np.array(W, dtype=float)
    HHt = Ht.T @ Ht + l2_reg * np.eye(Ht.shape[1])
    XHt = np.asarray(X @ Ht) - l1_reg
    violation = 0.0
    for t in permutation:
        for i in range(W.shape[0]):
            grad = W[i] @ HHt[:, t] - XHt[i, t]
            violation += abs(min(grad, 0.0) if W[i, t] == 0 else grad)
            if HHt[t, t] != 0:
                W[i, t] = max(W[i, t] - grad / HHt[t, t], 0.0)
    return W, violation
