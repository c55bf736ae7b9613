"""Stochastic block model sampling in O(E + n K), written straight to CSR.

Each row's candidate columns fall into K block segments; within a segment of edge
probability ``p`` the gaps between successive edges are geometric, so the sampler
draws one uniform number per *edge* (Batagelj & Brandes 2005, "Efficient generation
of large random networks": skip = floor(log(1 - U) / log(1 - p))) instead of one per
pair.  Written with an exponential budget E = -log(1 - U) and the pair "rate"
lambda = -log(1 - p), the next edge is floor(E / lambda) pairs ahead; when a segment
ends first, E - (pairs left) * lambda is again Exp(1) (memorylessness) and carries
into the next segment and row, so no draw is wasted on segment ends.  Dense segments
(p >= :data:`BERNOULLI_MIN_P`) are cheaper with one draw per pair.

Rows are cut into chunks of :data:`CHUNK_ROWS` (fewer rows when n is small, fixed by n
alone); chunk ``c`` seeds a xoshiro256+ generator (:func:`fastnet.random.xoshiro_random`)
with ``spawn_seeds(seed, n_chunks)[c]``, so the graph is the same for any number of
threads.  Undirected graphs sample the upper triangle and mirror it.

Twin: :func:`fastnet.reference.graph.sbm` (graspologic's dense per-block-pair sampler).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike

from .._jit import jit, parallel_jit, prange
from .._validation import check_bool, check_fits_in_memory
from ..random import (
    SeedLike,
    as_seed_sequence,
    spawn_seeds,
    spawn_sequences,
    xoshiro_random,
    xoshiro_seed,
)
from ._adjacency import mirror_upper
from .sbm_weights import (
    check_block_matrix,
    check_value_dtype,
    check_values_fit,
    degree_corrected,
    edge_weights,
    node_blocks,
    weight_spec,
)

__all__ = ["sbm", "feedforward_block_probs", "block_labels"]

CHUNK_ROWS = 1024  # at most this many rows per independently seeded chunk
MIN_CHUNKS = 32  # smaller graphs get shorter chunks, so that threads share the rows evenly
MIN_CHUNK_ROWS = 64
BERNOULLI_MIN_P = 0.2  # at or above this, one uniform per pair beats geometric skips
# each chunk's slot holds its expected edge count + SLOT_SIGMAS standard deviations +
# SLOT_PAD; a chunk that draws more (odds ~1e-15) makes the sampler rerun with room
SLOT_SIGMAS, SLOT_PAD = 8.0, 64.0


# ---------------------------------------------------------------- kernels
@jit
def _segment(r, b, bounds, directed, loops):
    """Columns [lo, hi) of block b that row r samples, and whether r's own column
    (a loop) must be skipped inside it."""
    lo, hi = bounds[b], bounds[b + 1]
    if not directed:
        lo = max(lo, r if loops else r + 1)
    skip_diagonal = directed and not loops and lo <= r < hi
    return lo, hi, skip_diagonal


@jit(inline="always")
def _store(indices, pos, end, col, r, skip_diagonal, dense, value, mirror):
    """Edge (r, col) (col shifted past r's own column if skipped): its column into the
    chunk's slot unless full, or ``value`` into the dense matrix (both triangles if
    undirected, i.e. if only the upper triangle is sampled)."""
    if skip_diagonal and col >= r:
        col += 1
    if pos < end:
        indices[pos] = col
    if dense.shape[0] > 0:
        dense[r, col] = value
        if mirror:
            dense[col, r] = value


@jit
def _chunk_moments(bounds, p, directed, loops, chunk_rows, first_chunk, mean, var):
    """Expected number of edges and its variance (sum of p(1-p) over pairs) of the
    chunks ``first_chunk .. first_chunk + len(mean) - 1``."""
    n, n_blocks = bounds[-1], p.shape[0]
    rb = 0
    for r in range(first_chunk * chunk_rows, min(n, (first_chunk + mean.shape[0]) * chunk_rows)):
        while r >= bounds[rb + 1]:
            rb += 1
        c = r // chunk_rows - first_chunk
        for b in range(n_blocks):
            lo, hi, skip_diagonal = _segment(r, b, bounds, directed, loops)
            pairs = max(0, hi - lo - skip_diagonal)
            mean[c] += pairs * p[rb, b]
            var[c] += pairs * p[rb, b] * (1.0 - p[rb, b])


@parallel_jit
def _sample_rows(bounds, p, rates, directed, loops, chunk_rows, first_chunk, seeds, starts,
                 indices, row_counts, chunk_counts, dense, values):
    """Columns of every row's edges into ``indices[starts[c]:starts[c + 1]]`` for chunk
    ``first_chunk + c`` (sorted, since segments and skips go left to right), seeded by
    ``seeds[c]``; ``row_counts`` counts from the first chunk's first row.  A chunk that
    outgrows its slot keeps drawing and counting without writing; the caller reruns
    with room.  Given a non-empty ``dense`` matrix, edges are written there instead,
    with weight ``values[block(r), block(col)]`` (the same draws, so the same graph)."""
    n, n_blocks = bounds[-1], p.shape[0]
    row_offset = first_chunk * chunk_rows
    for c in prange(seeds.shape[0]):
        state = np.empty(4, dtype=np.uint64)
        xoshiro_seed(seeds[c], state)
        budget = -math.log(1.0 - xoshiro_random(state))
        pos, end, total = starts[c], starts[c + 1], 0
        first = (first_chunk + c) * chunk_rows
        last = min(n, first + chunk_rows)
        rb = 0
        while first >= bounds[rb + 1]:
            rb += 1
        for r in range(first, last):
            while r >= bounds[rb + 1]:
                rb += 1
            count = 0
            for b in range(n_blocks):
                prob, value = p[rb, b], values[rb, b]
                lo, hi, skip_diagonal = _segment(r, b, bounds, directed, loops)
                length = hi - lo - skip_diagonal
                if prob <= 0.0 or length <= 0:
                    continue
                if prob >= BERNOULLI_MIN_P:
                    for k in range(length):
                        if prob >= 1.0 or xoshiro_random(state) < prob:
                            _store(indices, pos, end, lo + k, r, skip_diagonal, dense, value,
                                   not directed)
                            pos += 1
                            count += 1
                else:
                    # exponential budget carried across segments and rows (see module doc)
                    rate = rates[rb, b]
                    k = 0
                    while True:
                        steps = budget / rate
                        if steps >= length - k:  # compared as float: no overflow
                            budget -= (length - k) * rate
                            break
                        k += int(steps)
                        _store(indices, pos, end, lo + k, r, skip_diagonal, dense, value,
                               not directed)
                        pos += 1
                        count += 1
                        k += 1
                        budget = -math.log(1.0 - xoshiro_random(state))
            row_counts[r - row_offset] = count
            total += count
        chunk_counts[c] = total


@jit
def _compact(indices, starts, chunk_counts):
    """Move every chunk's columns left so they follow each other; returns nnz."""
    nnz = 0
    for c in range(chunk_counts.shape[0]):
        src = starts[c]
        for i in range(chunk_counts[c]):
            indices[nnz + i] = indices[src + i]
        nnz += chunk_counts[c]
    return nnz


