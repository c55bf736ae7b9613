"""Gaussian mixtures fitted by EM: the functional :func:`gaussian_mixture` (full
covariances, the seeds' defaults) and the estimator :class:`GaussianMixture`
(scikit-learn's contract, all four covariance types).

Each EM iteration is one compiled pass over the data that computes the E-step and
the M-step's sufficient statistics (:mod:`fastnet.cluster.gmm_full` for full and tied
covariances, :mod:`fastnet.cluster.gmm_covariances` for diag and spherical ones),
then a small compiled M-step.  The bookkeeping follows scikit-learn's
``GaussianMixture``: ``N_k`` gets ``10 eps``, ``reg_covar`` is added to every
variance, ``lower_bound_`` is the mean log-likelihood of the last E-step, and from
the same initial parameters the fitted parameters are scikit-learn's.
Twins: :func:`fastnet.reference.cluster.gaussian_mixture` and
:func:`fastnet.reference.cluster.gaussian_mixture_constrained`.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._estimator import unchanged_on_error, validate_data
from .._jit import PARALLEL_MIN_WORK
from .._threads import one_blas_thread_below
from .._validation import (
    as_2d_float,
    check_int,
    check_nonnegative_float,
    seed_from_random_state,
)
from ..random import SeedLike, spawn_sequences
from ..random import rng as make_rng
from .gmm_covariances import COVARIANCE_TYPES, COVARIANCES
from .gmm_full import _precision_cholesky
from .gmm_init import (
    _check_inits,
    _check_sklearn_inits,
    _inverse,
    _seeds_start,
    _sklearn_resp,
    _start_from_resp,
)

__all__ = ["gaussian_mixture", "GaussianMixture", "MixtureResult"]

INIT_PARAMS = ("kmeans", "random", "random_from_data", "random_rows")
#: the estimator's extension values of ``init_params``, drawn with fastnet's seeding
SEEDS_INITS = ("random_rows", "fastnet_kmeans")


# ---------------------------------------------------------------- result
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


# ---------------------------------------------------------------- EM
def _em(X, cov, weights, means, prec_chol, tol, reg_covar, max_iter, lower_bound=-np.inf,
        report=None):
    """EM iterations from the given parameters until the mean log-likelihood changes
    by less than ``tol`` or ``max_iter`` (>= 1) iterations; ``lower_bound`` is the
    previous bound (a warm start's), ``report(n_iter, bound, change)`` is called after
    each iteration.  Small work runs as one compiled call (``cov.compiled_loop``);
    the rest from Python, each iteration one (parallel) compiled pass and a compiled
    M-step."""
    n, d = X.shape
    K = len(means)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    means = np.ascontiguousarray(means, dtype=np.float64)
    prec_chol = np.ascontiguousarray(prec_chol, dtype=np.float64)
    work = cov.workspace(n, d, K)
    if report is None and X.size * K * d < PARALLEL_MIN_WORK:
        bounds = np.empty(max_iter)
        *fitted, lower_bound, n_iter, converged, failed = cov.compiled_loop(
            X, weights, means, prec_chol, tol, reg_covar, max_iter, float(lower_bound), work,
            bounds)
        if failed >= 0:
            cov.precision_cholesky(fitted[2])  # raises the error naming the component
        return MixtureResult(*fitted, float(lower_bound), bounds[:n_iter].tolist(), n_iter,
                             bool(converged))
    bounds, converged, n_iter = [], False, 0
    while n_iter < max_iter:
        n_iter += 1
        previous = lower_bound
        lower_bound, N, S1, S2 = work.e_step(X, weights, means, prec_chol)
        weights, means, covariances = cov.m_step(n, means, N, S1, S2, reg_covar)
        prec_chol = cov.precision_cholesky(covariances)
        bounds.append(lower_bound)
        if report is not None:
            report(n_iter, lower_bound, lower_bound - previous)
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return MixtureResult(weights, means, covariances, prec_chol, float(lower_bound), bounds,
                         n_iter, converged)


def _fit_one(X, K, init_params, generator, inits, tol, reg_covar, max_iter, verbose):
    """One start of :func:`gaussian_mixture`: its initial parameters, then EM."""
    weights_init, means_init, precisions_init = inits
    cov = COVARIANCES["full"]
    if all(v is not None for v in inits):
        weights, means, covariances = weights_init, means_init, np.linalg.inv(precisions_init)
    else:
        weights, means, covariances = _seeds_start(X, K, init_params, generator, reg_covar,
                                                   cov)
        weights = weights if weights_init is None else weights_init
        means = means if means_init is None else means_init
    if precisions_init is not None:  # the Cholesky factor of the precision
        prec_chol = np.array([scipy.linalg.cholesky(p, lower=True) for p in precisions_init])
    else:
        prec_chol = _precision_cholesky(covariances)

    def report(n_iter, bound, change):
        print(f"gaussian_mixture: iteration {n_iter}  lower bound {bound:.10g}")

    return _em(X, cov, weights, means, prec_chol, tol, reg_covar, max_iter,
               report=report if verbose else None)


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
        covariance cov(X)), 'kmeans' (responsibilities from fastnet's :func:`kmeans`),
        'random' or 'random_from_data' (scikit-learn's rules, drawn from the start's
        ``Generator``; :class:`GaussianMixture` draws scikit-learn's numbers)
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
    best = None
    for start_seed in spawn_sequences(seed, n_init):
        result = _fit_one(X, K, init_params, make_rng(start_seed), inits, tol, reg_covar,
                          max_iter, verbose)
        if best is None or result.lower_bound > best.lower_bound:
            best = result
    if not best.converged:
        warnings.warn(f"EM did not converge in max_iter={max_iter} iterations (tol={tol}); "
                      f"raise max_iter or tol", ConvergenceWarning, stacklevel=2)
    return best


# ---------------------------------------------------------------- estimator
class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM, with scikit-learn's ``GaussianMixture`` contract.

    Parameters, defaults, fitted attributes (``weights_``, ``means_``,
    ``covariances_``, ``precisions_``, ``precisions_cholesky_``, ``converged_``,
    ``n_iter_``, ``lower_bound_``, ``lower_bounds_``, ``n_features_in_``,
    ``feature_names_in_``), methods and warnings are scikit-learn's.  The initial
    responsibilities use scikit-learn's draws from ``random_state``: 'kmeans' runs
    scikit-learn's ``KMeans(n_components, n_init=1, random_state=...)``,
    'k-means++' its ``kmeans_plusplus``, 'random' and 'random_from_data'
    ``random_state.uniform`` / ``choice``, so the same ``random_state`` gives
    scikit-learn's fit.  Computation is in float64; float32 input gets float32
    fitted parameters, as scikit-learn keeps them.

    Extensions (fastnet's seeding: start ``i`` draws from a ``Generator`` on child
    ``i`` of the ``SeedSequence`` of ``random_state``, as :func:`gaussian_mixture`):

    - ``init_params='random_rows'``: the seeds' start (weights 1/K, means K random
      rows, every covariance the sample covariance of X), the default of
      :func:`gaussian_mixture`;
    - ``init_params='fastnet_kmeans'``: responsibilities from fastnet's functional
      ``kmeans`` (what fastnet's 'kmeans' was before it followed scikit-learn);
    - ``random_state`` may also be a ``SeedSequence`` or a ``Generator``: then every
      init uses fastnet's seeding ('kmeans' is fastnet's k-means, 'k-means++'
      scikit-learn's ``kmeans_plusplus`` on a ``RandomState`` seeded from the
      generator), and ``sample`` draws from that generator.

    >>> import numpy as np
    >>> from fastnet.cluster import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "tol": [Interval(numbers.Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(numbers.Real, 0.0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++",
                                    *SEEDS_INITS})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state", np.random.SeedSequence, np.random.Generator],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None,
                 means_init=None, precisions_init=None, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10):
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
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    def fit(self, X, y=None):
        """Estimate the parameters by EM (the best of ``n_init`` starts; with
        ``warm_start`` one start from the previous fit)."""
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit and return the labels of X; if this fails, a fitted model stays as it
        was."""
        with unchanged_on_error(self):
            return self._fit_predict(X)

    # ------------------------------------------------------------ fitting
    def _fit_predict(self, X):
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        dtype = X.dtype
        X = np.ascontiguousarray(X, dtype=np.float64)
        n, d = X.shape
        if n < self.n_components:
            raise ValueError(f"Expected n_samples >= n_components but got "
                             f"n_components = {self.n_components}, n_samples = {n}")
        # small products (X^T X-sized: n d^2 multiply-adds) run faster on one BLAS thread
        with one_blas_thread_below(n * d * d):
            return self._fit_predict_capped(X, dtype)

    def _fit_predict_capped(self, X, dtype):
        d = X.shape[1]
        cov = COVARIANCES[self.covariance_type]
        inits = _check_sklearn_inits(self, cov, d)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        if self._fastnet_seeding():
            draws = [make_rng(s) for s in spawn_sequences(
                seed_from_random_state(self.random_state), n_init)]
        else:
            random_state = check_random_state(self.random_state)
            draws = [random_state] * n_init
        best = None
        for init, draw in enumerate(draws):
            self._print_init_begin(init)
            if do_init:
                start, bound = self._start(X, cov, inits, draw), -np.inf
            else:
                start = tuple(np.asarray(a, dtype=np.float64) for a in self._get_parameters())
                bound = self.lower_bound_
            if self.max_iter == 0:  # the start itself (scikit-learn keeps the last one)
                weights, means, covariances, prec_chol = start
                best = MixtureResult(weights, means, covariances, prec_chol, -np.inf, [], 0,
                                     False)
                continue
            report = self._print_iteration if self.verbose else None
            result = _em(X, cov, start[0], start[1], start[3], self.tol, self.reg_covar,
                         self.max_iter, bound, report)
            self._print_init_end(result)
            if best is None or result.lower_bound > best.lower_bound or (
                    best.lower_bound == -np.inf):
                best = result
        if not best.converged and self.max_iter > 0:
            warnings.warn("Best performing initialization did not converge. Try different "
                          "init parameters, or increase max_iter, tol, or check for "
                          "degenerate data.", ConvergenceWarning, stacklevel=3)
        self._set_parameters((best.weights, best.means, best.covariances,
                              best.precisions_cholesky), dtype)
        self.converged_, self.n_iter_ = best.converged, best.n_iter
        self.lower_bound_, self.lower_bounds_ = best.lower_bound, best.lower_bounds
        # the labels of a final E-step, so that fit_predict(X) is fit(X).predict(X)
        return np.argmax(self._log_resp(X), axis=1)

    def _start(self, X, cov, inits, draw):
        """Initial (weights, means, covariances, precision Cholesky factors)."""
        K = self.n_components
        if all(v is not None for v in inits):
            return _start_from_resp(X, None, self.reg_covar, cov, inits)
        if self._fastnet_seeding():
            weights, means, covariances = _seeds_start(X, K, self.init_params, draw,
                                                       self.reg_covar, cov)
            return self._seeds_parameters(cov, inits, weights, means, covariances)
        resp, counts = _sklearn_resp(X, K, self.init_params, draw)
        return _start_from_resp(X, resp, self.reg_covar, cov, inits, counts)

    def _fastnet_seeding(self):
        return self.init_params in SEEDS_INITS or isinstance(
            self.random_state, (np.random.SeedSequence, np.random.Generator))

    @staticmethod
    def _seeds_parameters(cov, inits, weights, means, covariances):
        weights = weights if inits[0] is None else inits[0]
        means = means if inits[1] is None else inits[1]
        if inits[2] is None:
            return weights, means, covariances, cov.precision_cholesky(covariances)
        return (weights, means, _inverse(cov, inits[2]),
                cov.cholesky_from_precisions(inits[2]))

    def _initialize(self, X, resp):
        """scikit-learn's hook: the parameters of responsibilities ``resp`` (None:
        every ``*_init`` given), each replaced by its ``*_init`` when given."""
        X = np.asarray(X)
        cov = COVARIANCES[self.covariance_type]
        inits = tuple(None if a is None else np.asarray(a, dtype=np.float64)
                      for a in (self.weights_init, self.means_init, self.precisions_init))
        params = _start_from_resp(np.asarray(X, dtype=np.float64), resp, self.reg_covar,
                                  cov, inits)
        self._set_parameters(params, X.dtype)

    def _get_parameters(self):
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def _set_parameters(self, params, dtype=None):
        """Set (weights, means, covariances, precision Cholesky factors) and the
        precisions, in ``dtype`` (default: that of the means)."""
        dtype = np.asarray(params[1]).dtype if dtype is None else dtype
        cov = COVARIANCES[self.covariance_type]
        weights, means, covariances, prec_chol = (np.asarray(a, dtype=np.float64)
                                                  for a in params)
        precisions = cov.precisions(prec_chol)
        (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_,
         self.precisions_) = (a.astype(dtype, copy=False) for a in (
            weights, means, covariances, prec_chol, precisions))

    # ------------------------------------------------------------ verbose output
    def _print_init_begin(self, init):
        if self.verbose:
            print(f"Initialization {init}")
            self._init_prev_time = self._iter_prev_time = time.time()

    def _print_iteration(self, n_iter, bound, change):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            elif self.verbose >= 2:
                now = time.time()
                print(f"  Iteration {n_iter}\t time lapse {now - self._iter_prev_time:.5f}s"
                      f"\t ll change {change:.5f}")
                self._iter_prev_time = now

    def _print_init_end(self, result):
        message = "converged" if result.converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {message}.")
        elif self.verbose >= 2:
            lapse = time.time() - self._init_prev_time
            print(f"Initialization {message}. time lapse {lapse:.5f}s\t lower bound "
                  f"{result.lower_bound:.5f}.")

    # ------------------------------------------------------------ prediction
    def _validated(self, X):
        """X as float64, and the dtype of results (scikit-learn's: float32 for float32
        X and a model fitted on float32)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return (np.ascontiguousarray(X, dtype=np.float64),
                np.result_type(X.dtype, np.asarray(self.means_).dtype))

    def _parameters64(self):
        return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in (
            self.weights_, self.means_, self.precisions_cholesky_))

    def _predict_pass(self, X):
        """(log responsibilities, log-likelihood of each row) of validated float64 X,
        by the compiled E-step."""
        weights, means, prec_chol = self._parameters64()
        work = COVARIANCES[self.covariance_type].workspace(X.shape[0], X.shape[1],
                                                          len(means))
        return work.predict(X, weights, means, prec_chol)

    def _log_resp(self, X):
        return self._predict_pass(X)[0]

    def predict(self, X):
        """The most probable component of each sample."""
        return np.argmax(self._log_resp(self._validated(X)[0]), axis=1)

    def predict_proba(self, X):
        """The posterior probability of each component for each sample."""
        X, dtype = self._validated(X)
        return np.exp(self._log_resp(X)).astype(dtype, copy=False)

    def score_samples(self, X):
        """Log-likelihood of each sample under the mixture."""
        X, dtype = self._validated(X)
        return self._predict_pass(X)[1].astype(dtype, copy=False)

    def score(self, X, y=None):
        """Mean log-likelihood of the samples."""
        return float(self.score_samples(X).mean())

    def _n_parameters(self):
        K, d = self.means_.shape
        return COVARIANCES[self.covariance_type].n_parameters(K, d)

    def _total_log_likelihood(self, X):
        log_likelihood = self.score_samples(X)  # validates X (lists too)
        return float(log_likelihood.mean()) * log_likelihood.size, log_likelihood.size

    def bic(self, X):
        """Bayesian information criterion on X (lower is better)."""
        total, n = self._total_log_likelihood(X)
        return -2 * total + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion on X (lower is better)."""
        return -2 * self._total_log_likelihood(X)[0] + 2 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw ``n_samples`` points from the fitted mixture, with scikit-learn's draws
        from ``random_state`` (a multinomial of the weights, then each component's
        points).  Returns (X, component labels)."""
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {self.n_components} . The "
                             f"sampling requires at least one sample.")
        rng = (np.random.default_rng(self.random_state)
               if isinstance(self.random_state, np.random.SeedSequence)
               else self.random_state if isinstance(self.random_state, np.random.Generator)
               else check_random_state(self.random_state))
        means = np.asarray(self.means_, dtype=np.float64)
        covariances = np.asarray(self.covariances_, dtype=np.float64)
        counts = rng.multinomial(n_samples, np.asarray(self.weights_, dtype=np.float64))
        if self.covariance_type == "full":
            parts = [rng.multivariate_normal(m, c, int(s))
                     for m, c, s in zip(means, covariances, counts, strict=True)]
        elif self.covariance_type == "tied":
            parts = [rng.multivariate_normal(m, covariances, int(s))
                     for m, s in zip(means, counts, strict=True)]
        else:
            parts = [m + rng.standard_normal(size=(s, means.shape[1])) * np.sqrt(c)
                     for m, c, s in zip(means, covariances, counts, strict=True)]
        labels = np.concatenate([np.full(int(s), k, dtype=np.int64)
                                 for k, s in enumerate(counts)])
        return np.vstack(parts), labels
