"""Principal component analysis of standardised data, and projection denoising.

Columns are standardised with the training mean and std (zero-variance columns left
unscaled), the covariance is ``Z^T Z / (n - 1)``, and the components are its top-k
eigenvectors sorted by decreasing eigenvalue; scores are ``Z V``.  The centred
cross-product is accumulated in float64 over fixed row chunks with BLAS ``syrk``,
and standardising is applied to it (a diagonal scaling), so no n x m centred or
standardised copy is ever formed.  Component signs are fixed: the largest-|entry|
of each component is positive (scikit-learn's rule).
Twin: :func:`fastnet.reference.decomposition.pca`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike
from scipy.linalg.blas import dsyrk
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._estimator import unchanged_on_error, validate_data
from .._stats import column_means
from .._validation import (
    as_2d_float,
    check_bool,
    check_int,
    real_float64,
)
from .scaling import affine_rows, effective_scale, inverse_affine_rows

__all__ = ["pca", "PCA", "PCAResult", "denoise"]

CHUNK_ROWS = 2048  # rows standardised at a time: O(CHUNK_ROWS * m) extra memory


@dataclass(frozen=True)
class PCAResult:
    """What :func:`pca` returns (Z is the standardised, or only centred, data).

    ``scores`` (n, k): ``Z V``, in the dtype of X; ``components`` (k, m): the
    eigenvectors ``V^T`` as rows, in the dtype of X; ``explained_variance`` (k,): the
    top-k eigenvalues of ``Z^T Z / (n - 1)``, decreasing; ``explained_variance_ratio``
    (k,): those eigenvalues over the trace of the covariance; ``mean`` (m,): the
    column means; ``scale`` (m,): the column stds (1 for zero-variance columns, and
    every column when ``standardize=False``).
    """

    scores: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


def _row_chunks(n):
    for start in range(0, n, CHUNK_ROWS):
        yield start, min(n, start + CHUNK_ROWS)


def _centered_cross_product(X, mean):
    """``(X - mean)^T (X - mean)`` in float64, accumulated in place over row chunks with
    BLAS syrk (upper triangle, half the flops of a general product).  float32 data is
    centred into a float64 chunk too: a float32 cross-product loses the small
    eigenvalues, so the trailing components would drift from the float64 twin."""
    n, m = X.shape
    buffer = np.empty((min(n, CHUNK_ROWS), m))
    total = np.zeros((m, m), order="F")
    unit = np.ones(m)
    for start, stop in _row_chunks(n):
        Z = buffer[: stop - start]
        affine_rows(Z.size)(X, start, mean, unit, Z)
        # Z.T is Fortran-ordered (m x rows): total += Z^T Z with no copy
        total = dsyrk(1.0, Z.T, beta=1.0, c=total, trans=0, lower=0, overwrite_c=1)
    return total  # upper triangle only (the lower one stays 0): eigh reads the upper


def _top_eigenpairs(C, k):
    """Top-k eigenpairs of the symmetric C given by its upper triangle."""
    m = C.shape[0]
    values, vectors = scipy.linalg.eigh(C, lower=False, subset_by_index=[m - k, m - 1])
    values, vectors = values[::-1], vectors[:, ::-1]
    components = np.ascontiguousarray(vectors.T)
    biggest = np.argmax(np.abs(components), axis=1)
    components *= np.sign(components[np.arange(k), biggest])[:, None]
    return values, components


def _project(X, mean, inv_scale, components, out_dtype):
    """(X - mean) * inv_scale @ components.T, chunk by chunk."""
    n, m = X.shape
    scores = np.empty((n, components.shape[0]), dtype=out_dtype)
    buffer = np.empty((min(n, CHUNK_ROWS), m))
    for start, stop in _row_chunks(n):
        Z = buffer[: stop - start]
        affine_rows(Z.size)(X, start, mean, inv_scale, Z)
        scores[start:stop] = Z @ components.T
    return scores


def _fit(X, n_components, standardize, validated=False):
    """``validated``: X already passed scikit-learn's ``validate_data`` (finite, 2-D,
    float, at least 2 rows), so the finiteness scan is not repeated."""
    if not validated:
        X = as_2d_float(X, "X", min_samples=2)
    standardize = check_bool(standardize, "standardize")
    n, m = X.shape
    k = m if n_components is None else check_int(n_components, "n_components", minimum=1,
                                                    maximum=min(n, m))
    mean = column_means(X)
    # standardising is a diagonal congruence of the centred cross-product S (only its
    # upper triangle is filled): cov(Z) = D^-1 S D^-1 / (n - 1), with the population
    # std sqrt(diag(S) / n)
    S = _centered_cross_product(X, mean)
    std = np.sqrt(np.maximum(np.diag(S), 0.0) / n)
    scale = effective_scale(mean, std) if standardize else np.ones(m)
    C = S / np.outer(scale, scale) / (n - 1)
    values, components = _top_eigenpairs(C, k)
    ratio = values / np.trace(C)
    return X, mean, scale, values, components, ratio


def pca(X: ArrayLike, n_components: int | None = None, standardize: bool = True) -> PCAResult:
    """Top-``n_components`` principal components of the standardised columns of ``X``.

    Parameters
    ----------
    X : array_like, shape (n, m), finite, n >= 2
    n_components : int in [1, min(n, m)], or None for all m
    standardize : bool
        False only centres the columns (scikit-learn's PCA).

    Returns
    -------
    PCAResult(scores, components, explained_variance, explained_variance_ratio, mean, scale)

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.decomposition import pca
    >>> X = np.random.default_rng(0).standard_normal((200, 6)) * [1, 1, 1, 1, 1, 5]
    >>> result = pca(X, 2, standardize=False)
    >>> result.scores.shape, result.components.shape
    ((200, 2), (2, 6))
    >>> int(np.argmax(np.abs(result.components[0])))  # the high-variance column
    5
    """
    X, mean, scale, values, components, ratio = _fit(X, n_components, standardize)
    scores = _project(X, mean, 1.0 / scale, components, np.float64)
    dtype = X.dtype
    return PCAResult(scores.astype(dtype, copy=False), components.astype(dtype),
                     values, ratio, mean, scale)


class PCA(TransformerMixin, BaseEstimator):
    """PCA of standardised data as a scikit-learn transformer.

    Parameters
    ----------
    n_components : int or None
        None keeps all components (the full spectrum).
    standardize : bool
        Scale columns to unit variance before the covariance (default, as in the
        seeds); False centres only, which is what scikit-learn's PCA does.

    Attributes
    ----------
    components_ : (k, m) principal axes, rows sorted by decreasing variance
    explained_variance_ : (k,) eigenvalues of the covariance ``Z^T Z / (n - 1)``
    explained_variance_ratio_ : (k,) eigenvalues over the total variance (the trace)
    mean_, scale_ : (m,) the standardisation (``scale_`` is 1 for zero-variance columns)
    n_components_, n_features_in_, n_samples_

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.decomposition import PCA
    >>> X = np.random.default_rng(1).standard_normal((100, 5))
    >>> model = PCA(3).fit(X)
    >>> model.transform(X).shape
    (100, 3)
    >>> bool(np.all(np.diff(model.explained_variance_) <= 0))
    True
    """

    def __init__(self, n_components=None, *, standardize=True):
        self.n_components = n_components
        self.standardize = standardize

    def fit(self, X, y=None):
        """Fit the components; if this fails, a fitted model stays as it was."""
        with unchanged_on_error(self):
            return self._fit(X)

    def _fit(self, X):
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C",
                          ensure_min_samples=2)
        X, mean, scale, values, components, ratio = _fit(X, self.n_components, self.standardize,
                                                         validated=True)
        self.mean_, self.scale_ = mean, scale
        self.components_ = components.astype(X.dtype)
        self.explained_variance_ = values
        self.explained_variance_ratio_ = ratio
        self.n_components_ = components.shape[0]
        self.n_samples_ = X.shape[0]
        return self

    def _check_X(self, X):
        check_is_fitted(self, "components_")
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def transform(self, X):
        """Scores ``((X - mean_) / scale_) @ components_.T``."""
        X = self._check_X(X)
        return _project(X, self.mean_, 1.0 / self.scale_,
                        self.components_.astype(np.float64), X.dtype)

    def inverse_transform(self, X):
        """Data space from scores: ``X @ components_ * scale_ + mean_``."""
        check_is_fitted(self, "components_")
        Y = as_2d_float(X, "X")
        if Y.shape[1] != self.n_components_:
            raise ValueError(f"X must have {self.n_components_} columns (one per component); "
                             f"got {Y.shape[1]}")
        out = Y @ self.components_
        inverse_affine_rows(out.size)(out, self.scale_.astype(out.dtype),
                                      self.mean_.astype(out.dtype), out)
        return out

    def n_components_for(self, ratio: float) -> int:
        """Smallest m whose first m components explain at least ``ratio`` of the variance."""
        check_is_fitted(self, "components_")
        if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.floating):
            raise TypeError(f"ratio must be a number in (0, 1]; got {type(ratio).__name__}")
        if not 0 < ratio <= 1:
            raise ValueError(f"ratio must be in (0, 1]; got {ratio}")
        cumulative = np.cumsum(self.explained_variance_ratio_)
        reached = np.flatnonzero(cumulative >= ratio - 1e-12)
        if reached.size == 0:
            raise ValueError(
                f"the {self.n_components_} fitted components explain only "
                f"{cumulative[-1]:.1%} of the variance; fit with more components "
                f"(n_components=None keeps the full spectrum)")
        return int(reached[0]) + 1


def denoise(X: ArrayLike, basis: PCA | BaseEstimator | ArrayLike, *,
            center: ArrayLike | None = None, scale: ArrayLike | None = None) -> np.ndarray:
    """Project the rows of ``X`` onto the span of a basis, in normalised coordinates.

    ``Z = (X - c) / s``, then the least-squares projection ``Z B^T (B B^T)^+ B`` onto
    the row space of ``B``, then ``* s + c``.  For orthonormal rows (PCA components)
    this is exactly the seeds' ``X B B^T``; an NMF basis H is not orthonormal, and
    there ``X H^T H`` would rescale the data by ``H H^T`` instead of projecting it,
    so the k x k Gram matrix is inverted (pseudo-inverse: rank-deficient bases work).

    Parameters
    ----------
    X : array_like (n, m)
    basis : fitted :class:`PCA` or :class:`~fastnet.decomposition.NMF`, or an array (k, m)
        whose rows span the subspace.  For PCA, ``center``/``scale`` default to its
        ``mean_``/``scale_`` (standardise, project, unstandardise); otherwise to 0 and 1.
        For NMF pass the min-max normalisation it was fitted on: ``center=min,
        scale=max - min`` (see :func:`~fastnet.decomposition.minmax_range`).
    center, scale : float or array (m,), optional

    >>> import numpy as np
    >>> from fastnet.decomposition import denoise
    >>> denoise(np.array([[3.0, 4.0]]), np.array([[2.0, 0.0]]))
    array([[3., 0.]])
    """
    X = as_2d_float(X, "X")
    n, m = X.shape
    if isinstance(basis, PCA):
        check_is_fitted(basis, "components_")
        center = basis.mean_ if center is None else center
        scale = basis.scale_ if scale is None else scale
    if hasattr(basis, "components_") or isinstance(basis, BaseEstimator):
        check_is_fitted(basis, "components_")
        basis = basis.components_
    B = as_2d_float(basis, "basis").astype(np.float64)
    if B.shape[1] != m:
        raise ValueError(f"basis must have {m} columns (one per feature of X); got {B.shape[1]}")
    shift = _per_column(0.0 if center is None else center, m, "center")
    factor = _per_column(1.0 if scale is None else scale, m, "scale")
    if np.any(factor == 0):
        raise ValueError("scale must be non-zero")
    # coefficients of the projection: Z B^T (B B^T)^+, applied to B
    left = B.T @ np.linalg.pinv(B @ B.T, hermitian=True)
    left, B = left.astype(X.dtype), B.astype(X.dtype)
    shift, factor = shift.astype(X.dtype), factor.astype(X.dtype)
    out = np.empty_like(X)
    buffer = np.empty((min(n, CHUNK_ROWS), m), dtype=X.dtype)
    inv = (1.0 / factor).astype(X.dtype)
    for start, stop in _row_chunks(n):
        Z = buffer[: stop - start]
        affine_rows(Z.size)(X, start, shift, inv, Z)
        block = out[start:stop]
        np.matmul(Z @ left, B, out=block)
        inverse_affine_rows(block.size)(block, factor, shift, block)
    return out


def _per_column(value, m, name):
    arr = real_float64(value, name, f"a finite number or an array of {m} finite values")
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.shape != (m,) or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a finite number or an array of {m} finite values")
    return arr
