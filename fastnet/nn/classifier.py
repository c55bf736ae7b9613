"""scikit-learn classifier around :class:`fastnet.nn.MLP`: the network of
:mod:`fastnet.nn.mlp` behind scikit-learn's estimator contract (``fit``,
``partial_fit``, ``predict_proba``, ``predict``, fitted attributes, any sortable labels).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from sklearn.base import BaseEstimator, ClassifierMixin

from .._estimator import unchanged_on_error, validate_data
from .._validation import check_int, check_positive_float, seed_from_random_state
from ..random import as_seed_sequence
from .mlp import MLP, _check_network_fits

__all__ = ["MLPClassifier"]


def _seed_from_random_state(random_state):
    """scikit-learn's ``random_state`` (None, int, RandomState or Generator) as a seed."""
    seed = seed_from_random_state(random_state)
    return as_seed_sequence(seed) if isinstance(seed, int) else seed


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn classifier around :class:`MLP`: softplus hidden layers, softmax
    output, KL loss, minibatch SGD with optional dropout.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
    learning_rate_init : float > 0
        The (constant) SGD learning rate.
    batch_size : int >= 1
    max_iter : int >= 1
        Epochs per :meth:`fit` (:meth:`partial_fit` runs one epoch).
    keep_prob : float in (0, 1]
        Dropout keep probability of hidden units (1: no dropout).
    shuffle : bool
        Permute the training rows every epoch.
    dtype : float64 or float32
    random_state : None, int or RandomState
    verbose : bool
        Print one line per epoch to standard error.
    bias_init : {'ones', 'zeros'}

    Attributes
    ----------
    classes_ : ndarray of the class labels (any values ``numpy.unique`` can sort)
    coefs_, intercepts_ : lists of ndarray, the weights and biases per layer
    loss_curve_ : list of float, the training loss per epoch
    history_ : pandas.DataFrame, see :meth:`MLP.fit`
    n_iter_ : int, epochs trained
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from fastnet.nn import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(64,), batch_size=32, max_iter=10,
    ...                     random_state=0).fit(X / 16, y)
    >>> bool(clf.score(X / 16, y) > 0.9)
    True
    """

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (200, 200, 200), *,
                 learning_rate_init: float = 0.1, batch_size: int = 128, max_iter: int = 40,
                 keep_prob: float = 1.0, shuffle: bool = False, dtype: DTypeLike = np.float64,
                 random_state: int | np.random.RandomState | np.random.Generator | None = None,
                 verbose: bool = False, bias_init: str = "ones") -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.keep_prob = keep_prob
        self.shuffle = shuffle
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.bias_init = bias_init

    def _validate(self, X, y="no_validation", reset=True):
        return validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32])

    def _new_network(self, n_features, classes):
        """A fresh MLP from the constructor parameters (each checked under its own name)."""
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise TypeError("hidden_layer_sizes must be an int or a tuple of ints; "
                            f"got {type(hidden).__name__}") from None
        hidden = [check_int(h, "hidden_layer_sizes entries", minimum=1) for h in hidden]
        _check_network_fits([n_features, *hidden, len(classes)], "hidden_layer_sizes")
        check_int(self.batch_size, "batch_size", minimum=1)
        check_positive_float(self.learning_rate_init, "learning_rate_init")
        if not isinstance(self.verbose, (bool, np.bool_, numbers.Integral)):
            raise TypeError(f"verbose must be True or False; got {self.verbose!r}")
        return MLP((n_features, *hidden, len(classes)), dtype=self.dtype,
                   keep_prob=self.keep_prob, seed=_seed_from_random_state(self.random_state),
                   bias_init=self.bias_init, shuffle=self.shuffle)

    def _encode(self, y, classes):
        from sklearn.utils.multiclass import check_classification_targets

        check_classification_targets(y)
        indices = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        if not np.array_equal(classes[indices], y):
            unknown = np.setdiff1d(np.unique(y), classes)
            raise ValueError(f"y holds labels {unknown[:5].tolist()} not in classes "
                             f"{classes.tolist()}")
        return indices

    def _train(self, net, classes, X, y, epochs, history):
        """Train ``net``, then set the fitted attributes (only if training succeeded)."""
        new = net.fit(X, self._encode(y, classes), epochs=epochs, batch_size=self.batch_size,
                      learning_rate=self.learning_rate_init, progress=bool(self.verbose))
        self.net_, self.classes_ = net, classes
        self.history_ = new if history is None else _concat(history, new)
        self.coefs_, self.intercepts_ = net.coefs, net.intercepts
        self.loss_curve_ = self.history_["train_loss"].tolist()
        self.n_iter_ = net.epochs_trained
        return self

    def fit(self, X: ArrayLike, y: ArrayLike) -> MLPClassifier:
        """Initialise the network from ``random_state`` and train ``max_iter`` epochs;
        if this fails, a fitted classifier stays as it was."""
        with unchanged_on_error(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        from sklearn.utils.multiclass import check_classification_targets

        X, y = self._validate(X, y)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y must contain at least 2 classes; got 1 class ({classes[0]!s})")
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        net = self._new_network(X.shape[1], classes)
        return self._train(net, classes, X, y, max_iter, None)

    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    classes: ArrayLike | None = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` (all labels) is required on the first call."""
        with unchanged_on_error(self):
            return self._partial_fit(X, y, classes)

    def _partial_fit(self, X, y, classes):
        first = not hasattr(self, "net_")
        X, y = self._validate(X, y, reset=first)
        if not first:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"classes must equal those of the first call, {self.classes_}")
            return self._train(self.net_, self.classes_, X, y, 1, self.history_)
        if classes is None:
            raise ValueError("classes must be given on the first call to partial_fit "
                             "(all the labels y may hold)")
        classes = np.unique(np.asarray(classes))
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 classes; got {classes}")
        return self._train(self._new_network(X.shape[1], classes), classes, X, y, 1, None)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "net_")
        return self.net_.predict_proba(self._validate(X, reset=False))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable label of each row."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _concat(first, second):
    import pandas as pd

    return pd.concat([first, second], ignore_index=True)
