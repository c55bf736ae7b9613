"""Initial parameters of :mod:`fastnet.cluster.gmm`: scikit-learn's starts with its
draws from a ``RandomState`` and its checks of the given ``*_init`` parameters, and
fastnet's starts drawn from a ``numpy.random.Generator`` (the functional API's, and
the estimator's extension values of ``init_params``)."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

from .._validation import real_float64


def _seeds_start(X, K, init_params, generator, reg_covar, cov):
    """The starts drawn from a ``numpy.random.Generator``: the seeds' 'random_rows'
    (weights 1/K, means K random rows, every covariance the sample covariance of X),
    'kmeans'/'fastnet_kmeans' (responsibilities from fastnet's functional k-means with
    its default init, seeded from the generator), 'random', 'random_from_data' and
    'k-means++' (scikit-learn's ``kmeans_plusplus``).
    Returns (weights, means, covariances)."""
    n, d = X.shape
    if init_params == "random_rows":
        means = X[generator.integers(0, n, K)].copy()
        sample_cov = np.cov(X.T).reshape(d, d)
        covariances = {"full": np.repeat(sample_cov[None], K, axis=0), "tied": sample_cov,
                       "diag": np.repeat(np.diag(sample_cov)[None], K, axis=0),
                       "spherical": np.full(K, np.diag(sample_cov).mean())}[cov.name]
        return np.full(K, 1.0 / K), means, covariances
    resp = np.zeros((n, K))
    counts = np.ones(K, dtype=np.int64)  # one-hot columns' sums (K distinct rows: ones)
    if init_params in ("kmeans", "fastnet_kmeans"):
        from .kmeans import kmeans

        labels = kmeans(X, K, n_init=1, seed=generator.integers(2**32)).labels
        resp[np.arange(n), labels] = 1
        counts = np.bincount(labels, minlength=K)
    elif init_params == "random":
        resp = generator.uniform(size=(n, K))
        resp /= resp.sum(axis=1)[:, None]
        counts = None
    elif init_params == "k-means++":  # scikit-learn's, from a RandomState the generator seeds
        from sklearn.cluster import kmeans_plusplus

        state = np.random.RandomState(generator.integers(2**32))
        resp[kmeans_plusplus(X, K, random_state=state)[1], np.arange(K)] = 1
    else:  # random_from_data
        resp[generator.choice(n, K, replace=False), np.arange(K)] = 1
    nk, means, covariances = cov.from_resp(X, resp, reg_covar, counts)
    return nk / n, means, covariances


def _sklearn_resp(X, K, init_params, random_state):
    """scikit-learn's initial responsibilities, with its draws from ``random_state``
    (a ``RandomState``): 'kmeans' labels of ``KMeans(K, n_init=1)`` (fastnet's, the same
    as scikit-learn's), 'k-means++' the rows of scikit-learn's ``kmeans_plusplus``
    centres, 'random' uniform draws normalised per row, 'random_from_data' K distinct
    rows.  Returns ``(resp, counts)``: ``counts`` are the column sums of one-hot
    responsibilities as integers (None for 'random'), which ``from_resp`` takes instead
    of summing the n x K matrix (sums of zeros and ones are exact, so the bits are
    the same)."""
    n = X.shape[0]
    resp = np.zeros((n, K))
    counts = np.ones(K, dtype=np.int64)  # K distinct rows, one per component
    if init_params == "kmeans":
        # fastnet's KMeans draws its k-means++ start from random_state as scikit-learn's
        # does and converges to the same labels (tests/test_gmm.py checks the fit)
        from .kmeans_estimator import KMeans

        labels = KMeans(n_clusters=K, n_init=1, random_state=random_state).fit(X).labels_
        resp[np.arange(n), labels] = 1
        counts = np.bincount(labels, minlength=K)
    elif init_params == "k-means++":
        from sklearn.cluster import kmeans_plusplus

        _, indices = kmeans_plusplus(X, K, random_state=random_state)
        resp[indices, np.arange(K)] = 1
    elif init_params == "random":
        resp = random_state.uniform(size=(n, K))
        resp /= resp.sum(axis=1)[:, None]
        counts = None
    else:  # random_from_data
        resp[random_state.choice(n, size=K, replace=False), np.arange(K)] = 1
    return resp, counts


def _check_inits(weights_init, means_init, precisions_init, K, d):
    checked = []
    for value, name, shape in ((weights_init, "weights_init", (K,)),
                               (means_init, "means_init", (K, d)),
                               (precisions_init, "precisions_init", (K, d, d))):
        if value is None:
            checked.append(None)
            continue
        arr = real_float64(value, name, f"an array of real numbers of shape {shape}")
        if arr.shape != shape or not np.isfinite(arr).all():
            raise ValueError(f"{name} must be a finite array of shape {shape}; "
                             f"got shape {arr.shape}")
        checked.append(arr)
    weights, means, precisions = checked
    if weights is not None and (np.any(weights < 0) or not np.isclose(weights.sum(), 1.0)):
        raise ValueError("weights_init must be non-negative and sum to 1")
    if precisions is not None:
        for k, p in enumerate(precisions):
            if not np.allclose(p, p.T) or np.linalg.eigvalsh(p).min() <= 0:
                raise ValueError(f"precisions_init[{k}] must be symmetric positive definite")
    return weights, means, precisions


def _check_shape(value, shape, name):
    if value.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but "
                         f"got {value.shape}")


def _check_sklearn_inits(model, cov, d):
    """scikit-learn's checks (and messages) of ``weights_init``, ``means_init`` and
    ``precisions_init``; returns them as float64 arrays (or None)."""
    K = model.n_components
    weights = means = precisions = None
    if model.weights_init is not None:
        weights = check_array(model.weights_init, dtype=[np.float64, np.float32],
                              ensure_2d=False)
        _check_shape(weights, (K,), "weights")
        if np.any(weights < 0.0) or np.any(weights > 1.0):
            # scikit-learn's message word for word, its swapped min and max included
            raise ValueError(f"The parameter 'weights' should be in the range [0, 1], but "
                             f"got max value {weights.min():.5f}, min value "
                             f"{weights.max():.5f}")
        atol = 1e-6 if weights.dtype == np.float32 else 1e-8
        if not np.allclose(abs(1.0 - weights.sum()), 0.0, atol=atol):
            raise ValueError(f"The parameter 'weights' should be normalized, but got "
                             f"sum(weights) = {weights.sum():.5f}")
    if model.means_init is not None:
        means = check_array(model.means_init, dtype=[np.float64, np.float32],
                            ensure_2d=False)
        _check_shape(means, (K, d), "means")
    if model.precisions_init is not None:
        name = cov.name
        precisions = check_array(model.precisions_init, dtype=[np.float64, np.float32],
                                 ensure_2d=False, allow_nd=name == "full")
        _check_shape(precisions, cov.precisions_shape(K, d), f"{name} precision")
        if name in ("full", "tied"):
            for p in precisions if name == "full" else [precisions]:
                if not (np.allclose(p, p.T) and np.all(np.linalg.eigvalsh(p) > 0.0)):
                    raise ValueError(f"'{name} precision' should be symmetric, "
                                     f"positive-definite")
        elif np.any(precisions <= 0.0):
            raise ValueError(f"'{name} precision' should be positive")
    return tuple(None if a is None else np.asarray(a, dtype=np.float64)
                 for a in (weights, means, precisions))


def _start_from_resp(X, resp, reg_covar, cov, inits, counts=None):
    """scikit-learn's start: the parameters of ``resp`` (None: every part given;
    ``counts``: its column sums when they are integers), each replaced by its
    ``*_init`` when given.  Returns (weights, means, covariances, precision Cholesky
    factors)."""
    weights_init, means_init, precisions_init = inits
    weights = means = covariances = None
    if resp is not None:
        nk, means, covariances = cov.from_resp(X, resp, reg_covar, counts)
        weights = nk / X.shape[0]
    weights = weights if weights_init is None else weights_init
    means = means if means_init is None else means_init
    if precisions_init is None:
        return weights, means, covariances, cov.precision_cholesky(covariances)
    prec_chol = cov.cholesky_from_precisions(precisions_init)
    return weights, means, _inverse(cov, precisions_init), prec_chol


def _inverse(cov, precisions):
    """Covariances of given precisions (scikit-learn leaves ``covariances_`` unset
    until the first M-step; fastnet fills it)."""
    return np.linalg.inv(precisions) if cov.name in ("full", "tied") else 1.0 / precisions