@parallel_jit
def _scatter_dense(indptr, indices, data, symmetric, A):
    for r in prange(indptr.shape[0] - 1):
        for e in range(indptr[r], indptr[r + 1]):
            A[r, indices[e]] = data[e]
    if symmetric:
        for r in range(indptr.shape[0] - 1):
            for e in range(indptr[r], indptr[r + 1]):
                A[indices[e], r] = data[e]


# ---------------------------------------------------------------- validation
def _check_sizes(n, name="n"):
    if isinstance(n, numbers.Integral) and not isinstance(n, bool):
        raise TypeError(f"{name} must be a list or array of block sizes (one int per block); "
                        f"got the single int {n}: use [{n}] for one block")
    try:
        sizes = np.asarray(n)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a list or array of block sizes; {exc}") from None
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of block sizes; "
                         f"got shape {sizes.shape}")
    if sizes.dtype.kind == "f" and np.isfinite(sizes).all() and (sizes == np.round(sizes)).all():
        sizes = sizes.astype(np.int64)
    if sizes.dtype.kind not in "iu" or sizes.dtype == np.bool_:
        raise TypeError(f"{name} must hold whole numbers of nodes; got {sizes.tolist()}")
    if (sizes < 0).any():
        raise ValueError(f"{name} must hold block sizes >= 0; got {sizes.tolist()}")
    return sizes.astype(np.int64)


