"""The full-covariance EM pass of :mod:`fastnet.cluster.gmm`: one compiled pass over
the data per iteration (fixed row chunks, per-chunk buffers merged in a fixed order)
computes, per point and component, the log-density through the precision Cholesky
factor, the log-sum-exp responsibilities, and the M-step's sufficient statistics
``N_k``, ``sum r (x - s_k)`` and ``sum r (x - s_k)(x - s_k)^T`` centred at the current
means ``s_k`` (so the covariance update does not cancel).  The same statistics give
the tied covariance (:mod:`fastnet.cluster.gmm_covariances`).  The bookkeeping is
scikit-learn's ``GaussianMixture``: ``N_k`` gets ``10 eps``, ``reg_covar`` is added to
the diagonal.  Twin: :func:`fastnet.reference.cluster.gaussian_mixture`.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, prange, serial_or_parallel_jit

ROW_CHUNK = 1024  # at least this many rows per statistics buffer
MAX_CHUNKS = 64  # at most this many buffers of K x d x d: memory O(K d^2), not O(n K d^2)
BLOCK = 64  # rows per SIMD block inside a chunk
LOG_2PI = math.log(2.0 * math.pi)
#: scikit-learn's message when a covariance is not positive definite
ILL_DEFINED = ("Fitting the mixture model failed because some components have ill-defined "
               "empirical covariance (for instance caused by singleton or collapsed "
               "samples). Try to decrease the number of components, increase reg_covar, "
               "or scale the input data.")


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


@jit(inline="always")
def _normalise_block(log_prob, resp, peak, acc, m):
    """Log-sum-exp over the K components of a block's first ``m`` rows: ``peak[r]``
    becomes row r's log normaliser, ``resp[k, r]`` the unnormalised responsibility
    ``exp(log_prob[k, r] - max_k)`` and ``acc[r]`` the factor that normalises it;
    returns the sum of the normalisers (the block's log-likelihood)."""
    K = log_prob.shape[0]
    peak[:m] = -np.inf
    for k in range(K):
        for r in range(m):
            peak[r] = max(peak[r], log_prob[k, r])
    acc[:m] = 0.0
    for k in range(K):
        for r in range(m):
            # a responsibility below e^-300 changes no statistic by more than 1e-280
            # relative (the 10 eps in N_k dominate); dropping it keeps r * x * x out of
            # subnormal numbers, which most CPUs handle slowly
            gap = log_prob[k, r] - peak[r]
            resp[k, r] = _exp_nonpositive(gap) if gap > -300.0 else 0.0
            acc[r] += resp[k, r]
    total = 0.0
    for r in range(m):
        norm = peak[r] + math.log(acc[r])
        total += norm
        peak[r] = norm
        acc[r] = 1.0 / acc[r]
    return total


@jit(inline="always")
def _load_block(X, b0, m, block):
    """block[t, r] = X[b0 + r, t] for the block's first ``m`` rows (row index innermost,
    for the SIMD loops of the passes)."""
    for r in range(m):
        for t in range(X.shape[1]):
            block[t, r] = X[b0 + r, t]


@jit(inline="always")
def _finish_log_prob(lp, const, m):
    """lp[r] = const - lp[r] / 2: a component's log-density from its squared distances."""
    for r in range(m):
        lp[r] = const - 0.5 * lp[r]


@jit(inline="always")
def _normalised_weight(resp, acc, k, m):
    """Normalises component k's responsibilities in a block (``acc`` from
    :func:`_normalise_block`) and returns their sum."""
    weight = 0.0
    for r in range(m):
        resp[k, r] *= acc[r]
        weight += resp[k, r]
    return weight


@jit(inline="always")
def _store_log_resp(log_prob, peak, b0, m, log_resp, row_norms):
    """Prediction: rows ``b0 .. b0 + m`` get their log-likelihood (``peak``, the block's
    log normalisers) and their log responsibilities ``log_prob - peak``."""
    for r in range(m):
        row_norms[b0 + r] = peak[r]
        for k in range(log_prob.shape[0]):
            log_resp[b0 + r, k] = log_prob[k, r] - peak[r]


@serial_or_parallel_jit(reassociate=True)
def _em_pass(X, means, prec_chol, log_weights, log_det, counts, first, second, log_norms,
             log_resp, row_norms, predict):
    """E-step for every point, and per chunk the sufficient statistics centred at the
    current means: N_k, sum r (x - mu_k), sum r (x - mu_k)(x - mu_k)^T (upper part).
    With ``predict`` it writes the log responsibilities ``log_resp`` (n, K) and each
    row's log-likelihood ``row_norms`` (n,) instead of the statistics.

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
            total += _normalise_block(log_prob, resp, peak, acc, m)
            if predict:
                _store_log_resp(log_prob, peak, b0, m, log_resp, row_norms)
                continue
            for k in range(K):
                for r in range(m):
                    resp[k, r] *= acc[r]
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
        raise ValueError(f"{ILL_DEFINED} (component {failed} is not positive definite)")
    return out


def statistics_chunks(n):
    """Statistics buffers for n rows: fixed by n alone, so the sums do not depend on the
    number of threads."""
    return min(MAX_CHUNKS, (n + ROW_CHUNK - 1) // ROW_CHUNK)


class _Workspace:
    def __init__(self, n, d, K):
        n_chunks = statistics_chunks(n)
        self.counts = np.empty((n_chunks, K))
        self.first = np.empty((n_chunks, K, d))
        self.second = np.empty((n_chunks, K, d, d))
        self.log_norms = np.empty(n_chunks)
        self.no_resp = np.empty((0, K))

    def _run(self, X, weights, means, prec_chol, log_resp, row_norms, predict):
        log_det = np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
        kernel = _em_pass(X.size * len(means) * X.shape[1])  # serial for small work
        kernel(X, means, prec_chol, np.log(weights), log_det, self.counts, self.first,
               self.second, self.log_norms, log_resp, row_norms, predict)

    def e_step(self, X, weights, means, prec_chol):
        """Mean log-likelihood and the statistics (N, S1, S2 upper triangle)."""
        self._run(X, weights, means, prec_chol, self.no_resp, np.empty(0), False)
        return (self.log_norms.sum() / X.shape[0], self.counts.sum(axis=0),
                self.first.sum(axis=0), self.second.sum(axis=0))

    def predict(self, X, weights, means, prec_chol):
        """(log responsibilities (n, K), log-likelihood of each row (n,))."""
        log_resp, row_norms = np.empty((X.shape[0], len(means))), np.empty(X.shape[0])
        self._run(X, weights, means, prec_chol, log_resp, row_norms, True)
        return log_resp, row_norms


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
        weights[k] = nk
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
    weights /= weights.sum()  # scikit-learn's: N_k / sum_j N_j
    return weights, means, covariances



# ---------------------------------------------------------------- compiled EM loop
#: The serial EM pass, callable from compiled code.
_em_pass_serial = _em_pass.serial


@jit(reassociate=True)
def _em_compiled_loop_kernel(X, weights, means, prec_chol, tol, reg_covar, max_iter,
                             lower_bound, counts, first, second, log_norms, no_resp, bounds):
    """EM iterations from ``lower_bound`` (the previous bound: -inf, or a warm start's)
    as one compiled call, for work too small for threads: there a Python loop's
    per-iteration overhead would cost more than the arithmetic.  The iterations of
    :func:`fastnet.cluster.gmm._em` (the same pass, statistics, M-step and stopping
    rule).  Returns the fitted weights,
    means, covariances, precision Cholesky factors, lower bound, iterations, whether
    it converged, and the first component whose covariance failed (-1: none)."""
    n, d = X.shape
    K = means.shape[0]
    covariances = np.empty((K, d, d))
    log_det = np.empty(K)
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
                        log_norms, no_resp, np.empty(0), False)
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

