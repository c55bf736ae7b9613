"""The four covariance types of :class:`fastnet.cluster.GaussianMixture`, each as the
same handful of operations: the E-step with the M-step's sufficient statistics (one
compiled pass), the M-step, the precision Cholesky factors, and the NumPy helpers
that initialisation and scoring need.

- 'full' has the pass of :mod:`fastnet.cluster.gmm_full`, whose statistics include
  the centred scatter ``sum r (x - s_k)(x - s_k)^T`` of every component.
- 'tied' has :func:`_em_pass_tied`: with one precision factor P for every component,
  ``(x - mu_k) P = (x - c) P - (mu_k - c) P`` costs one d x d product per row instead
  of one per row and component, and the pooled scatter is the data's scatter about
  its mean c (fixed for the fit, one pass) less ``sum_k N_k (mu_k - c)(mu_k - c)^T``
  (scikit-learn's tied estimate, computed about c rather than about 0).
- 'diag' and 'spherical' share :func:`_em_pass_diag`, whose statistics are the
  per-feature ``sum r (x - s_k)^2``; spherical passes its one precision for every
  feature and its M-step averages the diagonal variances.

The parameters follow scikit-learn's shapes: covariances (K, d, d), (d, d), (K, d)
and (K,); ``N_k`` gets scikit-learn's ``10 eps`` and ``reg_covar`` is added to every
variance.  Twins: :func:`fastnet.reference.cluster.gaussian_mixture` (full) and
:func:`fastnet.reference.cluster.gaussian_mixture_constrained` (the others).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._jit import jit, prange, serial_or_parallel_jit
from .gmm_full import (
    BLOCK,
    ILL_DEFINED,
    LOG_2PI,
    _em_compiled_loop_kernel,
    _finish_log_prob,
    _load_block,
    _m_step,
    _normalise_block,
    _normalised_weight,
    _precision_cholesky,
    _precision_cholesky_kernel,
    _store_log_resp,
    _Workspace,
    statistics_chunks,
)

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# ---------------------------------------------------------------- diag / spherical pass
@jit(inline="always")
def _weighted_deviation_sums(x, w, mu, m, s1, s2):
    """``(s1 + sum w (x - mu), s2 + sum w (x - mu)^2)`` over ``x[:m]``, in four
    interleaved partial sums added in a fixed order.  The pass is compiled without
    reassociation, which would let LLVM regroup a plain sum differently in the
    freshly compiled and the cached copy of a parallel kernel (different last bits,
    issue 19); written out like this the sum still vectorises, and its order is the
    code's."""
    a0 = a1 = a2 = a3 = 0.0
    b0 = b1 = b2 = b3 = 0.0
    r = 0
    while r + 4 <= m:
        d0, d1, d2, d3 = x[r] - mu, x[r + 1] - mu, x[r + 2] - mu, x[r + 3] - mu
        a0 += w[r] * d0
        a1 += w[r + 1] * d1
        a2 += w[r + 2] * d2
        a3 += w[r + 3] * d3
        b0 += w[r] * d0 * d0
        b1 += w[r + 1] * d1 * d1
        b2 += w[r + 2] * d2 * d2
        b3 += w[r + 3] * d3 * d3
        r += 4
    while r < m:
        dr = x[r] - mu
        a0 += w[r] * dr
        b0 += w[r] * dr * dr
        r += 1
    return s1 + ((a0 + a1) + (a2 + a3)), s2 + ((b0 + b1) + (b2 + b3))


