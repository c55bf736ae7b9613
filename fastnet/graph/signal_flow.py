"""Signal flow (Varshney et al. 2011): the hierarchy "height" of every node.

With ``W = (A + A^T)/2``, ``L = D - W`` (``D`` the row sums of ``W``) and
``b_i = sum_j W_ij sign(A_ij - A_ji)``, the flows are ``z = pinv(L) b``: the
minimum-norm least-squares solution of ``L z = b``.  ``b`` sums to zero over every
connected component of ``W`` (``sign`` is antisymmetric), so ``L z = b`` is consistent
and ``z`` is its solution with zero mean in every component.

Dense path: one tiled compiled pass over ``A`` writes ``L`` and ``b`` (no other n x n
array); a breadth-first search on ``L`` labels the components; each component ``c``
is solved by Cholesky with the positive definite ``L_c + (d_c / n_c) 1 1^T``
(``d_c`` its mean degree), whose solution is exactly the zero-mean one because
``1^T b_c = 0``.  When splitting saves less than half the flops the shifts are added
in place to ``L`` and the whole matrix is factorised once, with no copy.

Sparse path: a compiled pass merges the sorted rows of ``A`` and ``A^T`` (O(E)) into
the off-diagonal CSR of ``W``, the degrees and ``b``; Jacobi-preconditioned conjugate
gradients then run on the whole graph at once.  Started at 0 with a right-hand side
orthogonal to every component's ones-vector, the iterates converge to a solution of
``L z = b``; subtracting each component's mean at the end leaves the minimum-norm one.
Twin: :func:`fastnet.reference.graph.signal_flow`.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import scipy.sparse
from numpy.typing import ArrayLike

from .._jit import jit, prange, serial_or_parallel_jit
from .._validation import check_int, check_positive_float
from ._adjacency import as_adjacency, is_sparse
from ._tiles import TILE
from .components import csr_component_labels, symmetric_component_labels

__all__ = ["signal_flow"]

REFINE_STEPS = 10  # dense solve: at most this many float64 refinements of a float32 solve
CHUNK = 2048  # sparse kernels: rows per chunk (fixed, so sums do not depend on threads)
METHODS = ("auto", "dense", "sparse")


# ---------------------------------------------------------------- dense kernels
@jit(inline="always")
def _laplacian_row_part(A, L, i, j0, j1):
    """L[i, j] = -W_ij for j in [j0, j1); returns that part's (b_i, degree) sums."""
    flow = 0.0
    degree = 0.0
    for j in range(j0, j1):
        a = A[i, j]
        t = A[j, i]
        w = 0.5 * (a + t)
        L[i, j] = -w
        degree += w
        # sign(a - t) * w without branches (a and t are random: branches mispredict)
        flow += ((1.0 if a > t else 0.0) - (1.0 if a < t else 0.0)) * w
    return flow, degree


