"""Cases of :mod:`fastnet.studies`: the GMM-vs-k-means study against its scikit-learn
version, and on two worker processes against one."""

from __future__ import annotations

from .harness import Case, same_values

__all__ = ["CASES"]


def inputs_study(size, dtype, rng):
    return (size,)  # the number of simulations


def fast_gmm_vs_kmeans(n_sims, **options):
    """The ARI differences of :func:`fastnet.studies.gmm_vs_kmeans` (seed 8888)."""
    from ..studies import gmm_vs_kmeans

    return gmm_vs_kmeans(n_sims=n_sims, **options)["difference"].to_numpy()


def fast_gmm_vs_kmeans_two_workers(n_sims):
    return fast_gmm_vs_kmeans(n_sims, n_jobs=2)  # loky; its pool stays warm between calls


def twin_gmm_vs_kmeans(n_sims):
    from ..reference import studies

    return studies.gmm_vs_kmeans(n_sims=n_sims)["difference"].to_numpy()


def same_mean_difference(fast, reference):
    # different initialisation algorithms: the ARI differences agree on average only
    assert abs(fast.mean() - reference.mean()) < 0.05


CASES = [
    Case(name="gmm_vs_kmeans_study", fast=fast_gmm_vs_kmeans, reference=twin_gmm_vs_kmeans,
         make_inputs=inputs_study, sizes=(4, 24), dtypes=("float64",),
         compare=same_mean_difference),
    # the parallel speed-up on its own: n_jobs=2 ("fast") against n_jobs=1 ("ref"),
    # timed in alternation with nothing else between them (a BLAS-heavy call just
    # before leaves the parent's OpenBLAS threads spinning on the workers' cores); per-task
    # seeds make the results equal whatever the number of workers
    Case(name="gmm_vs_kmeans_n_jobs", fast=fast_gmm_vs_kmeans_two_workers,
         reference=fast_gmm_vs_kmeans, make_inputs=inputs_study, sizes=(4, 24),
         dtypes=("float64",), compare=same_values),
]
