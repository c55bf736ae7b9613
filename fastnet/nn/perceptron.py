"""scikit-learn's multilayer perceptrons, compiled: :class:`MLPClassifier` and
:class:`MLPRegressor` take every parameter of ``sklearn.neural_network``'s estimators
of the same names, with the same defaults and meanings, and set the same fitted
attributes.  They draw the initial weights, the shuffles and the early-stopping split
from ``random_state`` exactly as scikit-learn does, so the same ``random_state`` gives
the same network up to rounding.

What differs is where the time goes: an epoch of ``solver='adam'`` or ``'sgd'`` is one
call of a compiled kernel (:mod:`fastnet.nn.perceptron_kernels`) that runs every batch
- gathering its rows, the forward and backward passes with BLAS products into
preallocated buffers, the gradient and the optimiser step - with no Python between
batches; L-BFGS minimises a compiled loss-and-gradient.  The parameters live in one
flat vector (scikit-learn's packed layout); ``coefs_`` and ``intercepts_`` are views
of it.

fastnet's extensions: ``activation='softplus'`` and ``keep_prob`` (inverted dropout
of hidden units while training stochastically), with which the classifier trains the
seeds' network (see :class:`fastnet.nn.MLP` for the seeds' exact model).
"""

from __future__ import annotations

import copy
import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d, shuffle
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted

from .._estimator import check_sample_weight, unchanged_on_error, validate_data
from . import perceptron_kernels as K
from .mlp import DivergenceError, _check_network_fits

__all__ = ["MLPClassifier", "MLPRegressor"]

#: Rows per chunk of prediction and of the L-BFGS loss: bounds the activations' memory.
CHUNK_ROWS = 4096


class _Optimizer:
    """State of the stochastic solver between epochs (and ``partial_fit`` calls):
    scikit-learn's ``SGDOptimizer``/``AdamOptimizer`` with flat state vectors.
    ``learning_rate`` is the current rate (Adam: that of its last step)."""

    def __init__(self, est, n_params, dtype):
        self.solver = K.ADAM if est.solver == "adam" else K.SGD
        self.learning_rate_init = float(est.learning_rate_init)
        self.learning_rate = float(est.learning_rate_init)
        self.lr_schedule = est.learning_rate
        self.power_t = est.power_t
        self.t = 0
        self.state_a = np.zeros(n_params, dtype)   # Adam's m, or SGD's velocity
        self.state_b = np.zeros(n_params if self.solver == K.ADAM else 0, dtype)

    def iteration_ends(self, time_step):
        if self.solver == K.SGD and self.lr_schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        if self.solver == K.ADAM or self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(f"{msg} Setting learning rate to {self.learning_rate:f}")
        return False


class _Network:
    """The flat parameter vector of a fit and the kernels' layout arrays."""

    def __init__(self, coefs, intercepts, dtype):
        self.units = np.array([coefs[0].shape[0]] + [c.shape[1] for c in coefs], np.int64)
        sizes = [c.size for c in coefs] + [b.size for b in intercepts]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = len(coefs)
        self.coef_off, self.icpt_off = offsets[:n + 1], offsets[n:2 * n]
        self.params = np.empty(offsets[-1], dtype)
        for k in range(n):
            self.coef(k).ravel()[:] = np.ravel(coefs[k])
            self.params[self.icpt_off[k]:self.icpt_off[k] + self.units[k + 1]] = \
                np.ravel(intercepts[k])

    def coef(self, k):
        a, b = self.units[k], self.units[k + 1]
        return self.params[self.coef_off[k]:self.coef_off[k] + a * b].reshape(a, b)

    def views(self):
        n = len(self.units) - 1
        return ([self.coef(k) for k in range(n)],
                [self.params[self.icpt_off[k]:self.icpt_off[k] + self.units[k + 1]]
                 for k in range(n)])

    def activation_buffers(self, rows):
        """Flat buffer of ``rows x units[k + 1]`` blocks and their offsets."""
        widths = self.units[1:]
        act_off = np.concatenate([[0], np.cumsum(rows * widths)]).astype(np.int64)
        return np.empty(act_off[-1], self.params.dtype), act_off


