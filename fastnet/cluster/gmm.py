"""Gaussian mixtures with full covariances, fitted by EM.

Each EM iteration is one compiled pass over the data (fixed row chunks, per-chunk
buffers merged in a fixed order): per point and component the log-density through
the precision Cholesky factor, the log-sum-exp responsibilities, and the M-step's
sufficient statistics ``N_k``, ``sum r (x - s_k)`` and ``sum r (x - s_k)(x - s_k)^T``
centred at the current means ``s_k`` (so the covariance update does not cancel).
The bookkeeping follows scikit-learn's ``GaussianMixture`` (``covariance_type='full'``):
``N_k`` gets ``10 eps``, ``reg_covar`` is added to the diagonal, ``lower_bound_`` is
the mean log-likelihood of the last E-step, and from the same initial parameters the
fitted parameters are scikit-learn's.  Twin: :func:`fastnet.reference.cluster.gaussian_mixture`.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._estimator import unchanged_on_error, validate_data
from .._jit import PARALLEL_MIN_WORK, jit, prange, serial_or_parallel_jit
from .._validation import (
    as_2d_float,
    check_int,
    check_nonnegative_float,
    real_float64,
    seed_from_random_state,
)
from ..random import SeedLike, spawn_sequences
from ..random import rng as make_rng

__all__ = ["gaussian_mixture", "GaussianMixture", "MixtureResult"]

ROW_CHUNK = 1024  # at least this many rows per statistics buffer
MAX_CHUNKS = 64  # at most this many buffers of K x d x d: memory O(K d^2), not O(n K d^2)
BLOCK = 64  # rows per SIMD block inside a chunk
LOG_2PI = math.log(2.0 * math.pi)
INIT_PARAMS = ("kmeans", "random", "random_from_data", "random_rows")


# ---------------------------------------------------------------- kernel
# exp(x) for x in [-300, 0] as inline arithmetic LLVM can vectorise (libm's exp is a
# call per element): x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite, ln2 split in two),
# exp(r) by its Taylor series to r^13 (truncation < 2e-17), times 2^n from a table.
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
_POW2 = 2.0 ** np.arange(-450, 1, dtype=np.float64)  # 2^-450 .. 2^0
_TAYLOR = 1.0 / np.cumprod(np.arange(1.0, 14.0))  # 1/1!, ..., 1/13!


@jit(inline="always")
def _exp_nonpositive(x):
    n = math.floor(x * _LOG2E + 0.5)
    r = (x - n * _LN2_HI) - n * _LN2_LO
    p = _TAYLOR[12]
    for i in range(11, -1, -1):
        p = p * r + _TAYLOR[i]
    return (1.0 + r * p) * _POW2[int(n) + 450]


@serial_or_parallel_jit(reassociate=True)
def _em_pass(X, means, prec_chol, log_weights, log_det, counts, first, second, log_norms,
             log_resp, write_resp):
    """E-step for every point, and per chunk the sufficient statistics centred at the
    current means: N_k, sum r (x - mu_k), sum r (x - mu_k)(x - mu_k)^T (upper part).

    Rows are processed in blocks of BLOCK with the row index innermost, so every loop
    over a block is a SIMD loop (the statistics are sums: reassociation is allowed)."""
    n, d = X.shape
    K = means.shape[0]
    rows = (n + counts.shape[0] - 1) // counts.shape[0]  # per chunk: fixed by n alone
    for c in prange(counts.shape[0]):
        N, S1, S2 = counts[c], first[c], second[c]
        N[:] = 0.0
        S1[:] = 0.0
        S2[:] = 0.0
        centred = np.empty((K, d, BLOCK))
        log_prob = np.empty((K, BLOCK))
        resp = np.empty((K, BLOCK))
        y = np.empty(BLOCK)
        peak = np.empty(BLOCK)
        acc = np.empty(BLOCK)
        total = 0.0
        chunk_end = min(n, (c + 1) * rows)
        for b0 in range(c * rows, chunk_end, BLOCK):
            m = min(BLOCK, chunk_end - b0)
            for k in range(K):
                for t in range(d):
                    mu = means[k, t]
                    for r in range(m):
                        centred[k, t, r] = X[b0 + r, t] - mu
                lp = log_prob[k]
                lp[:m] = 0.0
                for j in range(d):  # y = (x - mu_k) @ P_k, lp = ||y||^2
                    y[:m] = 0.0
                    for t in range(d):
                        p = prec_chol[k, t, j]
                        for r in range(m):
                            y[r] += centred[k, t, r] * p
                    for r in range(m):
                        lp[r] += y[r] * y[r]
                const = log_weights[k] + log_det[k] - 0.5 * d * LOG_2PI
                for r in range(m):
                    lp[r] = const - 0.5 * lp[r]
            peak[:m] = -np.inf
            for k in range(K):
                for r in range(m):
                    peak[r] = max(peak[r], log_prob[k, r])
            acc[:m] = 0.0
            for k in range(K):
                for r in range(m):
                    # a responsibility below e^-300 changes no statistic by more than
                    # 1e-280 relative (the 10 eps in N_k dominate); dropping it keeps
                    # r * x * x out of subnormal numbers, which most CPUs handle slowly
                    gap = log_prob[k, r] - peak[r]
                    resp[k, r] = _exp_nonpositive(gap) if gap > -300.0 else 0.0
                    acc[r] += resp[k, r]
            for r in range(m):
                norm = peak[r] + math.log(acc[r])
                total += norm
                peak[r] = norm
                acc[r] = 1.0 / acc[r]
            for k in range(K):
                for r in range(m):
                    resp[k, r] *= acc[r]
                if write_resp:
                    for r in range(m):
                        log_resp[b0 + r, k] = log_prob[k, r] - peak[r]
                weight = 0.0
                for r in range(m):
                    weight += resp[k, r]
                N[k] += weight
                for t in range(d):
                    s1 = 0.0
                    for r in range(m):
                        s1 += resp[k, r] * centred[k, t, r]
                    S1[k, t] += s1
                    for u in range(t, d):
                        s2 = 0.0
                        for r in range(m):
                            s2 += resp[k, r] * centred[k, t, r] * centred[k, u, r]
                        S2[k, t, u] += s2
        log_norms[c] = total


# ---------------------------------------------------------------- parameters
@dataclass(frozen=True)
class MixtureResult:
    """What :func:`gaussian_mixture` returns, for the best start (scikit-learn's
    meanings of the fitted attributes of the same names, without the underscore).

    ``weights`` (K,), ``means`` (K, d) and ``covariances`` (K, d, d): the fitted
    parameters (``reg_covar`` included on the diagonals); ``precisions_cholesky``
    (K, d, d): the factors ``P_k`` with ``precision_k = P_k P_k^T``;
    ``lower_bound``: the mean log-likelihood of the last E-step; ``lower_bounds``:
    that value after each iteration; ``n_iter``: the iterations run; ``converged``:
    whether the change of the lower bound fell below ``tol``.  ``precisions``
    (K, d, d) is computed from ``precisions_cholesky``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    lower_bound: float
    lower_bounds: list[float]
    n_iter: int
    converged: bool

    @property
    def precisions(self) -> np.ndarray:
        return np.einsum("kij,klj->kil", self.precisions_cholesky, self.precisions_cholesky)


