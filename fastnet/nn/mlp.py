"""Multilayer perceptron trained by minibatch SGD: softplus hidden layers, softmax
output, KL-divergence loss, inverted dropout.

The model (the spec, mirrored line by line by :func:`fastnet.reference.nn.mlp_train`):

* dense layer ``a = b + h @ W``; hidden ``h = softplus(a)`` (beta = 1), output
  ``q = softmax(a)``;
* loss: the KL divergence of the one-hot target from ``q``, both clipped to
  ``[1e-15, 1 - 1e-15]``, averaged over the batch; an epoch reports the mean of its
  batch losses;
* backprop: output error ``q - onehot(y)``; ``delta_k = sigmoid(a_k) * (delta_{k+1}
  @ W_k^T)``; ``dW = h^T @ delta / batch_size``, ``db = sum(delta) / batch_size``
  (the nominal batch size, also for the last, partial batch, as in the MLP study);
  plain SGD ``W -= lr * dW``;
* inverted dropout on hidden layers: a Bernoulli(keep_prob) mask per unit and
  batch, ``h = softplus(a) * mask / keep_prob``; the same factor scales
  ``sigmoid(a)`` in backprop; no mask at prediction time.

Per batch, the matrix products are SciPy BLAS ``gemm`` calls into preallocated
buffers; the weight update is one in-place ``gemm`` with beta = 1, so no gradient
matrix is formed and no extra pass over the weights is made.  Only SciPy's BLAS is
used in the loop: NumPy bundles a separate OpenBLAS, and alternating the two leaves
the idle threads of one spinning on the cores the other needs.  Around the products,
Numba kernels fuse bias + softplus + sigmoid + dropout mask (around NumPy's SIMD
``exp`` and ``log1p``, which beat the scalar ``math.exp``/``math.log1p`` a Numba loop
calls), softmax + loss + accuracy + output error straight from integer labels, and
the sigmoid-derivative product with the bias gradient and bias step.  Every buffer is
allocated once per :meth:`MLP.fit`.

The scikit-learn estimator around this network is :class:`fastnet.nn.MLPClassifier`
(:mod:`fastnet.nn.classifier`).
"""

from __future__ import annotations

import math
import numbers
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._jit import jit
from .._validation import (
    as_2d_float,
    as_labels,
    check_bool,
    check_fits_in_memory,
    check_float_dtype,
    check_int,
    check_positive_float,
)
from ..random import as_seed_sequence, rng, spawn_sequences
from .activations import _softmax_kernel
from .products import backward_product, forward_product, gemm_for, sgd_weight_step

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MLP", "DivergenceError", "PREDICT_CHUNK_ROWS"]

#: Clipping bound of the KL loss (probabilities live in ``[CLIP, 1 - CLIP]``).
CLIP = 1e-15
#: Rows per chunk when predicting: bounds the memory of a forward pass.
PREDICT_CHUNK_ROWS = 4096


class DivergenceError(FloatingPointError, ValueError):
    """The training loss or the weights became NaN or infinite (typically: unscaled
    inputs or a learning rate too high).  A ``ValueError`` too, the class scikit-learn's
    multilayer perceptrons raise for non-finite weights."""


# ---------------------------------------------------------------- kernels
@jit
def _add_bias_negabs(z, bias, t):
    """``z += bias``; ``t = -|z|`` (the argument of the shared ``exp``)."""
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            a = z[i, j] + bias[j]
            z[i, j] = a
            t[i, j] = -abs(a)


@jit
def _softplus_sigmoid(z, e, h, uniforms, keep_prob, dropout):
    """With ``e = exp(-|a|)`` and ``h = log1p(e)`` on entry (``a`` in ``z``):
    ``h = softplus(a) * s`` and ``z = sigmoid(a) * s``, where ``s = mask / keep_prob``
    and ``mask = uniforms < keep_prob`` (``s = 1`` without dropout).

    softplus(a) = max(a, 0) + log1p(exp(-|a|)); sigmoid(a) = 1 / (1 + e) for a >= 0,
    e / (1 + e) below (neither overflows)."""
    scale = 1.0 / keep_prob
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            a = z[i, j]
            ea = e[i, j]
            r = 1.0 / (1.0 + ea)
            sig = r if a >= 0 else ea * r
            s = 1.0
            if dropout:
                s = scale if uniforms[i, j] < keep_prob else 0.0
            h[i, j] = (max(a, 0.0) + h[i, j]) * s
            z[i, j] = sig * s


