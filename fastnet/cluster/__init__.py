"""Clustering: k-means, Gaussian mixtures and the clustering metrics."""

from .gmm import GaussianMixture, MixtureResult, gaussian_mixture
from .kmeans import KMeans, KMeansResult, kmeans
from .metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    class_log_likelihood,
    contingency_matrix,
    homogeneity_score,
    majority_cluster_map,
    within_cluster_distance,
)

__all__ = ["kmeans", "KMeans", "KMeansResult", "gaussian_mixture", "GaussianMixture",
           "MixtureResult", "adjusted_rand_score", "homogeneity_score",
           "calinski_harabasz_score", "within_cluster_distance", "majority_cluster_map",
           "class_log_likelihood", "contingency_matrix"]
