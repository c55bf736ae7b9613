"""Twins of :mod:`fastnet.studies`: the same studies as plain serial loops over the same
per-task seeds, with scikit-learn's estimators and the pure-NumPy graph twins.

They return tables with the same columns as the fast studies.  Only the data are
shared (the same sampler, :func:`fastnet.studies.gmm_vs_kmeans.generate_data`, from the
same task seeds); the estimators are scikit-learn's, whose initialisation draws differ
from fastnet's, and the graph sampler is :func:`fastnet.reference.graph.sbm`, whose
draws differ from :func:`fastnet.graph.sbm`.  So compare these tables with the fast
ones in distribution (means, spreads), not row by row.  The graphs are dense here:
use blocks of at most a few hundred nodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from ..random import spawn_seeds
from ..studies.gmm_vs_kmeans import check_arguments, generate_data, task_seeds
from ..studies.signal_flow_separation import make_tasks, to_long
from . import graph

__all__ = ["gmm_vs_kmeans", "signal_flow_separation"]


# ---------------------------------------------------------------- GMM vs k-means
def _simulate_gmm_vs_kmeans(n_samples, n_init, seed):
    """The seed's ``run_experiment`` with scikit-learn's estimators, on the data and
    ``random_state`` values the fast study derives from the same task seed."""
    data_seed, gmm_state, kmeans_state = task_seeds(seed)
    X, y = generate_data(n_samples, seed=data_seed)
    gmm = GaussianMixture(n_components=3, covariance_type="full", n_init=n_init,
                          random_state=gmm_state)
    ari_gmm = float(adjusted_rand_score(y, gmm.fit_predict(X)))
    kmeans = KMeans(n_clusters=3, n_init=n_init, random_state=kmeans_state)
    ari_kmeans = float(adjusted_rand_score(y, kmeans.fit_predict(X)))
    return {"ari_gmm": ari_gmm, "ari_kmeans": ari_kmeans, "difference": ari_gmm - ari_kmeans}


def gmm_vs_kmeans(n_sims=40, seed=8888, n_samples=300, n_init=20, n_jobs=1, backend=None,
                  progress=False, checkpoint=None, scheduler=None):
    """:func:`fastnet.studies.gmm_vs_kmeans` with scikit-learn's ``GaussianMixture``,
    ``KMeans`` and ``adjusted_rand_score``, one simulation after the other.
    ``n_jobs`` .. ``scheduler`` are accepted for a matching signature and ignored."""
    n_sims, seed, n_samples, n_init = check_arguments(n_sims, seed, n_samples, n_init)
    rows = []
    for task, task_seed in enumerate(spawn_seeds(seed, n_sims)):
        result = _simulate_gmm_vs_kmeans(n_samples, n_init, int(task_seed))
        rows.append({"task": task, "n_samples": n_samples, "n_init": n_init,
                     "seed": int(task_seed), **result})
    table = pd.DataFrame(rows)
    table["seed"] = table["seed"].astype(np.uint64)  # as fastnet.parallel.run's tables
    return table


# ---------------------------------------------------------------- signal flow separation
def _separation(z_upper, z_lower):
    """``P(z_i > z_j)`` (ties 1/2) by counting all ``n_upper x n_lower`` pairs."""
    greater = z_upper[:, None] > z_lower[None, :]
    equal = z_upper[:, None] == z_lower[None, :]
    return float((greater.sum() + 0.5 * equal.sum()) / greater.size)


def _summarize(z, sizes):
    """The summary of :func:`fastnet.studies.signal_flow_separation.summarize`, written
    out: boolean masks per block, ``np.mean``/``np.std``, pairwise counts."""
    labels = graph.block_labels(sizes)
    out = {}
    for b in range(len(sizes)):
        out[f"mean_{b}"] = float(np.mean(z[labels == b]))
        out[f"std_{b}"] = float(np.std(z[labels == b]))
    separations = [_separation(z[labels == b], z[labels == b + 1])
                   for b in range(len(sizes) - 1)]
    for b, value in enumerate(separations):
        out[f"separation_{b}"] = value
    out["min_separation"] = min(separations) if separations else float("nan")
    return out


def _simulate_signal_flow(n_blocks, block_size, low_p, diag_p, feedforward_p, repetition,
                          seed):
    """The seed's pipeline: ``get_feedforward_B``, a dense directed SBM without loops,
    ``calc_signal_flow`` (``pinv``), then the per-block summary."""
    sizes = [block_size] * n_blocks
    p = graph.feedforward_block_probs(n_blocks, low_p, diag_p, feedforward_p)
    A = graph.sbm(sizes, p, directed=True, loops=False, seed=seed)
    return _summarize(graph.signal_flow(A), sizes)


def signal_flow_separation(n_blocks=(5,), block_size=(50,), low_p=0.05, diag_p=0.2,
                           feedforward_p=0.3, n_sims=1, seed=2024, n_jobs=1, backend=None,
                           progress=False, checkpoint=None, scheduler=None):
    """:func:`fastnet.studies.signal_flow_separation` with dense graphs, ``pinv`` signal
    flow and pairwise-count separations, one task after the other, on the same task
    list and task seeds; the same long table.  ``n_jobs`` .. ``scheduler`` are accepted
    for a matching signature and ignored."""
    tasks = make_tasks(n_blocks, block_size, low_p, diag_p, feedforward_p, n_sims, seed)
    rows = []
    seeds = spawn_seeds(seed, len(tasks))
    for i, (task, task_seed) in enumerate(zip(tasks, seeds, strict=True)):
        summary = _simulate_signal_flow(**task, seed=int(task_seed))
        rows.append({"task": i, **task, "seed": int(task_seed), **summary})
    wide = pd.DataFrame(rows)
    wide["seed"] = wide["seed"].astype(np.uint64)  # as fastnet.parallel.run's tables
    return to_long(wide)
