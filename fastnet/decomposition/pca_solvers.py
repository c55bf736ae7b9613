"""The SVD solvers of :class:`~fastnet.decomposition.PCA` besides its covariance fast
path: LAPACK's full SVD, ARPACK's and the randomized truncated SVDs, sparse input by
implicit centring, and Minka's choice of the dimension (``n_components='mle'``).

Each solver follows scikit-learn's ``PCA`` (``sklearn/decomposition/_pca.py``) so that
the same data and ``random_state`` give the same components: the same LAPACK driver
(``gesdd``), the same ARPACK start vector (``uniform(-1, 1, min(n, m))`` drawn from
``check_random_state(random_state)``), scikit-learn's ``randomized_svd``, and
``svd_flip`` on the rows of ``Vt`` (the largest-|entry| of each component positive).
"""

from __future__ import annotations

from math import lgamma, log, pi

import numpy as np
import scipy.linalg
from scipy.sparse import issparse, sparray, spmatrix
from scipy.sparse.linalg import LinearOperator, svds
from sklearn.utils import check_random_state
from sklearn.utils.extmath import randomized_svd, svd_flip
from sklearn.utils.sparsefuncs import mean_variance_axis

__all__ = ["auto_solver", "check_full_n_components", "check_truncated_n_components",
           "full_svd", "truncated_svd", "implicitly_centered", "sparse_cross_product",
           "sparse_mean_std", "infer_dimension", "assess_dimension", "resolve_n_components",
           "spectrum_summary"]

MatrixLike = np.ndarray | spmatrix | sparray
NComponents = int | float | str | None


def auto_solver(X: MatrixLike, n_components: NComponents) -> str:
    """scikit-learn's choice for svd_solver='auto'."""
    n, m = X.shape
    if issparse(X):
        return "arpack"
    if m <= 1_000 and n >= 10 * m:
        return "covariance_eigh"  # tall and skinny: the m x m covariance is cheap
    if max(n, m) <= 500 or n_components == "mle":
        return "full"
    k = min(n, m) if n_components is None else n_components
    return "randomized" if 1 <= k < 0.8 * min(n, m) else "full"


def check_full_n_components(n_components: NComponents, n: int, m: int, solver: str) -> None:
    """scikit-learn's bounds for the 'full' and 'covariance_eigh' solvers: 0 to min(n, m)."""
    if n_components == "mle":
        if n < m:
            raise ValueError("n_components='mle' is only supported if n_samples >= n_features")
    elif not 0 <= n_components <= min(n, m):
        raise ValueError(f"n_components={n_components} must be between 0 and "
                         f"min(n_samples, n_features)={min(n, m)} with svd_solver={solver!r}")


def check_truncated_n_components(n_components: NComponents, n: int, m: int,
                                 solver: str) -> None:
    """scikit-learn's bounds for 'arpack' (1 to min(n, m) - 1) and 'randomized'."""
    if isinstance(n_components, str):
        raise ValueError(f"n_components={n_components!r} cannot be a string with "
                         f"svd_solver='{solver}'")
    if not 1 <= n_components <= min(n, m):
        raise ValueError(f"n_components={n_components!r} must be between 1 and "
                         f"min(n_samples, n_features)={min(n, m)!r} with svd_solver='{solver}'")
    if solver == "arpack" and n_components == min(n, m):
        raise ValueError(f"n_components={n_components!r} must be strictly less than "
                         f"min(n_samples, n_features)={min(n, m)!r} with svd_solver='{solver}'")


def full_svd(Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``U, S, Vt`` of the centred data by LAPACK's divide-and-conquer SVD (scikit-learn's
    'full' solver), signs fixed on ``Vt``."""
    U, S, Vt = scipy.linalg.svd(Xc, full_matrices=False)
    U, Vt = svd_flip(U, Vt, u_based_decision=False)
    return U, S, Vt


def implicitly_centered(X: MatrixLike, mean: np.ndarray) -> LinearOperator:
    """``X - mean`` as a linear operator: sparse ``X`` stays sparse (scikit-learn's
    implicit column offset)."""
    mean = np.asarray(mean, dtype=X.dtype)

    def matvec(v):
        return X @ v - mean @ v

    def rmatvec(v):
        return X.T @ v - mean * v.sum()

    def matmat(V):
        return X @ V - mean @ V

    def rmatmat(V):
        return X.T @ V - mean[:, None] * V.sum(axis=0)[None, :]

    return LinearOperator(X.shape, matvec=matvec, rmatvec=rmatvec, matmat=matmat,
                          rmatmat=rmatmat, dtype=X.dtype)


def sparse_cross_product(X: MatrixLike, mean: np.ndarray) -> np.ndarray:
    """``(X - mean)^T (X - mean)`` of a sparse ``X`` without densifying it:
    ``X^T X - n mean mean^T`` in float64."""
    X = X.astype(np.float64)
    return (X.T @ X).toarray() - X.shape[0] * np.outer(mean, mean)


def sparse_mean_std(X: MatrixLike) -> tuple[np.ndarray, np.ndarray]:
    """Column means and population standard deviations of sparse X, in float64."""
    mean, var = mean_variance_axis(X, axis=0)
    return mean.astype(np.float64), np.sqrt(np.maximum(var.astype(np.float64), 0.0))


def truncated_svd(Xc: np.ndarray | LinearOperator, k: int, solver: str, *, tol: float,
                  iterated_power: int | str, n_oversamples: int,
                  power_iteration_normalizer: str,
                  random_state: None | int | np.random.RandomState
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-``k`` ``U, S, Vt`` of the centred data (an array or :func:`implicitly_centered`)
    by ARPACK (``svds``) or by the randomized SVD of Halko et al., drawing from
    ``random_state`` as scikit-learn does."""
    random_state = check_random_state(random_state)
    if solver == "arpack":
        v0 = random_state.uniform(-1, 1, min(Xc.shape))
        U, S, Vt = svds(Xc, k=k, tol=tol, v0=v0)
        # svds returns ascending singular values
        U, S, Vt = U[:, ::-1], S[::-1], Vt[::-1]
    else:
        U, S, Vt = randomized_svd(Xc, k, n_oversamples=n_oversamples, n_iter=iterated_power,
                                  power_iteration_normalizer=power_iteration_normalizer,
                                  flip_sign=False, random_state=random_state)
    U, Vt = svd_flip(U, Vt, u_based_decision=False)
    return U, S, Vt


