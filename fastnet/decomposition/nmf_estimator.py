"""``NMF``: scikit-learn's NMF estimator (same parameters, defaults, attributes, methods,
errors and random draws), with the seeds' Lee-Seung updates as extra options."""

from __future__ import annotations

import contextlib
import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import randomized_svd
from sklearn.utils.validation import check_is_fitted, check_non_negative

from .._estimator import unchanged_on_error, validate_data
from .._threads import one_blas_thread_below
from .._validation import check_fits_in_memory, seed_from_random_state
from ..random import rng as make_rng
from .nmf import _check_nonnegative, _check_options, _progress_every, _solve, nmf, random_init
from .nmf_cd import fit_coordinate_descent
from .nmf_mu import BETA_LOSSES, beta_divergence, fit_multiplicative_update

__all__ = ["NMF", "initialize_nmf"]

_INITS = ("random", "nndsvd", "nndsvda", "nndsvdar")


def _check_init_factor(A, shape, whom):
    A = check_array(A)
    for axis, word in enumerate(("first", "second")):
        if shape[axis] != "auto" and A.shape[axis] != shape[axis]:
            raise ValueError(f"Array with wrong {word} dimension passed to {whom}. "
                             f"Expected {shape[axis]}, but got {A.shape[axis]}.")
    check_non_negative(A, whom)
    if np.max(A) == 0:
        raise ValueError(f"Array passed to {whom} is full of zeros.")
    return A


def _split_signs(u, v):
    """The larger-norm pair of (positive parts, negative parts) of ``(u, v)``, unit
    normalised, with the product of their norms (the NNDSVD rule)."""
    u_pos, v_pos = np.maximum(u, 0), np.maximum(v, 0)
    u_neg, v_neg = np.abs(np.minimum(u, 0)), np.abs(np.minimum(v, 0))
    # the norms are Python floats (double), as scikit-learn's are: for float32 factors
    # their products then round once, not twice, and the starts agree to the last bit
    norms_pos = math.sqrt(u_pos @ u_pos), math.sqrt(v_pos @ v_pos)
    norms_neg = math.sqrt(u_neg @ u_neg), math.sqrt(v_neg @ v_neg)
    mass_pos, mass_neg = norms_pos[0] * norms_pos[1], norms_neg[0] * norms_neg[1]
    if mass_pos > mass_neg:
        return u_pos / norms_pos[0], v_pos / norms_pos[1], mass_pos
    return u_neg / norms_neg[0], v_neg / norms_neg[1], mass_neg


