"""Principal component analysis: scikit-learn's ``PCA`` estimator, the seeds'
standardised PCA as the functional :func:`pca` (and ``PCA(standardize=True)``), and
projection denoising.

The functional API's path: the centred cross-product is accumulated in float64 over
fixed row chunks with BLAS ``syrk``, and standardising is applied to it (a diagonal
scaling), so no n x m centred or standardised copy is ever formed; the components are
the top-k eigenvectors of ``Z^T Z / (n - 1)`` sorted by decreasing eigenvalue, and
scores are ``Z V``.  The estimator's 'covariance_eigh' path reads X once for its column
sums (and finiteness), then forms the cross-product with NumPy's BLAS in X's dtype
(scikit-learn's precision): uncentred where the column offsets are small against the
spread, from mean-shifted chunks where they are not (see
:func:`_covariance_cross_product`).  Component signs are fixed: the largest-|entry| of
each component is positive (scikit-learn's ``svd_flip`` rule).  The other solvers of
the estimator live in :mod:`fastnet.decomposition.pca_solvers`.
Twin: :func:`fastnet.reference.decomposition.pca`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log, sqrt
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.sparse
from numpy.typing import ArrayLike
from scipy.linalg.blas import dsyrk
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.extmath import fast_logdet
from sklearn.utils.validation import assert_all_finite, check_array, check_is_fitted

from .._estimator import unchanged_on_error, validate_data
from .._jit import prange, serial_or_parallel_jit
from .._stats import column_mean_std, column_means, column_sums_squares
from .._threads import SMALL_PRODUCT_WORK, one_blas_thread_below
from .._validation import (
    as_2d_float,
    check_bool,
    check_int,
    real_float64,
)
from .pca_solvers import (
    auto_solver,
    check_full_n_components,
    check_truncated_n_components,
    full_svd,
    implicitly_centered,
    sparse_cross_product,
    sparse_mean_std,
    spectrum_summary,
    truncated_svd,
)
from .scaling import affine_rows, effective_scale, inverse_affine_rows

__all__ = ["pca", "PCA", "PCAResult", "denoise"]

CHUNK_ROWS = 2048  # rows standardised at a time: O(CHUNK_ROWS * m) extra memory
CHUNK_BYTES = 32 << 20  # the estimator's shifted chunks: about this much, at most n / 8 rows
SUM_GROUP = 256  # rows per partial column sum of the shifted chunks
UNCENTERED_MAX_RATIO = 4.0  # largest |mean| / std for which X^T X - n mean mean^T is used


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


#: Multiply-adds (n m (k + oversamples)) below which the randomized and ARPACK solvers
#: run on one BLAS thread: their LAPACK steps on tall-skinny matrices lose on threads
#: up to larger sizes than a product does (README, "Drop-in estimators").
TRUNCATED_SVD_WORK = 1 << 27


def _row_chunks(n):
    for start in range(0, n, CHUNK_ROWS):
        yield start, min(n, start + CHUNK_ROWS)


def _centered_cross_product(X, mean):
    """``(X - mean)^T (X - mean)`` in float64, accumulated over row chunks with BLAS syrk
    (upper triangle, half the flops of a general product).  float32 data is centred
    into a float64 chunk too: a float32 cross-product loses the small eigenvalues, and
    the trailing components would drift from the float64 twin."""
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


@serial_or_parallel_jit
def _shift_rows_and_sum(X, start, shift, out, partial):
    """out[i] = X[start + i] - shift for the rows of ``out``; partial[g] = the column
    sums of out's rows in group g (SUM_GROUP rows each, float64; fixed groups, so the
    merged sum does not depend on the number of threads)."""
    for g in prange(partial.shape[0]):
        low = g * SUM_GROUP
        high = min(out.shape[0], low + SUM_GROUP)
        for j in range(out.shape[1]):
            partial[g, j] = 0.0
        for i in range(low, high):
            for j in range(out.shape[1]):
                z = X[start + i, j] - shift[j]
                out[i, j] = z
                partial[g, j] += z


def _shifted_cross_product(X, shift, precision):
    """``(X - mean)^T (X - mean)`` in float64 from row chunks shifted by ``shift``.

    Each chunk is shifted and summed by columns in one compiled pass, multiplied by
    NumPy's BLAS (``Z^T Z`` is a syrk) in ``precision`` and added in float64; with
    ``d = mean(X - shift)`` the centred product is ``sum (x - s)(x - s)^T - n d d^T``,
    where ``d`` is rounding-sized when ``shift`` is the column mean, so nothing cancels.
    ``precision`` is X's dtype (scikit-learn computes float32 in float32) or float64
    (the seeds' standardised PCA, whose twin is float64).  Chunks of ``CHUNK_BYTES``
    (at least ``CHUNK_ROWS`` rows, at most an eighth of X beyond that) keep the
    per-chunk additions of the m x m products small against the products, and the
    buffer small against X."""
    n, m = X.shape
    rows = CHUNK_BYTES // (m * np.dtype(precision).itemsize)
    rows = min(n, max(CHUNK_ROWS, min(rows, -(-n // 8))))
    buffer = np.empty((rows, m), dtype=precision)
    partial = np.empty((-(-rows // SUM_GROUP), m))
    product = np.empty((m, m), dtype=precision)
    total = np.zeros((m, m))
    sums = np.zeros(m)
    shift_p = shift.astype(precision)
    for start in range(0, n, rows):
        Z = buffer[: min(n, start + rows) - start]
        groups = partial[: -(-Z.shape[0] // SUM_GROUP)]
        _shift_rows_and_sum(Z.size)(X, start, shift_p, Z, groups)
        sums += groups.sum(axis=0)
        np.matmul(Z.T, Z, out=product)
        total += product
    d = sums / n
    total -= n * np.outer(d, d)
    return total


def _covariance_cross_product(X, precision, estimator_name):
    """Column means and ``(X - mean)^T (X - mean)`` in float64 (its upper triangle at
    least), with X's finiteness checked on the way.

    One compiled pass gives every column's sum and sum of squares; a NaN or an infinity
    shows in them, and only then is X scanned for scikit-learn's exact error.  Where
    every column's ``|mean| <= UNCENTERED_MAX_RATIO * std``, the product is
    scikit-learn's uncentred ``X^T X - n mean mean^T``: one BLAS call on X itself, no
    copy, no Python loop (what scales on many cores), losing at most
    ``log2(1 + ratio^2)`` (about 4) bits of each entry to the subtraction.  Otherwise
    the chunks are shifted by the mean before they are multiplied
    (:func:`_shifted_cross_product`), so that offsets large against the spread, or
    constant columns, do not cancel away the covariance."""
    n, m = X.shape
    sums, squares = column_sums_squares(X)
    if not (np.isfinite(sums).all() and np.isfinite(squares).all()):
        assert_all_finite(X, input_name="X", estimator_name=estimator_name)
    mean = sums / n
    variance = squares / n - mean * mean
    if precision == X.dtype.type and np.all(mean * mean <= UNCENTERED_MAX_RATIO**2 * variance):
        # NumPy's matmul recognises X^T X and calls syrk (half a general product's flops)
        S = (X.T @ X).astype(np.float64, copy=False)
        S -= n * np.outer(mean, mean)
        return mean, S
    return mean, _shifted_cross_product(X, mean, precision)


def _top_eigenpairs(C, k):
    """Top-k eigenpairs of the symmetric C given by its upper triangle."""
    m = C.shape[0]
    values, vectors = scipy.linalg.eigh(C, lower=False, subset_by_index=[m - k, m - 1])
    return values[::-1], _signed_rows(vectors[:, ::-1])


def _signed_rows(vectors):
    """The eigenvectors (columns) as rows, each signed so that its largest-|entry| is
    positive (scikit-learn's ``svd_flip`` rule)."""
    components = np.ascontiguousarray(vectors.T)
    biggest = np.argmax(np.abs(components), axis=1)
    components *= np.sign(components[np.arange(components.shape[0]), biggest])[:, None]
    return components


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


def _covariance_eigenpairs(C, sparse):
    """All eigenpairs of the covariance C, decreasing, negative rounding clipped to 0.

    Dense input: NumPy's ``eigh`` (LAPACK ``syevd``), as NumPy's BLAS made C and
    scikit-learn's 'covariance_eigh' solves with it too: switching to SciPy's OpenBLAS
    right after NumPy's would make its threads wait for NumPy's spinning ones (DESIGN.md,
    rule 4).  Sparse input: SciPy's ``syevd``, after SciPy's sparse product."""
    if sparse:
        values, vectors = scipy.linalg.eigh(C, lower=False, driver="evd")
    else:
        values, vectors = np.linalg.eigh(C, UPLO="U")
    return np.maximum(values[::-1], 0.0), _signed_rows(vectors[:, ::-1])


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis: scikit-learn's ``PCA``, with fastnet's one-pass
    covariance as the 'covariance_eigh' solver.

    Every parameter, fitted attribute and method of ``sklearn.decomposition.PCA`` (1.6
    and later), with the same defaults and meaning.  ``svd_solver='covariance_eigh'``
    (and 'auto' on tall data: ``n_features <= 1000`` and ``n_samples >= 10 *
    n_features``, scikit-learn's rule) takes the column sums and the finiteness check in
    one compiled pass, the cross-product with one BLAS ``syrk`` on X (from mean-shifted
    row chunks, summed in float64, where column offsets are large against the spread),
    and the eigenpairs of the covariance;
    'full' is LAPACK's SVD of the centred data; 'arpack' and 'randomized' draw from
    ``random_state`` exactly as scikit-learn does, so the same seed gives the same
    components.  Sparse CSR/CSC input works with 'arpack' (implicit centring) and
    'covariance_eigh'; float32 stays float32.

    Parameters
    ----------
    n_components : int, float in (0, 1), 'mle' or None
        Components kept: a count; the fewest whose explained variance ratio exceeds
        the float; Minka's MLE ('full' and 'covariance_eigh'); None keeps
        ``min(n_samples, n_features)`` (one less with 'arpack').
    copy : bool
        False lets 'full', 'arpack' and 'randomized' centre dense X in place.
    whiten : bool
        Scale the scores to unit variance.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'arpack', 'randomized'}
    tol : float >= 0
        ARPACK's tolerance (0: machine precision).
    iterated_power : int >= 0 or 'auto'; n_oversamples : int >= 1;
    power_iteration_normalizer : {'auto', 'QR', 'LU', 'none'}
        The randomized solver's options.
    random_state : None, int or RandomState
        ARPACK's start vector and the randomized solver's test matrix.
    standardize : bool, default False
        fastnet's extension (the seeds' PCA): scale each column to unit population
        variance before the decomposition (zero-variance columns left unscaled);
        ``transform`` then applies ``(X - mean_) / scale_``.  The covariance model of
        ``get_covariance``, ``get_precision`` and ``score`` is then the standardised
        data's (``score_samples`` includes the Jacobian, so it is a density of X).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Principal axes, by decreasing variance.
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray
        Of shape (n_components,), by decreasing variance.
    mean_ : ndarray of shape (n_features,)
        The column means.
    scale_ : ndarray of shape (n_features,)
        The column standard deviations used by ``standardize=True`` (ones otherwise).
    n_components_, n_samples_, noise_variance_, n_features_in_, feature_names_in_
        As in scikit-learn.

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
    >>> PCA(0.95, svd_solver="full").fit(X).n_components_
    5
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 0, None, closed="left"),
                         Interval(RealNotInt, 0, 1, closed="neither"),
                         StrOptions({"mle"}), None],
        "copy": ["boolean"],
        "whiten": ["boolean"],
        "svd_solver": [StrOptions({"auto", "full", "covariance_eigh", "arpack", "randomized"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "iterated_power": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
        "power_iteration_normalizer": [StrOptions({"auto", "QR", "LU", "none"})],
        "random_state": ["random_state"],
        "standardize": ["boolean"],
    }

    def __init__(self, n_components=None, *, copy=True, whiten=False, svd_solver="auto",
                 tol=0.0, iterated_power="auto", n_oversamples=10,
                 power_iteration_normalizer="auto", random_state=None, standardize=False):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state
        self.standardize = standardize

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = self.svd_solver in ("auto", "arpack", "covariance_eigh")
        return tags

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    # ------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Fit the components; if this fails, a fitted model stays as it was."""
        with unchanged_on_error(self):
            self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then the scores of X (from the SVD's ``U`` where the solver has it)."""
        with unchanged_on_error(self):
            U, S, X = self._fit(X)
        if U is None:
            return self._transform(X)
        k = self.n_components_
        return U[:, :k] * (sqrt(X.shape[0] - 1) if self.whiten else S[:k])

    def _fit(self, X):
        self._validate_params()
        if issparse(X) and self.svd_solver not in ("auto", "arpack", "covariance_eigh"):
            raise TypeError('PCA only support sparse inputs with the "arpack" and '
                            f'"covariance_eigh" solvers, while "{self.svd_solver}" was passed.'
                            " See TruncatedSVD for a possible alternative.")
        # finiteness is checked below: the dense covariance path folds it into its pass
        X = validate_data(self, X, dtype=[np.float64, np.float32], order="C",
                          accept_sparse=("csr", "csc"), force_writeable=True, copy=False,
                          ensure_min_samples=2, ensure_all_finite=False)
        n, m = X.shape
        solver = self.svd_solver
        if solver == "auto":
            solver = auto_solver(X, self.n_components)
        if solver != "covariance_eigh" or issparse(X):
            assert_all_finite(X, input_name="X", estimator_name=type(self).__name__)
        self._fit_svd_solver = solver
        n_components = self.n_components
        if n_components is None:
            n_components = min(n, m) - (solver == "arpack")
        if solver in ("full", "covariance_eigh"):
            check_full_n_components(n_components, n, m, solver)
            width, threshold = m, SMALL_PRODUCT_WORK  # X^T X, or LAPACK's SVD of X
        else:
            check_truncated_n_components(n_components, n, m, solver)
            # X times a few vectors
            width = min(m, n_components + self.n_oversamples)
            threshold = TRUNCATED_SVD_WORK
        # small products, and LAPACK's factorisations of small or tall-skinny matrices
        # (the randomized range finder's LU and QR, ARPACK's Lanczos basis), run faster
        # on one BLAS thread; the truncated solvers up to a larger size (README)
        with one_blas_thread_below((X.nnz if issparse(X) else X.size) * width, threshold):
            if solver == "covariance_eigh":
                return self._fit_covariance(X, n_components)
            return self._fit_svd(X, n_components, solver)

    def _fit_covariance(self, X, n_components):
        """Eigenpairs of the covariance of the (standardised) columns: the fast path."""
        n, m = X.shape
        if issparse(X):
            mean, std = sparse_mean_std(X)
            S = sparse_cross_product(X, mean)
        else:
            # float32 stays float32 (scikit-learn's precision and speed); the seeds'
            # standardised PCA keeps its float64 accumulation (its twin's precision)
            precision = np.float64 if self.standardize else X.dtype.type
            mean, S = _covariance_cross_product(X, precision, type(self).__name__)
            std = np.sqrt(np.maximum(np.diag(S), 0.0) / n)
        scale = effective_scale(mean, std) if self.standardize else np.ones(m)
        # standardising is the diagonal congruence D^-1 S D^-1 of the cross-product
        C = (S / np.outer(scale, scale) if self.standardize else S) / (n - 1)
        values, components = _covariance_eigenpairs(C, sparse=issparse(X))
        total = values.sum()
        k, noise = spectrum_summary(values, n_components, n, m)
        self._set_fitted(X, mean, scale, components[:k], values[:k], values[:k] / total,
                         np.sqrt(values[:k] * (n - 1)), noise)
        return None, None, X

    def _fit_svd(self, X, n_components, solver):
        """LAPACK, ARPACK or randomized SVD of the centred (standardised) data."""
        n, m = X.shape
        if issparse(X):
            mean, std = sparse_mean_std(X)
            scale = effective_scale(mean, std) if self.standardize else np.ones(m)
            Xs = X @ scipy.sparse.diags(1.0 / scale) if self.standardize else X
            Xc = implicitly_centered(Xs, mean / scale)
            total = float(np.sum(np.square(std / scale))) * n / (n - 1)
        else:
            if self.standardize:
                mean, std = column_mean_std(X)
                scale = effective_scale(mean, std)
            else:
                mean, scale = column_means(X), np.ones(m)
            Xc = X if not self.copy else np.empty_like(X)
            affine_rows(X.size)(X, 0, mean, 1.0 / scale, Xc)
            total = None
        if solver == "full":
            U, S, Vt = full_svd(Xc)
            values = S * S / (n - 1)
            k, noise = spectrum_summary(values, n_components, n, m)
            self._set_fitted(X, mean, scale, Vt[:k], values[:k], values[:k] / values.sum(),
                             S[:k], noise)
            return U, S, X
        U, S, Vt = truncated_svd(
            Xc, n_components, solver, tol=self.tol, iterated_power=self.iterated_power,
            n_oversamples=self.n_oversamples,
            power_iteration_normalizer=self.power_iteration_normalizer,
            random_state=self.random_state)
        values = S * S / (n - 1)
        if total is None:
            total = float(np.einsum("ij,ij->", Xc, Xc, dtype=np.float64)) / (n - 1)
        k = n_components
        noise = (total - values.sum()) / (min(n, m) - k) if k < min(n, m) else 0.0
        self._set_fitted(X, mean, scale, Vt, values, values / total, S, noise)
        return U, S, X

    def _set_fitted(self, X, mean, scale, components, values, ratio, singular, noise):
        dtype = X.dtype
        self.mean_ = mean.astype(dtype)
        self.scale_ = scale
        self.components_ = np.ascontiguousarray(components, dtype=dtype)
        self.explained_variance_ = values.astype(dtype)
        self.explained_variance_ratio_ = ratio.astype(dtype)
        self.singular_values_ = singular.astype(dtype)
        self.noise_variance_ = dtype.type(noise)
        self.n_components_ = components.shape[0]
        self.n_samples_ = X.shape[0]

    # ------------------------------------------------------------ projections
    def transform(self, X):
        """Scores ``((X - mean_) / scale_) @ components_.T`` (divided by
        ``sqrt(explained_variance_)`` when ``whiten``)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32],
                          accept_sparse=("csr", "csc"), reset=False)
        return self._transform(X)

    def _transform(self, X):
        # one product in X's dtype, centred afterwards by a rank-one correction (as
        # scikit-learn does): X is neither copied nor centred, sparse X stays sparse
        components = self.components_
        if self.standardize:
            components = components / self.scale_.astype(components.dtype)
        scores = np.asarray(X @ components.T)
        scores -= self.mean_ @ components.T
        if self.whiten:
            root = np.sqrt(self.explained_variance_)
            scores /= np.maximum(root, np.finfo(root.dtype).eps)
        return scores

    def inverse_transform(self, X):
        """Data space from scores: ``X @ components_ * scale_ + mean_`` (``X`` first
        multiplied by ``sqrt(explained_variance_)`` when ``whiten``)."""
        check_is_fitted(self)
        Y = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        if Y.shape[1] != self.n_components_:
            raise ValueError(f"X must have {self.n_components_} columns (one per component); "
                             f"got {Y.shape[1]}")
        if self.whiten:
            Y = Y * np.sqrt(self.explained_variance_)
        out = Y @ self.components_
        inverse_affine_rows(out.size)(out, self.scale_.astype(out.dtype),
                                      self.mean_.astype(out.dtype), out)
        return out

    # ------------------------------------------------------------ probabilistic PCA
    def _model_factors(self):
        components, values = self.components_, self.explained_variance_
        if self.whiten:
            components = components * np.sqrt(values)[:, None]
        # the generative model's component variances above the noise floor
        excess = np.where(values > self.noise_variance_, values - self.noise_variance_, 0.0)
        return components, excess.astype(values.dtype)

    def get_covariance(self):
        """Covariance of the probabilistic PCA model (Tipping & Bishop 1999):
        ``components_.T diag(explained_variance_ - noise) components_ + noise I``."""
        check_is_fitted(self)
        components, excess = self._model_factors()
        cov = (components.T * excess) @ components
        cov.flat[:: cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """Inverse of :meth:`get_covariance` by the matrix inversion lemma (one
        ``n_components`` x ``n_components`` inverse)."""
        check_is_fitted(self)
        m = self.components_.shape[1]
        noise = self.noise_variance_
        if self.n_components_ == 0:
            return np.eye(m) / noise
        if noise == 0.0:
            return scipy.linalg.inv(self.get_covariance())
        components, excess = self._model_factors()
        inner = components @ components.T / noise
        inner.flat[:: inner.shape[0] + 1] += 1.0 / excess
        precision = components.T @ scipy.linalg.inv(inner) @ components
        precision /= -(noise**2)
        precision.flat[:: m + 1] += 1.0 / noise
        return precision

    def score_samples(self, X):
        """Log-likelihood of each sample under the probabilistic PCA model (Bishop,
        PRML 12.2.1); with ``standardize`` a density of X (the Jacobian included)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        Z = (X - self.mean_) / self.scale_.astype(X.dtype)
        precision = self.get_precision()
        log_like = -0.5 * np.sum(Z * (Z @ precision), axis=1)
        log_like -= 0.5 * (X.shape[1] * log(2.0 * np.pi) - fast_logdet(precision))
        return log_like - np.sum(np.log(self.scale_))

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`."""
        return float(np.mean(self.score_samples(X)))

    def n_components_for(self, ratio: float) -> int:
        """Smallest m whose first m components explain at least ``ratio`` of the variance."""
        check_is_fitted(self, "components_")
        if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.floating):
            raise TypeError(f"ratio must be a number in (0, 1]; got {type(ratio).__name__}")
        if not 0 < ratio <= 1:
            raise ValueError(f"ratio must be in (0, 1]; got {ratio}")
        cumulative = np.cumsum(self.explained_variance_ratio_, dtype=np.float64)
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
