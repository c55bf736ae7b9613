"""Signal flow of a :class:`fastnet.graph.ShardedGraph` with the matrix staying on the
workers: the system of :func:`fastnet.graph.signal_flow`'s sparse method, solved by
Jacobi-preconditioned conjugate gradients whose matrix products run where the shards
live.

1. Transpose: each shard sends every other shard the entries of its rows that fall in
   that shard's columns (O(edges) traffic, once).
2. Each shard merges its rows of ``A`` and of ``A^T`` into its rows of
   ``W = (A + A^T) / 2`` with the one-machine kernels, with its degrees and its part of
   ``b``, and keeps them.
3. Connected components of ``W`` by min-label propagation: per round the client
   broadcasts the labels, each shard returns the smallest label among each row and its
   neighbours, and the client shortcuts labels to their labels' labels; rounds grow
   with the graph's diameter (a handful for SBMs).
4. CG: the vectors (n float64 each) live on the client; per iteration the client
   broadcasts the search direction and each shard returns its rows of ``L p``.

Cost per CG iteration: O(edges / workers) work on each worker, 2n floats of traffic
between the client and the workers, and O(n) NumPy on the client; the number of
iterations is that of the one-machine solve.  An undirected graph has ``b = 0`` and so
zero flow, returned without touching the shards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import jit
from .sharded import ShardedGraph, entry_rows, pick
from .signal_flow import _merge_count, _merge_fill, finish_cg, numeric_values

__all__ = ["sharded_signal_flow"]


@dataclass(frozen=True)
class _FlowShard:
    """Rows ``start .. stop - 1`` of W (off-diagonal CSR, global columns), with their
    degrees and their entries of b."""

    start: int
    stop: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    degree: np.ndarray
    b: np.ndarray


# ---------------------------------------------------------------- on the workers
def _transpose_pieces(shard, starts):
    """For every shard t (rows from ``starts[t]``): the entries of this shard whose
    column is one of t's rows, as (row of t counted from its start, column, value)."""
    rows = entry_rows(shard.start, shard.indptr)
    order = np.argsort(shard.indices, kind="stable")  # by column, rows ascending
    columns, rows, values = shard.indices[order], rows[order], shard.data[order]
    cuts = np.searchsorted(columns, starts)
    return [(columns[a:b] - starts[t], rows[a:b], values[a:b])
            for t, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))]


def _flow_rows(shard, n_nodes, *pieces):
    """This shard's rows of W, its degrees and b, from its rows of A and the pieces of
    A^T the shards sent it."""
    n_rows = shard.stop - shard.start
    local = np.concatenate([p[0] for p in pieces]).astype(np.int64)
    columns = np.concatenate([p[1] for p in pieces]).astype(shard.indices.dtype)
    values = np.concatenate([p[2] for p in pieces])
    order = np.lexsort((columns, local))
    t_ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(local, minlength=n_rows), out=t_ptr[1:])
    t_idx, t_val = columns[order], values[order]
    a_val, t_val = numeric_values(shard.data), numeric_values(t_val)
    work = n_rows + shard.indices.size
    counts = np.empty(n_rows, dtype=np.int64)
    _merge_count(work)(shard.indptr, shard.indices, a_val, t_ptr, t_idx, t_val, shard.start,
                       n_nodes, counts)
    w_ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=w_ptr[1:])
    w_idx = np.empty(int(w_ptr[-1]), dtype=shard.indices.dtype)
    w_val = np.empty(int(w_ptr[-1]))
    degree, b = np.empty(n_rows), np.empty(n_rows)
    _merge_fill(work)(shard.indptr, shard.indices, a_val, t_ptr, t_idx, t_val, shard.start,
                      n_nodes, w_ptr, w_idx, w_val, degree, b)
    return _FlowShard(shard.start, shard.stop, w_ptr, w_idx, w_val, degree, b)


