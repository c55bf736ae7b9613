"""Coordinate-descent NMF (Hsieh & Dhillon 2011; scikit-learn's ``solver='cd'``).

Minimises ``0.5 ||X - W H||^2 + l1_W |W|_1 + 0.5 l2_W ||W||^2 (+ the same for H)``
by alternating one sweep over the coordinates of W with H fixed and one sweep over
those of H with W fixed (the transposed problem ``X^T ~ H^T W^T``).  One sweep over
W, for each component ``t`` (in ``permutation`` order) and each row ``i``:

    grad = (W (H H^T + l2 I))[i, t] - (X H^T)[i, t] + l1
    W[i, t] <- max(W[i, t] - grad / (H H^T + l2 I)[t, t], 0)

and its violation is ``sum |projected gradient|`` (the gradient, or its negative part
where ``W[i, t] == 0``).  The run stops once ``violation / violation_of_sweep_1 <= tol``.
Rows of W are independent given ``H H^T`` and ``X H^T``, so the kernel runs rows in
parallel and keeps each row's component order: the same numbers as a component-major
sweep.  Twin: :func:`fastnet.reference.decomposition.nmf_cd_sweep`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._jit import PARALLEL_MIN_WORK, jit, parallel_jit, prange

__all__ = ["cd_sweep", "fit_coordinate_descent"]


#: Rows swept side by side: a row's coordinate updates are one chain of dependent sums,
#: but rows are independent given ``H H^T`` and ``X H^T``, so a block of rows runs its
#: chains in SIMD lanes, each lane in the scalar order (the same bits as row by row).
#: The kernels take it as an argument: a compile-time trip count gets the lane loops
#: fully unrolled into scalar code before LLVM's loop vectoriser sees them
ROW_BLOCK = 64
#: Rows per task of the parallel sweep (fixed, so any thread count gives the same W)
ROW_CHUNK = 256


# IEEE arithmetic (no fused multiply-add, no reciprocal division): the sweep then gives
# scikit-learn's numbers to the last bit, which matters where a degenerate fit (an
# unregularised factor growing without bound) amplifies every rounding difference
@jit(fastmath=False)
def _cd_rows(W, HHt, XHt, permutation, start, stop, lanes):
    """The coordinate updates of rows ``start:stop`` of W in ``permutation`` order, a
    block of ``lanes`` rows at a time; each row of XHt, once used, is overwritten with
    the row's |projected gradient| per component."""
    k = W.shape[1]
    # the block transposed (component-major) so that one component of all its rows is
    # contiguous; lanes past the last row hold zeros, which stay zero and are not stored
    block = np.empty((k, lanes), W.dtype)
    target = np.empty((k, lanes), W.dtype)
    grad = np.empty(lanes, W.dtype)
    for first in range(start, stop, lanes):
        rows = min(lanes, stop - first)
        for b in range(rows):
            for r in range(k):
                block[r, b] = W[first + b, r]
                target[r, b] = XHt[first + b, r]
        for r in range(k):
            for b in range(rows, lanes):  # lanes no row fills (the last block only)
                block[r, b] = 0
                target[r, b] = 0
        for s in range(k):
            t = permutation[s]
            for b in range(lanes):
                grad[b] = -target[t, b]
            for r in range(k):
                h = HHt[t, r]
                for b in range(lanes):
                    grad[b] += h * block[r, b]
            hess = HHt[t, t]
            for b in range(lanes):
                g = grad[b]
                w = block[t, b]
                # projected gradient: at the bound W = 0 only a descent direction counts
                projected = min(0.0, g) if w == 0 else g
                target[t, b] = abs(projected)  # X H^T[., t] is not read again
                if hess != 0:
                    block[t, b] = max(w - g / hess, 0.0)
        for b in range(rows):
            for r in range(k):
                W[first + b, r] = block[r, b]
                XHt[first + b, r] = target[r, b]


@jit(fastmath=False)
def _violation(projected, permutation):
    """The sum of |projected gradient| in scikit-learn's order (component by component,
    rows in order) and in the factor's dtype, as its sweep accumulates it: the stopping
    test then sees the same number."""
    total = np.zeros(1, projected.dtype)
    for s in range(projected.shape[1]):
        t = permutation[s]
        for i in range(projected.shape[0]):
            total[0] += projected[i, t]
    return total[0]