def _operands(X, dtype):
    """``(X dense or an empty stand-in, data, indices, indptr, is_sparse)`` for the
    kernels, all in ``dtype``."""
    if sp.issparse(X):
        X = X.tocsr()
        return (np.empty((0, X.shape[1]), dtype), np.ascontiguousarray(X.data, dtype),
                X.indices, X.indptr, True)
    empty_index = np.empty(0, np.int32)
    return (np.ascontiguousarray(X, dtype), np.empty(0, dtype), empty_index,
            np.zeros(1, np.int32), False)


def _random_state(random_state):
    """scikit-learn's ``check_random_state``, extended as fastnet's other estimators
    are: a ``SeedSequence`` seeds a Mersenne Twister, a ``Generator`` lends its bit
    generator (so drawing advances it)."""
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.RandomState(np.random.MT19937(random_state))
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(random_state.bit_generator)
    return check_random_state(random_state)


class _BaseMLP(BaseEstimator):
    """What :class:`MLPClassifier` and :class:`MLPRegressor` share: scikit-learn's
    ``BaseMultilayerPerceptron`` state machine (first pass, warm start, incremental
    fits, early stopping, learning-rate schedules) around the compiled kernels."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "softplus"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state", np.random.SeedSequence, np.random.Generator],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left"),
                             Options(numbers.Real, {np.inf})],
        "max_fun": [Interval(numbers.Integral, 1, None, closed="left")],
        "keep_prob": [Interval(numbers.Real, 0, 1, closed="right")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------ set-up
    def _initialize(self, y, layer_units, dtype):
        """scikit-learn's first-pass attributes and Glorot-uniform weights, drawn from
        ``self._random_state`` in scikit-learn's order."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            self.coefs_.append(coef.astype(dtype, copy=False))
            self.intercepts_.append(intercept.astype(dtype, copy=False))
        self._best_coefs = [c.copy() for c in self.coefs_]
        self._best_intercepts = [i.copy() for i in self.intercepts_]
        if self.solver in ("sgd", "adam"):
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _codes(self):
        return K.HIDDEN_CODES[self.activation], K.OUTPUT_CODES[self.out_activation_]

    # ------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` (dense or CSR/CSC) and ``y``; ``sample_weight``
        weights each row's loss.  If this fails, a fitted estimator stays as it was."""
        with unchanged_on_error(self):
            self._validate_params()
            return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental):
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if not all(isinstance(h, numbers.Integral) and not isinstance(h, bool)
                   for h in hidden):
            raise ValueError(f"hidden_layer_sizes must hold ints, got {hidden}.")
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        self.n_outputs_ = y.shape[1]
        layer_units = [X.shape[1], *hidden, self.n_outputs_]
        self._random_state = _random_state(self.random_state)
        if first_pass:
            _check_network_fits(layer_units, "hidden_layer_sizes")
            self._initialize(y, layer_units, X.dtype)
        net = _Network(self.coefs_, self.intercepts_, X.dtype)
        Y = np.ascontiguousarray(y, dtype=X.dtype)
        with np.errstate(all="ignore"):   # divergence is reported once, below
            if self.solver == "lbfgs":
                self._fit_lbfgs(net, X, Y, sample_weight)
            else:
                self._fit_stochastic(net, X, Y, sample_weight, incremental)
        if not all(np.isfinite(w).all() for w in [*self.coefs_, *self.intercepts_]):
            raise DivergenceError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed: scale the inputs (for example "
                "with sklearn.preprocessing.StandardScaler) or lower learning_rate_init "
                f"(got {self.learning_rate_init:g}).")
        return self

    def _fit_stochastic(self, net, X, Y, sample_weight, incremental):
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = _Optimizer(self, net.params.size, X.dtype)
        else:   # a failed partial_fit must leave the saved state as it was
            self._optimizer = copy.deepcopy(self._optimizer)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        X_val = Y_val = sw_val = None
        if self.early_stopping:
            stratify = Y.astype(bool) if is_classifier(self) and self.n_outputs_ == 1 else None
            arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
            parts = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
            X, X_val, Y, Y_val = parts[:4]
            if sample_weight is not None:
                sample_weight, sw_val = parts[4:]
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            Y_val = self._validation_target(Y_val)
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It "
                              "is going to be clipped", stacklevel=4)
            batch_size = int(np.clip(self.batch_size, 1, n))
        dense, data, indices, indptr, sparse = _operands(X, X.dtype)
        sw = np.ones(n, X.dtype) if sample_weight is None else \
            np.ascontiguousarray(sample_weight, X.dtype)
        hidden, output = self._codes()
        acts, act_off = net.activation_buffers(batch_size)
        deltas, scales = np.empty_like(acts), np.empty_like(acts)
        xbuf = np.empty((0 if sparse else batch_size, X.shape[1]), X.dtype)
        ybuf = np.empty((batch_size, Y.shape[1]), X.dtype)
        swbuf = np.empty(batch_size, X.dtype)
        grads = np.empty_like(net.params)
        eps = float(np.finfo(X.dtype).eps)
        opt = self._optimizer
        self.coefs_, self.intercepts_ = net.views()
        sample_idx = np.arange(n)
        epoch = K._stochastic_epoch(SPARSE=sparse, HIDDEN=hidden, OUTPUT=output,
                                    SOLVER=opt.solver, DROPOUT=self.keep_prob < 1)
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            if self.shuffle:
                sample_idx = shuffle(sample_idx, random_state=self._random_state)
            seed = self._random_state.randint(2**31) if self.keep_prob < 1 else 0
            accumulated, opt.t, lr = epoch(
                dense, data, indices, indptr, Y, sw, sample_idx, batch_size,
                net.params, grads, opt.state_a, opt.state_b, net.units, net.coef_off,
                net.icpt_off, eps, float(self.alpha),
                opt.learning_rate if opt.solver == K.SGD else opt.learning_rate_init,
                float(self.momentum), bool(self.nesterovs_momentum), float(self.beta_1),
                float(self.beta_2), float(self.epsilon), opt.t, float(self.keep_prob), seed,
                acts, act_off, deltas, scales, xbuf, ybuf, swbuf)
            if opt.solver == K.ADAM:
                opt.learning_rate = lr
            self.n_iter_ += 1
            self.loss_ = accumulated / n
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            self._update_no_improvement_count(X_val, Y_val, sw_val)
            opt.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                if self.early_stopping:
                    msg = (f"Validation score did not improve more than tol={self.tol:f} "
                           f"for {self.n_iter_no_change} consecutive epochs.")
                else:
                    msg = (f"Training loss did not improve more than tol={self.tol:f} for "
                           f"{self.n_iter_no_change} consecutive epochs.")
                if opt.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=4)
        if self.early_stopping:
            self.coefs_, self.intercepts_ = self._best_coefs, self._best_intercepts

    def _update_no_improvement_count(self, X_val, Y_val, sw_val):
        if self.early_stopping:
            score = self._score(X_val, Y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = [c.copy() for c in self.coefs_]
                self._best_intercepts = [i.copy() for i in self.intercepts_]
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _fit_lbfgs(self, net, X, Y, sample_weight):
        from scipy.optimize import minimize

        self.coefs_, self.intercepts_ = net.views()
        self._lbfgs_net = net
        result = minimize(self._loss_grad_lbfgs, net.params.astype(np.float64),
                          method="L-BFGS-B", jac=True, args=(X, Y, sample_weight),
                          options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                                   "gtol": self.tol})
        del self._lbfgs_net
        if result.status != 0:
            warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                          f"(status={result.status}):\n{result.message}\n\nIncrease the "
                          "number of iterations to improve the convergence "
                          f"(max_iter={self.max_iter}).", ConvergenceWarning, stacklevel=4)
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
        net.params[:] = result.x
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

    def _loss_grad_lbfgs(self, packed, X, y, sample_weight, *unused):
        """The loss and its gradient (flat, float64) at the packed parameters
        ``packed``, over all rows of ``(X, y)``: L-BFGS's objective.  Its signature is
        scikit-learn's (the trailing work buffers are accepted and not used)."""
        net = getattr(self, "_lbfgs_net", None)
        dtype = self.coefs_[0].dtype
        if net is None:
            net = _Network(self.coefs_, self.intercepts_, dtype)
        net.params[:] = packed
        Y = np.asarray(y, dtype)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        dense, data, indices, indptr, sparse = _operands(X, dtype)
        n = Y.shape[0]
        sw = np.ones(n, dtype) if sample_weight is None else np.asarray(sample_weight, dtype)
        chunk = min(CHUNK_ROWS, n)
        acts, act_off = net.activation_buffers(chunk)
        grads = np.empty_like(net.params)
        hidden, output = self._codes()
        with np.errstate(all="ignore"):
            loss = K._full_loss_grad(SPARSE=sparse, HIDDEN=hidden, OUTPUT=output, DROPOUT=0)(
                dense, data, indices, indptr, np.ascontiguousarray(Y), sw, net.params, grads,
                np.empty_like(grads), net.units, net.coef_off, net.icpt_off,
                float(np.finfo(dtype).eps), float(self.alpha), acts, act_off,
                np.empty_like(acts), chunk)
        return loss, grads.astype(np.float64)

    # ------------------------------------------------------------ predict
    def _forward(self, X):
        """The output layer's activations for validated ``X``."""
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        net = _Network(self.coefs_, self.intercepts_, dtype)
        dense, data, indices, indptr, sparse = _operands(X, dtype)
        n = X.shape[0]
        chunk = max(1, min(CHUNK_ROWS, n))
        acts, act_off = net.activation_buffers(chunk)
        out = np.empty((n, self.n_outputs_), dtype)
        hidden, output = self._codes()
        with np.errstate(all="ignore"):
            K._predict(SPARSE=sparse, HIDDEN=hidden, OUTPUT=output)(
                dense, data, indices, indptr, net.params, net.units, net.coef_off,
                net.icpt_off, acts, act_off, chunk, out)
        return out

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                             dtype=(np.float64, np.float32))

    def _score_with_function(self, X, y, sample_weight, score_function):
        y_pred = self._predict(X)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return score_function(y, y_pred, sample_weight=sample_weight)

    def _check_solver(self):
        if self.solver not in ("sgd", "adam"):
            raise AttributeError("partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True


def _store_parameters(estimator, arguments):
    """Every ``__init__`` argument as the attribute of the same name, unchanged
    (scikit-learn's rule: validation happens in ``fit``)."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


_PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of int, default=(100,)
        Units of each hidden layer.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'softplus'}, default='relu'
        Hidden-layer activation; 'softplus' (``log(1 + exp(a))``) is fastnet's extension.
    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
    alpha : float >= 0, default=0.0001
        L2 penalty ``alpha / 2 ||W||^2`` (over the weights, not the intercepts), divided
        by the batch's total sample weight.
    batch_size : int or 'auto', default='auto'
        ``min(200, n_samples)`` for 'auto'.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule of ``solver='sgd'``.
    learning_rate_init : float > 0, default=0.001
    power_t : float, default=0.5
        Exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs (stochastic solvers) or iterations (L-BFGS).
    shuffle : bool, default=True
        Shuffle the rows every epoch (stochastic solvers).
    random_state : int, RandomState, None (or fastnet's extensions: Generator, SeedSequence)
        Initial weights, shuffles, the early-stopping split (and the dropout masks'
        seeds) are drawn from ``check_random_state(random_state)`` in scikit-learn's
        order: the same ``random_state`` gives scikit-learn's network up to rounding.
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float in [0, 1], default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
    validation_fraction : float in [0, 1), default=0.1
    beta_1, beta_2 : float in [0, 1), default 0.9 and 0.999
    epsilon : float > 0, default=1e-8
    n_iter_no_change : int or inf, default=10
    max_fun : int, default=15000
        Most loss evaluations of L-BFGS.
    keep_prob : float in (0, 1], default=1.0
        fastnet's extension: probability of keeping a hidden unit while training with
        'sgd' or 'adam' (inverted dropout: kept units are scaled by ``1 / keep_prob``).
"""

_ATTRIBUTES_DOC = """
    loss_ : float
    best_loss_ : float or None
    loss_curve_ : list of float
    validation_scores_ : list of float or None
    best_validation_score_ : float or None
    t_ : int
        Training samples seen by the stochastic solver.
    coefs_, intercepts_ : lists of ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray, when ``X`` has string column names
    n_iter_ : int
    n_layers_ : int
    n_outputs_ : int
    out_activation_ : str
"""


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = f"""Multilayer perceptron classifier: scikit-learn's ``MLPClassifier``,
    compiled.

    Minimises the log loss (softmax output for several classes, logistic for two
    classes and for multi-label targets) with Adam, SGD or L-BFGS.

    Parameters
    ----------{_PARAMETERS_DOC}
    Attributes
    ----------
    classes_ : ndarray or list of ndarray{_ATTRIBUTES_DOC}
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastnet.nn import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(random_state=0).fit(X / 16, y)
    >>> clf.n_layers_, clf.out_activation_
    (3, 'softmax')
    >>> bool(clf.score(X / 16, y) > 0.95)
    True
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 keep_prob=1.0):
        _store_parameters(self, locals())

    loss = "log_loss"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` "
                        f"has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        return X, self._label_binarizer.transform(y).astype(bool)

    def _validation_target(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, accuracy_score)

    def _predict(self, X):
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict(self, X):
        """The predicted classes (a label indicator matrix for multi-label targets)."""
        return self._predict(self._check_X(X))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``; ``classes`` (every label) is required on the first
        call.  If this fails, the estimator stays as it was."""
        with unchanged_on_error(self):
            self._validate_params()
            if getattr(self, "classes_", None) is None and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            if classes is not None:
                if getattr(self, "classes_", None) is not None and not np.array_equal(
                        self.classes_, unique_labels(classes)):
                    raise ValueError(f"`classes={classes!r}` is not the same as on last call "
                                     f"to partial_fit, was: {self.classes_!r}")
                self.classes_ = unique_labels(classes)
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        y_pred = self._forward(self._check_X(X))
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = f"""Multilayer perceptron regressor: scikit-learn's ``MLPRegressor``,
    compiled.

    Minimises half the squared error (identity output) or half the Poisson deviance
    (exponential output) with Adam, SGD or L-BFGS.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'{_PARAMETERS_DOC}
    Attributes
    ----------{_ATTRIBUTES_DOC}
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from fastnet.nn import MLPRegressor
    >>> X, y = make_regression(500, 10, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(50,), solver="lbfgs", random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.99)
    True
    """

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 keep_prob=1.0):
        _store_parameters(self, locals())

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _validation_target(self, Y_val):
        return Y_val

    def _score(self, X, y, sample_weight=None):
        return self._score_with_function(X, y, sample_weight, r2_score)

    def _predict(self, X):
        y_pred = self._forward(X)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def predict(self, X):
        """The predicted values, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``."""
        return self._predict(self._check_X(X))

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``.  If this fails, the estimator stays as it was."""
        with unchanged_on_error(self):
            self._validate_params()
            return self._fit(X, y, sample_weight, incremental=True)
