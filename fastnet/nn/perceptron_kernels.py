"""Compiled passes of :class:`fastnet.nn.MLPClassifier` and :class:`fastnet.nn.MLPRegressor`:
the loss and gradient of a batch, a whole stochastic epoch (every batch, its gradient
and its Adam or SGD step, with no Python between them) and the forward pass of
prediction.

The model is scikit-learn's multilayer perceptron (``sklearn.neural_network``), the
spec these kernels follow and the tests compare against:

* parameters live in one flat vector laid out as scikit-learn's ``_pack``: every
  ``coefs_[k]`` (shape ``(units[k], units[k + 1])``) raveled in order, then every
  ``intercepts_[k]``;
* hidden layer ``h = f(h_prev @ W + b)``; output activation identity (squared error),
  exp (Poisson), logistic (binary and multi-label) or softmax (multiclass);
* batch loss: squared error ``sum_i w_i ||y_i - p_i||^2 / (2 sum(w) n_outputs)``;
  Poisson ``sum_i w_i sum_j (y log(y / p) - y + p) / sum(w)``; log loss
  ``-sum_i w_i sum_j y log p / sum(w)`` (binary: plus ``(1 - y) log(1 - p)``), ``p``
  clipped to ``[eps, 1 - eps]`` of the dtype; plus ``alpha / 2 ||W||^2 / sum(w)``;
* output error ``(p - y) w_i`` (the canonical link of each loss); hidden errors
  ``delta_k = f'(h_k) * (delta_{k+1} @ W_{k+1}^T)``, with ``f'`` written in terms of
  the activation's output ``h`` as scikit-learn does (relu: 0 where ``h == 0``);
  gradients ``(h^T delta + alpha W) / sum(w)`` and ``sum(delta) / sum(w)``;
* Adam (Kingma & Ba 2014, scikit-learn's form: ``lr_t = lr sqrt(1 - beta2^t) /
  (1 - beta1^t)``, step ``-lr_t m / (sqrt(v) + eps)``) and SGD with (Nesterov)
  momentum, ``v = mu v - lr g``, step ``v`` or ``mu v - lr g``.

fastnet's extensions: the 'softplus' hidden activation (``f'(a) = 1 - exp(-h)``)
and inverted dropout on hidden units during stochastic training (``keep_prob``),
whose masks are drawn inside the kernel from a seed per epoch.

Products are ``np.dot`` with an output buffer: SciPy's BLAS ``gemm`` called from the
compiled code into preallocated memory (rule 4 of the design: one BLAS, SciPy's).
CSR input multiplies the first layer in a compiled loop over its stored entries.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, variant_jit
from ..random import xoshiro_random, xoshiro_seed

# codes of the hidden activations (scikit-learn's names, plus softplus)
IDENTITY, LOGISTIC, TANH, RELU, SOFTPLUS = 0, 1, 2, 3, 4
HIDDEN_CODES = {"identity": IDENTITY, "logistic": LOGISTIC, "tanh": TANH, "relu": RELU,
                "softplus": SOFTPLUS}
# codes of the output activation and its loss
SQUARED, POISSON, SOFTMAX_LOG, BINARY_LOG = 0, 1, 2, 3
OUTPUT_CODES = {"identity": SQUARED, "exp": POISSON, "softmax": SOFTMAX_LOG,
                "logistic": BINARY_LOG}
ADAM, SGD = 0, 1
# the compile-time constants of the variants of the batch, epoch and prediction kernels
# (fastnet._jit.Variants): each compiled copy binds its own, so a dense relu network
# trained by Adam compiles no CSR, dropout, SGD or other activation code
SPARSE = HIDDEN = OUTPUT = SOLVER = DROPOUT = 0


# ---------------------------------------------------------------- element-wise
@jit
def _activate(z, bias, code):
    """``z = f(z + bias)`` in place, row by row.  relu and identity get loops of their
    own: without a branch per element they vectorise."""
    if code == RELU:
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                z[i, j] = max(z[i, j] + bias[j], 0.0)
        return
    if code == IDENTITY:
        for i in range(z.shape[0]):
            for j in range(z.shape[1]):
                z[i, j] += bias[j]
        return
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            a = z[i, j] + bias[j]
            if code == RELU:
                a = max(a, 0.0)
            elif code == TANH:
                a = math.tanh(a)
            elif code == LOGISTIC:
                # 1 / (1 + exp(-a)) without overflow for large |a|
                if a >= 0:
                    a = 1.0 / (1.0 + math.exp(-a))
                else:
                    e = math.exp(a)
                    a = e / (1.0 + e)
            elif code == SOFTPLUS:
                a = max(a, 0.0) + math.log1p(math.exp(-abs(a)))
            z[i, j] = a


@jit
def _drop(h, scale, keep_prob, rng_state):
    """Inverted dropout: ``scale = mask / keep_prob`` with ``mask ~ Bernoulli(keep_prob)``
    per unit (xoshiro256+ seeded per epoch), ``h *= scale``."""
    inv = 1.0 / keep_prob
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            s = inv if xoshiro_random(rng_state) < keep_prob else 0.0
            scale[i, j] = s
            h[i, j] *= s


@jit
def _backprop_derivative(h, delta, code, scale, dropout):
    """``delta *= f'(a)`` from the layer's output ``h = f(a)`` (times the dropout
    scale when ``dropout``: ``h`` then holds ``f(a) * scale``).  Without dropout,
    relu gets a branch-free loop of its own, which vectorises."""
    if code == RELU and not dropout:
        for i in range(h.shape[0]):
            for j in range(h.shape[1]):
                delta[i, j] = delta[i, j] if h[i, j] != 0 else 0.0
        return
    if code == IDENTITY and not dropout:
        return
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            out = h[i, j]
            s = 1.0
            if dropout:
                s = scale[i, j]
                if s == 0.0:
                    delta[i, j] = 0.0
                    continue
                out = out / s
            if code == RELU:
                d = 0.0 if out == 0 else 1.0
            elif code == TANH:
                d = 1.0 - out * out
            elif code == LOGISTIC:
                d = out * (1.0 - out)
            elif code == SOFTPLUS:
                d = -math.expm1(-out)
            else:
                d = 1.0
            delta[i, j] *= d * s


@jit
def _output_error(z, bias, y, sw, code, eps):
    """Output layer of a batch: ``p = g(z + bias)``; returns ``sum_i w_i loss_i`` (before
    the division by ``sum(w)``) and turns ``z`` into the output error ``(p - y) w_i``."""
    rows, k = z.shape
    total = 0.0
    for i in range(rows):
        if code == SOFTMAX_LOG:
            peak = -np.inf
            for j in range(k):
                a = z[i, j] + bias[j]
                z[i, j] = a
                peak = max(peak, a)
            norm = 0.0
            for j in range(k):
                e = math.exp(z[i, j] - peak)
                z[i, j] = e
                norm += e
            for j in range(k):
                z[i, j] = z[i, j] / norm
        else:
            for j in range(k):
                a = z[i, j] + bias[j]
                if code == BINARY_LOG:
                    if a >= 0:
                        a = 1.0 / (1.0 + math.exp(-a))
                    else:
                        e = math.exp(a)
                        a = e / (1.0 + e)
                elif code == POISSON:
                    a = math.exp(a)
                z[i, j] = a
        row = 0.0
        for j in range(k):
            p = z[i, j]
            t = y[i, j]
            if code == SQUARED:
                row += (t - p) * (t - p)
            elif code == POISSON:
                # xlogy(t, t / p) - t + p
                row += (t * math.log(t / p) if t != 0 else 0.0) - t + p
            else:
                q = min(max(p, eps), 1.0 - eps)
                if t != 0:
                    row -= t * math.log(q)
                if code == BINARY_LOG and t != 1:
                    row -= (1.0 - t) * math.log(1.0 - q)
            z[i, j] = (p - t) * sw[i]
        total += sw[i] * row
    return total


@jit
def _zero(a):
    """``a[...] = 0`` for a contiguous array of any rank (explicit loop: the slice
    assignment's broadcasting code costs more compile time than it saves)."""
    flat = a.reshape(a.size)
    for i in range(flat.size):
        flat[i] = 0.0


@jit
def _column_sums(delta, out):
    _zero(out)
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            out[j] += delta[i, j]


# ---------------------------------------------------------------- CSR first layer
@jit
def _csr_times(data, indices, indptr, rows, W, out):
    """``out = X[rows] @ W`` for CSR ``X``."""
    _zero(out)
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for j in range(W.shape[1]):
                out[i, j] += v * W[c, j]


@jit
def _csr_transpose_times(data, indices, indptr, rows, delta, out):
    """``out = X[rows]^T @ delta`` for CSR ``X``."""
    _zero(out)
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for j in range(delta.shape[1]):
                out[c, j] += v * delta[i, j]


# ---------------------------------------------------------------- one batch
@jit
def _layer(flat, offsets, k, rows, cols):
    return flat[offsets[k]:offsets[k] + rows * cols].reshape(rows, cols)


@variant_jit("SPARSE", "HIDDEN", "OUTPUT", "DROPOUT")
def _batch_loss_grad(xb, data, indices, indptr, rows, yb, swb, params, grads, units,
                     coef_off, icpt_off, eps, acts, act_off, deltas, scales, keep_prob,
                     rng_state, batch_capacity):
    """Forward and backward pass of one batch into ``grads`` (the flat layout of
    ``params``): the raw sums ``h^T delta`` and ``sum(delta)``, before the L2 term
    and the division by ``sum(w)``.  The batch is ``xb`` (dense) or the CSR rows
    ``rows`` of ``(data, indices, indptr)``.  Returns ``sum_i w_i loss_i``."""
    n_layers = units.shape[0] - 1
    r = yb.shape[0]
    loss = 0.0
    h_prev = xb
    for k in range(n_layers):
        W = _layer(params, coef_off, k, units[k], units[k + 1])
        z = _layer(acts, act_off, k, batch_capacity, units[k + 1])[:r]
        if SPARSE and k == 0:
            _csr_times(data, indices, indptr, rows, W, z)
        else:
            np.dot(h_prev, W, z)
        b = params[icpt_off[k]:icpt_off[k] + units[k + 1]]
        if k < n_layers - 1:
            _activate(z, b, HIDDEN)
            if DROPOUT:
                _drop(z, _layer(scales, act_off, k, batch_capacity, units[k + 1])[:r],
                      keep_prob, rng_state)
            h_prev = z
        else:
            loss = _output_error(z, b, yb, swb, OUTPUT, eps)
    delta = _layer(acts, act_off, n_layers - 1, batch_capacity, units[n_layers])[:r]
    for k in range(n_layers - 1, -1, -1):
        gW = _layer(grads, coef_off, k, units[k], units[k + 1])
        _column_sums(delta, grads[icpt_off[k]:icpt_off[k] + units[k + 1]])
        if k > 0:
            h_in = _layer(acts, act_off, k - 1, batch_capacity, units[k])[:r]
            np.dot(h_in.T, delta, gW)
            W = _layer(params, coef_off, k, units[k], units[k + 1])
            below = _layer(deltas, act_off, k - 1, batch_capacity, units[k])[:r]
            np.dot(delta, W.T, below)
            _backprop_derivative(h_in, below, HIDDEN,
                                 _layer(scales, act_off, k - 1, batch_capacity, units[k])[:r],
                                 DROPOUT)
            delta = below
        elif SPARSE:
            _csr_transpose_times(data, indices, indptr, rows, delta, gW)
        else:
            np.dot(xb.T, delta, gW)
    return loss


@jit
def _finish_gradient(params, grads, n_coefs, alpha, sw_sum):
    """``grads = (grads + alpha W) / sum(w)`` (no L2 on intercepts); returns
    ``||W||^2``."""
    squares = 0.0
    for i in range(n_coefs):
        w = params[i]
        squares += w * w
        grads[i] = (grads[i] + alpha * w) / sw_sum
    for i in range(n_coefs, params.shape[0]):
        grads[i] = grads[i] / sw_sum
    return squares


# ---------------------------------------------------------------- optimisers
# The steps finish the gradient on the fly, ``g = (raw + alpha W) / sum(w)`` for the
# first ``n_coefs`` entries (the weights) and ``raw / sum(w)`` for the intercepts:
# one pass over the parameters instead of two.  Each range is a loop without branches
# or reductions, so it vectorises; ``||W||^2`` (the L2 term of the batch loss, taken
# before the step) is a reduction of its own.
@jit(reassociate=True)  # a plain sum: reassociation lets it vectorise
def _sum_of_squares(a, n):
    total = 0.0
    for i in range(n):
        total += a[i] * a[i]
    return total


@jit(inline="always")
def _adam_range(params, grads, m, v, lo, hi, c):
    """Adam on ``params[lo:hi]`` with the gradient ``(raw + alpha W) / sum(w)``; ``c``
    holds ``beta1, 1 - beta1, beta2, 1 - beta2, -lr_t, eps, alpha, sum(w)`` in the
    parameters' dtype, so float32 parameters are stepped in float32 arithmetic (as
    scikit-learn's NumPy expressions do)."""
    beta1, rest1, beta2, rest2, step, eps, alpha, sw_sum = c[0], c[1], c[2], c[3], c[4], \
        c[5], c[6], c[7]
    for i in range(lo, hi):
        w = params[i]
        g = (grads[i] + alpha * w) / sw_sum
        mi = beta1 * m[i] + rest1 * g
        vi = beta2 * v[i] + rest2 * (g * g)
        m[i] = mi
        v[i] = vi
        params[i] = w + step * mi / (math.sqrt(vi) + eps)


@jit
def _adam_step(params, grads, m, v, lr, beta1, beta2, eps, t, n_coefs, alpha, sw_sum):
    """One Adam step at time ``t`` (already incremented); returns its learning rate and
    ``||W||^2`` (the intercepts get no L2 term)."""
    squares = _sum_of_squares(params, n_coefs)
    lr_t = lr * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
    c = np.empty(8, params.dtype)
    c[0], c[1], c[2], c[3] = beta1, 1.0 - beta1, beta2, 1.0 - beta2
    c[4], c[5], c[6], c[7] = -lr_t, eps, alpha, sw_sum
    _adam_range(params, grads, m, v, 0, n_coefs, c)
    c[6] = 0.0
    _adam_range(params, grads, m, v, n_coefs, params.shape[0], c)
    return lr_t, squares


@jit(inline="always")
def _sgd_range(params, grads, velocity, lo, hi, lr, momentum, nesterov, alpha, sw_sum):
    for i in range(lo, hi):
        w = params[i]
        g = (grads[i] + alpha * w) / sw_sum
        vel = momentum * velocity[i] - lr * g
        velocity[i] = vel
        params[i] = w + (momentum * vel - lr * g if nesterov else vel)


@jit
def _sgd_step(params, grads, velocity, lr, momentum, nesterov, n_coefs, alpha, sw_sum):
    """One SGD step with (Nesterov) momentum; returns ``||W||^2``."""
    squares = _sum_of_squares(params, n_coefs)
    _sgd_range(params, grads, velocity, 0, n_coefs, lr, momentum, nesterov, alpha, sw_sum)
    _sgd_range(params, grads, velocity, n_coefs, params.shape[0], lr, momentum, nesterov, 0.0,
               sw_sum)
    return squares


# ---------------------------------------------------------------- one epoch
@jit
def _gather_rows(X, rows, out):
    """``out = X[rows]``, eight rows at a time: copying eight scattered rows side by
    side keeps eight memory streams in flight, where one row at a time waits for each
    row's first cache lines."""
    n, d = rows.shape[0], X.shape[1]
    start = 0
    while start + 8 <= n:
        r0, r1, r2, r3 = rows[start], rows[start + 1], rows[start + 2], rows[start + 3]
        r4, r5, r6, r7 = rows[start + 4], rows[start + 5], rows[start + 6], rows[start + 7]
        for j in range(d):
            out[start, j] = X[r0, j]
            out[start + 1, j] = X[r1, j]
            out[start + 2, j] = X[r2, j]
            out[start + 3, j] = X[r3, j]
            out[start + 4, j] = X[r4, j]
            out[start + 5, j] = X[r5, j]
            out[start + 6, j] = X[r6, j]
            out[start + 7, j] = X[r7, j]
        start += 8
    for i in range(start, n):
        for j in range(d):
            out[i, j] = X[rows[i], j]


@variant_jit("SPARSE", "HIDDEN", "OUTPUT", "SOLVER", "DROPOUT")
def _stochastic_epoch(X, data, indices, indptr, Y, sw, order, batch_size, params, grads,
                      state_a, state_b, units, coef_off, icpt_off, eps, alpha, lr, momentum,
                      nesterov, beta1, beta2, epsilon, t, keep_prob, seed, acts, act_off,
                      deltas, scales, xbuf, ybuf, swbuf):
    """Every batch of one epoch (rows in ``order``): gradient, then the Adam
    (``state_a, state_b = m, v``) or SGD (``state_a`` = velocity) step.  Returns
    ``(sum over batches of batch loss x batch rows, Adam's t, the last learning
    rate)``; the loss is NaN once a batch loss is not finite."""
    n = order.shape[0]
    n_coefs = coef_off[units.shape[0] - 1]
    rng_state = np.empty(4, np.uint64)
    if DROPOUT:
        xoshiro_seed(seed, rng_state)
    accumulated = 0.0
    last_lr = lr
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        r = stop - start
        rows = order[start:stop]
        yb = ybuf[:r]
        swb = swbuf[:r]
        sw_sum = 0.0
        for i in range(r):
            for j in range(Y.shape[1]):
                yb[i, j] = Y[rows[i], j]
            swb[i] = sw[rows[i]]
            sw_sum += swb[i]
        xb = xbuf[:r]
        if not SPARSE:
            _gather_rows(X, rows, xb)
        loss = _batch_loss_grad(xb, data, indices, indptr, rows, yb, swb, params, grads,
                                units, coef_off, icpt_off, eps, acts, act_off, deltas, scales,
                                keep_prob, rng_state, batch_size)
        if SOLVER == ADAM:
            t += 1
            last_lr, squares = _adam_step(params, grads, state_a, state_b, lr, beta1, beta2,
                                          epsilon, t, n_coefs, alpha, sw_sum)
        else:
            squares = _sgd_step(params, grads, state_a, lr, momentum, nesterov, n_coefs,
                                alpha, sw_sum)
        denominator = 2.0 * Y.shape[1] if OUTPUT == SQUARED else 1.0
        accumulated += (loss / (sw_sum * denominator) + 0.5 * alpha * squares / sw_sum) * r
    return accumulated, t, last_lr


@variant_jit("SPARSE", "HIDDEN", "OUTPUT", "DROPOUT")
def _full_loss_grad(X, data, indices, indptr, Y, sw, params, grads, scratch, units,
                    coef_off, icpt_off, eps, alpha, acts, act_off, deltas, chunk):
    """Loss and gradient over all rows (L-BFGS), in chunks of ``chunk`` rows whose
    raw sums accumulate in ``grads`` (``scratch`` holds one chunk's); the variant's
    DROPOUT is 0 (no dropout outside stochastic training)."""
    n = Y.shape[0]
    _zero(grads)
    total = 0.0
    sw_sum = 0.0
    rows = np.arange(n)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        total += _batch_loss_grad(X[start:stop], data, indices, indptr, rows[start:stop],
                                  Y[start:stop], sw[start:stop], params, scratch, units,
                                  coef_off, icpt_off, eps, acts, act_off, deltas, deltas, 1.0,
                                  np.empty(4, np.uint64), chunk)
        for i in range(start, stop):
            sw_sum += sw[i]
        for i in range(grads.shape[0]):
            grads[i] += scratch[i]
    n_coefs = coef_off[units.shape[0] - 1]
    squares = _finish_gradient(params, grads, n_coefs, alpha, sw_sum)
    denominator = 2.0 * Y.shape[1] if OUTPUT == SQUARED else 1.0
    return total / (sw_sum * denominator) + 0.5 * alpha * squares / sw_sum


# ---------------------------------------------------------------- prediction
@variant_jit("SPARSE", "HIDDEN", "OUTPUT")
def _predict(X, data, indices, indptr, params, units, coef_off, icpt_off, acts, act_off,
             chunk, out):
    """The network's output (after the output activation) for every row, in chunks."""
    n = out.shape[0]
    n_layers = units.shape[0] - 1
    rows = np.arange(n)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        r = stop - start
        h_prev = X[start:stop]
        for k in range(n_layers):
            W = _layer(params, coef_off, k, units[k], units[k + 1])
            b = params[icpt_off[k]:icpt_off[k] + units[k + 1]]
            z = out[start:stop] if k == n_layers - 1 else \
                _layer(acts, act_off, k, chunk, units[k + 1])[:r]
            if SPARSE and k == 0:
                _csr_times(data, indices, indptr, rows[start:stop], W, z)
            else:
                np.dot(h_prev, W, z)
            if k < n_layers - 1:
                _activate(z, b, HIDDEN)
                h_prev = z
            else:
                _output(z, b, OUTPUT)


@jit
def _output(z, b, output):
    """``z = g(z + b)`` for the output activation ``g``."""
    if output == SOFTMAX_LOG:
        for i in range(z.shape[0]):
            peak = -np.inf
            for j in range(z.shape[1]):
                z[i, j] += b[j]
                peak = max(peak, z[i, j])
            norm = 0.0
            for j in range(z.shape[1]):
                e = math.exp(z[i, j] - peak)
                z[i, j] = e
                norm += e
            for j in range(z.shape[1]):
                z[i, j] = z[i, j] / norm
    elif output == BINARY_LOG:
        _activate(z, b, LOGISTIC)
    else:
        _activate(z, b, IDENTITY)
        if output == POISSON:
            for i in range(z.shape[0]):
                for j in range(z.shape[1]):
                    z[i, j] = math.exp(z[i, j])
