"""Study: Gaussian mixture vs k-means on anisotropic Gaussian blobs.

The seed's experiment (``generate_data`` / ``run_experiment``): draw 300 points from
three Gaussian blobs of standard deviation 2.5 around centres uniform in
``[-10, 10]^2`` (scikit-learn's ``make_blobs`` defaults), stretch them with the linear
map ``X @ [[0.6, -0.6], [-0.4, 0.8]]``, cluster them with a full-covariance Gaussian
mixture and with k-means (3 components, 20 starts each) and record the adjusted Rand
index of both against the true blobs.  The map makes each blob an ellipse that
k-means' spherical clusters cannot follow, so the mixture usually wins.

Every simulation draws all its randomness from its own task seed (one child of the
study ``seed``, see :func:`fastnet.parallel.run`), so the table is the same for any
``n_jobs`` or backend.  Twin: :func:`fastnet.reference.studies.gmm_vs_kmeans`
(scikit-learn's estimators on the same data).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_fits_in_memory, check_int
from ..cluster import GaussianMixture, KMeans, adjusted_rand_score
from ..parallel import check_task_count, run
from ..random import SeedLike, as_seed_sequence, rng, spawn_sequences

if TYPE_CHECKING:  # pandas comes with the table fastnet.parallel.run builds
    import pandas as pd

__all__ = ["gmm_vs_kmeans", "simulate", "generate_data", "task_seeds", "check_arguments",
           "check_seed", "N_CLUSTERS", "CLUSTER_STD", "CENTER_BOX", "TRANSFORMATION",
           "OUTPUT_COLUMNS"]

N_CLUSTERS = 3  # make_blobs' default number of centres, and the number fitted
CLUSTER_STD = 2.5  # the seed's cluster_std
CENTER_BOX = (-10.0, 10.0)  # make_blobs' default box for the centres
#: The seed's anisotropic map, applied on the right: ``X_aniso = X @ TRANSFORMATION``.
TRANSFORMATION = np.array([[0.6, -0.6], [-0.4, 0.8]])
#: The outputs of one simulation, in column order.
OUTPUT_COLUMNS = ("ari_gmm", "ari_kmeans", "difference")


def generate_data(n_samples: int = 300,
                  seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The seed's ``generate_data``: three anisotropic Gaussian blobs and their labels.

    As ``make_blobs(n_samples, cluster_std=2.5)`` followed by ``X @ TRANSFORMATION``:
    centres uniform in ``[-10, 10]^2``, ``n_samples // 3`` points per blob (the first
    ``n_samples % 3`` blobs get one more), isotropic noise of standard deviation 2.5,
    rows shuffled.  So the points of blob ``k`` are Gaussian with mean
    ``c_k @ M`` and covariance ``2.5^2 M^T M`` (``M = TRANSFORMATION``).  All draws
    come from ``numpy.random.default_rng(seed)``; the global NumPy state is untouched.

    Parameters
    ----------
    n_samples : int >= 3
    seed : int, SeedSequence, numpy Generator or None

    Returns
    -------
    X : (n_samples, 2) float64 ndarray
    y : (n_samples,) int64 ndarray of blob labels 0, 1, 2

    Examples
    --------
    >>> X, y = generate_data(7, seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((7, 2), [3, 2, 2])
    """
    n_samples = check_int(n_samples, "n_samples", minimum=N_CLUSTERS)
    generator = rng(seed)
    centers = generator.uniform(CENTER_BOX[0], CENTER_BOX[1], size=(N_CLUSTERS, 2))
    counts = np.full(N_CLUSTERS, n_samples // N_CLUSTERS)
    counts[: n_samples % N_CLUSTERS] += 1
    y = np.repeat(np.arange(N_CLUSTERS, dtype=np.int64), counts)
    X = centers[y] + CLUSTER_STD * generator.standard_normal((n_samples, 2))
    order = generator.permutation(n_samples)
    return X[order] @ TRANSFORMATION, y[order]


def task_seeds(seed):
    """What one simulation draws from its task ``seed``: ``(data_seed, gmm_state,
    kmeans_state)``, three independent children of ``seed`` - a ``SeedSequence`` for
    :func:`generate_data` and two ints in ``[0, 2^32)`` for the estimators'
    ``random_state`` (a range scikit-learn accepts too, so the twin uses the same ones)."""
    data_seed, gmm_seed, kmeans_seed = spawn_sequences(seed, 3)
    return (data_seed, int(gmm_seed.generate_state(1)[0]),
            int(kmeans_seed.generate_state(1)[0]))


def simulate(n_samples, n_init, seed):
    """One simulation: data from :func:`generate_data`, then fastnet's
    ``GaussianMixture`` (full covariances) and ``KMeans``, 3 components and ``n_init``
    starts each, scored by the adjusted Rand index against the true blobs.

    Returns
    -------
    dict with ``ari_gmm``, ``ari_kmeans`` and ``difference = ari_gmm - ari_kmeans``
    (floats).
    """
    data_seed, gmm_state, kmeans_state = task_seeds(seed)
    X, y = generate_data(n_samples, seed=data_seed)
    # fastnet's own start (fastnet k-means responsibilities, fastnet's seeding)
    gmm = GaussianMixture(N_CLUSTERS, covariance_type="full", n_init=n_init,
                          init_params="fastnet_kmeans", random_state=gmm_state)
    # fastnet's seeding (a SeedSequence random_state): the seeds' k-means++ draws
    kmeans = KMeans(N_CLUSTERS, init="k-means++", n_init=n_init,
                    random_state=np.random.SeedSequence(kmeans_state))
    ari_gmm = float(adjusted_rand_score(y, gmm.fit_predict(X)))
    ari_kmeans = float(adjusted_rand_score(y, kmeans.fit_predict(X)))
    return {"ari_gmm": ari_gmm, "ari_kmeans": ari_kmeans, "difference": ari_gmm - ari_kmeans}


def check_seed(seed):
    """A study seed: an int >= 0 or a ``SeedSequence`` (``None`` is refused, as by
    :func:`fastnet.parallel.run`: the table would not be reproducible)."""
    if seed is None:
        raise TypeError("seed must be an int >= 0 or a numpy.random.SeedSequence; got None "
                        "(the study would not be reproducible)")
    return as_seed_sequence(seed, "seed")


def check_arguments(n_sims, seed, n_samples, n_init):
    """Validated ``(n_sims, seed, n_samples, n_init)``; a ``TypeError`` or
    ``ValueError`` naming the first bad argument."""
    n_sims = check_int(n_sims, "n_sims", minimum=1)
    check_task_count(n_sims, "n_sims")
    check_seed(seed)
    n_samples = check_int(n_samples, "n_samples", minimum=N_CLUSTERS)
    # X, its shuffled and mapped copies, labels and the estimators' per-point buffers
    check_fits_in_memory(256 * n_samples, "n_samples", f"a simulation of {n_samples} points")
    n_init = check_int(n_init, "n_init", minimum=1)
    return n_sims, seed, n_samples, n_init


def gmm_vs_kmeans(n_sims: int = 40, seed: SeedLike = 8888, n_samples: int = 300,
                  n_init: int = 20, n_jobs: int = 1, backend: str | None = None,
                  progress: bool = False, checkpoint: str | os.PathLike | None = None,
                  scheduler: str | None = None) -> pd.DataFrame:
    """Adjusted Rand index of a Gaussian mixture and of k-means on ``n_sims`` fresh
    anisotropic blob data sets (the seed's ``run_experiment``, repeated).

    Parameters
    ----------
    n_sims : int >= 1
        Number of simulations (data sets).
    seed : int >= 0, SeedSequence or None
        Study seed; simulation ``i`` uses its ``i``-th child
        (:func:`fastnet.random.spawn_seeds`), so rows do not depend on ``n_jobs``
        and the first ``k`` rows of a longer study are those of ``n_sims = k``.
    n_samples : int >= 3
        Points per data set (split as evenly as possible over the 3 blobs).
    n_init : int >= 1
        Starts of each estimator; each keeps its best start.
    n_jobs, backend, progress, checkpoint, scheduler :
        Passed to :func:`fastnet.parallel.run`.

    Returns
    -------
    pandas.DataFrame
        One row per simulation, in order, with columns ``task`` (0 .. n_sims - 1),
        ``n_samples``, ``n_init``, ``seed`` (the simulation's seed, an int),
        ``ari_gmm``, ``ari_kmeans`` and ``difference`` (``ari_gmm - ari_kmeans``;
        positive where the mixture recovered the blobs better).

    Examples
    --------
    >>> df = gmm_vs_kmeans(n_sims=2, n_samples=60, n_init=2)
    >>> list(df.columns)
    ['task', 'n_samples', 'n_init', 'seed', 'ari_gmm', 'ari_kmeans', 'difference']
    >>> bool((df.difference == df.ari_gmm - df.ari_kmeans).all())
    True
    """
    n_sims, seed, n_samples, n_init = check_arguments(n_sims, seed, n_samples, n_init)
    tasks = [{"n_samples": n_samples, "n_init": n_init} for _ in range(n_sims)]
    return run(simulate, tasks, seed=seed, n_jobs=n_jobs, backend=backend, progress=progress,
               checkpoint=checkpoint, scheduler=scheduler)
