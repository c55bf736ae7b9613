"""Column standardisation and global min-max normalisation, with their inverses.

``standardize(X, X_train)`` is ``(X - mean) / std`` with the training columns' mean
and (population) standard deviation; a zero-variance column is left unscaled (its
std counts as 1; "zero" means within rounding: ``std <= 10 eps |mean|``).
``minmax_normalize(X, X_train)`` is ``(X - min) / (max - min)`` with the global
minimum and maximum of the training matrix (a constant matrix uses range 1).
Each ``un...`` function is the exact inverse.  Column statistics come from
:mod:`fastnet._stats` (fixed row chunks merged in a fixed order, so they do not
depend on the number of threads).  Twins: :mod:`fastnet.reference.decomposition`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._jit import prange, serial_or_parallel_jit
from .._stats import column_mean_std
from .._validation import as_2d_float

__all__ = ["standardize", "unstandardize", "minmax_normalize", "minmax_unnormalize",
           "column_stats", "minmax_range"]


# ---------------------------------------------------------------- kernels
@serial_or_parallel_jit
def affine_rows(X, start, shift, inv_scale, out):
    """out[i] = (X[start + i] - shift) * inv_scale for the rows of ``out``."""
    for i in prange(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (X[start + i, j] - shift[j]) * inv_scale[j]


@serial_or_parallel_jit
def inverse_affine_rows(Y, scale, shift, out):
    """out = Y * scale + shift (row-wise broadcast); ``out`` may be ``Y``."""
    for i in prange(Y.shape[0]):
        for j in range(Y.shape[1]):
            out[i, j] = Y[i, j] * scale[j] + shift[j]


# ---------------------------------------------------------------- statistics
def column_stats(X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Column means and population standard deviations (two compiled passes).

    Returns float64 arrays whatever the dtype of ``X``.

    >>> import numpy as np
    >>> from fastnet.decomposition import column_stats
    >>> column_stats(np.array([[1.0, 5.0], [3.0, 5.0]]))
    (array([2., 5.]), array([1., 0.]))
    """
    return column_mean_std(as_2d_float(X, "X"))


def effective_scale(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """std with zero-variance columns (std within rounding of 0) replaced by 1."""
    eps = np.finfo(np.float64).eps
    return np.where(std <= 10 * eps * np.abs(mean), 1.0, std)


def minmax_range(X_train: ArrayLike) -> tuple[float, float]:
    """``(min, max - min)`` of the whole training matrix; a constant matrix gives range 1."""
    X_train = as_2d_float(X_train, "X_train")
    low, high = float(X_train.min()), float(X_train.max())
    return low, (high - low) if high > low else 1.0


# ---------------------------------------------------------------- transforms
def _apply(X, shift, inv_scale):
    out = np.empty_like(X)
    affine_rows(out.size)(X, 0, shift.astype(X.dtype), inv_scale.astype(X.dtype), out)
    return out


def _training_stats(X, X_train):
    if X_train is not None:
        X_train = as_2d_float(X_train, "X_train")  # checked under its own name
    mean, std = column_mean_std(X if X_train is None else X_train)
    if X_train is not None and mean.shape[0] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} columns but X_train has {mean.shape[0]}")
    return mean, effective_scale(mean, std)


def standardize(X: ArrayLike, X_train: ArrayLike | None = None) -> np.ndarray:
    """``(X - mean) / std`` with the columns' mean and std of ``X_train`` (default ``X``).

    >>> import numpy as np
    >>> from fastnet.decomposition import standardize
    >>> standardize(np.array([[1.0, 5.0], [3.0, 5.0]]))
    array([[-1.,  0.],
           [ 1.,  0.]])
    """
    X = as_2d_float(X, "X")
    mean, scale = _training_stats(X, X_train)
    return _apply(X, mean, 1.0 / scale)


def unstandardize(X: ArrayLike, X_train: ArrayLike) -> np.ndarray:
    """Inverse of :func:`standardize`: ``X * std + mean`` with ``X_train``'s statistics."""
    X = as_2d_float(X, "X")
    mean, scale = _training_stats(X, X_train)
    out = np.empty_like(X)
    inverse_affine_rows(out.size)(X, scale.astype(X.dtype), mean.astype(X.dtype), out)
    return out


def minmax_normalize(X: ArrayLike, X_train: ArrayLike | None = None) -> np.ndarray:
    """``(X - min) / (max - min)`` with the global min and max of ``X_train`` (default ``X``).

    >>> import numpy as np
    >>> from fastnet.decomposition import minmax_normalize
    >>> minmax_normalize(np.array([[0.0, 5.0], [10.0, 2.5]]))
    array([[0.  , 0.5 ],
           [1.  , 0.25]])
    """
    X = as_2d_float(X, "X")
    low, width = minmax_range(X if X_train is None else X_train)
    m = X.shape[1]
    return _apply(X, np.full(m, low), np.full(m, 1.0 / width))


def minmax_unnormalize(X: ArrayLike, X_train: ArrayLike) -> np.ndarray:
    """Inverse of :func:`minmax_normalize`: ``X * (max - min) + min`` of ``X_train``."""
    X = as_2d_float(X, "X")
    low, width = minmax_range(X_train)
    m = X.shape[1]
    out = np.empty_like(X)
    inverse_affine_rows(out.size)(X, np.full(m, width, X.dtype), np.full(m, low, X.dtype), out)
    return out
