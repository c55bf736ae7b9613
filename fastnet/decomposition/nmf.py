"""Non-negative matrix factorisation by Lee-Seung multiplicative updates.

``X (n x m) ~ W (n x k) H (k x m)`` minimising ``cost = sum((X - W H)^2) / (n m)``;
each iteration updates H, then W (eps = ``pseudo_count``):

    H <- H * (W^T X) / ((W^T W) H + eps)        W <- W * (X H^T) / (W (H H^T) + eps)

Cost per iteration: the two products with X (``W^T X`` and ``X H^T``, 2nmk flops
each) plus O((n + m) k^2).  No n x m temporary is formed: the cost after the
iteration comes from products already at hand,

    ||X - W H||^2 = ||X||^2 - 2 <W, X H^T> + <W^T W, H H^T>,

where ``<W, X H^T>`` is summed inside the W update kernel and ``W^T W`` is the one
the next iteration needs anyway.  Twin: :func:`fastnet.reference.decomposition.nmf`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._jit import parallel_jit, prange
from .._validation import (
    as_2d_float,
    as_float_array,
    check_fits_in_memory,
    check_float_dtype,
    check_int,
    check_nonnegative_float,
)
from ..random import SeedLike
from ..random import rng as make_rng

__all__ = ["nmf", "NMFResult", "random_init"]


# ---------------------------------------------------------------- kernels
@parallel_jit(reassociate=True)  # lets the two row sums vectorise
def _multiplicative_update(F, numer, denom, eps, row_sq_change, row_inner):
    """F <- F * numer / (denom + eps) in place; per row: sum((F_new - F_old)^2) and
    sum(F_new * numer) (the <W, X H^T> term of the cost, when F is W)."""
    for i in prange(F.shape[0]):
        change = 0.0
        inner = 0.0
        for j in range(F.shape[1]):
            old = F[i, j]
            new = old * numer[i, j] / (denom[i, j] + eps)
            F[i, j] = new
            change += (new - old) * (new - old)
            inner += new * numer[i, j]
        row_sq_change[i] = change
        row_inner[i] = inner


@parallel_jit
def _scan(X, row_squares):
    """One pass over X: per-row sums of squares, and the counts of non-finite and of
    negative entries (the validation and ||X||^2 together)."""
    n_nonfinite = 0
    n_negative = 0
    for i in prange(X.shape[0]):
        total = 0.0
        for v in X[i]:
            if not np.isfinite(v):
                n_nonfinite += 1
            elif v < 0:
                n_negative += 1
            total += v * v
        row_squares[i] = total
    return n_nonfinite, n_negative


# ---------------------------------------------------------------- the solver
@dataclass(frozen=True)
class NMFResult:
    """What :func:`nmf` returns.

    ``W`` (n, k) and ``H`` (k, m) are the factors, in the dtype of X; ``n_iter`` is
    the number of iterations run.  ``cost_history[i]`` is the mean squared residual
    after iteration ``i + 1``; ``delta_H[i]`` and ``delta_W[i]`` are the Frobenius
    norms of that iteration's changes ``||H_new - H_old||`` and ``||W_new - W_old||``
    (``delta_H`` is 0 where H was held fixed).  ``cost`` is the last cost (NaN
    before any iteration).
    """

    W: np.ndarray
    H: np.ndarray
    cost_history: np.ndarray
    delta_H: np.ndarray
    delta_W: np.ndarray
    n_iter: int

    @property
    def cost(self) -> float:
        return float(self.cost_history[-1]) if self.n_iter else float("nan")


def random_init(n_samples: int, n_features: int, n_components: int,
                seed: SeedLike | np.random.Generator = None,
                dtype: DTypeLike = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """The seeded random start: ``H = rand(k, m)`` is drawn first, then ``W = rand(n, k)``
    (uniform on [0, 1) from ``numpy.random.default_rng(seed)``), cast to ``dtype``."""
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_features = check_int(n_features, "n_features", minimum=1)
    n_components = check_int(n_components, "n_components", minimum=1)
    dtype = check_float_dtype(dtype)
    check_fits_in_memory(8 * n_components * (n_samples + n_features),
                         "n_samples, n_features and n_components",
                         f"factors W ({n_samples} x {n_components}) and H "
                         f"({n_components} x {n_features})")
    generator = make_rng(seed)
    H = generator.random((n_components, n_features)).astype(dtype, copy=False)
    W = generator.random((n_samples, n_components)).astype(dtype, copy=False)
    return W, H


def _entries(count):
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _check_nonnegative(X, name, row_squares=None):
    """Refuse NaN/inf and negative entries of X; returns the row sums of squares."""
    row_squares = np.empty(X.shape[0]) if row_squares is None else row_squares
    n_nonfinite, n_negative = _scan(X, row_squares)
    if n_nonfinite:
        raise ValueError(f"{name} must contain only finite values (no NaN or inf); "
                         f"it has {_entries(n_nonfinite)} that are not")
    if n_negative:
        raise ValueError(f"Negative values in data: {name} must be non-negative; "
                         f"it has {_entries(n_negative)} < 0")
    return row_squares


def _check_factor(F, name, shape, dtype):
    F = as_float_array(F, name, ndim=2, dtype=dtype, finite=False)
    if F.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {F.shape}")
    _check_nonnegative(F, name)
    return F.copy()  # updated in place: never write into the caller's array


def _check_options(max_iter, pseudo_count, tol):
    return (check_int(max_iter, "max_iter", minimum=1),
            check_nonnegative_float(pseudo_count, "pseudo_count"),
            check_nonnegative_float(tol, "tol"))


def _progress_every(progress, max_iter):
    if progress is False or progress is None:
        return 0
    if progress is True:
        return max(1, max_iter // 10)
    return check_int(progress, "progress", minimum=1)


def _validate(X, n_components, W_init, H_init):
    X = as_2d_float(X, "X", finite=False)  # finiteness: in the same pass as the signs
    row_squares = _check_nonnegative(X, "X")
    n, m = X.shape
    k = check_int(n_components, "n_components", minimum=1, maximum=min(n, m))
    if (W_init is None) != (H_init is None):
        raise ValueError("W_init and H_init must be given together (or neither)")
    return X, n, m, k, row_squares


def nmf(X: ArrayLike, n_components: int, max_iter: int = 500, pseudo_count: float = 1e-3,
        tol: float = 0.0, seed: SeedLike | np.random.Generator = None,
        W_init: ArrayLike | None = None, H_init: ArrayLike | None = None,
        progress: bool | int = False) -> NMFResult:
    """Factor a non-negative ``X`` into ``W @ H`` by Lee-Seung multiplicative updates.

    Parameters
    ----------
    X : array_like, shape (n, m), non-negative and finite (float32 stays float32)
    n_components : int in [1, min(n, m)]
    max_iter : int >= 1
    pseudo_count : float >= 0
        Added to both denominators (the seeds' 1e-3); 0 gives the textbook updates.
    tol : float >= 0
        Stop early once an iteration lowers the cost by less than ``tol * cost``;
        0 (the default) always runs ``max_iter`` iterations.
    seed : int, SeedSequence, numpy Generator or None
        For the random start (see :func:`random_init`); ignored with W_init/H_init.
    W_init, H_init : array_like, optional
        A custom start (both or neither); they are copied, never modified.
    progress : bool or int
        Print the cost and ||dH||, ||dW|| to standard error every ``progress``
        iterations (True: ten times per run).

    Returns
    -------
    NMFResult with ``W``, ``H``, ``cost_history``, ``delta_H``, ``delta_W``, ``n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.decomposition import nmf
    >>> X = np.random.default_rng(0).random((60, 20))
    >>> result = nmf(X, 5, max_iter=200, seed=0)
    >>> result.W.shape, result.H.shape, result.n_iter
    ((60, 5), (5, 20), 200)
    >>> bool(np.all(np.diff(result.cost_history) <= 1e-12))
    True
    """
    X, n, m, k, row_squares = _validate(X, n_components, W_init, H_init)
    max_iter, eps, tol = _check_options(max_iter, pseudo_count, tol)
    every = _progress_every(progress, max_iter)
    if W_init is None:
        W, H = random_init(n, m, k, seed, X.dtype)
    else:
        W = _check_factor(W_init, "W_init", (n, k), X.dtype)
        H = _check_factor(H_init, "H_init", (k, m), X.dtype)
    return _solve(X, W, H, max_iter, eps, tol, every, update_H=True, row_squares=row_squares)


def _solve(X, W, H, max_iter, eps, tol, every, update_H, row_squares):
    """The multiplicative-update loop; W (and H if ``update_H``) are updated in place.
    ``row_squares`` are the row sums of squares of X (from the validation pass)."""
    n, m = X.shape
    k = W.shape[1]
    dtype = X.dtype
    eps = dtype.type(eps)
    # every buffer is allocated once: O((n + m) k) beyond X, W and H
    WtX, WtWH = np.empty((k, m), dtype), np.empty((k, m), dtype)
    XHt, WHHt = np.empty((n, k), dtype), np.empty((n, k), dtype)
    WtW, HHt = np.empty((k, k), dtype), np.empty((k, k), dtype)
    change_H, inner_H = np.empty(k), np.empty(k)
    change_W, inner_W = np.empty(n), np.empty(n)
    norm_X2 = row_squares.sum()
    costs, delta_H, delta_W = np.empty(max_iter), np.zeros(max_iter), np.empty(max_iter)

    np.matmul(W.T, W, out=WtW)  # rather than BLAS syrk: the faster one for tall n x k factors
    if not update_H:  # H fixed: X H^T and H H^T never change
        np.matmul(X, H.T, out=XHt)
        np.matmul(H, H.T, out=HHt)
    n_iter = 0
    for it in range(max_iter):
        if update_H:
            np.matmul(W.T, X, out=WtX)
            np.matmul(WtW, H, out=WtWH)
            _multiplicative_update(H, WtX, WtWH, eps, change_H, inner_H)
            delta_H[it] = np.sqrt(change_H.sum())
            np.matmul(X, H.T, out=XHt)
            np.matmul(H, H.T, out=HHt)
        np.matmul(W, HHt, out=WHHt)
        _multiplicative_update(W, XHt, WHHt, eps, change_W, inner_W)
        delta_W[it] = np.sqrt(change_W.sum())
        np.matmul(W.T, W, out=WtW)
        quadratic = np.einsum("ij,ij->", WtW, HHt, dtype=np.float64)
        cost = max(norm_X2 - 2.0 * inner_W.sum() + quadratic, 0.0) / (n * m)
        costs[it] = cost
        n_iter = it + 1
        if not np.isfinite(cost):
            raise FloatingPointError(
                f"NMF diverged: the cost is {cost} at iteration {n_iter}; "
                f"use pseudo_count > 0 (got {float(eps)}) or a start without zero rows")
        if every and (n_iter % every == 0 or n_iter == max_iter):
            print(f"nmf: iteration {n_iter}/{max_iter}  cost {cost:.6g}  "
                  f"||dH|| {delta_H[it]:.3g}  ||dW|| {delta_W[it]:.3g}",
                  file=sys.stderr, flush=True)
        if tol > 0 and it > 0 and costs[it - 1] - cost < tol * costs[it - 1]:
            break
    return NMFResult(W, H, costs[:n_iter].copy(), delta_H[:n_iter].copy(),
                     delta_W[:n_iter].copy(), n_iter)
