"""Matrix decompositions: NMF (scikit-learn's solvers and the seeds' Lee-Seung updates) and
PCA, with the scalings and denoising they use."""

from .nmf import NMFResult, nmf, random_init
from .nmf_estimator import NMF
from .pca import PCA, PCAResult, denoise, pca
from .scaling import (
    column_stats,
    minmax_normalize,
    minmax_range,
    minmax_unnormalize,
    standardize,
    unstandardize,
)

__all__ = ["nmf", "NMF", "NMFResult", "random_init", "pca", "PCA", "PCAResult", "denoise",
           "standardize", "unstandardize", "minmax_normalize", "minmax_unnormalize",
           "column_stats", "minmax_range"]