def _check_probabilities(p, n_blocks, directed):
    arr = check_block_matrix(p, n_blocks, "p", directed)
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"p must hold probabilities in [0, 1]; got values from {arr.min()} "
                         f"to {arr.max()}")
    return arr


# ---------------------------------------------------------------- sampling
def check_sbm_arguments(n, p, directed, loops, wt, wtargs, dtype):
    """The arguments that sbm and sharded_sbm share, validated: (block sizes, p,
    directed, loops, constant weights, weight spec, value dtype)."""
    directed = check_bool(directed, "directed")
    loops = check_bool(loops, "loops")
    dtype = check_value_dtype(dtype)
    sizes = _check_sizes(n)
    p = _check_probabilities(p, sizes.size, directed)
    constant, spec = weight_spec(wt, wtargs, sizes.size, directed)
    return sizes, p, directed, loops, constant, spec, dtype


def _pair_rates(p):
    """-log(1 - p): the exponential budget one candidate pair costs (used below
    BERNOULLI_MIN_P only, so p = 1 never reaches the log)."""
    return -np.log1p(-np.minimum(p, BERNOULLI_MIN_P))


def _chunk_rows(n):
    """Rows per chunk: CHUNK_ROWS, or fewer so that n rows make MIN_CHUNKS chunks."""
    return min(CHUNK_ROWS, max(MIN_CHUNK_ROWS, -(-n // MIN_CHUNKS)))


def _chunk_seeds(n, seed):
    return spawn_seeds(seed, -(-n // _chunk_rows(n)))


def _sample_dense(bounds, p, directed, loops, seed, values):
    """The dense adjacency matrix with block-pair weights ``values`` (and their dtype),
    sampled in place (the same draws as :func:`_sample_structure`, so the same graph)."""
    n = int(bounds[-1])
    seeds = _chunk_seeds(n, seed)
    A = np.zeros((n, n), dtype=values.dtype)
    no_slots = np.zeros(seeds.size + 1, dtype=np.int64)
    _sample_rows(bounds, p, _pair_rates(p), directed, loops,
                 _chunk_rows(n), 0, seeds, no_slots, np.empty(0, dtype=np.int32),
                 np.empty(n, dtype=np.int64), np.empty(seeds.size, dtype=np.int64), A, values)
    return A


def _sample_structure(bounds, p, directed, loops, seed):
    """(indptr, indices) of the directed graph, or of the upper triangle if undirected."""
    n = int(bounds[-1])
    return sample_chunk_range(bounds, p, directed, loops, _chunk_seeds(n, seed), 0)


def sample_chunk_range(bounds, p, directed, loops, seeds, first_chunk):
    """(indptr, indices) of the rows of chunks ``first_chunk .. first_chunk + len(seeds)
    - 1`` (rows of ``_chunk_rows(n)`` each), chunk ``first_chunk + c`` drawn from
    ``seeds[c]``: the whole graph for all chunks, or one shard of it
    (:func:`fastnet.graph.sharded_sbm`) - the same rows either way."""
    n = int(bounds[-1])
    chunk_rows = _chunk_rows(n)
    n_chunks = seeds.size
    n_rows = min(n, (first_chunk + n_chunks) * chunk_rows) - first_chunk * chunk_rows
    mean, var = np.zeros(n_chunks), np.zeros(n_chunks)
    _chunk_moments(bounds, p, directed, loops, chunk_rows, first_chunk, mean, var)
    capacity = np.maximum(np.ceil(mean + SLOT_SIGMAS * np.sqrt(var) + SLOT_PAD), 0)
    capacity = capacity.astype(np.int64)
    index_dtype = np.int32 if max(n, int(capacity.sum())) < 2**31 else np.int64
    check_fits_in_memory(int(capacity.sum()) * np.dtype(index_dtype).itemsize * (1 if directed
                         else 2), "n and p", f"about {int(mean.sum()):.4g} expected edges")
    rates = _pair_rates(p)
    row_counts = np.empty(n_rows, dtype=np.int64)
    chunk_counts = np.empty(n_chunks, dtype=np.int64)
    for _ in range(2):  # the second pass only if some chunk outgrew its slot
        starts = np.zeros(n_chunks + 1, dtype=np.int64)
        np.cumsum(capacity, out=starts[1:])
        indices = np.empty(int(starts[-1]), dtype=index_dtype)
        _sample_rows(bounds, p, rates, directed, loops, chunk_rows, first_chunk, seeds, starts,
                     indices, row_counts, chunk_counts, np.empty((0, 0)), p)
        if (chunk_counts <= capacity).all():
            break
        capacity = np.maximum(capacity, chunk_counts)
        index_dtype = np.int32 if max(n, int(capacity.sum())) < 2**31 else np.int64
    nnz = _compact(indices, starts, chunk_counts)
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(row_counts, out=indptr[1:])
    indices = indices[:nnz] if nnz > 0.75 * indices.size else indices[:nnz].copy()
    return indptr, indices


# ---------------------------------------------------------------- public API
def sbm(n: ArrayLike, p: ArrayLike, directed: bool = False, loops: bool = False,
        wt: float | Callable | ArrayLike = 1, wtargs: dict | ArrayLike | None = None,
        dc: Callable | ArrayLike | None = None, dc_kws: dict | list = {},  # noqa: B006
        return_labels: bool = False, *, sparse: bool = False,
        dtype: np.typing.DTypeLike = np.float64,
        seed: SeedLike = None) -> np.ndarray | scipy.sparse.csr_array | tuple:
    """Sample a stochastic block model graph (graspologic's ``sbm`` signature).

    Each ordered pair of nodes (i, j), i != j unless ``loops``, is an edge with
    probability ``p[b(i), b(j)]``, independently; an undirected graph samples i < j
    and mirrors.  Cost O(edges + nodes x blocks) by geometric skipping, in parallel
    over fixed row chunks: the same ``seed`` gives the same graph for any number of
    threads.

    Parameters
    ----------
    n : list of int
        Block sizes; nodes ``0 .. n[0]-1`` form block 0, and so on.
    p : array-like, shape (K, K)
        Edge probabilities between blocks, in [0, 1]; symmetric unless ``directed``.
    directed, loops : bool
        Directed graph (else symmetric); allow self-loops.
    wt : number, callable or (K, K) array of them
        Edge weights: a constant, or a function called as ``wt(size=m, **wtargs)``
        per chunk of rows and block pair, for that pair's ``m`` edges of the chunk (in
        row-major edge order).  NumPy's global-state functions such as
        ``np.random.poisson`` are replaced by the same method of the chunk's
        ``RandomState``, seeded from ``seed``, so the weights are reproducible, and the
        same in :func:`fastnet.graph.sharded_sbm`.
    wtargs : dict or (K, K) array of dicts
        Keyword arguments of ``wt``.
    dc, dc_kws :
        Degree correction as in graspologic (a function, one function per block, or
        one weight per node); dense output only.
    return_labels : bool
        Also return the block label of every node.
    sparse : bool
        Return a ``scipy.sparse.csr_array`` (sorted indices, no duplicates) instead of
        a dense array; dense output that would not fit in memory is refused.
    dtype : NumPy bool, integer or floating dtype, default float64
        The type of the stored values (fastnet's extension).  An unweighted sparse graph
        with ``dtype=bool`` or ``np.int8`` stores one byte per edge besides its int32
        column index, instead of eight.  A weight that the dtype cannot hold (2.5 as
        int8, 1e39 as float32) raises ValueError; floating dtypes round.
    seed : int, SeedSequence or None

    Returns
    -------
    A : ndarray or csr_array, shape (sum(n), sum(n))
    labels : ndarray of int64, only with ``return_labels``

    Notes
    -----
    Sparse output is written as CSR directly: besides the returned arrays, peak memory
    holds the chunks' spare slots (a few percent of the edges) and, for undirected
    graphs, the sampled upper triangle (half the edges) while it is mirrored; indices
    are int32 while they fit.
    The graph for a given seed differs from graspologic's and from the twin
    :func:`fastnet.reference.graph.sbm` draw for draw, not in distribution.

    Examples
    --------
    >>> from fastnet.graph import sbm
    >>> A, labels = sbm([3, 2], [[1.0, 0.0], [0.0, 1.0]], return_labels=True, seed=0)
    >>> A
    array([[0., 1., 1., 0., 0.],
           [1., 0., 1., 0., 0.],
           [1., 1., 0., 0., 0.],
           [0., 0., 0., 0., 1.],
           [0., 0., 0., 1., 0.]])
    >>> labels
    array([0, 0, 0, 1, 1])
    >>> G = sbm([500_000] * 2, [[4e-6, 1e-6], [1e-6, 4e-6]], sparse=True, seed=1)
    >>> G.shape, G.nnz > 0
    ((1000000, 1000000), True)
    """
    return_labels = check_bool(return_labels, "return_labels")
    sparse = check_bool(sparse, "sparse")
    sizes, p, directed, loops, constant, spec, dtype = check_sbm_arguments(
        n, p, directed, loops, wt, wtargs, dtype)
    seed_sequence = as_seed_sequence(seed)
    bounds = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    n_nodes = int(bounds[-1])
    if dc is not None and sparse:
        raise NotImplementedError("dc (degree correction) is implemented for dense output "
                                  "only; pass sparse=False or dc=None")
    if not sparse:
        check_fits_in_memory(dtype.itemsize * n_nodes * n_nodes, "n",
                             f"a dense {n_nodes} x {n_nodes} {dtype} adjacency matrix",
                             "pass sparse=True for a scipy.sparse.csr_array (memory O(edges))")
    else:  # indptr, per-row counts and chunk seeds: ~ 24 bytes a node
        check_fits_in_memory(24 * n_nodes, "n", f"a sparse graph of {n_nodes} nodes")
    if spec is None:  # constant weights: refused before sampling if dtype cannot hold them
        constant = check_values_fit(constant, dtype, "wt")
    structure_seed, weight_seed = spawn_sequences(seed_sequence, 2)
    generator = np.random.default_rng(weight_seed)
    if dc is not None:
        A = degree_corrected(sizes, bounds, p, directed, loops, constant, spec, dc, dc_kws,
                              generator)
        if dtype != A.dtype:
            A = check_values_fit(A, dtype, "wt")
        return (A, node_blocks(bounds)) if return_labels else A
    if not sparse and spec is None:  # constant weights per block pair: write in place
        values = np.broadcast_to(constant, p.shape).copy()
        A = _sample_dense(bounds, p, directed, loops, structure_seed, values)
        return (A, node_blocks(bounds)) if return_labels else A
    indptr, indices = _sample_structure(bounds, p, directed, loops, structure_seed)
    data = edge_weights(indptr, indices, bounds, constant, spec, _chunk_rows(n_nodes),
                        _chunk_seeds(n_nodes, weight_seed), dtype)
    if not sparse:
        A = np.zeros((n_nodes, n_nodes), dtype=dtype)
        _scatter_dense(indptr, indices, data, not directed, A)
    else:
        if not directed:
            indptr, indices, data = mirror_upper(indptr, indices, data)
        A = scipy.sparse.csr_array((data, indices, indptr), shape=(n_nodes, n_nodes))
        A.has_sorted_indices = True
        A.has_canonical_format = True
    return (A, node_blocks(bounds)) if return_labels else A


def feedforward_block_probs(n_blocks: int, low_p: float, diag_p: float,
                            feedforward_p: float) -> np.ndarray:
    """Block probabilities of a feedforward chain: ``low_p`` everywhere, ``diag_p`` on
    the diagonal and ``feedforward_p`` on the first superdiagonal (block b projects to
    block b + 1).

    >>> feedforward_block_probs(3, 0.0, 0.2, 0.3)
    array([[0.2, 0.3, 0. ],
           [0. , 0.2, 0.3],
           [0. , 0. , 0.2]])
    """
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, numbers.Integral):
        raise TypeError(f"n_blocks must be an int >= 1; got {type(n_blocks).__name__}")
    if n_blocks < 1:
        raise ValueError(f"n_blocks must be >= 1; got {n_blocks}")
    for name, value in [("low_p", low_p), ("diag_p", diag_p), ("feedforward_p", feedforward_p)]:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a probability in [0, 1]; got {type(value).__name__}")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1]; got {value}")
    check_fits_in_memory(8 * n_blocks * n_blocks, "n_blocks",
                         f"a {n_blocks} x {n_blocks} float64 matrix")
    B = np.full((n_blocks, n_blocks), float(low_p))
    np.fill_diagonal(B, float(diag_p))
    B[np.arange(n_blocks - 1), np.arange(1, n_blocks)] = float(feedforward_p)
    return B


def block_labels(sizes: ArrayLike) -> np.ndarray:
    """The block of every node for consecutive blocks of the given sizes.

    >>> block_labels([2, 3])
    array([0, 0, 1, 1, 1])
    """
    sizes = _check_sizes(sizes, "sizes")
    check_fits_in_memory(8 * int(sizes.sum()), "sizes", f"{int(sizes.sum())} int64 labels")
    return np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
