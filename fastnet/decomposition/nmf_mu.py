"""scikit-learn's multiplicative-update NMF (``solver='mu'``) for any beta-divergence,
and the beta-divergence itself (Févotte & Idier 2011).

Each iteration updates W, then H (unless H is held fixed), by
``F <- F * (numerator / denominator) ** gamma`` with, for W and beta = 2,
numerator ``X H^T`` and denominator ``W H H^T``; for other beta, numerator
``(X * (W H)^(beta - 2)) H^T`` and denominator ``(W H)^(beta - 1) H^T`` (the row sums
of H for beta = 1); ``gamma = 1 / (2 - beta)`` below 1, ``1 / (beta - 1)`` above 2, else
1.  The l1 term is added to the denominator, the l2 term times F as well; zero
denominators become float32's eps, and W H below that eps is raised to it.  Every 10
iterations (when ``tol > 0``) the run stops once the divergence fell by less than
``tol`` times the starting divergence over those 10 iterations.  The hot path is BLAS
products; beta != 2 with sparse X works on X densified (same numbers, n x m memory).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["beta_divergence", "fit_multiplicative_update", "BETA_LOSSES"]

#: the named beta-divergences
BETA_LOSSES = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}
#: the floor of W H (and of zero denominators), float32's machine epsilon
EPSILON = np.finfo(np.float32).eps


def beta_divergence(X, W: np.ndarray, H: np.ndarray, beta: float) -> float:
    """``sqrt(2 d_beta(X | W H))``: the Frobenius norm ``||X - W H||`` for beta = 2;
    entries of X at most ``EPSILON`` are left out of the other divergences.

    Examples
    --------
    >>> import numpy as np
    >>> beta_divergence(np.array([[3.0, 4.0]]), np.zeros((1, 1)), np.zeros((1, 2)), 2.0)
    5.0
    """
    if beta == 2:
        if sp.issparse(X):
            cross = float(np.einsum("ij,ij->", np.asarray(X @ H.T), W))
            quadratic = float(np.einsum("ij,ij->", (W.T @ W) @ H, H))
            squared = X.data @ X.data + quadratic - 2.0 * cross
        else:
            residual = X - W @ H
            squared = np.einsum("ij,ij->", residual, residual)
        return float(np.sqrt(max(squared, 0.0)))
    if sp.issparse(X):
        coo = X.tocoo()
        X_data = coo.data
        WH_data = np.einsum("ij,ji->i", W[coo.row], H[:, coo.col])
    else:
        X_data = X.ravel()
        WH_data = (W @ H).ravel()
    keep = X_data > EPSILON
    X_data, WH_data = X_data[keep], np.maximum(WH_data[keep], EPSILON)
    ratio = X_data / WH_data
    if beta == 1:
        value = X_data @ np.log(ratio) + W.sum(axis=0) @ H.sum(axis=1) - X_data.sum()
    elif beta == 0:
        value = ratio.sum() - X.shape[0] * X.shape[1] - np.log(ratio).sum()
    else:
        WH = W @ H
        value = ((X_data ** beta).sum() - beta * (X_data @ WH_data ** (beta - 1))
                 + (WH ** beta).sum() * (beta - 1)) / (beta * (beta - 1))
    return float(np.sqrt(2.0 * max(value, 0.0)))


def _weighted_data(X, WH, beta):
    """``X * WH^(beta - 2)`` with ``WH`` raised to ``EPSILON`` first (X dense)."""
    safe = np.maximum(WH, EPSILON)
    if beta == 1:
        return X / safe
    if beta == 0:
        return X / (safe * safe)
    return X * safe ** (beta - 2)


def _step(F, numerator, denominator, l1, l2, gamma):
    """``F *= (numerator / regularised denominator) ** gamma`` in place."""
    if l1 > 0:
        denominator = denominator + l1
    if l2 > 0:
        denominator = denominator + l2 * F
    denominator = np.where(denominator == 0, EPSILON, denominator)
    ratio = numerator / denominator
    if gamma != 1:
        ratio **= gamma
    F *= ratio


def _update_W(X, W, H, beta, l1, l2, gamma, fixed):
    if beta == 2:
        if fixed is None:  # H moves: X H^T and H H^T are recomputed each time
            XHt, HHt = np.asarray(X @ H.T), H @ H.T
        else:
            XHt, HHt = fixed
        _step(W, XHt, W @ HHt, l1, l2, gamma)
        return XHt, HHt
    WH = W @ H
    numerator = _weighted_data(X, WH, beta) @ H.T
    if beta == 1:
        denominator = H.sum(axis=1)[np.newaxis, :]
    else:
        if beta < 1:
            WH = np.maximum(WH, EPSILON)
        denominator = WH ** (beta - 1) @ H.T
    _step(W, numerator, denominator, l1, l2, gamma)
    return None


def _update_H(X, W, H, beta, l1, l2, gamma):
    if beta == 2:
        numerator = np.asarray((X.T @ W).T) if sp.issparse(X) else W.T @ X
        _step(H, numerator, (W.T @ W) @ H, l1, l2, gamma)
        return
    WH = W @ H
    numerator = W.T @ _weighted_data(X, WH, beta)
    if beta == 1:
        W_sum = W.sum(axis=0)
        W_sum[W_sum == 0] = 1.0
        denominator = W_sum[:, np.newaxis]
    else:
        if beta < 1:
            WH = np.maximum(WH, EPSILON)
        denominator = W.T @ WH ** (beta - 1)
    _step(H, numerator, denominator, l1, l2, gamma)


def fit_multiplicative_update(X, W: np.ndarray, H: np.ndarray, beta: float = 2.0,
                              max_iter: int = 200, tol: float = 1e-4, l1_reg_W: float = 0.0,
                              l1_reg_H: float = 0.0, l2_reg_W: float = 0.0,
                              l2_reg_H: float = 0.0, update_H: bool = True,
                              verbose: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """scikit-learn's multiplicative updates from ``(W, H)`` (updated in place).

    Returns ``(W, H, n_iter)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0]])
    >>> W, H, n_iter = fit_multiplicative_update(X, np.ones((2, 1)), np.ones((1, 2)))
    >>> bool(np.allclose(W @ H, X, atol=1e-3))
    True
    """
    if beta != 2 and sp.issparse(X):
        X = X.toarray()
    gamma = 1.0 / (2.0 - beta) if beta < 1 else 1.0 / (beta - 1.0) if beta > 2 else 1.0
    # for stability below beta = 1, factors under float64's eps are set to 0
    floor = np.finfo(np.float64).eps if beta < 1 else None
    error_at_init = beta_divergence(X, W, H, beta)
    previous_error = error_at_init
    fixed = None
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        products = _update_W(X, W, H, beta, l1_reg_W, l2_reg_W, gamma, fixed)
        if floor is not None:
            W[W < floor] = 0.0
        if update_H:
            _update_H(X, W, H, beta, l1_reg_H, l2_reg_H, gamma)
            if floor is not None:
                H[H < floor] = 0.0
        else:
            fixed = products  # H fixed: X H^T and H H^T never change
        if tol > 0 and n_iter % 10 == 0:
            error = beta_divergence(X, W, H, beta)
            if verbose:
                print(f"Epoch {n_iter:02d} reached, error: {error:f}")
            if (previous_error - error) / error_at_init < tol:
                break
            previous_error = error
    return W, H, n_iter
