"""Edge weights and degree correction of sampled stochastic block models: graspologic's
``wt``/``wtargs`` (a number, a function or a block matrix of them) and ``dc``/``dc_kws``
(degree-corrected sampling).

Weight functions draw per chunk of rows (the sampler's chunks): chunk c seeds a
``RandomState`` from its own child of the weight seed and, for each block pair in
row-major order, draws that pair's edges of the chunk in one call, which they take in
row-major edge order.  ``np.random.<name>`` functions are rebound to that
``RandomState`` (:func:`_seeded`), so weighted graphs are reproducible from ``seed=``
like the structure, and a shard of consecutive chunks draws its own weights
(:func:`fastnet.graph.sharded_sbm`): the same ones.  Used by :func:`fastnet.graph.sbm`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._jit import PARALLEL_MIN_WORK, jit, parallel_jit, prange
from .._validation import real_float64

__all__ = ["check_block_matrix", "weight_spec", "blocks_of", "node_blocks", "edge_weights",
           "constant_values", "drawn_weights", "degree_corrected"]

FILL_CHUNK = 1 << 16  # elements per chunk of the parallel fill


# ---------------------------------------------------------------- validation
def check_block_matrix(value, n_blocks, name, directed):
    arr = real_float64(value, name, f"a {n_blocks}x{n_blocks} array of real numbers")
    if arr.shape != (n_blocks, n_blocks):
        raise ValueError(f"{name} must have shape len(n) x len(n) = ({n_blocks}, {n_blocks}); "
                         f"got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    if not directed and not np.array_equal(arr, arr.T):
        raise ValueError(f"{name} must be symmetric when directed=False (an undirected "
                         "graph has one value per unordered block pair); pass directed=True")
    return np.ascontiguousarray(arr)


def weight_spec(wt, wtargs, n_blocks, directed):
    """None for a single number, else a KxK object array of (number | callable, kwargs)."""
    if isinstance(wt, numbers.Real) and not isinstance(wt, bool):
        if not np.isfinite(wt):
            raise ValueError(f"wt must be finite; got {wt}")
        return float(wt), None
    if callable(wt):
        if wtargs is not None and not isinstance(wtargs, dict):
            raise TypeError(f"wtargs must be a dict of keyword arguments for wt; "
                            f"got {type(wtargs).__name__}")
        funcs = np.empty((n_blocks, n_blocks), dtype=object)
        args = np.empty((n_blocks, n_blocks), dtype=object)
        for i in range(n_blocks):
            for j in range(n_blocks):
                funcs[i, j], args[i, j] = wt, wtargs or {}
        return None, (funcs, args)
    funcs = np.array(wt, dtype=object)
    if funcs.shape != (n_blocks, n_blocks):
        raise ValueError(f"wt must be a number, a function or a len(n) x len(n) = "
                         f"({n_blocks}, {n_blocks}) array of them; got shape {funcs.shape}")
    if all(isinstance(f, numbers.Real) and not isinstance(f, bool) for f in funcs.flat):
        return check_block_matrix(funcs.astype(np.float64), n_blocks, "wt", directed), None
    for f in funcs.flat:
        if not (callable(f) or (isinstance(f, numbers.Real) and np.isfinite(f))):
            raise TypeError(f"wt entries must be finite numbers or functions; got {f!r}")
    if wtargs is None:
        args = np.empty((n_blocks, n_blocks), dtype=object)
        for idx in np.ndindex(n_blocks, n_blocks):
            args[idx] = {}
    else:
        args = np.array(wtargs, dtype=object)
        if args.shape != (n_blocks, n_blocks):
            raise ValueError(f"wtargs must be a len(n) x len(n) = ({n_blocks}, {n_blocks}) "
                             f"array of dicts when wt is an array; got shape {args.shape}")
    if not directed and any(funcs[i, j] is not funcs[j, i] or args[i, j] != args[j, i]
                            for i in range(n_blocks) for j in range(n_blocks)):
        raise ValueError("wt and wtargs must be symmetric when directed=False; "
                         "pass directed=True")
    return None, (funcs, args)


def _seeded(func, random_state):
    """``np.random.<name>`` (the global legacy generator) becomes the same method of a
    seeded ``RandomState``, so graspologic-style calls are reproducible; any other
    callable is used as given."""
    if getattr(func, "__self__", None) is np.random.mtrand._rand:
        return getattr(random_state, func.__name__)
    return func


# ---------------------------------------------------------------- edge weights
@parallel_jit
def _fill(out, value):
    """out[:] = value, in fixed chunks over the threads.  Writing a fresh array of one
    value per edge is mostly first touch of its pages, which a serial ``np.full``
    leaves to one thread (issue 18)."""
    n_chunks = (out.shape[0] + FILL_CHUNK - 1) // FILL_CHUNK
    for c in prange(n_chunks):
        for i in range(c * FILL_CHUNK, min(out.shape[0], (c + 1) * FILL_CHUNK)):
            out[i] = value


def constant_values(size, value, dtype):
    """``np.full(size, value, dtype)`` (the same conversion of ``value``), filled in
    parallel when it is large."""
    fill = np.full(1, value, dtype=dtype)
    out = np.empty(size, dtype=fill.dtype)
    if size < PARALLEL_MIN_WORK:
        out[:] = fill[0]
    else:
        _fill(out, fill[0])
    return out


@parallel_jit
def _block_pair_values(indptr, indices, block_of, values, data):
    for r in prange(indptr.shape[0] - 1):
        for e in range(indptr[r], indptr[r + 1]):
            data[e] = values[block_of[r], block_of[indices[e]]]


@jit
def _scatter_by_pair(pair, starts, draws, out):
    """out[e] = the next of pair[e]'s draws (``draws`` holds each pair's draws from
    ``starts[pair]`` on): each pair's draws in the order of its edges."""
    cursor = starts.copy()
    for e in range(pair.shape[0]):
        out[e] = draws[cursor[pair[e]]]
        cursor[pair[e]] += 1


