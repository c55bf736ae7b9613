"""Pure-NumPy twins of :mod:`fastnet.graph`, written as the specification reads.

Dense matrices throughout (a scipy sparse input is densified first), so these are
for graphs of a few thousand nodes: the tests' yardstick and the benchmarks' baseline.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sbm", "feedforward_block_probs", "block_labels", "signal_flow",
           "correlation_graph", "degree_centrality", "top_k", "normalized_laplacian",
           "connected_components", "spectral_embedding", "spectral_partition"]

ZERO_EIGENVALUE = 1e-10  # eigenvalues below this count as zero


def _dense(A):
    return A.toarray() if hasattr(A, "toarray") else np.asarray(A, dtype=np.float64)


# ---------------------------------------------------------------- block models
def feedforward_block_probs(n_blocks, low_p, diag_p, feedforward_p):
    """``low_p`` everywhere, ``diag_p`` on the diagonal, ``feedforward_p`` on the first
    superdiagonal (block b projects to b + 1)."""
    B = np.full((n_blocks, n_blocks), float(low_p))
    B[np.arange(n_blocks), np.arange(n_blocks)] = diag_p
    B[np.arange(n_blocks - 1), np.arange(1, n_blocks)] = feedforward_p
    return B


def block_labels(sizes):
    """Block index of every node: ``sizes[0]`` zeros, then ``sizes[1]`` ones..."""
    sizes = np.asarray(sizes)
    return np.repeat(np.arange(sizes.size), sizes)


def sbm(n, p, directed=False, loops=False, wt=1, wtargs=None, return_labels=False,
        sparse=False, seed=None):
    """graspologic's sampler: for every block pair, one uniform number per ordered pair
    of nodes, an edge where it is below ``p``; undirected graphs keep the upper triangle
    and mirror it.  ``wt`` is a number or a function called as ``wt(size=m, **wtargs)``
    with a ``RandomState`` of the same name drawn from ``seed``.

    With ``sparse=True`` nothing of size n^2 is formed: each block pair gets
    m ~ Binomial(pairs, p) edges at m distinct uniformly chosen positions (the same
    distribution), gathered into a ``csr_array``."""
    n, p = np.asarray(n), np.asarray(p, dtype=np.float64)
    generator = np.random.default_rng(seed)
    bounds = np.concatenate([[0], np.cumsum(n)])
    total = int(bounds[-1])
    weights = np.random.RandomState(generator.integers(2**32))
    all_rows, all_cols, all_values = [], [], []
    A = None if sparse else np.zeros((total, total))
    for i in range(n.size):
        for j in range(n.size) if directed else range(i, n.size):
            if sparse:
                cells = generator.choice(n[i] * n[j], replace=False,
                                         size=generator.binomial(n[i] * n[j], p[i, j]))
                rows, cols = bounds[i] + cells // n[j], bounds[j] + cells % n[j]
                upper = rows < cols if not directed else rows != cols
                keep = upper | (loops & (rows == cols))
                rows, cols = rows[keep], cols[keep]
            else:
                rows, cols = np.meshgrid(np.arange(bounds[i], bounds[i + 1]),
                                         np.arange(bounds[j], bounds[j + 1]), indexing="ij")
                hit = generator.uniform(size=rows.shape) < p[i, j]
                rows, cols = rows[hit], cols[hit]
            value = wt if not callable(wt) else getattr(weights, wt.__name__)(
                size=rows.size, **(wtargs or {}))
            if sparse:
                all_rows.append(rows)
                all_cols.append(cols)
                all_values.append(np.broadcast_to(np.asarray(value, dtype=np.float64), rows.shape))
            else:
                A[rows, cols] = value
    if sparse:
        import scipy.sparse

        rows, cols = np.concatenate(all_rows), np.concatenate(all_cols)
        values = np.concatenate(all_values)
        if not directed:
            off = rows != cols
            rows, cols = np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]])
            values = np.concatenate([values, values[off]])
        A = scipy.sparse.csr_array((values, (rows, cols)), shape=(total, total))
        A.sort_indices()
    else:
        if not loops:
            A -= np.diag(np.diag(A))
        if not directed:
            A = np.triu(A) + np.triu(A, 1).T
    return (A, block_labels(n)) if return_labels else A


# ---------------------------------------------------------------- signal flow
def signal_flow(A):
    """Varshney et al. (2011): ``z = pinv(L) @ b`` with ``W = (A + A^T)/2``,
    ``L = D - W`` and ``b_i = sum_j W_ij sign(A_ij - A_ji)``."""
    A = _dense(A)
    W = (A + A.T) / 2
    D = np.diag(np.sum(W, axis=1))
    L = D - W
    b = np.sum(W * np.sign(A - A.T), axis=1)
    return np.linalg.pinv(L) @ b


# ---------------------------------------------------------------- spectral tools
def correlation_graph(X, threshold=0.75):
    """Correlations of the columns of ``X``, zero where ``|corr| <= threshold`` and on
    the diagonal (the gene co-expression graph of the seed)."""
    A = np.corrcoef(np.asarray(X, dtype=np.float64), rowvar=False)
    A[np.abs(A) <= threshold] = 0
    np.fill_diagonal(A, 0)
    return A


def degree_centrality(A):
    """Weighted degree: the row sums of ``A``."""
    return _dense(A).sum(axis=1)


def top_k(scores, k):
    """Indices of the ``k`` largest scores, largest first (ties: higher index first)."""
    return np.flip(np.argsort(np.asarray(scores), kind="stable"))[:k]


def normalized_laplacian(A):
    """``I - D^{-1/2} A D^{-1/2}``; an isolated node's row and column are all zero."""
    A = _dense(A)
    degree = A.sum(axis=1)
    inv_sqrt = np.zeros_like(degree)
    inv_sqrt[degree > 0] = 1.0 / np.sqrt(degree[degree > 0])
    return np.diag((degree > 0).astype(float)) - inv_sqrt[:, None] * A * inv_sqrt[None, :]


def connected_components(A):
    """Number of zero eigenvalues of the normalized Laplacian."""
    return int(np.sum(np.linalg.eigvalsh(normalized_laplacian(A)) < ZERO_EIGENVALUE))


def spectral_embedding(A, n_components):
    """Eigenvectors of the ``n_components`` smallest eigenvalues of the normalized
    Laplacian, each column divided by its norm."""
    _, vectors = np.linalg.eigh(normalized_laplacian(A))
    U = vectors[:, :n_components]
    return U / np.linalg.norm(U, axis=0)


def spectral_partition(A):
    """0/1 labels from the sign of the second eigenvector (node 0 labelled 0 unless
    its entry is exactly zero)."""
    _, vectors = np.linalg.eigh(normalized_laplacian(A))
    second = vectors[:, 1]
    if second[np.flatnonzero(second)[0]] > 0:
        second = -second
    return (second > 0).astype(np.int64)
