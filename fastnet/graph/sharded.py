"""Stochastic block models sampled in row shards on a Dask cluster: the graph of
:func:`fastnet.graph.sbm` for the same arguments and seed, bit for bit, without any
machine holding all of it.

:func:`fastnet.graph.sbm` draws the rows of a graph in fixed chunks of rows, chunk c
from its own seed (the c-th child of the structure seed), so a chunk's edges do not
depend on which process draws it.  :func:`sharded_sbm` hands each worker a contiguous
range of chunks (a shard) with those chunks' seeds; the worker samples them into CSR
arrays of its rows and keeps them.  What the shards compute about the graph (edge
counts, block-pair counts, degrees) is computed where they live and only the small
results travel.  KaGen's communication-free generators work the same way: the output
depends on the seed and the fixed chunk count, never on the number of processes.

An undirected graph is sampled as its upper triangle (diagonal included), as ``sbm``
does; each shard keeps its rows of that triangle, and :meth:`ShardedGraph.to_scipy`
mirrors the gathered triangle exactly as ``sbm`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .._validation import check_int
from ..random import SeedLike, as_seed_sequence, spawn_sequences
from ._adjacency import mirror_upper
from .sbm import _chunk_rows, _chunk_seeds, check_sbm_arguments, sample_chunk_range
from .sbm_weights import (
    blocks_of,
    check_values_fit,
    constant_values,
    drawn_weights,
    node_blocks,
)

__all__ = ["sharded_sbm", "ShardedGraph"]


@dataclass(frozen=True)
class _Shard:
    """Rows ``start .. stop - 1`` of the graph (of its upper triangle if undirected):
    CSR arrays with ``indptr`` counted from the shard's first row."""

    start: int
    stop: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


# ---------------------------------------------------------------- on the workers
def entry_rows(start, indptr):
    """The (global) row of every stored entry of CSR rows ``start, start + 1, ...``."""
    return np.repeat(np.arange(start, start + indptr.size - 1), np.diff(indptr))


def _sample_shard(bounds, p, directed, loops, seeds, first_chunk, values, dtype, spec,
                  weight_seeds):
    indptr, indices = sample_chunk_range(bounds, p, directed, loops, seeds, first_chunk)
    chunk_rows = _chunk_rows(int(bounds[-1]))
    start = first_chunk * chunk_rows
    stop = start + indptr.size - 1
    if spec is not None:  # sbm's draws for these chunks
        data = drawn_weights(indptr, indices, start, bounds, spec, chunk_rows, weight_seeds,
                             dtype)
    elif np.ndim(values) == 0:
        data = constant_values(indices.size, values, dtype)
    else:  # per block pair: the block of each edge's row and of its column
        data = values[blocks_of(bounds, entry_rows(start, indptr)), blocks_of(bounds, indices)]
    return _Shard(start, stop, indptr, indices, data.astype(dtype, copy=False))


def _shard_nnz(shard, directed):
    """Entries the shard's rows add to the full CSR (both triangles if undirected)."""
    if directed:
        return int(shard.indices.size)
    loops = int(np.count_nonzero(shard.indices == entry_rows(shard.start, shard.indptr)))
    return 2 * int(shard.indices.size) - loops


def _shard_block_pairs(shard, bounds):
    """Stored entries of the shard per (row block, column block)."""
    n_blocks = bounds.size - 1
    rows = blocks_of(bounds, entry_rows(shard.start, shard.indptr))
    cols = blocks_of(bounds, shard.indices)
    return np.bincount(rows * n_blocks + cols, minlength=n_blocks * n_blocks).reshape(
        n_blocks, n_blocks)


def _shard_diagonal_blocks(shard, bounds):
    """Self-loops of the shard per block."""
    rows = entry_rows(shard.start, shard.indptr)
    return np.bincount(blocks_of(bounds, rows[shard.indices == rows]),
                       minlength=bounds.size - 1)