@parallel_jit(fastmath=False)
def _cd_rows_parallel(W, HHt, XHt, permutation):
    """:func:`_cd_rows` over all rows, chunks of ROW_CHUNK rows on threads (the same W)."""
    n = W.shape[0]
    for chunk in prange((n + ROW_CHUNK - 1) // ROW_CHUNK):
        start = chunk * ROW_CHUNK
        _cd_rows(W, HHt, XHt, permutation, start, min(start + ROW_CHUNK, n), ROW_BLOCK)


# The sweeps call their two kernels from Python rather than from a compiled wrapper: a
# wrapper would compile _cd_rows and _violation into itself once more on first use
def _cd_sweep_serial(W, HHt, XHt, permutation):
    """One coordinate sweep over W in place (HHt carries l2 on its diagonal, XHt has
    l1 subtracted, and is overwritten); returns the sum of |projected gradient|."""
    _cd_rows(W, HHt, XHt, permutation, 0, W.shape[0], ROW_BLOCK)
    return _violation(XHt, permutation)


def _cd_sweep_parallel(W, HHt, XHt, permutation):
    """:func:`_cd_sweep_serial` with chunks of rows on threads (the same W)."""
    _cd_rows_parallel(W, HHt, XHt, permutation)
    return _violation(XHt, permutation)


def cd_sweep(X, W: np.ndarray, Ht: np.ndarray, l1_reg: float, l2_reg: float,
             permutation: np.ndarray, HHt: np.ndarray | None = None,
             XHt: np.ndarray | None = None) -> float:
    """One sweep of coordinate descent over ``W`` (C-contiguous, updated in place) for
    ``X ~ W Ht^T``; ``X`` dense or scipy CSR.  Returns the sweep's violation.
    ``HHt`` (k, k) and ``XHt`` (n, k), C-contiguous in W's dtype, are optional buffers.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> W, Ht = np.ones((2, 1)), np.ones((2, 1))
    >>> cd_sweep(X, W, Ht, 0.0, 0.0, np.arange(1))
    6.0
    >>> W.ravel().tolist()
    [1.5, 3.5]
    """
    k = Ht.shape[1]
    HHt = np.dot(Ht.T, Ht, out=HHt)
    if sp.issparse(X):
        XHt = np.ascontiguousarray(X @ Ht, dtype=W.dtype)
    else:
        XHt = np.dot(X, Ht, out=XHt)
    if l2_reg != 0.0:
        HHt.flat[:: k + 1] += l2_reg
    if l1_reg != 0.0:
        XHt -= l1_reg
    # threads pay off only beyond PARALLEL_MIN_WORK multiply-adds per sweep
    kernel = _cd_sweep_parallel if W.shape[0] * k * k >= PARALLEL_MIN_WORK else _cd_sweep_serial
    return float(kernel(W, HHt, XHt, permutation))


def fit_coordinate_descent(X, W: np.ndarray, H: np.ndarray, tol: float = 1e-4,
                           max_iter: int = 200, l1_reg_W: float = 0.0, l1_reg_H: float = 0.0,
                           l2_reg_W: float = 0.0, l2_reg_H: float = 0.0, update_H: bool = True,
                           verbose: int = 0, shuffle: bool = False,
                           random_state: np.random.RandomState | None = None
                           ) -> tuple[np.ndarray, np.ndarray, int]:
    """Alternate sweeps over W and H (H held fixed unless ``update_H``) until
    ``violation / first violation <= tol`` or ``max_iter`` sweeps; with ``shuffle`` each
    sweep's component order is ``random_state.permutation(k)`` (W's sweep first).

    Returns ``(W, H, n_iter)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0]])
    >>> W, H, n_iter = fit_coordinate_descent(X, np.ones((2, 1)), np.ones((1, 2)))
    >>> bool(np.allclose(W @ H, X))
    True
    """
    W = np.ascontiguousarray(W)
    Ht = np.ascontiguousarray(H.T)
    if sp.issparse(X):
        X = X.tocsr()
    Xt = X.T.tocsr() if sp.issparse(X) else X.T
    k = W.shape[1]
    # buffers allocated once: H H^T and X H^T for W's sweep, W^T W and X^T W for H's
    HHt, XHt = np.empty((k, k), W.dtype), np.empty_like(W)
    WtW, XtW = np.empty((k, k), W.dtype), np.empty_like(Ht)
    identity = np.arange(k, dtype=np.intp)
    violation_init = 0.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # the permutations are drawn W's first, then H's, one per sweep
        order = random_state.permutation(k).astype(np.intp) if shuffle else identity
        violation = cd_sweep(X, W, Ht, l1_reg_W, l2_reg_W, order, HHt, XHt)
        if update_H:
            order = random_state.permutation(k).astype(np.intp) if shuffle else identity
            violation += cd_sweep(Xt, Ht, W, l1_reg_H, l2_reg_H, order, WtW, XtW)
        if n_iter == 1:
            violation_init = violation
        if violation_init == 0:
            break
        if verbose:
            print("violation:", violation / violation_init)
        if violation / violation_init <= tol:
            if verbose:
                print("Converged at iteration", n_iter + 1)
            break
    return W, Ht.T, n_iter