@jit
def _softmax_error(z, bias, labels, lo, hi):
    """Output layer of a batch: ``q = softmax(z + bias)``, and ``z`` becomes the output
    error ``q - onehot(labels)``; returns the sum over rows of the clipped KL
    divergence and the number of rows whose (first) argmax of q is the label.  A NaN
    or infinite logit makes the returned loss NaN."""
    rows, k = z.shape
    loss = 0.0
    correct = 0
    for i in range(rows):
        peak = -np.inf
        for j in range(k):
            a = z[i, j] + bias[j]
            z[i, j] = a
            if a > peak:
                peak = a
        total = 0.0
        for j in range(k):
            e = math.exp(z[i, j] - peak)  # NaN if peak is +-inf or a logit is NaN
            z[i, j] = e
            total += e
        inv = 1.0 / total
        y = labels[i]
        best, best_q = 0, -1.0
        for j in range(k):
            q = z[i, j] * inv
            if q > best_q:
                best, best_q = j, q
            p = hi if j == y else lo
            loss += p * math.log(p / min(max(q, lo), hi))
            z[i, j] = q - 1.0 if j == y else q
        if total != total or not math.isfinite(peak):
            loss = np.nan
        correct += best == y
    return loss, correct


@jit
def _hidden_delta(g, deriv, column_sums):
    """``deriv *= g`` (``delta_k = sigma'(a_k) * mask/keep_prob * (delta_{k+1} @ W_k^T)``)
    and ``column_sums`` = the column sums of the result (the bias gradient times the
    batch size)."""
    column_sums[:] = 0.0
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            d = deriv[i, j] * g[i, j]
            deriv[i, j] = d
            column_sums[j] += d


@jit
def _column_sums(delta, column_sums):
    column_sums[:] = 0.0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            column_sums[j] += delta[i, j]


@jit
def _bias_step(bias, column_sums, step):
    """``bias -= step * column_sums`` (``step = lr / batch_size``)."""
    for j in range(bias.size):
        bias[j] -= step * column_sums[j]