@serial_or_parallel_jit
def _em_pass_diag(X, means, precisions, log_weights, log_det, counts, first, second,
                  log_norms, log_resp, row_norms, predict):
    """E-step for every point with per-feature precisions ``precisions[k, t]``, and per
    chunk the statistics centred at the current means: N_k, sum r (x - mu_k) and
    sum r (x - mu_k)^2 (per feature).  Chunks are fixed by n alone, so the sums do not
    depend on the number of threads.  With ``predict`` it writes the log
    responsibilities ``log_resp`` (n, K) and each row's log-likelihood ``row_norms``
    instead of the statistics.

    As the full pass: blocks of BLOCK rows with the row index innermost (SIMD loops),
    responsibilities below e^-300 dropped (see there)."""
    n, d = X.shape
    K = means.shape[0]
    rows = (n + counts.shape[0] - 1) // counts.shape[0]
    for c in prange(counts.shape[0]):
        N, S1, S2 = counts[c], first[c], second[c]
        N[:] = 0.0
        S1[:] = 0.0
        S2[:] = 0.0
        block = np.empty((d, BLOCK))
        log_prob = np.empty((K, BLOCK))
        resp = np.empty((K, BLOCK))
        peak = np.empty(BLOCK)
        acc = np.empty(BLOCK)
        total = 0.0
        chunk_end = min(n, (c + 1) * rows)
        for b0 in range(c * rows, chunk_end, BLOCK):
            m = min(BLOCK, chunk_end - b0)
            _load_block(X, b0, m, block)
            for k in range(K):
                lp = log_prob[k]
                lp[:m] = 0.0
                for t in range(d):
                    mu, p = means[k, t], precisions[k, t]
                    for r in range(m):
                        diff = block[t, r] - mu
                        lp[r] += diff * diff * p
                _finish_log_prob(lp, log_weights[k] + log_det[k] - 0.5 * d * LOG_2PI, m)
            total += _normalise_block(log_prob, resp, peak, acc, m)
            if predict:
                _store_log_resp(log_prob, peak, b0, m, log_resp, row_norms)
                continue
            for k in range(K):
                N[k] += _normalised_weight(resp, acc, k, m)
                for t in range(d):
                    S1[k, t], S2[k, t] = _weighted_deviation_sums(
                        block[t], resp[k], means[k, t], m, S1[k, t], S2[k, t])
        log_norms[c] = total


@jit
def _m_step_diag(n, shift, N, S1, S2, reg_covar):
    """Weights, means and per-feature variances from the statistics centred at
    ``shift``: with a = mu - shift, sum r (x - mu)^2 = S2 - 2 a S1 + N a^2."""
    K, d = S1.shape
    tiny = 10 * np.finfo(np.float64).eps
    weights = np.empty(K)
    means = np.empty((K, d))
    variances = np.empty((K, d))
    for k in range(K):
        nk = N[k] + tiny
        weights[k] = nk
        for t in range(d):
            means[k, t] = (S1[k, t] + N[k] * shift[k, t]) / nk
            a = means[k, t] - shift[k, t]
            variances[k, t] = (S2[k, t] - 2.0 * a * S1[k, t] + N[k] * a * a) / nk + reg_covar
    weights /= weights.sum()  # scikit-learn's: N_k / sum_j N_j
    return weights, means, variances


@jit
def _m_step_spherical(n, shift, N, S1, S2, reg_covar):
    """As :func:`_m_step_diag`, each component's variance the mean over features."""
    weights, means, variances = _m_step_diag(n, shift, N, S1, S2, reg_covar)
    K, d = variances.shape
    out = np.empty(K)
    for k in range(K):
        out[k] = variances[k].sum() / d
    return weights, means, out