def assess_dimension(spectrum: np.ndarray, rank: int, n_samples: int) -> float:
    """Log-likelihood of a rank-``rank`` model of data whose covariance has the
    eigenvalues ``spectrum`` (Minka, "Automatic choice of dimensionality for PCA",
    NIPS 2000, eq. 30-31); ``-inf`` when the tested rank reaches a vanishing
    eigenvalue, whose log-terms would be noise."""
    m = spectrum.shape[0]
    if not 1 <= rank < m:
        raise ValueError("the tested rank should be in [1, n_features - 1]")
    eps = 1e-15
    if spectrum[rank - 1] < eps:
        return -np.inf
    # p(U): the volume of the Stiefel manifold
    log_pu = -rank * log(2.0) + sum(lgamma((m - i + 1) / 2.0) - log(pi) * (m - i + 1) / 2.0
                                    for i in range(1, rank + 1))
    log_pl = -np.sum(np.log(spectrum[:rank])) * n_samples / 2.0
    v = max(eps, np.sum(spectrum[rank:]) / (m - rank))
    log_pv = -log(v) * n_samples * (m - rank) / 2.0
    free = m * rank - rank * (rank + 1.0) / 2.0
    log_pp = log(2.0 * pi) * (free + rank) / 2.0
    # log |A_Z|, the Hessian's determinant, with the discarded eigenvalues set to v
    kept = spectrum.astype(np.float64, copy=True)
    kept[rank:] = v
    log_pa = 0.0
    for i in range(rank):
        diffs = (spectrum[i] - spectrum[i + 1:]) * (1.0 / kept[i + 1:] - 1.0 / kept[i])
        if np.any(diffs <= 0):  # tied eigenvalues: the Laplace approximation is undefined
            raise ValueError("math domain error: tied eigenvalues in the spectrum")
        log_pa += np.sum(np.log(diffs)) + (m - i - 1) * log(n_samples)
    return log_pu + log_pl + log_pv + log_pp - log_pa / 2.0 - rank * log(n_samples) / 2.0


def infer_dimension(spectrum: np.ndarray, n_samples: int) -> int:
    """The rank in [1, n_features - 1] of largest :func:`assess_dimension`.

    >>> import numpy as np
    >>> infer_dimension(np.array([5.0, 3.0, 0.011, 0.010, 0.009]), n_samples=100)
    2
    """
    scores = np.full(spectrum.shape[0], -np.inf)
    for rank in range(1, spectrum.shape[0]):
        scores[rank] = assess_dimension(spectrum, rank, n_samples)
    return int(np.argmax(scores))


def resolve_n_components(n_components: NComponents, ratio: np.ndarray,
                         explained_variance: np.ndarray, n_samples: int) -> int:
    """The number of components kept: an int as given; for a float in (0, 1) the fewest
    whose cumulated explained variance ratio exceeds it (strictly: ``side='right'``,
    scikit-learn's rule); for 'mle' Minka's choice."""
    if isinstance(n_components, str):
        return infer_dimension(explained_variance, n_samples)
    if 0 < n_components < 1.0 and not isinstance(n_components, int | np.integer):
        cumulative = np.cumsum(ratio)
        return int(np.searchsorted(cumulative, n_components, side="right")) + 1
    return int(n_components)


def spectrum_summary(explained_variance: np.ndarray, n_components: NComponents,
                     n_samples: int, n_features: int) -> tuple[int, float]:
    """``(n_components_, noise_variance_)`` from the whole spectrum: the noise variance
    of probabilistic PCA is the mean of the discarded eigenvalues (Bishop, PRML eq.
    12.46), 0 when nothing is discarded."""
    k = resolve_n_components(n_components, explained_variance / explained_variance.sum(),
                             explained_variance, n_samples)
    noise = float(np.mean(explained_variance[k:])) if k < min(n_features, n_samples) else 0.0
    return k, noise