def initialize_nmf(X, n_components: int, init: str | None = None, eps: float = 1e-6,
                   random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's NMF starts, with its random draws from ``random_state``.

    'random': ``|N(0, 1)|`` scaled by ``sqrt(mean(X) / k)``, H (k x m) drawn before W;
    'nndsvd': NNDSVD from ``randomized_svd(X, k, random_state=random_state)``, entries
    below ``eps`` set to 0; 'nndsvda' fills those zeros with ``mean(X)``; 'nndsvdar'
    with ``|N(0, 1)| mean(X) / 100`` (W's zeros drawn first); None: 'nndsvda' when
    ``k <= min(n, m)``, else 'random'.

    Examples
    --------
    >>> import numpy as np
    >>> W, H = initialize_nmf(np.ones((4, 3)), 2, init="nndsvda")
    >>> W.shape, H.shape, bool((W >= 0).all() and (H >= 0).all())
    ((4, 2), (2, 3), True)
    """
    check_non_negative(X, "NMF initialization")
    n_samples, n_features = X.shape
    if init is not None and init != "random" and n_components > min(n_samples, n_features):
        raise ValueError(f"init = '{init}' can only be used when "
                         "n_components <= min(n_samples, n_features)")
    if init is None:
        init = "nndsvda" if n_components <= min(n_samples, n_features) else "random"
    if init == "random":
        scale = np.sqrt(X.mean() / n_components)
        rng = check_random_state(random_state)
        H = scale * rng.standard_normal(size=(n_components, n_features)).astype(X.dtype,
                                                                               copy=False)
        W = scale * rng.standard_normal(size=(n_samples, n_components)).astype(X.dtype,
                                                                              copy=False)
        return np.abs(W), np.abs(H)
    if init not in _INITS:
        raise ValueError(f"Invalid init parameter: got {init!r} instead of one of "
                         f"{(None, *_INITS)!r}")
    U, S, Vt = randomized_svd(X, n_components, random_state=random_state)
    W, H = np.zeros_like(U), np.zeros_like(Vt)
    # the leading singular pair of a non-negative matrix is non-negative up to sign
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0, :] = np.sqrt(S[0]) * np.abs(Vt[0, :])
    for j in range(1, n_components):
        u, v, mass = _split_signs(U[:, j], Vt[j, :])
        scale = np.sqrt(S[j] * mass)
        W[:, j] = scale * u
        H[j, :] = scale * v
    W[W < eps] = 0
    H[H < eps] = 0
    if init == "nndsvda":
        mean = X.mean()
        W[W == 0] = mean
        H[H == 0] = mean
    elif init == "nndsvdar":
        rng = check_random_state(random_state)
        mean = X.mean()
        W[W == 0] = abs(mean * rng.standard_normal(size=int((W == 0).sum())) / 100)
        H[H == 0] = abs(mean * rng.standard_normal(size=int((H == 0).sum())) / 100)
    return W, H


class NMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Non-negative matrix factorisation ``X ~ W H``: scikit-learn's ``NMF``.

    Same parameters, defaults and meaning as ``sklearn.decomposition.NMF`` (1.6 and
    later): coordinate descent (``solver='cd'``, a Numba kernel, see
    ``fastnet.decomposition.nmf_cd``) or multiplicative updates for any
    ``beta_loss`` (``solver='mu'``, ``fastnet.decomposition.nmf_mu``); starts
    'random', 'nndsvd', 'nndsvda', 'nndsvdar' (None: 'nndsvda' if
    ``n_components <= min(n_samples, n_features)``, else 'random') or 'custom' (W and H
    passed to ``fit_transform``), drawn from ``random_state`` exactly as scikit-learn
    draws them (see ``initialize_nmf`` in this module), so the same ``random_state`` gives the
    same factors (a numpy ``Generator`` or ``SeedSequence``, fastnet's seeds, is also
    accepted: one number drawn from it seeds a ``RandomState``); regularisation
    ``alpha_W``, ``alpha_H``, ``l1_ratio`` scaled by n_features and n_samples as
    scikit-learn scales them; dense or CSR/CSC X, float32 kept as float32.

    Fits whose products are small (``n_samples * n_features * n_components`` below
    2^24, digits for one) run BLAS on one thread, which is faster there.  OpenBLAS
    splits the sums of ``X^T W`` over its threads, so scikit-learn's own factors
    change in their last bits with its BLAS thread count: such fits equal
    scikit-learn's fit on one BLAS thread bit for bit, and on more threads to rounding.

    The seeds' Lee-Seung NMF (:func:`fastnet.decomposition.nmf`) stays available with
    extra options: ``pseudo_count`` (None: scikit-learn's updates; a float >= 0, with
    ``solver='mu'``: the seeds' updates, H first then W, with ``pseudo_count`` added
    to both denominators, stopping once an iteration lowers the mean squared residual
    by less than ``tol`` times it; ``tol=0`` runs ``max_iter`` iterations; dense X),
    ``init='random-uniform'`` (the seeds' start, ``H = rand(k, m)`` then
    ``W = rand(n, k)`` from ``numpy.random.default_rng``; it may also start the other
    solvers) and ``progress`` (print the seeds' cost every ``progress`` iterations).
    The seeds' settings are ``NMF(k, init='random-uniform', solver='mu',
    pseudo_count=1e-3, tol=0.0, max_iter=500)``; with ``pseudo_count`` set,
    ``transform`` runs the seeds' W-only updates from ``rand(n, k)`` and the fit also
    sets ``cost_history_``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The factor H.
    n_components_ : int
    reconstruction_err_ : float, ``sqrt(2 d_beta(X | W H))`` (``||X - W H||`` for Frobenius)
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X has string column names

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.decomposition import NMF
    >>> X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    >>> model = NMF(n_components=2, init="random", random_state=0)
    >>> W = model.fit_transform(X)
    >>> W.shape, model.components_.shape
    ((6, 2), (2, 2))
    >>> bool(model.reconstruction_err_ < 0.1)
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None,
                         StrOptions({"auto"})],
        "init": [StrOptions({*_INITS, "custom", "random-uniform"}), None],
        "solver": [StrOptions({"mu", "cd"})],
        "beta_loss": [StrOptions(set(BETA_LOSSES)), Real],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator, np.random.SeedSequence],
        "alpha_W": [Interval(Real, 0, None, closed="left")],
        "alpha_H": [Interval(Real, 0, None, closed="left"), StrOptions({"same"})],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "verbose": ["verbose"],
        "shuffle": ["boolean"],
        "pseudo_count": [Interval(Real, 0, None, closed="left"), None],
        "progress": ["boolean", Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components="auto", *, init=None, solver="cd", beta_loss="frobenius",
                 tol=1e-4, max_iter=200, random_state=None, alpha_W=0.0, alpha_H="same",
                 l1_ratio=0.0, verbose=0, shuffle=False, pseudo_count=None, progress=False):
        self.n_components = n_components
        self.init = init
        self.solver = solver
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.shuffle = shuffle
        self.pseudo_count = pseudo_count
        self.progress = progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def fit(self, X, y=None, **params):
        """Fit the model to X (``params``: W and H for ``init='custom'``); returns self."""
        self.fit_transform(X, **params)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, W=None, H=None):
        """Fit and return W; if this fails, a fitted model stays as it was."""
        with unchanged_on_error(self):
            X = validate_data(self, X, accept_sparse=("csr", "csc"),
                              dtype=[np.float64, np.float32])
            W, H, n_iter, error = self._fit_transform(X, W, H, update_H=True)
            self.reconstruction_err_ = error
            self.n_components_ = H.shape[0]
            self._n_components = H.shape[0]  # scikit-learn's private name, kept in step
            self.components_ = H
            self.n_iter_ = n_iter
            return W

    def transform(self, X):
        """W for X with the fitted H held fixed (W starts at 0 for 'cd', at
        ``sqrt(mean(X) / k)`` for 'mu', at ``rand(n, k)`` with ``pseudo_count`` set)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"),
                          dtype=[np.float64, np.float32], reset=False,
                          ensure_non_negative=True)
        return self._fit_transform(X, None, self.components_, update_H=False)[0]

    def inverse_transform(self, X):
        """``X @ components_``: data space from coefficients (X is W, (n, k))."""
        check_is_fitted(self)
        if X.shape[-1] != self.components_.shape[0]:
            raise ValueError(f"X must have {self.components_.shape[0]} columns (one per "
                             f"component); got {X.shape[-1]}")
        return X @ self.components_

    # ------------------------------------------------------------ the fit
    def _beta(self):
        return float(BETA_LOSSES.get(self.beta_loss, self.beta_loss)) \
            if isinstance(self.beta_loss, str) else float(self.beta_loss)

    def _check_solver(self, X, beta):
        if self.solver != "mu" and beta != 2:
            raise ValueError(f"Invalid beta_loss parameter: solver {self.solver!r} does "
                             f"not handle beta_loss = {self.beta_loss!r}")
        if self.solver == "mu" and self.init == "nndsvd":
            warnings.warn("The multiplicative update ('mu') solver cannot update zeros "
                          "present in the initialization, and so leads to poorer results "
                          "when used jointly with init='nndsvd'. You may try "
                          "init='nndsvda' or init='nndsvdar' instead.", UserWarning, stacklevel=2)
        if self.pseudo_count is not None and (self.solver != "mu" or beta != 2):
            raise ValueError("pseudo_count (the seeds' Lee-Seung updates) needs "
                             "solver='mu' and beta_loss='frobenius'")
        if X.min() == 0 and beta <= 0:
            raise ValueError("When beta_loss <= 0 and X contains zeros, the solver may "
                             "diverge. Please add small values to X, or use a positive "
                             "beta_loss.")

    def _seed(self):
        """``random_state`` as a fastnet seed (a ``Generator`` is used as it is)."""
        if isinstance(self.random_state, np.random.Generator):
            return self.random_state
        return seed_from_random_state(self.random_state)

    def _sklearn_random_state(self):
        """``random_state`` as scikit-learn takes it: a ``Generator`` or ``SeedSequence``
        (fastnet's seeds) becomes a ``RandomState`` seeded by one number drawn from it."""
        state = self.random_state
        if isinstance(state, np.random.Generator):
            return np.random.RandomState(int(state.integers(2**32)))
        if isinstance(state, np.random.SeedSequence):
            return np.random.RandomState(int(state.generate_state(1)[0]))
        return state

    def _start(self, X, W, H, k, update_H):
        """(W, H, k) to start from: checked custom factors, or a drawn start."""
        n_samples, n_features = X.shape
        if self.init == "custom" and update_H:
            H = _check_init_factor(H, (k, n_features), "NMF (input H)")
            W = _check_init_factor(W, (n_samples, k), "NMF (input W)")
            if H.dtype != X.dtype or W.dtype != X.dtype:
                raise TypeError("H and W should have the same dtype as X. Got H.dtype = "
                                f"{H.dtype} and W.dtype = {W.dtype}.")
            return W.copy(), H.copy(), H.shape[0]
        if not update_H:
            if W is not None:
                warnings.warn("When update_H=False, the provided initial W is not used.",
                              RuntimeWarning, stacklevel=2)
            H = _check_init_factor(H, (k, n_features), "NMF (input H)")
            if H.dtype != X.dtype:
                raise TypeError(f"H should have the same dtype as X. Got H.dtype = {H.dtype}.")
            k = H.shape[0]
            if self.pseudo_count is not None:
                W = make_rng(self._seed()).random((n_samples, k)).astype(X.dtype)
            elif self.solver == "mu":  # multiplicative updates cannot leave 0
                W = np.full((n_samples, k), np.sqrt(X.mean() / k), dtype=X.dtype)
            else:
                W = np.zeros((n_samples, k), dtype=X.dtype)
            return W, H, k
        if W is not None or H is not None:
            warnings.warn("When init!='custom', provided W or H are ignored. Set "
                          " init='custom' to use them as initialization.",
                          RuntimeWarning, stacklevel=2)
        k = n_features if k == "auto" else k
        check_fits_in_memory(X.dtype.itemsize * k * (n_samples + n_features), "n_components",
                             f"factors W ({n_samples} x {k}) and H ({k} x {n_features})")
        if self.init == "random-uniform":
            W, H = random_init(n_samples, n_features, k, self._seed(), X.dtype)
        else:
            W, H = initialize_nmf(X, k, init=self.init,
                                  random_state=self._sklearn_random_state())
        return W, H, k

    def _regularization(self, X):
        """(l1_W, l1_H, l2_W, l2_H): alpha_W scaled by n_features, alpha_H by n_samples."""
        n_samples, n_features = X.shape
        alpha_H = self.alpha_W if self.alpha_H == "same" else self.alpha_H
        return (n_features * self.alpha_W * self.l1_ratio,
                n_samples * alpha_H * self.l1_ratio,
                n_features * self.alpha_W * (1.0 - self.l1_ratio),
                n_samples * alpha_H * (1.0 - self.l1_ratio))

    def _fit_transform(self, X, W, H, update_H):
        """(W, H, n_iter, reconstruction error) for X (validated)."""
        k = H.shape[0] if H is not None and not update_H else self.n_components
        k = X.shape[1] if k is None or isinstance(k, str) else k  # None, 'auto'
        # scikit-learn's start and solvers run small products (X H^T, X^T W) faster on
        # one BLAS thread; the seeds' updates do not (README), so they keep BLAS as it is
        work = (X.nnz if sp.issparse(X) else X.size) * k
        cap = (one_blas_thread_below(work) if self.pseudo_count is None
               else contextlib.nullcontext())
        with cap:
            return self._fit_transform_capped(X, W, H, update_H)

    def _fit_transform_capped(self, X, W, H, update_H):
        beta = self._beta()
        self._check_solver(X, beta)
        check_non_negative(X, "NMF (input X)")
        k = X.shape[1] if self.n_components is None else self.n_components
        W, H, k = self._start(X, W, H, k, update_H)
        if self.pseudo_count is not None:
            return self._fit_seeds(X, W, H, update_H)
        l1_W, l1_H, l2_W, l2_H = self._regularization(X)
        if self.solver == "cd":
            W, H, n_iter = fit_coordinate_descent(
                X, W, H, self.tol, self.max_iter, l1_W, l1_H, l2_W, l2_H, update_H=update_H,
                verbose=self.verbose, shuffle=self.shuffle,
                random_state=check_random_state(self._sklearn_random_state()))
        else:
            W, H, n_iter = fit_multiplicative_update(
                X, W, H, beta, self.max_iter, self.tol, l1_W, l1_H, l2_W, l2_H,
                update_H=update_H, verbose=self.verbose)
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(f"Maximum number of iterations {self.max_iter} reached. Increase "
                          "it to improve convergence.", ConvergenceWarning,
                          stacklevel=2)
        error = beta_divergence(X, W, H, beta) if update_H else None
        return W, H, n_iter, error

    def _fit_seeds(self, X, W, H, update_H):
        """The seeds' Lee-Seung updates (:func:`fastnet.decomposition.nmf`)."""
        if sp.issparse(X):
            X = X.toarray()
        if update_H:
            result = nmf(X, H.shape[0], max_iter=self.max_iter, pseudo_count=self.pseudo_count,
                         tol=self.tol, W_init=W, H_init=H, progress=self.progress)
            self.cost_history_ = result.cost_history
            return (result.W, result.H, result.n_iter,
                    float(np.sqrt(result.cost * X.size)))
        max_iter, eps, tol = _check_options(self.max_iter, self.pseudo_count, self.tol)
        row_squares = _check_nonnegative(X, "X")
        every = _progress_every(self.progress, max_iter)
        result = _solve(X, W, H.astype(X.dtype, copy=False), max_iter, eps, tol, every,
                        update_H=False, row_squares=row_squares)
        return result.W, H, result.n_iter, None