# ---------------------------------------------------------------- tied pass
@serial_or_parallel_jit
def _em_pass_tied(X, centre, means, prec_chol, log_weights, log_det, counts, first,
                  log_norms, log_resp, row_norms, predict):
    """E-step for every point with the one precision factor ``prec_chol`` (d, d), and
    per chunk the statistics N_k and sum r (x - mu_k) (chunks fixed by n alone).  The
    squared distance of x to mu_k is ||(x - c) P - (mu_k - c) P||^2 with c = ``centre``
    (near the data, so that neither product is large against their difference): one
    d x d product per row, then K differences.  With ``predict`` it writes the log
    responsibilities ``log_resp`` (n, K) and each row's log-likelihood ``row_norms``.

    As the full pass: blocks of BLOCK rows with the row index innermost (SIMD loops),
    responsibilities below e^-300 dropped (see there)."""
    n, d = X.shape
    K = means.shape[0]
    projected = np.zeros((K, d))  # (mu_k - c) P
    for k in range(K):
        for t in range(d):
            shifted = means[k, t] - centre[t]
            for j in range(d):
                projected[k, j] += shifted * prec_chol[t, j]
    rows = (n + counts.shape[0] - 1) // counts.shape[0]
    for c in prange(counts.shape[0]):
        N, S1 = counts[c], first[c]
        N[:] = 0.0
        S1[:] = 0.0
        block = np.empty((d, BLOCK))
        y = np.empty((d, BLOCK))
        log_prob = np.empty((K, BLOCK))
        resp = np.empty((K, BLOCK))
        peak = np.empty(BLOCK)
        acc = np.empty(BLOCK)
        total = 0.0
        chunk_end = min(n, (c + 1) * rows)
        for b0 in range(c * rows, chunk_end, BLOCK):
            m = min(BLOCK, chunk_end - b0)
            _load_block(X, b0, m, block)
            for j in range(d):  # y = (x - c) P
                y[j, :m] = 0.0
                for t in range(d):
                    mu, p = centre[t], prec_chol[t, j]
                    for r in range(m):
                        y[j, r] += (block[t, r] - mu) * p
            for k in range(K):
                lp = log_prob[k]
                lp[:m] = 0.0
                for j in range(d):
                    q = projected[k, j]
                    for r in range(m):
                        diff = y[j, r] - q
                        lp[r] += diff * diff
                _finish_log_prob(lp, log_weights[k] + log_det - 0.5 * d * LOG_2PI, m)
            total += _normalise_block(log_prob, resp, peak, acc, m)
            if predict:
                _store_log_resp(log_prob, peak, b0, m, log_resp, row_norms)
                continue
            for k in range(K):
                N[k] += _normalised_weight(resp, acc, k, m)
                for t in range(d):
                    mu = means[k, t]
                    s1 = 0.0
                    for r in range(m):
                        s1 += resp[k, r] * (block[t, r] - mu)
                    S1[k, t] += s1
        log_norms[c] = total


@jit
def _m_step_tied(n, shift, N, S1, S2, reg_covar):
    """Weights, means and the pooled covariance sum_k sum_i r_ik (x_i - mu_k)(...)^T
    / sum_k N_k (scikit-learn's tied estimate): ``S1`` centred at ``shift``, ``S2`` the
    pair (scatter of the data about c, c), from which the pooled scatter is
    scatter - sum_k N_k (mu_k - c)(mu_k - c)^T (every row's responsibilities sum to
    1)."""
    scatter, centre = S2
    K, d = S1.shape
    tiny = 10 * np.finfo(np.float64).eps
    weights = np.empty(K)
    means = np.empty((K, d))
    covariance = scatter.copy()
    a = np.empty(d)
    total = 0.0
    for k in range(K):
        nk = N[k] + tiny
        total += nk
        weights[k] = nk
        for t in range(d):
            means[k, t] = (S1[k, t] + N[k] * shift[k, t]) / nk
            a[t] = means[k, t] - centre[t]
        for t in range(d):
            for u in range(t, d):
                covariance[t, u] -= nk * a[t] * a[u]
    for t in range(d):
        for u in range(t, d):
            covariance[t, u] /= total
            covariance[u, t] = covariance[t, u]
        covariance[t, t] += reg_covar
    weights /= weights.sum()  # scikit-learn's: N_k / sum_j N_j
    return weights, means, covariance


# ---------------------------------------------------------------- compiled EM loops
# For work too small for threads the whole EM runs as one compiled call (as
# gmm_full._em_compiled_loop_kernel does for full covariances): there a Python loop's
# per-iteration overhead would cost more than the arithmetic.  Each returns the fitted
# weights, means, covariances, factors, lower bound, iterations, whether it converged,
# and -1, or the first component whose covariance failed.
_em_pass_diag_serial = _em_pass_diag.serial