@jit
def _gather_rows(X, rows, out):
    """``out[i] = X[rows[i]]`` converted to ``out``'s dtype (shuffled batches)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(X.shape[1]):
            out[i, j] = X[r, j]


# ---------------------------------------------------------------- validation
def _check_keep_prob(keep_prob) -> float:
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, numbers.Real):
        raise TypeError(f"keep_prob must be a number in (0, 1]; got {type(keep_prob).__name__}")
    if not (0.0 < keep_prob <= 1.0):
        raise ValueError(f"keep_prob must be in (0, 1]; got {keep_prob}")
    return float(keep_prob)


def _check_layer_sizes(layer_sizes):
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError("layer_sizes must be a sequence of ints (inputs, hidden..., "
                        f"classes); got {type(layer_sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least the input and output sizes; "
                         f"got {sizes}")
    sizes = [check_int(s, "layer_sizes entries", minimum=1) for s in sizes]
    if sizes[-1] < 2:
        raise ValueError(f"layer_sizes: the output layer needs at least 2 classes; "
                         f"got {sizes[-1]}")
    _check_network_fits(sizes, "layer_sizes")
    return sizes


def _check_network_fits(sizes, name):
    """Refuse, before allocating, a network whose float64 weights and biases would not
    fit in memory (``name`` is the argument that set the sizes)."""
    n_weights = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    check_fits_in_memory(8 * n_weights, name, f"a network with {n_weights} weights and biases")


def _progress_every(progress):
    if progress is False or progress is None:
        return 0
    if progress is True:
        return 1
    return check_int(progress, "progress", minimum=1)


# ---------------------------------------------------------------- the model
class MLP:
    """A softplus multilayer perceptron with a softmax output, trained by SGD.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_features, hidden..., n_classes)``, e.g. ``(784, 200, 200, 200, 10)``.
    dtype : float64 or float32
        Precision of weights, activations and arithmetic.
    keep_prob : float in (0, 1]
        Dropout keep probability of hidden units during training (1: no dropout).
    seed : int, SeedSequence or None
        Weights come from ``default_rng(spawn_sequences(seed, 2)[0])``: layer by
        layer, ``standard_normal((n_in, n_out)) * sqrt(2 / (n_in + n_out))``.  Dropout
        masks and shuffling draw from ``default_rng(spawn_sequences(seed, 2)[1])``,
        which carries over from one :meth:`fit` to the next.
    bias_init : {'ones', 'zeros'}
        Initial biases (the MLP study uses ones).
    shuffle : bool
        Permute the rows every epoch (``Generator.permutation``) instead of taking
        consecutive batches.

    Attributes
    ----------
    coefs : list of ndarray
        ``coefs[k]`` has shape ``(layer_sizes[k], layer_sizes[k + 1])``.
    intercepts : list of ndarray
    epochs_trained : int

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.nn import MLP
    >>> X = np.random.default_rng(0).random((200, 4))
    >>> y = (X[:, 0] > X[:, 1]).astype(int)
    >>> net = MLP((4, 16, 2), seed=0)
    >>> history = net.fit(X, y, epochs=30, batch_size=16, learning_rate=0.5)
    >>> list(history.columns)
    ['epoch', 'train_loss', 'train_accuracy']
    >>> bool(history.train_loss.iloc[-1] < history.train_loss.iloc[0])
    True
    >>> net.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, layer_sizes: Sequence[int], *, dtype: DTypeLike = np.float64,
                 keep_prob: float = 1.0, seed: int | np.random.SeedSequence | None = None,
                 bias_init: str = "ones", shuffle: bool = False) -> None:
        self.layer_sizes = _check_layer_sizes(layer_sizes)
        self.dtype = check_float_dtype(dtype)
        self.keep_prob = _check_keep_prob(keep_prob)
        if bias_init not in ("ones", "zeros"):
            raise ValueError(f"bias_init must be 'ones' or 'zeros'; got {bias_init!r}")
        self.shuffle = check_bool(shuffle, "shuffle")
        init_seq, train_seq = spawn_sequences(as_seed_sequence(seed), 2)
        init = rng(init_seq)
        self.coefs, self.intercepts = [], []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True):
            W = init.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))
            self.coefs.append(W.astype(self.dtype))
            fill = 1.0 if bias_init == "ones" else 0.0
            self.intercepts.append(np.full(n_out, fill, dtype=self.dtype))
        self._train_rng = rng(train_seq)
        self.epochs_trained = 0

    @property
    def n_features(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_classes(self) -> int:
        return self.layer_sizes[-1]

    # ------------------------------------------------------------ checks
    def _check_X(self, X, name="X"):
        X = as_2d_float(X, name)
        if X.shape[1] != self.n_features:
            raise ValueError(f"{name} must have {self.n_features} features (columns), as the "
                             f"network's input layer; got {X.shape[1]}")
        return X

    def _check_y(self, y, n, name="y"):
        return as_labels(y, name, n_samples=n, n_classes=self.n_classes)

    # ------------------------------------------------------------ training
    def fit(self, X: ArrayLike, y: ArrayLike, epochs: int = 40, batch_size: int = 128,
            learning_rate: float = 0.1, X_val: ArrayLike | None = None,
            y_val: ArrayLike | None = None, progress: bool | int = False) -> pd.DataFrame:
        """Train for ``epochs`` passes over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array_like, shape (n, n_features)
        y : array_like of int, shape (n,)
            Class indices in ``[0, n_classes)``.
        epochs, batch_size : int >= 1
            ``batch_size`` larger than n is clipped to n.
        learning_rate : float > 0
        X_val, y_val : optional validation data, evaluated (without dropout) after
            every epoch.
        progress : bool or int
            Print a line per epoch (or every ``progress`` epochs) to standard error.

        Returns
        -------
        pandas.DataFrame with one row per epoch: ``epoch``, ``train_loss`` (the mean of
        the batch losses), ``train_accuracy`` (of the predictions made during the
        epoch's forward passes), and ``val_loss``/``val_accuracy`` when validation data
        is given.

        Raises
        ------
        DivergenceError
            If the loss or the weights become NaN or infinite; the weights are
            restored to those at the start of the failing epoch (finite, but when the
            previous epoch's last steps had already run away they can be huge: train
            afresh with a lower learning rate).
        """
        import pandas as pd

        X = self._check_X(X)
        labels = self._check_y(y, X.shape[0])
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = min(check_int(batch_size, "batch_size", minimum=1), X.shape[0])
        learning_rate = check_positive_float(learning_rate, "learning_rate")
        validation = None
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together")
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            validation = (X_val, self._check_y(y_val, X_val.shape[0], "y_val"))
        every = _progress_every(progress)

        trainer = _Trainer(self, X, labels, batch_size, learning_rate)
        rows = []
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked
                loss, accuracy = trainer.epoch(self.epochs_trained + 1)
            self.epochs_trained += 1
            row = {"epoch": self.epochs_trained, "train_loss": loss, "train_accuracy": accuracy}
            if validation is not None:
                row["val_loss"], row["val_accuracy"] = self.evaluate(*validation)
            rows.append(row)
            if every and (epoch % every == 0 or epoch == epochs):
                extra = "".join(f"  {k} {v:.4g}" for k, v in row.items() if k != "epoch")
                print(f"mlp: epoch {epoch}/{epochs}{extra}  "
                      f"({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
        return pd.DataFrame(rows)

    # ------------------------------------------------------------ prediction
    def _forward_chunks(self, X, last_layer):
        """Yield ``(start, post-activations of layer last_layer)`` per chunk of rows,
        without dropout (layer -1: the inputs in the network's dtype; the output
        layer's post-activation is the softmax)."""
        n_layers = len(self.coefs)
        rows = min(PREDICT_CHUNK_ROWS, X.shape[0])
        widths = self.layer_sizes[1:last_layer + 2]
        outputs = [np.empty(rows * w, self.dtype) for w in widths]
        scratch = np.empty(rows * max(widths, default=1), self.dtype)
        gemm = gemm_for(self.dtype)
        for start in range(0, X.shape[0], rows):
            h = X[start:start + rows].astype(self.dtype, copy=False)
            r = h.shape[0]
            for k, w in enumerate(widths):
                z = outputs[k][:r * w].reshape(r, w)
                forward_product(gemm, h, self.coefs[k], z)
                if k == n_layers - 1:
                    z += self.intercepts[k]
                    _softmax_kernel(z.size)(z, z)  # row by row: in place is safe
                else:
                    _softplus_in_place(z, self.intercepts[k], scratch[:r * w].reshape(r, w))
                h = z
            yield start, h

    def _collect(self, X, layer):
        out = np.empty((X.shape[0], self.layer_sizes[layer + 1]), self.dtype)
        for start, h in self._forward_chunks(X, layer):
            out[start:start + h.shape[0]] = h
        return out

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (softmax of the output layer), shape (n, n_classes)."""
        return self._collect(self._check_X(X), len(self.coefs) - 1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class index of each row."""
        return np.argmax(self.predict_proba(X), axis=1)

    def activations(self, X: ArrayLike, layer: int) -> np.ndarray:
        """Post-activations of ``layer`` (0 = first hidden layer, ..., the last index =
        the softmax output) for inputs ``X``, without dropout."""
        X = self._check_X(X)
        layer = check_int(layer, "layer", minimum=0, maximum=len(self.coefs) - 1)
        return self._collect(X, layer)

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> tuple[float, float]:
        """``(mean clipped KL loss, accuracy)`` of the network on ``(X, y)``, no dropout."""
        X = self._check_X(X)
        labels = self._check_y(y, X.shape[0])
        lo, hi = self.dtype.type(CLIP), self.dtype.type(1 - CLIP)
        last = len(self.coefs) - 1
        loss, correct = 0.0, 0
        gemm = gemm_for(self.dtype)
        logits = np.empty(min(PREDICT_CHUNK_ROWS, X.shape[0]) * self.n_classes, self.dtype)
        for start, h in self._forward_chunks(X, last - 1):
            z = _view(logits, h.shape[0], self.n_classes)
            forward_product(gemm, h, self.coefs[last], z)
            part, hits = _softmax_error(z, self.intercepts[last],
                                        labels[start:start + z.shape[0]], lo, hi)
            loss += part
            correct += hits
        return loss / X.shape[0], correct / X.shape[0]


def _softplus_in_place(z, bias, scratch):
    """``z = softplus(z + bias)`` (prediction: no mask, no derivative)."""
    _add_bias_negabs(z, bias, scratch)
    np.exp(scratch, out=scratch)
    np.log1p(scratch, out=scratch)
    np.maximum(z, 0.0, out=z)
    z += scratch


def _view(flat, rows, cols):
    """A C-contiguous ``rows x cols`` matrix at the start of a flat buffer."""
    return flat[:rows * cols].reshape(rows, cols)


class _Trainer:
    """The buffers of one :meth:`MLP.fit` call and the epoch loop over them."""

    def __init__(self, net, X, labels, batch_size, learning_rate):
        self.net, self.X, self.labels = net, X, labels
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.step = learning_rate / batch_size
        dt = net.dtype
        bs = batch_size
        widths = net.layer_sizes[1:]
        self.z = [np.empty((bs, w), dt) for w in widths]          # a, then sigma'(a)*s, then delta
        self.h = [np.empty((bs, w), dt) for w in widths[:-1]]      # hidden post-activations
        self.scratch = np.empty(bs * max(widths), dt)             # exp(-|a|); delta W^T
        self.column_sums = np.empty(max(widths), dt)
        self.dropout = net.keep_prob < 1.0
        self.uniforms = np.empty(bs * max(widths) if self.dropout else 1, np.float64)
        self.needs_copy = net.shuffle or X.dtype != dt
        self.x = np.empty((bs, X.shape[1]), dt) if self.needs_copy else None
        self.y = np.empty(bs, np.int64)
        self.lo, self.hi = dt.type(CLIP), dt.type(1 - CLIP)
        self.gemm = gemm_for(dt)
        self.snapshot = [p.copy() for p in net.coefs + net.intercepts]

    def epoch(self, epoch_number):
        net, n = self.net, self.X.shape[0]
        for saved, p in zip(self.snapshot, self.net.coefs + self.net.intercepts, strict=True):
            np.copyto(saved, p)
        order = net._train_rng.permutation(n) if net.shuffle else None
        loss_sum, correct, n_batches = 0.0, 0, 0
        for start in range(0, n, self.batch_size):
            batch_loss, hits, rows = self._batch(start, order)
            if not math.isfinite(batch_loss):
                self._restore(epoch_number, "the loss")
            loss_sum += batch_loss / rows
            correct += hits
            n_batches += 1
        if not all(np.isfinite(p).all() for p in net.coefs + net.intercepts):
            self._restore(epoch_number, "the weights")
        return loss_sum / n_batches, correct / n

    def _restore(self, epoch_number, what):
        for saved, p in zip(self.snapshot, self.net.coefs + self.net.intercepts, strict=True):
            np.copyto(p, saved)
        raise DivergenceError(
            f"training diverged in epoch {epoch_number}: {what} became NaN or infinite; "
            f"try a lower learning_rate (got {self.learning_rate:g}); the weights "
            "are restored to those from the start of that epoch")

    def _batch(self, start, order):
        net = self.net
        stop = min(start + self.batch_size, self.X.shape[0])
        r = stop - start
        if order is not None:
            _gather_rows(self.X, order[start:stop], self.x[:r])
            np.take(self.labels, order[start:stop], out=self.y[:r])
            x, y = self.x[:r], self.y[:r]
        else:
            x, y = self.X[start:stop], self.labels[start:stop]
            if self.needs_copy:
                np.copyto(self.x[:r], x, casting="same_kind")
                x = self.x[:r]
        n_layers = len(net.coefs)
        h = x
        for k in range(n_layers - 1):   # hidden layers
            w = net.layer_sizes[k + 1]
            z, e, out = self.z[k][:r], _view(self.scratch, r, w), self.h[k][:r]
            forward_product(self.gemm, h, net.coefs[k], z)
            _add_bias_negabs(z, net.intercepts[k], e)
            np.exp(e, out=e)
            np.log1p(e, out=out)
            uniforms = _view(self.uniforms, 1, 1)
            if self.dropout:
                uniforms = _view(self.uniforms, r, w)
                net._train_rng.random(out=uniforms)
            _softplus_sigmoid(z, e, out, uniforms, net.keep_prob, self.dropout)
            h = out
        delta = self.z[-1][:r]
        forward_product(self.gemm, h, net.coefs[-1], delta)
        loss, hits = _softmax_error(delta, net.intercepts[-1], y, self.lo, self.hi)
        if not math.isfinite(loss):
            return loss, hits, r
        _column_sums(delta, self.column_sums)
        for k in range(n_layers - 1, -1, -1):   # backprop, then the SGD step of layer k
            W, b = net.coefs[k], net.intercepts[k]
            _bias_step(b, self.column_sums, self.step)
            h_in = x if k == 0 else self.h[k - 1][:r]
            if k > 0:
                g = _view(self.scratch, r, W.shape[0])
                backward_product(self.gemm, delta, W, g)   # with W before its update
            sgd_weight_step(self.gemm, W, h_in, delta, self.step)
            if k > 0:
                delta = self.z[k - 1][:r]
                _hidden_delta(g, delta, self.column_sums)
        return loss, hits, r