def blocks_of(bounds, nodes):
    """The block index of each of ``nodes``, from the cumulative block bounds."""
    return np.searchsorted(bounds, nodes, side="right") - 1


def node_blocks(bounds):
    """The block index of every node, from the cumulative block bounds."""
    return np.repeat(np.arange(bounds.size - 1, dtype=np.int64), np.diff(bounds))


def edge_weights(indptr, indices, bounds, constant, spec, chunk_rows, chunk_seeds,
                 dtype=np.float64):
    """The stored value of every edge, as ``dtype`` (checked by
    :func:`check_values_fit`): constants per block pair, or the draws of
    :func:`drawn_weights` from ``chunk_seeds`` (one per chunk of ``chunk_rows`` rows)."""
    if spec is None:
        if np.ndim(constant) == 0:
            return constant_values(indices.size, constant, dtype)
        data = np.empty(indices.size, dtype=dtype)
        _block_pair_values(indptr, indices, node_blocks(bounds), constant.astype(dtype), data)
        return data
    return drawn_weights(indptr, indices, 0, bounds, spec, chunk_rows, chunk_seeds, dtype)


def _chunk_random_state(seed):
    """The legacy ``RandomState`` of a chunk, seeded with both halves of its uint64 seed."""
    seed = int(seed)
    return np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32])


def _pair_draws(func, kwargs, random_state, m, dtype, i, j):
    """Block pair (i, j)'s ``m`` weights: a number, an ``np.random`` function's name or
    a function, called as ``func(size=m, **kwargs)``."""
    if isinstance(func, str):
        values = getattr(random_state, func)(size=m, **kwargs)
    elif callable(func):
        values = _seeded(func, random_state)(size=m, **kwargs)
    else:
        return check_values_fit(np.full(m, float(func)), dtype, f"wt[{i}, {j}]")
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size != m or not np.isfinite(values).all():
        raise ValueError(f"wt[{i}, {j}](size={m}, **wtargs) must return {m} finite "
                         f"numbers; got {values.size} values")
    return check_values_fit(values, dtype, f"wt[{i}, {j}]")


def drawn_weights(indptr, indices, first_row, bounds, spec, chunk_rows, chunk_seeds, dtype):
    """The weights of the edges of consecutive CSR rows starting at node ``first_row``
    (a whole graph, or a shard whose rows are whole chunks), drawn per chunk as the
    module docstring says: chunk c of these rows from ``chunk_seeds[c]``.  No n-length
    arrays: blocks come from ``bounds`` per chunk."""
    funcs, args = spec
    K = funcs.shape[0]
    n_rows = indptr.size - 1
    data = np.empty(indices.size, dtype=dtype)
    for c, seed in enumerate(chunk_seeds):
        r0, r1 = c * chunk_rows, min(n_rows, (c + 1) * chunk_rows)
        e0, e1 = int(indptr[r0]), int(indptr[r1])
        if e0 == e1:
            continue
        row_blocks = blocks_of(bounds, np.arange(first_row + r0, first_row + r1))
        col_blocks = blocks_of(bounds, indices[e0:e1])
        pair = np.repeat(row_blocks, np.diff(indptr[r0:r1 + 1])) * K + col_blocks
        counts = np.bincount(pair, minlength=K * K)
        random_state = _chunk_random_state(seed)
        draws = [_pair_draws(funcs[i, j], args[i, j], random_state, int(counts[i * K + j]),
                             dtype, i, j)
                 for i, j in np.ndindex(K, K) if counts[i * K + j]]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        _scatter_by_pair(pair, starts, np.concatenate(draws), data[e0:e1])
    return data