@jit(reassociate=True)
def _em_compiled_loop_diag(X, weights, means, prec_chol, spherical, tol, reg_covar, max_iter,
                           lower_bound, counts, first, second, log_norms, no_resp, bounds):
    """EM with per-feature factors ``prec_chol`` (K, d) (spherical: each row one value,
    the factors and variances returned as (K, d) all the same)."""
    n, d = X.shape
    K = means.shape[0]
    variances = np.empty((K, d))
    log_det = np.empty(K)
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        n_iter += 1
        previous = lower_bound
        for k in range(K):
            if spherical:
                log_det[k] = d * math.log(prec_chol[k, 0])
            else:
                total = 0.0
                for t in range(d):
                    total += math.log(prec_chol[k, t])
                log_det[k] = total
        _em_pass_diag_serial(X, means, prec_chol * prec_chol, np.log(weights), log_det,
                             counts, first, second, log_norms, no_resp, np.empty(0), False)
        lower_bound = log_norms.sum() / n
        N, S1, S2 = counts.sum(axis=0), first.sum(axis=0), second.sum(axis=0)
        if spherical:
            weights, means, pooled = _m_step_spherical(n, means, N, S1, S2, reg_covar)
            for k in range(K):
                variances[k, :] = pooled[k]
        else:
            weights, means, variances = _m_step_diag(n, means, N, S1, S2, reg_covar)
        prec_chol = np.empty((K, d))
        for k in range(K):
            for t in range(d):
                if not variances[k, t] > 0.0:
                    return (weights, means, variances, prec_chol, lower_bound, n_iter,
                            converged, k)
                prec_chol[k, t] = 1.0 / math.sqrt(variances[k, t])
        bounds[n_iter - 1] = lower_bound
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return weights, means, variances, prec_chol, lower_bound, n_iter, converged, -1


_em_pass_tied_serial = _em_pass_tied.serial


@jit(reassociate=True)
def _em_compiled_loop_tied(X, weights, means, prec_chol, tol, reg_covar, max_iter,
                           lower_bound, counts, first, second, log_norms, no_resp, bounds):
    """EM with one factor ``prec_chol`` (d, d) for every component; ``second`` is the
    pair (scatter of X about c, c) of :meth:`_TiedWorkspace.second_order`."""
    n, d = X.shape
    covariance = np.empty((d, d))
    n_iter = 0
    converged = False
    while n_iter < max_iter:
        n_iter += 1
        previous = lower_bound
        log_det = 0.0
        for t in range(d):
            log_det += math.log(prec_chol[t, t])
        _em_pass_tied_serial(X, second[1], means, prec_chol, np.log(weights), log_det,
                             counts, first, log_norms, no_resp, np.empty(0), False)
        lower_bound = log_norms.sum() / n
        weights, means, covariance = _m_step_tied(n, means, counts.sum(axis=0),
                                                  first.sum(axis=0), second, reg_covar)
        one = np.empty((1, d, d))
        failed = _precision_cholesky_kernel(covariance.reshape((1, d, d)), one)
        prec_chol = one[0]
        if failed >= 0:
            return (weights, means, covariance, prec_chol, lower_bound, n_iter, converged,
                    failed)
        bounds[n_iter - 1] = lower_bound
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return weights, means, covariance, prec_chol, lower_bound, n_iter, converged, -1


def _compiled_diag(spherical):
    def run(X, weights, means, prec_chol, tol, reg_covar, max_iter, lower_bound, work,
            bounds):
        factors = (np.repeat(prec_chol[:, None], X.shape[1], axis=1) if spherical
                   else prec_chol)
        *fitted, failed = _em_compiled_loop_diag(
            X, weights, means, np.ascontiguousarray(factors), spherical, tol, reg_covar,
            max_iter, lower_bound, work.counts, work.first, work.second, work.log_norms,
            work.no_resp, bounds)
        if spherical:
            fitted[2], fitted[3] = fitted[2][:, 0].copy(), fitted[3][:, 0].copy()
        return (*fitted, failed)
    return run


def _compiled_full(kernel):
    def run(X, weights, means, prec_chol, tol, reg_covar, max_iter, lower_bound, work,
            bounds):
        return kernel(X, weights, means, prec_chol, tol, reg_covar, max_iter, lower_bound,
                      work.counts, work.first, work.second_order(X), work.log_norms,
                      work.no_resp, bounds)
    return run