@jit
def _precision_cholesky_kernel(covariances, out):
    """out[k] = inverse of the Cholesky factor L_k of covariances[k], transposed (so
    precision = out[k] @ out[k].T).  Returns the first component that is not positive
    definite, or -1.  One call for all components: scipy's per-matrix wrappers cost
    more than the arithmetic at these sizes."""
    K, d, _ = covariances.shape
    lower = np.empty((d, d))
    for k in range(K):
        lower[:] = 0.0
        for i in range(d):  # Cholesky-Banachiewicz
            for j in range(i + 1):
                total = covariances[k, i, j]
                for t in range(j):
                    total -= lower[i, t] * lower[j, t]
                if i == j:
                    if not total > 0.0:
                        return k
                    lower[i, i] = math.sqrt(total)
                else:
                    lower[i, j] = total / lower[j, j]
        out[k] = 0.0
        for j in range(d):  # columns of L^-1 by forward substitution, stored transposed
            for i in range(j, d):
                total = 1.0 if i == j else 0.0
                for t in range(j, i):
                    total -= lower[i, t] * out[k, j, t]
                out[k, j, i] = total / lower[i, i]
    return -1


def _precision_cholesky(covariances):
    out = np.empty_like(covariances)
    failed = _precision_cholesky_kernel(np.ascontiguousarray(covariances), out)
    if failed >= 0:
        raise ValueError(
            f"component {failed} has an ill-defined covariance (not positive definite; it "
            f"may have collapsed onto too few points): increase reg_covar or use fewer "
            f"components")
    return out


