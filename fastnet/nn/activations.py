"""Activation and loss kernels: softplus, sigmoid, softmax, KL divergence, cross-entropy.

Each section holds the private kernels (``@jit``) of a public function, then the
function, which validates and converts input and calls them.  Every function keeps
float32 as float32; other real inputs become float64.  Twins: :mod:`fastnet.reference.nn`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._jit import jit, prange, serial_or_parallel_jit
from .._validation import (
    as_float_array,
    as_labels,
    check_axis,
    check_fits_in_memory,
    check_float_dtype,
    check_int,
    check_positive_float,
    check_same_shape,
)

__all__ = ["softplus", "softplus_grad", "softmax", "log_softmax", "kl_divergence",
           "cross_entropy", "onehot"]

#: Clipping bound of the KL divergence and cross-entropy (probabilities live in
#: ``[CLIP, 1 - CLIP]`` before the logarithm).
CLIP = 1e-15


# ---------------------------------------------------------------- softplus, softplus_grad
@jit(inline="always")
def _softplus_scalar(x, beta):
    # log(1 + exp(b x)) / b = max(x, 0) + log1p(exp(-|b x|)) / b: exp never overflows
    # and log1p keeps the tail exact as b x -> -inf.  NaN propagates through the tail.
    bx = beta * x
    tail = math.log1p(math.exp(-abs(bx))) / beta
    return x + tail if bx > 0 else tail


@jit(inline="always")
def _sigmoid_scalar(z):
    # 1 / (1 + exp(-z)) for z >= 0, exp(z) / (1 + exp(z)) below: exp(-|z|) <= 1 in both.
    e = math.exp(-abs(z))
    r = 1.0 / (1.0 + e)
    return r if z >= 0 else e * r


@serial_or_parallel_jit
def _softplus_kernel(x, beta, out):
    for i in prange(x.size):
        out[i] = _softplus_scalar(x[i], beta)


@serial_or_parallel_jit
def _softplus_grad_kernel(x, beta, out):
    for i in prange(x.size):
        out[i] = _sigmoid_scalar(beta * x[i])


def _elementwise(kernel, x, beta):
    arr = as_float_array(x, "x", finite=False)
    beta = arr.dtype.type(check_positive_float(beta, "beta"))
    out = np.empty_like(arr)
    kernel(arr.size)(arr.reshape(-1), beta, out.reshape(-1))
    return out if out.ndim else out[()]


def softplus(x: ArrayLike, beta: float = 1.0) -> np.ndarray | np.floating:
    """Softplus ``log(1 + exp(beta * x)) / beta``, element-wise and overflow-free.

    Parameters
    ----------
    x : array_like of real numbers (NaN and +/-inf propagate as in NumPy)
    beta : float > 0

    Returns
    -------
    ndarray of the shape of ``x``; float32 for float32 input, else float64.

    Examples
    --------
    >>> from fastnet.nn import softplus
    >>> softplus([-1000.0, 0.0, 1000.0])
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])
    """
    return _elementwise(_softplus_kernel, x, beta)


def softplus_grad(x: ArrayLike, beta: float = 1.0) -> np.ndarray | np.floating:
    """Derivative of :func:`softplus`: the logistic sigmoid ``1 / (1 + exp(-beta * x))``.

    Stable at both ends (no overflow, no warnings); shapes and dtypes as :func:`softplus`.

    >>> from fastnet.nn import softplus_grad
    >>> softplus_grad([-1e4, 0.0, 1e4])
    array([0. , 0.5, 1. ])
    """
    return _elementwise(_softplus_grad_kernel, x, beta)


# ---------------------------------------------------------------- softmax, log_softmax
@jit(inline="always")
def _row_max(row):
    """Largest entry, skipping NaN (a NaN entry then poisons the row through exp)."""
    peak = -np.inf
    for v in row:
        if v > peak:
            peak = v
    return peak


@serial_or_parallel_jit
def _softmax_kernel(x, out):
    for i in prange(x.shape[0]):
        peak = _row_max(x[i])
        total = 0.0
        for j in range(x.shape[1]):
            e = math.exp(x[i, j] - peak)
            out[i, j] = e
            total += e
        scale = 1.0 / total
        for j in range(x.shape[1]):
            out[i, j] *= scale


@serial_or_parallel_jit
def _log_softmax_kernel(x, out):
    for i in prange(x.shape[0]):
        peak = _row_max(x[i])
        total = 0.0
        for v in x[i]:
            total += math.exp(v - peak)
        log_total = math.log(total)
        for j in range(x.shape[1]):
            out[i, j] = (x[i, j] - peak) - log_total


def _along_rows(kernel, x, axis):
    arr = as_float_array(x, "x", finite=False)
    if arr.ndim == 0:
        raise ValueError("x must be an array of at least 1 dimension; got a scalar")
    axis = check_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        raise ValueError(f"x must have at least one entry along axis {axis}; got shape {arr.shape}")
    moved = np.ascontiguousarray(np.moveaxis(arr, axis, -1))
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty_like(rows)
    kernel(rows.size)(rows, out)
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax ``exp(x - max) / sum(exp(x - max))`` along ``axis``.

    ``-inf`` entries are allowed and get probability 0; a slice whose maximum is
    not finite (all ``-inf``, or containing ``+inf`` or NaN) gives NaN.

    >>> from fastnet.nn import softmax
    >>> softmax([[0.0, 0.0], [0.0, -np.inf]])
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    return _along_rows(_softmax_kernel, x, axis)


def log_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """``log(softmax(x))`` computed as ``x - max - log(sum(exp(x - max)))``.

    >>> from fastnet.nn import log_softmax
    >>> log_softmax([0.0, -np.inf])
    array([  0., -inf])
    """
    return _along_rows(_log_softmax_kernel, x, axis)


# ---------------------------------------------------------------- probability checks
@serial_or_parallel_jit
def _probability_row_errors(P, tol, normalized, errors):
    """One pass over the rows: 1 = an entry outside [0, 1] (or NaN), 2 = row sum off by > tol."""
    for i in prange(P.shape[0]):
        code = 0
        total = 0.0
        for v in P[i]:
            if not (0.0 <= v <= 1.0):
                code = 1
            total += v
        if code == 0 and normalized and abs(total - 1.0) > tol:
            code = 2
        errors[i] = code


def as_probabilities(P: ArrayLike, name: str, *, ndim: int | tuple[int, ...] = (1, 2),
                     normalized: bool = True, dtype: DTypeLike | None = None) -> np.ndarray:
    """Probabilities in ``[0, 1]``; with ``normalized`` every row (last axis) sums to 1.

    The row-sum tolerance is ``sqrt(eps)`` of the dtype times the row length, loose
    enough for float32 softmax output.  The check is a single compiled pass.
    """
    arr = as_float_array(P, name, ndim=ndim, finite=False, dtype=dtype)
    if arr.size == 0:
        return arr
    rows = arr.reshape(-1, arr.shape[-1])
    errors = np.empty(rows.shape[0], dtype=np.int8)
    tol = float(np.sqrt(np.finfo(arr.dtype).eps)) * max(1, arr.shape[-1])
    _probability_row_errors(rows.size)(rows, tol, normalized, errors)
    bad = np.flatnonzero(errors)
    if bad.size:
        row = int(bad[0])
        if errors[row] == 1:
            values = rows[row]
            first_bad = values[~((values >= 0) & (values <= 1))][0]
            raise ValueError(f"{name} must hold probabilities in [0, 1] (finite); "
                             f"row {row} has {first_bad}")
        total = rows[row].sum(dtype=np.float64)
        raise ValueError(f"{name} rows must sum to 1 (probability distributions); "
                         f"row {row} sums to {total:.6g}")
    return arr


# ---------------------------------------------------------------- kl_divergence
def _clip_bounds(dtype):
    return dtype.type(CLIP), dtype.type(1.0 - CLIP)


def _common_dtype(*arrays):
    return np.result_type(*[a.dtype for a in arrays])


@serial_or_parallel_jit
def _clipped_ratio_kernel(p, q, lo, hi, ratio):
    for i in prange(p.shape[0]):
        for j in range(p.shape[1]):
            ratio[i, j] = min(max(p[i, j], lo), hi) / min(max(q[i, j], lo), hi)


@serial_or_parallel_jit
def _kl_row_sums_kernel(p, lo, hi, log_ratio, out):
    for i in prange(p.shape[0]):
        total = 0.0
        for j in range(p.shape[1]):
            total += min(max(p[i, j], lo), hi) * log_ratio[i, j]
        out[i] = total


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray | np.floating:
    """Per-row KL divergence ``sum(p * log(p / q))`` with p, q clipped to [1e-15, 1 - 1e-15].

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n, k) or (k,)
        Rows are probability distributions (entries in [0, 1], rows summing to 1),
        e.g. one-hot targets and softmax outputs.

    Returns
    -------
    ndarray of shape (n,) (a scalar for 1-D input).

    >>> from fastnet.nn import kl_divergence
    >>> float(kl_divergence([0.0, 1.0], [0.5, 0.5]))  # log 2
    0.6931471805599...
    """
    p = as_probabilities(y_true, "y_true")
    q = as_probabilities(y_pred, "y_pred")
    check_same_shape(p, q, "y_true", "y_pred")
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"y_true and y_pred must have at least one class (column); "
                         f"got shape {p.shape}")
    dtype = _common_dtype(p, q)
    p2 = p.astype(dtype, copy=False).reshape(-1, p.shape[-1])
    q2 = q.astype(dtype, copy=False).reshape(-1, q.shape[-1])
    lo, hi = _clip_bounds(dtype)
    # Two fused passes around NumPy's SIMD log, which beats the scalar libm log a
    # Numba loop would call.
    ratio = np.empty_like(p2)
    _clipped_ratio_kernel(p2.size)(p2, q2, lo, hi, ratio)
    np.log(ratio, out=ratio)  # clipped ratios are positive and finite
    out = np.empty(p2.shape[0], dtype=dtype)
    _kl_row_sums_kernel(p2.size)(p2, lo, hi, ratio, out)
    return out if p.ndim == 2 else out[0]


# ---------------------------------------------------------------- cross_entropy
@serial_or_parallel_jit
def _cross_entropy_kernel(labels, probs, lo, hi, out):
    """Writes the losses; returns the number of picked probabilities outside [0, 1] or NaN."""
    n_bad = 0
    for i in prange(labels.shape[0]):
        q = probs[i, labels[i]]
        if not (0.0 <= q <= 1.0):
            n_bad += 1
        out[i] = -math.log(min(max(q, lo), hi))
    return n_bad


def cross_entropy(labels: ArrayLike, probs: ArrayLike) -> np.ndarray:
    """Per-row cross-entropy ``-log(probs[i, labels[i]])``, clipped to [1e-15, 1 - 1e-15].

    Equals ``kl_divergence(onehot(labels), probs)`` up to the clipping of the
    one-hot zeros, without building the one-hot matrix.  Only the probabilities of
    the true classes are read, and they must lie in [0, 1]; rows are not checked to
    sum to 1 (that would cost a pass over the whole matrix).

    >>> from fastnet.nn import cross_entropy
    >>> cross_entropy([1, 0], [[0.5, 0.5], [1.0, 0.0]])
    array([6.93147181e-01, 9.99200722e-16])
    """
    q = as_float_array(probs, "probs", ndim=2, finite=False)
    y = as_labels(labels, "labels", n_samples=q.shape[0], n_classes=q.shape[1])
    out = np.empty(q.shape[0], dtype=q.dtype)
    if _cross_entropy_kernel(y.size)(y, q, *_clip_bounds(q.dtype), out):
        picked = q[np.arange(q.shape[0]), y]
        row = int(np.flatnonzero(~((picked >= 0) & (picked <= 1)))[0])
        raise ValueError(f"probs must hold probabilities in [0, 1]; probs[{row}, labels[{row}]] "
                         f"is {picked[row]}")
    return out


# ---------------------------------------------------------------- onehot
@serial_or_parallel_jit
def _onehot_kernel(labels, out):
    """Row i of ``out`` = zeros with a 1 in column ``labels[i]``, rows over the threads:
    the whole matrix is written (and its pages first touched) in parallel, where
    ``np.zeros`` + a scatter leaves that to one thread."""
    for i in prange(labels.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = 0
        out[i, labels[i]] = 1


def onehot(y: ArrayLike, n_classes: int | None = None,
           dtype: DTypeLike = np.float64) -> np.ndarray:
    """One-hot matrix of integer labels: row i has a 1 in column ``y[i]``.

    Parameters
    ----------
    y : array_like of int, shape (n,)
    n_classes : int, optional
        Number of columns; default ``max(y) + 1``.
    dtype : float32 or float64

    >>> from fastnet.nn import onehot
    >>> onehot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    labels = as_labels(y, "y")
    if n_classes is None:
        if labels.size == 0:
            raise ValueError("n_classes is required when y is empty")
        n_classes = int(labels.max()) + 1
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    labels = as_labels(labels, "y", n_classes=n_classes)
    dtype = check_float_dtype(dtype)
    check_fits_in_memory(labels.size * n_classes * dtype.itemsize, "n_classes",
                         f"a {labels.size} x {n_classes} one-hot matrix")
    out = np.empty((labels.size, n_classes), dtype=dtype)
    _onehot_kernel(out.size)(labels, out)
    return out