# ---------------------------------------------------------------- workspaces
class _DiagWorkspace:
    """Buffers and the E-step of the diag pass; ``spherical`` broadcasts one
    precision per component over the features."""

    def __init__(self, n, d, K, spherical=False):
        n_chunks = statistics_chunks(n)
        self.counts = np.empty((n_chunks, K))
        self.first = np.empty((n_chunks, K, d))
        self.second = np.empty((n_chunks, K, d))
        self.log_norms = np.empty(n_chunks)
        self.no_resp = np.empty((0, K))
        self.spherical = spherical

    def _run(self, X, weights, means, prec_chol, log_resp, row_norms, predict):
        d = X.shape[1]
        if self.spherical:
            log_det = d * np.log(prec_chol)
            precisions = np.repeat((prec_chol**2)[:, None], d, axis=1)
        else:
            log_det = np.log(prec_chol).sum(axis=1)
            precisions = np.ascontiguousarray(prec_chol**2)
        kernel = _em_pass_diag(X.size * len(means))  # serial for small work
        kernel(X, np.ascontiguousarray(means), precisions, np.log(weights), log_det,
               self.counts, self.first, self.second, self.log_norms, log_resp, row_norms,
               predict)

    def e_step(self, X, weights, means, prec_chol):
        """Mean log-likelihood and the statistics (N, S1, S2 per feature)."""
        self._run(X, weights, means, prec_chol, self.no_resp, np.empty(0), False)
        return (self.log_norms.sum() / X.shape[0], self.counts.sum(axis=0),
                self.first.sum(axis=0), self.second.sum(axis=0))

    def predict(self, X, weights, means, prec_chol):
        """(log responsibilities (n, K), log-likelihood of each row (n,))."""
        log_resp, row_norms = np.empty((X.shape[0], len(means))), np.empty(X.shape[0])
        self._run(X, weights, means, prec_chol, log_resp, row_norms, True)
        return log_resp, row_norms


class _FullWorkspace(_Workspace):
    def _run(self, X, weights, means, prec_chol, log_resp, row_norms, predict):
        super()._run(X, weights, np.ascontiguousarray(means),
                     np.ascontiguousarray(prec_chol), log_resp, row_norms, predict)

    def second_order(self, X):
        return self.second


class _TiedWorkspace:
    """Buffers and the E-step of the tied pass, and the data's scatter about its mean
    (the same for every iteration of a fit: computed once per X)."""

    def __init__(self, n, d, K):
        n_chunks = statistics_chunks(n)
        self.counts = np.empty((n_chunks, K))
        self.first = np.empty((n_chunks, K, d))
        self.log_norms = np.empty(n_chunks)
        self.no_resp = np.empty((0, K))
        self._scatter_of = None

    def second_order(self, X):
        """(scatter of X about its column means c, c), computed on the first call."""
        if self._scatter_of is not X:
            self._scatter_of, self._second = X, scatter_about_mean(X)
        return self._second

    def _run(self, X, weights, means, prec_chol, centre, log_resp, row_norms, predict):
        prec_chol = np.ascontiguousarray(prec_chol)
        log_det = float(np.log(np.diagonal(prec_chol)).sum())
        kernel = _em_pass_tied(X.size * (X.shape[1] + len(means)))  # serial for small work
        kernel(X, centre, np.ascontiguousarray(means), prec_chol, np.log(weights), log_det,
               self.counts, self.first, self.log_norms, log_resp, row_norms, predict)

    def e_step(self, X, weights, means, prec_chol):
        """Mean log-likelihood and the statistics (N, S1, (scatter, its centre))."""
        second = self.second_order(X)
        self._run(X, weights, means, prec_chol, second[1], self.no_resp, np.empty(0),
                  False)
        return (self.log_norms.sum() / X.shape[0], self.counts.sum(axis=0),
                self.first.sum(axis=0), second)

    def predict(self, X, weights, means, prec_chol):
        """(log responsibilities (n, K), log-likelihood of each row (n,)); the centre is
        the mixture's mean."""
        log_resp, row_norms = np.empty((X.shape[0], len(means))), np.empty(X.shape[0])
        self._run(X, weights, means, prec_chol, weights @ means, log_resp, row_norms, True)
        return log_resp, row_norms