class _Workspace:
    def __init__(self, n, d, K):
        # fixed by n alone, so the sums do not depend on the number of threads
        n_chunks = min(MAX_CHUNKS, (n + ROW_CHUNK - 1) // ROW_CHUNK)
        self.counts = np.empty((n_chunks, K))
        self.first = np.empty((n_chunks, K, d))
        self.second = np.empty((n_chunks, K, d, d))
        self.log_norms = np.empty(n_chunks)
        self.no_resp = np.empty((0, K))

    def e_step(self, X, weights, means, prec_chol, log_resp=None):
        """Mean log-likelihood and the statistics (N, S1, S2 upper triangle)."""
        log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
        write = log_resp is not None
        kernel = _em_pass(X.size * len(means) * X.shape[1])  # serial for small work
        kernel(X, means, prec_chol, np.log(weights), log_det, self.counts, self.first,
               self.second, self.log_norms, log_resp if write else self.no_resp, write)
        return (self.log_norms.sum() / X.shape[0], self.counts.sum(axis=0),
                self.first.sum(axis=0), self.second.sum(axis=0))


@jit
def _m_step(n, shift, N, S1, S2, reg_covar):
    """Weights, means and covariances from the statistics centred at ``shift`` (the
    previous means): with a = mu - shift, sum r (x - mu)(x - mu)^T
    = S2 - a S1^T - S1 a^T + N a a^T; N_k gets scikit-learn's 10 eps."""
    K, d = S1.shape
    tiny = 10 * np.finfo(np.float64).eps
    weights = np.empty(K)
    means = np.empty((K, d))
    covariances = np.empty((K, d, d))
    a = np.empty(d)
    for k in range(K):
        nk = N[k] + tiny
        weights[k] = nk / n
        for t in range(d):
            means[k, t] = (S1[k, t] + N[k] * shift[k, t]) / nk
            a[t] = means[k, t] - shift[k, t]
        for t in range(d):
            for u in range(t, d):
                value = (S2[k, t, u] - a[t] * S1[k, u] - S1[k, t] * a[u]
                         + N[k] * a[t] * a[u]) / nk
                covariances[k, t, u] = value
                covariances[k, u, t] = value
            covariances[k, t, t] += reg_covar
    return weights, means, covariances


def _parameters_from_resp(X, resp, reg_covar):
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = resp.T @ X / nk[:, None]
    covariances = np.empty((resp.shape[1], X.shape[1], X.shape[1]))
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covariances[k] = (resp[:, k] * diff.T) @ diff / nk[k]
        covariances[k].flat[:: X.shape[1] + 1] += reg_covar
    return nk / X.shape[0], means, covariances


def _initial_parameters(X, K, init_params, generator, reg_covar):
    n = X.shape[0]
    if init_params == "random_rows":  # the seeds' init
        weights = np.full(K, 1.0 / K)
        means = X[generator.integers(0, n, K)].copy()
        covariances = np.repeat(np.cov(X.T).reshape(1, X.shape[1], X.shape[1]), K, axis=0)
        return weights, means, covariances
    resp = np.zeros((n, K))
    if init_params == "kmeans":
        from .kmeans import kmeans

        labels = kmeans(X, K, n_init=1, seed=generator.integers(2**32)).labels
        resp[np.arange(n), labels] = 1
    elif init_params == "random":
        resp = generator.uniform(size=(n, K))
        resp /= resp.sum(axis=1)[:, None]
    else:  # random_from_data
        resp[generator.choice(n, K, replace=False), np.arange(K)] = 1
    return _parameters_from_resp(X, resp, reg_covar)


def _check_inits(weights_init, means_init, precisions_init, K, d):
    checked = []
    for value, name, shape in ((weights_init, "weights_init", (K,)),
                               (means_init, "means_init", (K, d)),
                               (precisions_init, "precisions_init", (K, d, d))):
        if value is None:
            checked.append(None)
            continue
        arr = real_float64(value, name, f"an array of real numbers of shape {shape}")
        if arr.shape != shape or not np.isfinite(arr).all():
            raise ValueError(f"{name} must be a finite array of shape {shape}; "
                             f"got shape {arr.shape}")
        checked.append(arr)
    weights, means, precisions = checked
    if weights is not None and (np.any(weights < 0) or not np.isclose(weights.sum(), 1.0)):
        raise ValueError("weights_init must be non-negative and sum to 1")
    if precisions is not None:
        for k, p in enumerate(precisions):
            if not np.allclose(p, p.T) or np.linalg.eigvalsh(p).min() <= 0:
                raise ValueError(f"precisions_init[{k}] must be symmetric positive definite")
    return weights, means, precisions


# ---------------------------------------------------------------- EM drivers
#: The serial EM pass, callable from compiled code.
_em_pass_serial = _em_pass.serial


@jit(reassociate=True)
def _em_compiled_loop_kernel(X, weights, means, prec_chol, tol, reg_covar, max_iter, counts,
                             first, second, log_norms, no_resp, bounds):
    """The body of :func:`_em_compiled_loop`: the iterations of :func:`_em_python_loop`
    (the same pass, statistics, M-step and stopping rule).  Returns the fitted weights,
    means, covariances, precision Cholesky factors, lower bound, iterations, whether
    it converged, and the first component whose covariance failed (-1: none)."""
    n, d = X.shape
    K = means.shape[0]
    covariances = np.empty((K, d, d))
    log_det = np.empty(K)
    lower_bound = -np.inf
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        n_iter += 1
        previous = lower_bound
        for k in range(K):
            total = 0.0
            for t in range(d):
                total += math.log(prec_chol[k, t, t])
            log_det[k] = total
        _em_pass_serial(X, means, prec_chol, np.log(weights), log_det, counts, first, second,
                        log_norms, no_resp, False)
        lower_bound = log_norms.sum() / n
        weights, means, covariances = _m_step(n, means, counts.sum(axis=0),
                                              first.sum(axis=0), second.sum(axis=0),
                                              reg_covar)
        prec_chol = np.empty_like(covariances)
        failed = _precision_cholesky_kernel(covariances, prec_chol)
        if failed >= 0:
            return (weights, means, covariances, prec_chol, lower_bound, n_iter, converged,
                    failed)
        bounds[n_iter - 1] = lower_bound
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return weights, means, covariances, prec_chol, lower_bound, n_iter, converged, -1


def _em_python_loop(X, weights, means, prec_chol, tol, reg_covar, max_iter, work, verbose):
    """EM iterations driven from Python, each E-step one (parallel) compiled pass."""
    n = X.shape[0]
    lower_bound, bounds, converged, n_iter = -np.inf, [], False, 0
    while n_iter < max_iter:
        n_iter += 1
        previous = lower_bound
        lower_bound, N, S1, S2 = work.e_step(X, weights, means, prec_chol)
        weights, means, covariances = _m_step(n, means, N, S1, S2, reg_covar)
        prec_chol = _precision_cholesky(covariances)
        bounds.append(lower_bound)
        if verbose:
            print(f"gaussian_mixture: iteration {n_iter}  lower bound {lower_bound:.10g}")
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return MixtureResult(weights, means, covariances, prec_chol, float(lower_bound), bounds,
                         n_iter, converged)


def _em_compiled_loop(X, weights, means, prec_chol, tol, reg_covar, max_iter, work):
    """EM iterations as one compiled call (:func:`_em_compiled_loop_kernel`), for work
    too small for threads: there a Python loop's per-iteration overhead would cost
    more than the arithmetic."""
    bounds = np.empty(max_iter)
    *fitted, lower_bound, n_iter, converged, failed = _em_compiled_loop_kernel(
        X, np.asarray(weights, dtype=np.float64), np.asarray(means, dtype=np.float64),
        np.ascontiguousarray(prec_chol, dtype=np.float64), tol, reg_covar, max_iter,
        work.counts, work.first, work.second, work.log_norms, work.no_resp, bounds)
    if failed >= 0:
        _precision_cholesky(fitted[2])  # raises the error naming the component
    return MixtureResult(*fitted, float(lower_bound), bounds[:n_iter].tolist(), n_iter,
                         bool(converged))


def _fit_one(X, K, init_params, generator, inits, tol, reg_covar, max_iter, work, verbose):
    """One start: its initial parameters, then EM by the driver that suits the work."""
    weights_init, means_init, precisions_init = inits
    if all(v is not None for v in inits):
        weights, means, covariances = weights_init, means_init, np.linalg.inv(precisions_init)
    else:
        weights, means, covariances = _initial_parameters(X, K, init_params, generator,
                                                          reg_covar)
        weights = weights if weights_init is None else weights_init
        means = means if means_init is None else means_init
    if precisions_init is not None:  # as scikit-learn: the Cholesky factor of the precision
        prec_chol = np.array([scipy.linalg.cholesky(p, lower=True) for p in precisions_init])
    else:
        prec_chol = _precision_cholesky(covariances)
    if not verbose and X.size * K * X.shape[1] < PARALLEL_MIN_WORK:
        return _em_compiled_loop(X, weights, means, prec_chol, tol, reg_covar, max_iter, work)
    return _em_python_loop(X, weights, means, prec_chol, tol, reg_covar, max_iter, work,
                           verbose)


# ---------------------------------------------------------------- gaussian_mixture
def gaussian_mixture(X: ArrayLike, n_components: int, *, tol: float = 1e-3,
                     reg_covar: float = 1e-6, max_iter: int = 100, n_init: int = 1,
                     init_params: str = "random_rows", weights_init: ArrayLike | None = None,
                     means_init: ArrayLike | None = None,
                     precisions_init: ArrayLike | None = None, seed: SeedLike = None,
                     verbose: bool = False) -> MixtureResult:
    """Fit a full-covariance Gaussian mixture by EM; the best of ``n_init`` starts
    (highest ``lower_bound``) is returned.

    Parameters
    ----------
    X : array_like (n, d), finite
    n_components : int in [1, n]
    tol : float >= 0; stop when the mean log-likelihood changes by less than ``tol``
    reg_covar : float >= 0, added to every covariance diagonal
    max_iter, n_init : int >= 1
    init_params : 'random_rows' (the seeds': weights 1/K, means K random rows, every
        covariance cov(X)), 'kmeans', 'random' or 'random_from_data' (scikit-learn's)
    weights_init, means_init, precisions_init : optional starting parameters; each
        replaces the corresponding part of the ``init_params`` start
    seed : int, SeedSequence or None (start i uses child seed i)
    verbose : bool, print the lower bound per iteration

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.cluster import gaussian_mixture
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-5, 1, (100, 2)), rng.normal(5, 1, (100, 2))])
    >>> fit = gaussian_mixture(X, 2, init_params="kmeans", seed=0)
    >>> np.round(np.sort(fit.means[:, 0]))
    array([-5.,  5.])
    """
    X = as_2d_float(X, "X", dtype=np.float64)
    n, d = X.shape
    K = check_int(n_components, "n_components", minimum=1, maximum=n)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    n_init = check_int(n_init, "n_init", minimum=1)
    tol = check_nonnegative_float(tol, "tol")
    reg_covar = check_nonnegative_float(reg_covar, "reg_covar")
    if init_params not in INIT_PARAMS:
        raise ValueError(f"init_params must be one of {INIT_PARAMS}; got {init_params!r}")
    inits = _check_inits(weights_init, means_init, precisions_init, K, d)
    work = _Workspace(n, d, K)
    best = None
    for start_seed in spawn_sequences(seed, n_init):
        result = _fit_one(X, K, init_params, make_rng(start_seed), inits, tol, reg_covar,
                          max_iter, work, verbose)
        if best is None or result.lower_bound > best.lower_bound:
            best = result
    if not best.converged:
        warnings.warn(f"EM did not converge in max_iter={max_iter} iterations (tol={tol}); "
                      f"raise max_iter or tol", ConvergenceWarning, stacklevel=2)
    return best


# ---------------------------------------------------------------- estimator
def _log_resp(X, weights, means, prec_chol):
    work = _Workspace(X.shape[0], X.shape[1], means.shape[0])
    log_resp = np.empty((X.shape[0], means.shape[0]))
    work.e_step(X, weights, means, prec_chol, log_resp)
    return log_resp, work


class GaussianMixture(DensityMixin, BaseEstimator):
    """Full-covariance Gaussian mixture with scikit-learn's constructor and attributes.

    ``covariance_type`` must be 'full'.  Attributes: ``weights_``, ``means_``,
    ``covariances_``, ``precisions_``, ``precisions_cholesky_``, ``converged_``,
    ``n_iter_``, ``lower_bound_``, ``lower_bounds_``.

    >>> import numpy as np
    >>> from fastnet.cluster import GaussianMixture
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> GaussianMixture(2, random_state=0).fit(X).means_.shape
    (2, 2)
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None, verbose=0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit and return the labels; if this fails, a fitted model stays as it was."""
        with unchanged_on_error(self):
            return self._fit_predict(X)

    def _fit_predict(self, X):
        if self.covariance_type != "full":
            raise ValueError(f"covariance_type must be 'full' (the only one implemented); "
                             f"got {self.covariance_type!r}")
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        check_int(self.n_components, "n_components", minimum=1)
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)):
            raise TypeError(f"verbose must be an int or a bool; got {self.verbose!r}")
        if X.shape[0] < self.n_components:
            raise ValueError(f"Expected n_samples >= n_components but got "
                             f"n_components = {self.n_components}, n_samples = {X.shape[0]}")
        fit = gaussian_mixture(
            X, self.n_components, tol=self.tol, reg_covar=self.reg_covar,
            max_iter=self.max_iter, n_init=self.n_init, init_params=self.init_params,
            weights_init=self.weights_init, means_init=self.means_init,
            precisions_init=self.precisions_init,
            seed=seed_from_random_state(self.random_state),
            verbose=bool(self.verbose))
        self.weights_, self.means_, self.covariances_ = fit.weights, fit.means, fit.covariances
        self.precisions_cholesky_, self.precisions_ = fit.precisions_cholesky, fit.precisions
        self.converged_, self.n_iter_ = fit.converged, fit.n_iter
        self.lower_bound_, self.lower_bounds_ = fit.lower_bound, fit.lower_bounds
        return self.predict(X)

    def _log_resp(self, X):
        check_is_fitted(self, "means_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return _log_resp(X, self.weights_, self.means_, self.precisions_cholesky_)

    def predict_proba(self, X):
        return np.exp(self._log_resp(X)[0])

    def predict(self, X):
        return np.argmax(self._log_resp(X)[0], axis=1)

    def score_samples(self, X):
        """Log-likelihood of each sample under the mixture."""
        check_is_fitted(self, "means_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        log_det = np.log(np.diagonal(self.precisions_cholesky_, axis1=1, axis2=2)).sum(axis=1)
        y = np.einsum("ni,kij->nkj", X, self.precisions_cholesky_) - np.einsum(
            "ki,kij->kj", self.means_, self.precisions_cholesky_)[None]
        log_prob = -0.5 * (X.shape[1] * LOG_2PI + (y * y).sum(axis=2)) + log_det
        weighted = log_prob + np.log(self.weights_)
        peak = weighted.max(axis=1, keepdims=True)
        return (peak + np.log(np.exp(weighted - peak).sum(axis=1, keepdims=True)))[:, 0]

    def score(self, X, y=None):
        return float(self.score_samples(X).mean())

    def _n_parameters(self):
        K, d = self.means_.shape
        return int(K * d * (d + 1) / 2 + K * d + K - 1)

    def _total_log_likelihood(self, X):
        log_likelihood = self.score_samples(X)  # validates X (lists too)
        return float(log_likelihood.mean()) * log_likelihood.size, log_likelihood.size

    def bic(self, X):
        total, n = self._total_log_likelihood(X)
        return -2 * total + self._n_parameters() * np.log(n)

    def aic(self, X):
        return -2 * self._total_log_likelihood(X)[0] + 2 * self._n_parameters()