@serial_or_parallel_jit
def _dense_laplacian(A, L, b):
    """L = D - W and b_i = sum_j W_ij sign(A_ij - A_ji) in one pass over A, tile by tile
    (a tile of A and the transposed tile stay in cache).  Self-loops are skipped: they
    cancel in both.  Each row sums tile by tile in column order: deterministic."""
    n = A.shape[0]
    for ti in prange((n + TILE - 1) // TILE):
        i0, i1 = ti * TILE, min(n, (ti + 1) * TILE)
        for i in range(i0, i1):
            b[i] = 0.0
            L[i, i] = 0.0  # the degree accumulates here
        for j0 in range(0, n, TILE):
            j1 = min(n, j0 + TILE)
            for i in range(i0, i1):
                if j0 <= i < j1:  # the diagonal tile: skip j == i
                    flow, degree = _laplacian_row_part(A, L, i, j0, i)
                    flow_2, degree_2 = _laplacian_row_part(A, L, i, i + 1, j1)
                    flow += flow_2
                    degree += degree_2
                else:
                    flow, degree = _laplacian_row_part(A, L, i, j0, j1)
                b[i] += flow
                L[i, i] += degree


@serial_or_parallel_jit
def _add_block_shifts(L, labels, shift):
    """L[i, j] += shift[c] wherever i and j are both in component c."""
    n = L.shape[0]
    for i in prange(n):
        c = labels[i]
        s = shift[c]
        for j in range(n):
            if labels[j] == c:
                L[i, j] += s


# ---------------------------------------------------------------- sparse kernels
@jit(inline="always")
def _next_merged(a_idx, a_val, ka, ea, t_idx, t_val, kt, et, sentinel):
    """Next column of the union of a sorted row of A and of A^T: (j, A_ij, A_ji, ka, kt)."""
    ja = a_idx[ka] if ka < ea else sentinel
    jt = t_idx[kt] if kt < et else sentinel
    if ja < jt:
        return ja, float(a_val[ka]), 0.0, ka + 1, kt
    if jt < ja:
        return jt, 0.0, float(t_val[kt]), ka, kt + 1
    return ja, float(a_val[ka]), float(t_val[kt]), ka + 1, kt + 1


# Both merge kernels walk rows 0 .. len(counts) - 1 of the given CSR arrays, which are
# the graph's rows first_row, first_row + 1, ...: the whole graph (first_row 0) or one
# shard of it (fastnet.graph.sharded_flow); columns are global, below n_nodes.
@serial_or_parallel_jit
def _merge_count(a_ptr, a_idx, a_val, t_ptr, t_idx, t_val, first_row, n_nodes, counts):
    """counts[i] = number of off-diagonal non-zeros in row i of W = (A + A^T)/2."""
    n = counts.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            ka, ea, kt, et = a_ptr[i], a_ptr[i + 1], t_ptr[i], t_ptr[i + 1]
            count = 0
            while ka < ea or kt < et:
                j, a, t, ka, kt = _next_merged(a_idx, a_val, ka, ea, t_idx, t_val, kt, et,
                                               n_nodes)
                if j != first_row + i and 0.5 * (a + t) != 0.0:
                    count += 1
            counts[i] = count


@serial_or_parallel_jit
def _merge_fill(a_ptr, a_idx, a_val, t_ptr, t_idx, t_val, first_row, n_nodes, w_ptr, w_idx,
                w_val, degree, b):
    """The off-diagonal CSR of W, the degrees and b, row by row in column order."""
    n = degree.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            ka, ea, kt, et = a_ptr[i], a_ptr[i + 1], t_ptr[i], t_ptr[i + 1]
            pos = w_ptr[i]
            flow = 0.0
            total = 0.0
            while ka < ea or kt < et:
                j, a, t, ka, kt = _next_merged(a_idx, a_val, ka, ea, t_idx, t_val, kt, et,
                                               n_nodes)
                w = 0.5 * (a + t)
                if j == first_row + i or w == 0.0:
                    continue
                w_idx[pos] = j
                w_val[pos] = w
                pos += 1
                total += w
                if a > t:
                    flow += w
                elif a < t:
                    flow -= w
            degree[i] = total
            b[i] = flow


@jit(inline="always")
def _ordered_sum(partial, column):
    total = 0.0
    for c in range(partial.shape[0]):
        total += partial[c, column]
    return total


@serial_or_parallel_jit
def _pcg(indptr, indices, data, degree, inv_degree, b, x, r, p, q, partial, tol_abs,
         max_iter):
    """Jacobi-preconditioned CG for (D - W) x = b from the given x, in place.

    Chunk partial sums are added in chunk order, so the iterates do not depend on the
    number of threads.  When the recurrence says converged, the true residual is
    recomputed and CG restarts from it if it is still too large.  Returns
    (iterations, true residual norm of the returned x).
    """
    n = b.shape[0]
    n_chunks = partial.shape[0]
    iterations = 0
    while True:
        # true residual r = b - L x; p = M^-1 r
        for c in prange(n_chunks):
            s_rz = 0.0
            s_rr = 0.0
            for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                acc = 0.0
                for k in range(indptr[i], indptr[i + 1]):
                    acc += data[k] * x[indices[k]]
                ri = b[i] - (degree[i] * x[i] - acc)
                zi = inv_degree[i] * ri
                r[i] = ri
                p[i] = zi
                s_rz += ri * zi
                s_rr += ri * ri
            partial[c, 0] = s_rz
            partial[c, 1] = s_rr
        rz = _ordered_sum(partial, 0)
        residual = np.sqrt(_ordered_sum(partial, 1))
        if residual <= tol_abs or iterations >= max_iter:
            return iterations, residual
        while iterations < max_iter:
            iterations += 1
            # q = L p, p.q
            for c in prange(n_chunks):
                s_pq = 0.0
                for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                    acc = 0.0
                    for k in range(indptr[i], indptr[i + 1]):
                        acc += data[k] * p[indices[k]]
                    qi = degree[i] * p[i] - acc
                    q[i] = qi
                    s_pq += p[i] * qi
                partial[c, 0] = s_pq
            pq = _ordered_sum(partial, 0)
            if not pq > 0.0:  # p in the null space of L: nothing left to gain
                return iterations, residual
            alpha = rz / pq
            for c in prange(n_chunks):
                s_rz = 0.0
                s_rr = 0.0
                for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
                    x[i] += alpha * p[i]
                    ri = r[i] - alpha * q[i]
                    r[i] = ri
                    s_rz += ri * (inv_degree[i] * ri)
                    s_rr += ri * ri
                partial[c, 0] = s_rz
                partial[c, 1] = s_rr
            rz_new = _ordered_sum(partial, 0)
            residual = np.sqrt(_ordered_sum(partial, 1))
            if residual <= tol_abs:
                break
            beta = rz_new / rz
            rz = rz_new
            for i in prange(n):
                p[i] = inv_degree[i] * r[i] + beta * p[i]


# ---------------------------------------------------------------- solvers
def _cholesky_solve(M, rhs):
    """Solve M x = rhs for a symmetric positive definite C-ordered M, factorised in place
    (M.T is the same matrix in Fortran order, so LAPACK needs no copy)."""
    factor = scipy.linalg.cho_factor(M.T, lower=True, overwrite_a=True, check_finite=False)
    return scipy.linalg.cho_solve(factor, rhs, check_finite=False)


def _refined_solve(M, rhs):
    """Solve M x = rhs (M symmetric positive definite, C-ordered) as LAPACK's ``dsposv``
    does: the Cholesky factor in float32 (the factorisation dominates the cost, and
    float32 does twice the work per vector instruction), then iterative refinement with
    float64 residuals until ``||r||_inf <= ||x||_inf ||M||_inf eps sqrt(n)`` - a float64
    backward error.  If refinement stalls (cond(M) near 1/eps_float32) or the float32
    factor fails, the float64 factorisation (in place) decides.  Memory: one float32
    copy of M."""
    try:
        factor = scipy.linalg.cho_factor(M.astype(np.float32).T, lower=True,
                                         overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        return _cholesky_solve(M, rhs)
    norm_M = scipy.linalg.lapack.dlange("I", M.T)  # = ||M||_inf for symmetric M
    bound = norm_M * np.finfo(np.float64).eps * np.sqrt(rhs.size)
    x = scipy.linalg.cho_solve(factor, rhs.astype(np.float32), check_finite=False)
    x = x.astype(np.float64)
    previous = np.inf
    for _ in range(REFINE_STEPS):
        # r = rhs - M x with SciPy's BLAS, like the factorisation: NumPy's BLAS is another
        # library whose idle threads would compete with SciPy's
        r = scipy.linalg.blas.dgemv(-1.0, M.T, x, beta=1.0, y=rhs, trans=1)
        error = np.abs(r).max()
        if error <= np.abs(x).max() * bound:
            return x
        if error >= 0.5 * previous:  # not converging fast enough: not worth more steps
            break
        previous = error
        x += scipy.linalg.cho_solve(factor, r.astype(np.float32), check_finite=False)
    return _cholesky_solve(M, rhs)


def _dense_flow(A):
    n = A.shape[0]
    L = np.empty((n, n))
    b = np.empty(n)
    _dense_laplacian(n * n)(A, L, b)
    n_components, labels = symmetric_component_labels(L)
    sizes = np.bincount(labels, minlength=n_components)
    degree_sums = np.bincount(labels, weights=np.diagonal(L), minlength=n_components)
    # (d_c / n_c) 1 1^T: the ones-vector gets the eigenvalue d_c, the mean degree
    shift = np.where(sizes > 1, degree_sums / np.maximum(sizes, 1) ** 2, 1.0)
    z = np.zeros(n)
    solved = sizes > 1
    if not solved.any():
        return z
    cubes = sizes[solved].astype(np.float64) ** 3
    try:
        if 2.0 * cubes.sum() >= float(n) ** 3:  # splitting would save < half the flops
            _add_block_shifts(n * n)(L, labels, shift)  # singletons: 0 + 1 on the diagonal
            z = _refined_solve(L, b)
        else:
            order = np.argsort(labels, kind="stable")
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            for c in np.flatnonzero(solved):
                nodes = order[bounds[c]:bounds[c + 1]]
                block = L[np.ix_(nodes, nodes)]
                block += shift[c]
                z[nodes] = _refined_solve(block, b[nodes])
    except np.linalg.LinAlgError:
        # not positive definite in floating point (weights spanning ~1e16): the
        # minimum-norm least-squares solution by SVD, as the definition reads
        _dense_laplacian(n * n)(A, L, b)
        z = scipy.linalg.lstsq(L, b, lapack_driver="gelsd", check_finite=False)[0]
        z -= (np.bincount(labels, weights=z, minlength=n_components) / sizes)[labels]
    z[~solved[labels]] = 0.0
    return z


def numeric_values(values):
    """The values as numbers the merge kernels can read: bool as the same bytes viewed
    as uint8 (Numba converts no bool to float), anything else as it is."""
    return values.view(np.uint8) if values.dtype == np.bool_ else values


def _sparse_flow(A, tol, max_iter):
    n = A.shape[0]
    AT = A.T.tocsr()
    AT.sort_indices()
    work = n + A.nnz
    counts = np.empty(n, dtype=np.int64)
    a_val, t_val = numeric_values(A.data), numeric_values(AT.data)
    _merge_count(work)(A.indptr, A.indices, a_val, AT.indptr, AT.indices, t_val, 0, n,
                       counts)
    w_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=w_ptr[1:])
    del counts
    nnz = int(w_ptr[-1])
    w_idx = np.empty(nnz, dtype=np.int32 if n <= np.iinfo(np.int32).max else np.int64)
    w_val = np.empty(nnz)
    degree = np.empty(n)
    b = np.empty(n)
    _merge_fill(work)(A.indptr, A.indices, a_val, AT.indptr, AT.indices, t_val, 0, n,
                      w_ptr, w_idx, w_val, degree, b)
    del AT
    n_components, labels = csr_component_labels(w_ptr, w_idx)

    inv_degree = np.zeros(n)
    np.divide(1.0, degree, out=inv_degree, where=degree > 0)  # isolated nodes stay 0
    b_norm = float(np.linalg.norm(b))
    tol_abs = tol * b_norm
    if max_iter is None:
        max_iter = max(100, 10 * n)
    z = np.zeros(n)
    partial = np.empty(((n + CHUNK - 1) // CHUNK, 2))
    iterations, residual = _pcg(n + nnz)(w_ptr, w_idx, w_val, degree, inv_degree, b, z,
                                         np.empty(n), np.empty(n), np.empty(n), partial,
                                         tol_abs, max_iter)
    return finish_cg(z, residual, tol, tol_abs, b_norm, max_iter, n_components, labels)


def finish_cg(z, residual, tol, tol_abs, b_norm, max_iter, n_components, labels):
    """Warn if CG stopped short of ``tol``; centre ``z`` in each component, in place."""
    if residual > tol_abs:
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(f"signal_flow: conjugate gradients did not reach tol={tol:g} in "
                      f"max_iter={max_iter} iterations (relative residual "
                      f"{residual / b_norm:.3g}); increase max_iter or tol",
                      ConvergenceWarning, stacklevel=4)
    sizes = np.bincount(labels, minlength=n_components)
    z -= (np.bincount(labels, weights=z, minlength=n_components) / sizes)[labels]
    return z


# ---------------------------------------------------------------- public function
def signal_flow(A: ArrayLike | scipy.sparse.sparray | scipy.sparse.spmatrix,
                method: str = "auto", *, tol: float = 1e-10,
                max_iter: int | None = None) -> np.ndarray:
    """Signal flow of every node of a weighted directed graph (Varshney et al. 2011).

    ``z = pinv(L) b`` with ``W = (A + A^T)/2``, ``L = D - W`` and
    ``b_i = sum_j W_ij sign(A_ij - A_ji)``: the minimum-norm least-squares solution of
    ``L z = b``, which has zero mean in every connected component of ``W``; isolated
    nodes get 0.  In a perfect feedforward chain every block sits exactly 1 above the
    block it projects to.

    Parameters
    ----------
    A : (n, n) array_like, scipy sparse matrix/array, or :class:`ShardedGraph`
        ``A[i, j]`` is the weight of the edge i -> j: finite and non-negative.  A
        :class:`fastnet.graph.ShardedGraph` is solved on its Dask workers
        (``fastnet.graph.sharded_flow``; method "auto" or "sparse").
        Self-loops are allowed and contribute nothing (``A_ii`` cancels in ``b``,
        where ``sign(A_ii - A_ii) = 0``, and in ``L``, where it is added to the degree
        and subtracted again).  An empty 0 x 0 matrix gives an empty result.
    method : {"auto", "dense", "sparse"}
        ``"dense"``: Cholesky solve per connected component (a float32 factor
        refined to float64 accuracy, as LAPACK's dsposv; float64 if that stalls),
        O(n^3) time, one n x n work matrix and its float32 copy.  ``"sparse"``:
        Jacobi-preconditioned conjugate
        gradients on the sparse Laplacian, O(E) memory and O(E) time per iteration -
        the choice for large graphs, also when they come as a dense array.  Sparse
        input in CSR form (sorted indices, any bool, integer or floating values, as
        ``sbm(..., sparse=True, dtype=bool)`` returns) is read in place, not copied.
        Peak memory besides it: the transposed CSR and the symmetric weights W (int32
        index and float64 value per entry, about two entries per edge; 26 bytes per
        edge measured) plus about 16 vectors of n float64.
        ``"auto"``: "dense" for dense input, "sparse" for scipy sparse input.
    tol : float > 0
        Sparse method: stop at ``||b - L z|| <= tol * ||b||``.  Unused by "dense".
    max_iter : int >= 1 or None
        Sparse method: at most this many CG iterations (None: ``max(100, 10 n)``);
        if ``tol`` is not reached a ``sklearn.exceptions.ConvergenceWarning`` is
        emitted and the last iterate (the one with the smallest error in the energy
        norm that CG minimises) is returned, mean-centred per component.

    Returns
    -------
    z : (n,) float64 ndarray

    Examples
    --------
    A chain 0 -> 1 -> 2:

    >>> import numpy as np
    >>> from fastnet.graph.signal_flow import signal_flow
    >>> A = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    >>> np.round(signal_flow(A), 12) + 0.0  # + 0.0: no "-0."
    array([ 1.,  0., -1.])
    >>> import scipy.sparse
    >>> np.allclose(signal_flow(scipy.sparse.csr_array(A)), [1, 0, -1])
    True
    """
    from .sharded import ShardedGraph

    if not (isinstance(method, str) and method in METHODS):
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; "
                         f"got {method!r}")
    tol = check_positive_float(tol, "tol")
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", minimum=1)
    if isinstance(A, ShardedGraph):
        from .sharded_flow import sharded_signal_flow

        if method == "dense":
            raise ValueError("method must be 'auto' or 'sparse' for a ShardedGraph; got "
                             "'dense'")
        return sharded_signal_flow(A, tol, max_iter)
    sparse_input = is_sparse(A)
    # sparse input is read, never copied: (A + A^T) / 2 is built from it and A^T
    A = as_adjacency(A, "A", nonnegative=True, copy=False)
    if method == "auto":
        method = "sparse" if sparse_input else "dense"
    if A.shape[0] == 0:
        return np.zeros(0)
    if method == "dense":
        return _dense_flow(A.toarray().astype(np.float64, copy=False) if sparse_input else A)
    if not sparse_input:
        A = scipy.sparse.csr_array(A)
    return _sparse_flow(A, tol, max_iter)