# ---------------------------------------------------------------- per-type operations
def _chol_tied(covariance):
    return _precision_cholesky(covariance[None])[0]


def _chol_diagonal(variances):
    """1 / sqrt(variance): the precision's Cholesky factor of a diagonal covariance."""
    if np.any(variances <= 0.0):
        raise ValueError(ILL_DEFINED)
    return 1.0 / np.sqrt(variances)


def _flipped_cholesky(precision):
    """scikit-learn's factor of a given precision matrix: the upper triangular U with
    precision = U U^T, from the Cholesky factor of the row- and column-reversed matrix
    (scikit-learn #26415), so ``precisions_cholesky_`` is the one scikit-learn keeps."""
    return np.linalg.cholesky(precision[::-1, ::-1])[::-1, ::-1]


@serial_or_parallel_jit
def _weighted_squared_deviations(X, resp, means, partial):
    """partial[c, k, j] = sum over the rows i of chunk c of resp[i, k] (X[i, j] -
    means[k, j])^2 (chunks fixed by n and the buffer alone, merged in chunk order by the
    caller: the same sums for any number of threads).  Zero responsibilities are skipped
    (the hard one-hot starts have one non-zero per row)."""
    n, d = X.shape
    rows = (n + partial.shape[0] - 1) // partial.shape[0]
    for c in prange(partial.shape[0]):
        partial[c] = 0.0
        for i in range(c * rows, min(n, (c + 1) * rows)):
            for k in range(resp.shape[1]):
                r = resp[i, k]
                if r == 0.0:
                    continue
                for j in range(d):
                    deviation = X[i, j] - means[k, j]
                    partial[c, k, j] += r * deviation * deviation


@serial_or_parallel_jit
def _weighted_scatter(X, resp, means, partial):
    """partial[c, k, a, b] (a <= b: the upper triangle) = sum over the rows i of chunk c
    of (resp[i, k] (x_ia - mu_ka)) (x_ib - mu_kb), scikit-learn's products in its order
    of factors; chunks as :func:`_weighted_squared_deviations`."""
    n, d = X.shape
    rows = (n + partial.shape[0] - 1) // partial.shape[0]
    for c in prange(partial.shape[0]):
        partial[c] = 0.0
        deviation = np.empty(d)
        for i in range(c * rows, min(n, (c + 1) * rows)):
            for k in range(resp.shape[1]):
                r = resp[i, k]
                if r == 0.0:
                    continue
                for a in range(d):
                    deviation[a] = X[i, a] - means[k, a]
                for a in range(d):
                    weighted = r * deviation[a]
                    for b in range(a, d):
                        partial[c, k, a, b] += weighted * deviation[b]