def _column_counts_by_shard(shard, starts):
    """For every shard t (rows from ``starts[t]``): how many off-diagonal entries of
    this shard (upper triangle) lie in each column of t's rows, as (columns, counts)."""
    rows = entry_rows(shard.start, shard.indptr)
    columns, counts = np.unique(shard.indices[shard.indices != rows], return_counts=True)
    cuts = np.searchsorted(columns, starts)
    return [(columns[a:b], counts[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def _degrees(shard, *column_counts):
    """Degrees of the shard's rows: its own row counts (out-degrees; the upper triangle
    of an undirected graph) plus, for undirected graphs, the column counts that the
    shards hold for its rows (the mirrored lower triangle)."""
    degrees = np.diff(shard.indptr).astype(np.int64)
    for columns, counts in column_counts:
        np.add.at(degrees, columns - shard.start, counts)
    return degrees


def pick(pieces, t):
    """Item ``t`` of a task's list result (submitted per target shard)."""
    return pieces[t]


# ---------------------------------------------------------------- on the client
class ShardedGraph:
    """A graph sampled by :func:`sharded_sbm`, kept on the workers in row shards.

    Attributes
    ----------
    n_nodes : int
    n_edges : int
        Stored entries of the full adjacency matrix, ``sbm(...).nnz`` (an undirected
        edge counts twice, a self-loop once).
    block_sizes : ndarray of int64
    directed : bool
    shard_rows : list of (start, stop)
        The rows of each shard.
    shards : list of distributed.Future
        The shards' CSR arrays, on the workers.
    """

    def __init__(self, client, shards, bounds, directed, dtype):
        self.client = client
        self.shards = shards
        self._bounds = bounds
        self.directed = directed
        self.dtype = dtype
        self.block_sizes = np.diff(bounds)
        self.n_nodes = int(bounds[-1])
        starts = client.gather([client.submit(lambda s: (s.start, s.stop), f, pure=False)
                                for f in shards])
        self.shard_rows = [tuple(map(int, rows)) for rows in starts]
        self.n_edges = int(sum(client.gather(
            [client.submit(_shard_nnz, f, directed, pure=False) for f in shards])))

    def __repr__(self):
        kind = "directed" if self.directed else "undirected"
        return (f"ShardedGraph({kind}, {self.n_nodes:,} nodes, {self.n_edges:,} stored "
                f"entries, {len(self.shards)} shards)")

    def labels(self) -> np.ndarray:
        """The block of every node (int64, length ``n_nodes``)."""
        return node_blocks(self._bounds)

    def block_pair_counts(self) -> np.ndarray:
        """Stored entries of the full adjacency matrix per (row block, column block),
        computed on the workers: ``counts[i, j]`` is the number of non-zeros of
        ``A[block i, block j]``."""
        parts = [self.client.submit(_shard_block_pairs, f, self._bounds, pure=False)
                 for f in self.shards]
        counts = np.sum(self.client.gather(parts), axis=0)
        if self.directed:
            return counts
        loops = np.sum(self.client.gather(
            [self.client.submit(_shard_diagonal_blocks, f, self._bounds, pure=False)
             for f in self.shards]), axis=0)
        return counts + counts.T - np.diag(loops)

    def degrees(self) -> list:
        """Per shard, a future of the degrees of its rows (row sums of the 0/1 pattern of
        ``A``: out-degrees if directed), computed on the workers.  For an undirected
        graph each shard sends the other shards only the column counts of its own
        entries that fall in their rows."""
        if self.directed:
            return [self.client.submit(_degrees, f, pure=False) for f in self.shards]
        starts = np.array([start for start, _ in self.shard_rows] + [self.n_nodes])
        pieces = [self.client.submit(_column_counts_by_shard, f, starts, pure=False)
                  for f in self.shards]
        return [self.client.submit(
                    _degrees, f, *[self.client.submit(pick, piece, t, pure=False)
                                   for piece in pieces[:t + 1]], pure=False)
                for t, f in enumerate(self.shards)]

    def to_scipy(self) -> scipy.sparse.csr_array:
        """The whole graph as the ``csr_array`` that :func:`fastnet.graph.sbm` returns
        for the same arguments (gathered to the client: only for graphs that fit)."""
        shards = self.client.gather(self.shards)
        counts = np.concatenate([np.diff(s.indptr) for s in shards])
        nnz = int(counts.sum())
        index_dtype = np.int32 if max(self.n_nodes, nnz) < 2**31 else np.int64
        indptr = np.zeros(self.n_nodes + 1, dtype=index_dtype)
        np.cumsum(counts, out=indptr[1:])
        indices = np.concatenate([s.indices for s in shards]).astype(index_dtype, copy=False)
        data = np.concatenate([s.data for s in shards])
        if not self.directed:
            indptr, indices, data = mirror_upper(indptr, indices, data)
        A = scipy.sparse.csr_array((data, indices, indptr), shape=(self.n_nodes,) * 2)
        A.has_sorted_indices = True
        A.has_canonical_format = True
        return A


def expected_stored_entries(sizes, p, directed, loops):
    """Expected edges that the shards store: all of a directed graph, the upper
    triangle (diagonal included) of an undirected one."""
    sizes = sizes.astype(np.float64)
    pairs = np.outer(sizes, sizes)
    if directed:
        np.fill_diagonal(pairs, sizes * sizes - (0 if loops else sizes))
        return float((pairs * p).sum())
    upper = np.triu(pairs, 1)
    np.fill_diagonal(upper, sizes * (sizes - 1) / 2 + (sizes if loops else 0))
    return float((upper * p).sum())


def _check_fits_on_workers(client, sizes, p, directed, loops, dtype):
    """Refuse, before sampling, a graph whose expected CSR arrays exceed the sum of the
    workers' memory limits (workers without a limit are not checked)."""
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    if not limits or min(limits) == 0:
        return
    n = int(sizes.sum())
    edges = expected_stored_entries(sizes, p, directed, loops)
    index_bytes = 4 if max(n, edges) < 2**31 else 8
    needed = edges * (index_bytes + dtype.itemsize) + 8 * n
    if needed > sum(limits):
        raise ValueError(f"n and p: about {edges:.4g} edges need {needed / 2**30:.1f} GiB "
                         f"on the workers, more than their memory limits together "
                         f"({sum(limits) / 2**30:.1f} GiB); add workers or memory, or a "
                         "smaller value dtype")


def _client(client):
    if client is None:
        try:
            from distributed import get_client
        except ImportError as exc:  # pragma: no cover - dask is a declared extra
            raise ImportError('sharded_sbm needs dask: pip install "fastnet[dask]"') from exc
        try:
            return get_client()
        except ValueError as exc:
            raise ValueError("sharded_sbm needs a Dask client: pass client=, or create a "
                             "distributed.Client first") from exc
    if getattr(client, "status", "running") != "running":
        raise ValueError(f"client must be a running distributed.Client; its status is "
                         f"{client.status!r}")
    return client


def _by_name(spec):
    """The weight spec with each ``np.random.<name>`` function replaced by its name (the
    workers call it on each chunk's ``RandomState``); NotImplementedError for any other
    function (see :func:`sharded_sbm`)."""
    funcs, args = spec
    named = np.empty(funcs.shape, dtype=object)
    for index, func in np.ndenumerate(funcs):
        if callable(func):
            if getattr(func, "__self__", None) is not np.random.mtrand._rand:
                raise NotImplementedError(
                    f"sharded_sbm draws weights with np.random.<name> functions, which each "
                    f"chunk calls on its own seeded RandomState; got {func!r}, which would "
                    "be copied to every worker with its state: use sbm for it")
            func = func.__name__
        named[index] = func
    return named, args


def sharded_sbm(n, p, *, directed: bool = False, loops: bool = False, wt=1, wtargs=None,
                seed: SeedLike = None, client=None, n_shards: int | None = None,
                dtype=np.float64) -> ShardedGraph:
    """Sample the stochastic block model of :func:`fastnet.graph.sbm` in row shards on
    a Dask cluster, and keep the shards there.

    For the same ``n``, ``p``, ``directed``, ``loops``, ``wt``, ``wtargs``, ``dtype`` and
    ``seed``, ``sharded_sbm(...).to_scipy()`` equals ``sbm(..., sparse=True)`` bit for
    bit, whatever the number of workers or shards: shards are ranges of sbm's fixed row
    chunks, each chunk's edges and weights drawn from its own seeds.

    Parameters
    ----------
    n, p, directed, loops, seed, dtype :
        As :func:`fastnet.graph.sbm`.
    wt, wtargs : as :func:`fastnet.graph.sbm`
        Numbers, or ``np.random.<name>`` functions (graspologic's), which each chunk
        calls on its own seeded ``RandomState``.  Other functions are refused
        (NotImplementedError): one that keeps its own state (a ``Generator``'s method,
        a closure) would be copied to every worker and draw the same numbers in every
        shard.
    client : distributed.Client, optional
        Default: the current client (``distributed.get_client()``).
    n_shards : int >= 1, optional
        Default: two per worker thread, at most one per row chunk.

    Returns
    -------
    ShardedGraph

    Examples
    --------
    >>> from distributed import Client, LocalCluster
    >>> from fastnet.graph import sbm, sharded_sbm
    >>> with LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster:
    ...     with Client(cluster) as client:
    ...         G = sharded_sbm([3_000, 2_000], [[0.01, 0.002], [0.002, 0.02]], seed=0)
    ...         A = G.to_scipy()
    >>> B = sbm([3_000, 2_000], [[0.01, 0.002], [0.002, 0.02]], sparse=True, seed=0)
    >>> G.n_edges == A.nnz == B.nnz, (A != B).nnz
    (True, 0)
    """
    sizes, p, directed, loops, constant, spec, dtype = check_sbm_arguments(
        n, p, directed, loops, wt, wtargs, dtype)
    spec = None if spec is None else _by_name(spec)
    values = check_values_fit(constant, dtype, "wt") if spec is None else None
    if n_shards is not None:
        n_shards = check_int(n_shards, "n_shards", minimum=1)
    client = _client(client)
    bounds = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    n_nodes = int(bounds[-1])
    structure_seed, weight_seed = spawn_sequences(as_seed_sequence(seed), 2)  # sbm's split
    seeds = _chunk_seeds(n_nodes, structure_seed)
    weight_seeds = _chunk_seeds(n_nodes, weight_seed) if spec is not None else seeds
    threads = sum(client.nthreads().values())
    if threads == 0:
        raise ValueError("the client's cluster has no workers; start some (or wait for "
                         "them with client.wait_for_workers) before sampling")
    _check_fits_on_workers(client, sizes, p, directed, loops, dtype)
    if n_shards is None:
        n_shards = 2 * threads
    n_shards = max(1, min(n_shards, seeds.size))
    cuts = [math.floor(i * seeds.size / n_shards) for i in range(n_shards + 1)]
    shards = [client.submit(_sample_shard, bounds, p, directed, loops, seeds[a:b], a,
                            values, dtype, spec, weight_seeds[a:b], pure=False)
              for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return ShardedGraph(client, shards, bounds, directed, dtype)