def _min_neighbour_labels(rows, labels):
    """For each row: the smallest label among itself and its neighbours in W."""
    own = labels[rows.start:rows.stop]
    if rows.indices.size == 0:
        return own.copy()
    neighbour = labels[rows.indices]
    counts = np.diff(rows.indptr)
    has = counts > 0
    smallest = own.copy()
    smallest[has] = np.minimum(own[has], np.minimum.reduceat(neighbour, rows.indptr[:-1][has]))
    return smallest


@jit
def _laplacian_rows_times(indptr, indices, data, degree, start, p, out):
    """``out[i] = degree[i] p[start + i] - sum_k data[k] p[indices[k]]`` over row i's
    entries, in the order of the one-machine CG's product."""
    for i in range(out.shape[0]):
        acc = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * p[indices[k]]
        out[i] = degree[i] * p[start + i] - acc


def _laplacian_times(rows, p):
    """This shard's rows of ``L p = D p - W p``."""
    out = np.empty(rows.stop - rows.start)
    _laplacian_rows_times(rows.indptr, rows.indices, rows.data, rows.degree, rows.start, p,
                          out)
    return out


def _degree_and_b(rows):
    return rows.degree, rows.b


# ---------------------------------------------------------------- on the client
def _gather_rows(client, futures):
    return np.concatenate(client.gather(futures))


def _components(client, flow_rows, n):
    labels = np.arange(n)
    while True:
        shared = client.scatter(labels, broadcast=True)
        new = _gather_rows(client, [client.submit(_min_neighbour_labels, f, shared,
                                                  pure=False) for f in flow_rows])
        while True:  # shortcut: a node takes its label's label
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, labels):
            break
        labels = new
    roots, labels = np.unique(labels, return_inverse=True)
    return roots.size, labels


def _times(client, flow_rows, p):
    shared = client.scatter(p, broadcast=True)
    return _gather_rows(client, [client.submit(_laplacian_times, f, shared, pure=False)
                                 for f in flow_rows])


def sharded_signal_flow(G: ShardedGraph, tol: float, max_iter: int | None) -> np.ndarray:
    """:func:`fastnet.graph.signal_flow` of a sharded graph (validated arguments)."""
    n = G.n_nodes
    if not G.directed or n == 0:  # W = A and b = 0: every node's flow is 0
        return np.zeros(n)
    client = G.client
    starts = np.array([start for start, _ in G.shard_rows] + [n])
    pieces = [client.submit(_transpose_pieces, f, starts, pure=False) for f in G.shards]
    flow_rows = [client.submit(_flow_rows, f, n,
                               *[client.submit(pick, piece, t, pure=False)
                                 for piece in pieces], pure=False)
                 for t, f in enumerate(G.shards)]
    parts = client.gather([client.submit(_degree_and_b, f, pure=False) for f in flow_rows])
    degree = np.concatenate([d for d, _ in parts])
    b = np.concatenate([b for _, b in parts])
    n_components, labels = _components(client, flow_rows, n)

    inv_degree = np.zeros(n)
    np.divide(1.0, degree, out=inv_degree, where=degree > 0)
    b_norm = float(np.linalg.norm(b))
    tol_abs = tol * b_norm
    if max_iter is None:
        max_iter = max(100, 10 * n)
    x = np.zeros(n)
    r = b.copy()
    z = inv_degree * r
    p = z.copy()
    rz = float(r @ z)
    residual = b_norm
    iterations = 0
    while residual > tol_abs and iterations < max_iter:
        iterations += 1
        q = _times(client, flow_rows, p)
        pq = float(p @ q)
        if not pq > 0.0:
            break
        alpha = rz / pq
        x += alpha * p
        r -= alpha * q
        residual = float(np.linalg.norm(r))
        if residual <= tol_abs:  # the recurrence's residual: check the true one
            r = b - _times(client, flow_rows, x)
            residual = float(np.linalg.norm(r))
            if residual <= tol_abs:
                break
        z = inv_degree * r
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return finish_cg(x, residual, tol, tol_abs, b_norm, max_iter, n_components, labels)