def scatter_about_mean(X):
    """(sum_i (x_i - c)(x_i - c)^T, c) for the column means c of float64 X: one
    compiled pass (fixed chunks, the same sums for any number of threads)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    centre = X.mean(axis=0)
    n, d = X.shape
    partial = np.empty((statistics_chunks(n), 1, d, d))
    _weighted_scatter(n * d * d)(X, np.ones((n, 1)), centre[None], partial)
    scatter = partial.sum(axis=0)[0]
    lower = np.tril_indices(d, -1)
    scatter[lower] = scatter.T[lower]
    return scatter, centre


def _covariances_from_resp(X, resp, nk, means, reg_covar, covariance_type):
    """The covariances of responsibilities ``resp`` about ``means`` (the start of EM,
    one evaluation): BLAS products for 'tied', one compiled pass over X for the scatter
    of each component ('full') or its per-feature variances ('diag', 'spherical')."""
    d = X.shape[1]
    if covariance_type == "tied":
        # scikit-learn's (X^T X - sum_k N_k mu_k mu_k^T) / sum_k N_k: the pooled scatter
        # when every row's responsibilities sum to 1, but not for the starts with one
        # row per component ('k-means++', 'random_from_data'), whose start it is.
        # Written about the data's mean c (X = Z + 1 c^T, mu_k = b_k + c, s = sum N_k b_k):
        # Z^T Z - sum N_k b_k b_k^T - s c^T - c s^T + (n - sum N_k) c c^T, whose last
        # three terms vanish for the first kind of start instead of cancelling
        scatter, centre = scatter_about_mean(X)
        b = means - centre
        s = nk @ b
        covariance = (scatter - (nk * b.T) @ b - np.outer(s, centre) - np.outer(centre, s)
                      + (X.shape[0] - nk.sum()) * np.outer(centre, centre)) / nk.sum()
        covariance.flat[:: d + 1] += reg_covar
        return covariance
    n = X.shape[0]
    n_chunks = statistics_chunks(n)
    X, resp, means = (np.ascontiguousarray(a, dtype=np.float64) for a in (X, resp, means))
    if covariance_type == "full":
        partial = np.empty((n_chunks, len(nk), d, d))
        _weighted_scatter(n * d * d * len(nk))(X, resp, means, partial)
        scatter = partial.sum(axis=0)
        lower = np.tril_indices(d, -1)
        scatter[:, lower[0], lower[1]] = scatter[:, lower[1], lower[0]]
        covariances = scatter / nk[:, None, None]
        covariances[:, np.arange(d), np.arange(d)] += reg_covar
        return covariances
    partial = np.empty((n_chunks, len(nk), d))
    _weighted_squared_deviations(n * d * len(nk))(X, resp, means, partial)
    variances = partial.sum(axis=0) / nk[:, None] + reg_covar
    return variances if covariance_type == "diag" else variances.mean(axis=1)


@dataclass(frozen=True)
class Covariance:
    """One covariance type's operations (see the module docstring)."""

    name: str
    workspace: Callable  # (n, d, K) -> object with e_step and predict(X, w, mu, P)
    m_step: Callable  # (n, shift, N, S1, S2, reg_covar) -> weights, means, covariances
    precision_cholesky: Callable  # covariances -> factors (ValueError when not PD)
    compiled_loop: Callable  # EM as one compiled call, see "compiled EM loops"

    def precisions_shape(self, K: int, d: int) -> tuple:
        return {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}[
            self.name]

    def n_parameters(self, K: int, d: int) -> int:
        """Free parameters: covariances + means + K - 1 weights."""
        cov = {"full": K * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": K * d,
               "spherical": K}[self.name]
        return int(cov + K * d + K - 1)

    def precisions(self, prec_chol: np.ndarray) -> np.ndarray:
        if self.name == "full":
            return np.einsum("kij,klj->kil", prec_chol, prec_chol)
        if self.name == "tied":
            return prec_chol @ prec_chol.T
        return prec_chol**2

    def cholesky_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        if self.name == "full":
            return np.array([_flipped_cholesky(p) for p in precisions])
        if self.name == "tied":
            return _flipped_cholesky(precisions)
        return np.sqrt(precisions)

    def from_resp(self, X, resp, reg_covar, counts=None):
        """(N_k + 10 eps, means, covariances) of responsibilities ``resp``; ``counts``,
        when given, are its column sums as integers (one-hot rows), which spares a
        single-threaded pass over the n x K matrix."""
        nk = (resp.sum(axis=0) if counts is None else counts.astype(np.float64)) \
            + 10 * np.finfo(np.float64).eps
        means = resp.T @ X / nk[:, None]
        return nk, means, _covariances_from_resp(X, resp, nk, means, reg_covar, self.name)


COVARIANCES = {
    "full": Covariance("full", _FullWorkspace, _m_step, _precision_cholesky,
                       _compiled_full(_em_compiled_loop_kernel)),
    "tied": Covariance("tied", _TiedWorkspace, _m_step_tied, _chol_tied,
                       _compiled_full(_em_compiled_loop_tied)),
    "diag": Covariance("diag", _DiagWorkspace, _m_step_diag, _chol_diagonal,
                       _compiled_diag(False)),
    "spherical": Covariance("spherical",
                            lambda n, d, K: _DiagWorkspace(n, d, K, spherical=True),
                            _m_step_spherical, _chol_diagonal, _compiled_diag(True)),
}