def check_value_dtype(dtype):
    """``dtype`` as a NumPy bool, integer or floating dtype, else TypeError."""
    try:
        value = np.dtype(dtype)
    except TypeError:
        value = None
    if value is None or value.kind not in "biuf":
        raise TypeError(f"dtype must be a NumPy bool, integer or floating dtype (float64, "
                        f"float32, int8, bool, ...); got {dtype!r}")
    return value


def check_values_fit(values, dtype, name):
    """``values`` (float64) as ``dtype``: ValueError if an integer or bool dtype would
    change a value or a floating one would overflow, so a stored weight is never
    silently different from the drawn one beyond rounding."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        cast = values.astype(dtype)
    if dtype.kind == "f":
        bad = ~np.isfinite(cast)
    else:
        bad = cast.astype(np.float64) != values
    if bad.any():
        raise ValueError(f"{name}: weight {float(values[bad][0])!r} cannot be stored as {dtype} "
                         "(pass a wider dtype=)")
    return cast


# ---------------------------------------------------------------- degree correction
def _degree_weights(dc, dc_kws, sizes, bounds, random_state):
    n = int(bounds[-1])
    given = False  # per-node numbers (warn when normalised) rather than drawn weights
    if callable(dc):
        if not isinstance(dc_kws, dict):
            raise TypeError(f"dc_kws must be a dict when dc is a function; "
                            f"got {type(dc_kws).__name__}")
        draw = _seeded(dc, random_state)
        weights = np.array([draw(**dc_kws) for _ in range(n)], dtype=np.float64)
    elif isinstance(dc, (list, tuple, np.ndarray)) and len(dc) and all(callable(f) for f in dc):
        if len(dc) != sizes.size:
            raise ValueError(f"dc must have one function per block ({sizes.size}); got {len(dc)}")
        kws = [{} for _ in dc] if isinstance(dc_kws, dict) and not dc_kws else list(dc_kws)
        if len(kws) != sizes.size or not all(isinstance(k, dict) for k in kws):
            raise ValueError(f"dc_kws must be a list of {sizes.size} dicts (one per block)")
        weights = np.array([_seeded(f, random_state)(**k)
                            for f, k, size in zip(dc, kws, sizes, strict=True)
                            for _ in range(size)], dtype=np.float64).reshape(-1)
    else:
        given = True
        try:
            weights = np.array(dc, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("dc must be a function, a list of one function per block, or "
                            f"{n} numbers (one per node); got {type(dc).__name__}") from None
        if weights.shape != (n,):
            raise ValueError(f"dc must have one weight per node ({n}); got shape {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("dc must give finite, non-negative degree weights")
    for b in range(sizes.size):
        block = weights[bounds[b]:bounds[b + 1]]
        total = block.sum()
        if block.size and total <= 0:
            raise ValueError(f"dc: the weights of block {b} sum to 0")
        if given and block.size and not np.isclose(total, 1.0, atol=1e-8):
            warnings.warn(f"dc: block {b} weights sum to {total:.6g}, normalizing",
                          UserWarning, stacklevel=4)
        block /= total
    return weights


def degree_corrected(sizes, bounds, p, directed, loops, constant, spec, dc, dc_kws,
                      generator):
    """graspologic's degree-corrected sampler (dense): per block pair, the number of
    edges is Binomial(n_i n_j, p) and their positions are drawn without replacement
    with probability dc[u] dc[v]."""
    n, n_blocks = int(bounds[-1]), sizes.size
    random_state = np.random.RandomState(generator.integers(2**32))
    weights = _degree_weights(dc, dc_kws, sizes, bounds, random_state)
    A = np.zeros((n, n))
    for i in range(n_blocks):
        for j in range(n_blocks) if directed else range(i, n_blocks):
            rows = np.arange(bounds[i], bounds[i + 1])
            cols = np.arange(bounds[j], bounds[j + 1])
            if rows.size == 0 or cols.size == 0:
                continue
            dist = np.outer(weights[rows], weights[cols]).ravel()
            n_edges = generator.binomial(rows.size * cols.size, p[i, j])
            support = int(np.count_nonzero(dist))
            if n_edges > support:
                warnings.warn("dc: more edges sampled than pairs with nonzero dc weight; "
                              "picking fewer edges", UserWarning, stacklevel=3)
                n_edges = support
            flat = generator.choice(dist.size, size=n_edges, replace=False, p=dist / dist.sum())
            r, c = rows[flat // cols.size], cols[flat % cols.size]
            if spec is None:
                value = constant if np.ndim(constant) == 0 else constant[i, j]
            else:
                func, kwargs = spec[0][i, j], spec[1][i, j]
                value = (_seeded(func, random_state)(size=n_edges, **kwargs)
                         if callable(func) else float(func))
            A[r, c] = value
    if not loops:
        np.fill_diagonal(A, 0.0)
    if not directed:
        A = np.triu(A) + np.triu(A, 1).T
    return A
