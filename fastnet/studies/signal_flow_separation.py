"""Study: how well signal flow separates the blocks of a feedforward SBM.

The seed's signal-flow post samples a directed stochastic block model whose blocks
form a chain (``get_feedforward_B``: probability ``low_p`` everywhere, ``diag_p``
inside a block, ``feedforward_p`` from block ``b`` to block ``b + 1``), computes the
signal flow ``z = pinv(L) b`` of every node (``calc_signal_flow``) and looks at the
histograms of ``z`` per block; it ends by asking how the separation of the blocks
changes with the number of blocks and their size.  This study measures exactly that,
over a sweep of ``(n_blocks, block_size)`` with ``n_sims`` repetitions each.

Sign convention (of the seed and of :func:`fastnet.graph.signal_flow`): an edge
``i -> j`` asks for ``z_i = z_j + 1``, so the *source* is higher.  Block 0 projects to
block 1, block 1 to block 2, ... : block 0 is the top of the chain and the block means
decrease with the block index.  In a perfect chain (``low_p = diag_p = 0``,
``feedforward_p = 1``) every node of block ``b`` has ``z`` exactly 1 above every node
of block ``b + 1`` (the seed: "the signal flow of a node in block 0 is exactly 1
greater than the signal flow of the block it projects to").

The separation of adjacent blocks is ``P(z_i > z_j)`` for ``i`` uniform in block
``b`` and ``j`` uniform in block ``b + 1``, ties counting 1/2 - the area under the ROC
curve of ``z`` for telling block ``b`` from block ``b + 1``, equal to the Mann-Whitney
``U`` of block ``b`` divided by ``n_b n_{b+1}``.  It is computed exactly from
mid-ranks in O(n log n): 1 means perfectly ordered, 1/2 indistinguishable.

Graphs are sampled sparse (:func:`fastnet.graph.sbm` with ``sparse=True``, O(edges))
and the flows solved by conjugate gradients, so graphs of 10^6 nodes are fine - with
probabilities to match: a graph has about ``n_nodes * block_size * (diag_p +
feedforward_p + (n_blocks - 2) * low_p)`` edges, so the seed's probabilities suit blocks
of tens to thousands of nodes, and blocks of 10^5 nodes want probabilities ~1e-5
(5 blocks of 100,000 nodes at ``low_p=5e-6, diag_p=4e-5, feedforward_p=6e-5`` give
5.2 million edges).
``z`` has zero mean on every connected component of the graph (isolated nodes get 0);
the default probabilities give connected graphs.

Twin: :func:`fastnet.reference.studies.signal_flow_separation` (dense graspologic-style
sampler, ``pinv`` signal flow, pairwise-count separation).
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .._validation import check_bool, check_fits_in_memory, check_int
from ..graph import feedforward_block_probs, sbm, sharded_sbm, signal_flow
from ..parallel import check_task_count, run
from ..random import SeedLike
from .gmm_vs_kmeans import check_seed

__all__ = ["signal_flow_separation", "simulate", "summarize", "separation", "make_tasks",
           "to_long", "PARAMETER_COLUMNS", "LONG_COLUMNS"]

#: Columns of :func:`fastnet.parallel.run`'s table that identify a task.
PARAMETER_COLUMNS = ("task", "n_blocks", "block_size", "low_p", "diag_p", "feedforward_p",
                     "repetition", "seed")
#: Columns of the study's (long) table, in order.
LONG_COLUMNS = (*PARAMETER_COLUMNS, "block", "mean", "std", "separation", "min_separation")


def separation(z_upper, z_lower):
    """``P(z_upper[i] > z_lower[j])`` over all pairs ``(i, j)``, ties counting 1/2.

    The Mann-Whitney ``U`` statistic of ``z_upper`` divided by the number of pairs,
    from the mid-ranks of the pooled values: O(n log n) for n values, exact (ranks
    are multiples of 1/2, so every sum is exact in float64 below 2^52).

    >>> separation([3.0, 2.0], [1.0, 2.0])
    0.875
    """
    z_upper = np.asarray(z_upper, dtype=np.float64).ravel()
    z_lower = np.asarray(z_lower, dtype=np.float64).ravel()
    n_upper, n_lower = z_upper.size, z_lower.size
    if n_upper == 0 or n_lower == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([z_upper, z_lower]), method="average")
    u = ranks[:n_upper].sum() - n_upper * (n_upper + 1) / 2.0
    return float(u / (float(n_upper) * float(n_lower)))


def summarize(z, sizes):
    """The per-task summary of the signal flows ``z`` of consecutive blocks of the
    given ``sizes`` (block ``b`` is nodes ``sum(sizes[:b]) .. sum(sizes[:b+1]) - 1``).

    Returns
    -------
    dict
        ``mean_b`` and ``std_b`` (population standard deviation, ``ddof=0``) of ``z``
        over block ``b`` for every block; ``separation_b`` (:func:`separation` of
        block ``b`` against block ``b + 1``) for ``b < n_blocks - 1``; and
        ``min_separation``, the smallest of those (NaN with a single block).

    >>> summarize(np.array([1.0, 1.0, 0.0, -1.0]), [2, 1, 1])["min_separation"]
    1.0
    """
    z = np.asarray(z, dtype=np.float64)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    blocks = [z[bounds[b]:bounds[b + 1]] for b in range(len(sizes))]
    out = {}
    for b, values in enumerate(blocks):
        out[f"mean_{b}"] = float(values.mean())
        out[f"std_{b}"] = float(values.std())
    separations = [separation(blocks[b], blocks[b + 1]) for b in range(len(blocks) - 1)]
    for b, value in enumerate(separations):
        out[f"separation_{b}"] = value
    out["min_separation"] = float(min(separations)) if separations else float("nan")
    return out


def simulate(n_blocks, block_size, low_p, diag_p, feedforward_p, repetition, seed,
             client=None):
    """One task: a directed feedforward SBM of ``n_blocks`` blocks of ``block_size``
    nodes sampled sparse from ``seed``, its signal flow, and :func:`summarize` of it
    (a dict).  ``repetition`` only labels the task; the draws depend on ``seed``.
    With a Dask ``client`` the graph is sampled and solved in shards on its workers
    (:func:`fastnet.graph.sharded_sbm`): the same graph, the same flows to 1e-8."""
    sizes = [block_size] * n_blocks
    p = feedforward_block_probs(n_blocks, low_p, diag_p, feedforward_p)
    if client is not None:
        G = sharded_sbm(sizes, p, directed=True, seed=seed, dtype=np.bool_, client=client)
        return summarize(signal_flow(G), sizes)
    A = sbm(sizes, p, directed=True, sparse=True, seed=seed)
    return summarize(signal_flow(A), sizes)


def _int_list(value, name, minimum):
    values = [value] if isinstance(value, numbers.Integral) else value
    try:
        values = list(values)
    except TypeError:
        raise TypeError(f"{name} must be an int >= {minimum} or a non-empty sequence of "
                        f"them; got {type(value).__name__}") from None
    if not values:
        raise ValueError(f"{name} must be an int >= {minimum} or a non-empty sequence of "
                         f"them; got an empty sequence")
    return [check_int(v, name, minimum=minimum) for v in values]


def _probability(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a probability in [0, 1]; got {type(value).__name__}")
    if not 0.0 <= float(value) <= 1.0:  # NaN fails too
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value}")
    return float(value)


def make_tasks(n_blocks=(5,), block_size=(50,), low_p=0.05, diag_p=0.2, feedforward_p=0.3,
               n_sims=1, seed=2024):
    """The validated task list: one dict of :func:`simulate`'s parameters per
    ``(n_blocks, block_size, repetition)``, ``n_blocks`` outermost, repetition
    innermost.  A ``TypeError`` or ``ValueError`` names the first bad argument.

    >>> [tuple(t.values())[:2] + (t["repetition"],) for t in make_tasks((2, 3), 10, n_sims=2)]
    [(2, 10, 0), (2, 10, 1), (3, 10, 0), (3, 10, 1)]
    """
    n_blocks = _int_list(n_blocks, "n_blocks", 2)
    block_size = _int_list(block_size, "block_size", 1)
    low_p = _probability(low_p, "low_p")
    diag_p = _probability(diag_p, "diag_p")
    feedforward_p = _probability(feedforward_p, "feedforward_p")
    n_sims = check_int(n_sims, "n_sims", minimum=1)
    check_seed(seed)
    check_task_count(len(n_blocks) * len(block_size) * n_sims, "n_sims")
    n_nodes = max(n_blocks) * max(block_size)
    # the sparse graph's node arrays and signal flow's vectors: ~ 128 bytes a node (on
    # the client too when sharded: CG's vectors live there)
    check_fits_in_memory(128 * n_nodes, "block_size", f"a graph of {n_nodes} nodes")
    return [{"n_blocks": k, "block_size": m, "low_p": low_p, "diag_p": diag_p,
             "feedforward_p": feedforward_p, "repetition": r}
            for k in n_blocks for m in block_size for r in range(n_sims)]


def to_long(wide):
    """One row per (task, block) from the one-row-per-task table of :func:`simulate`
    results (``mean_b``, ``std_b``, ``separation_b``, ``min_separation`` columns,
    missing where a task has fewer blocks); columns :data:`LONG_COLUMNS`."""
    wide = wide.reset_index(drop=True)
    counts = wide["n_blocks"].to_numpy(dtype=np.int64)
    rows = np.repeat(np.arange(len(wide)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    blocks = np.arange(rows.size) - starts  # 0 .. n_blocks - 1 within every task
    long = wide.loc[rows, list(PARAMETER_COLUMNS)].reset_index(drop=True)
    long["block"] = blocks
    width = int(counts.max()) if len(wide) else 0

    def gather(prefix):
        table = np.full((len(wide), width), np.nan)
        for b in range(width):
            if f"{prefix}_{b}" in wide:
                table[:, b] = wide[f"{prefix}_{b}"].to_numpy(dtype=np.float64)
        return table[rows, blocks]

    long["mean"] = gather("mean")
    long["std"] = gather("std")
    long["separation"] = np.where(blocks == counts[rows] - 1, np.nan, gather("separation"))
    long["min_separation"] = wide["min_separation"].to_numpy(dtype=np.float64)[rows]
    return pd.DataFrame(long, columns=list(LONG_COLUMNS))


def signal_flow_separation(n_blocks: int | Sequence[int] = (5,),
                           block_size: int | Sequence[int] = (50,), low_p: float = 0.05,
                           diag_p: float = 0.2, feedforward_p: float = 0.3, n_sims: int = 1,
                           seed: SeedLike = 2024, n_jobs: int = 1, backend: str | None = None,
                           progress: bool = False,
                           checkpoint: str | os.PathLike | None = None,
                           scheduler: str | None = None,
                           sharded: bool = False) -> pd.DataFrame:
    """Signal flow per block of directed feedforward SBMs, and how well it separates
    adjacent blocks, over a sweep of chain lengths and block sizes.

    Parameters
    ----------
    n_blocks : int >= 2 or sequence of them
        Blocks in the chain (block ``b`` projects to block ``b + 1``).
    block_size : int >= 1 or sequence of them
        Nodes per block.
    low_p, diag_p, feedforward_p : float in [0, 1]
        Edge probability between unrelated blocks, inside a block, and from a block to
        the next one (the seed's ``get_feedforward_B``; defaults: the seed's noisy chain).
    n_sims : int >= 1
        Repetitions of every ``(n_blocks, block_size)`` pair.
    seed : int >= 0, SeedSequence or None
        Study seed; task ``i`` (in the order below) samples its graph from the ``i``-th
        child (:func:`fastnet.random.spawn_seeds`), so the table does not depend on
        ``n_jobs``.  Changing the sweep renumbers the tasks and so changes their seeds.
    n_jobs, backend, progress, checkpoint, scheduler :
        Passed to :func:`fastnet.parallel.run` (one task per graph).
    sharded : bool
        For graphs too large for one worker: the tasks run one after another, each
        graph sampled and solved in shards on the Dask cluster at ``scheduler`` (or the
        current client) by :func:`fastnet.graph.sharded_sbm` and ``signal_flow``; the
        same graphs and, to 1e-8, the same flows.  ``n_jobs`` and ``backend`` must
        then be left at their defaults; ``checkpoint`` and ``progress`` work as usual.

    Returns
    -------
    pandas.DataFrame
        Long form, one row per (task, block); tasks ordered by ``n_blocks``, then
        ``block_size``, then repetition, blocks 0 .. n_blocks - 1 within a task.
        Columns:

        - ``task``, ``n_blocks``, ``block_size``, ``low_p``, ``diag_p``,
          ``feedforward_p``, ``repetition``, ``seed``: the task (``seed`` is the
          task's child seed);
        - ``block``: the block index ``b`` (0 is the top of the chain);
        - ``mean``, ``std``: mean and population standard deviation of ``z`` over the
          block (``z`` has zero mean over a connected graph, so the means decrease
          from positive to negative down the chain);
        - ``separation``: ``P(z_i > z_j)`` for ``i`` in block ``b``, ``j`` in block
          ``b + 1`` (ties 1/2; NaN for the last block);
        - ``min_separation``: the smallest ``separation`` of the task, repeated on
          each of its rows (``df.groupby("task").min_separation.first()``).

    Examples
    --------
    A perfect chain of 3 blocks of 4 nodes: each block sits 1 above the next.

    >>> df = signal_flow_separation(n_blocks=3, block_size=4, low_p=0.0, diag_p=0.0,
    ...                             feedforward_p=1.0)
    >>> df.set_index("block")[["mean", "std", "separation"]].round(12) + 0.0
           mean  std  separation
    block
    0       1.0  0.0         1.0
    1       0.0  0.0         1.0
    2      -1.0  0.0         NaN
    """
    tasks = make_tasks(n_blocks, block_size, low_p, diag_p, feedforward_p, n_sims, seed)
    if check_bool(sharded, "sharded"):
        if n_jobs != 1 or backend is not None:
            raise ValueError("sharded=True runs the tasks one after another on the cluster's "
                             f"shards; leave n_jobs (got {n_jobs!r}) and backend (got "
                             f"{backend!r}) at their defaults")
        with _sharding_client(scheduler) as client:
            wide = run(functools.partial(simulate, client=client), tasks, seed=seed,
                       progress=progress, checkpoint=checkpoint)
        return to_long(wide)
    wide = run(simulate, tasks, seed=seed, n_jobs=n_jobs, backend=backend, progress=progress,
               checkpoint=checkpoint, scheduler=scheduler)
    return to_long(wide)


@contextlib.contextmanager
def _sharding_client(scheduler):
    """A client of the cluster at ``scheduler`` (closed afterwards), else the current one."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a declared extra
        raise ImportError('sharded=True needs dask: pip install "fastnet[dask]"') from exc
    if scheduler is None:
        try:
            yield distributed.get_client()
        except ValueError as exc:
            raise ValueError("sharded=True needs a Dask cluster: pass scheduler= or create a "
                             "distributed.Client first") from exc
        return
    with distributed.Client(scheduler) as client:
        yield client
