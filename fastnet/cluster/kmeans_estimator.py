"""``KMeans``: scikit-learn's k-means estimator (its parameters, defaults, fitted
attributes, methods, inputs, warnings and errors) on fastnet's Lloyd kernels.

How a fit runs (scikit-learn's scheme): dense X with ``WIDE`` features or more is
centred on its column means (the BLAS products that pick the nearest centre there are
more accurate; the centres are shifted back; narrow data measure distances from
differences and are used as given, never copied); ``tol`` is relative to
the mean column variance of X; each of the ``n_init`` starts draws its centres from the
one ``RandomState`` of ``random_state`` in scikit-learn's order, and the start with the
lowest inertia is kept (a later start only when its clustering differs).  Unweighted
dense data run the kernels of :mod:`fastnet.cluster.kmeans` (Hamerly's bounds, BLAS
products for wide data); sample weights, CSR/CSC input and ``verbose`` run
:mod:`fastnet.cluster.kmeans_weighted`.  ``algorithm='elkan'`` is accepted and gives
Lloyd's result (Elkan's algorithm is exact: the same labels and centres).

Random draws.  ``init='k-means++'`` and ``init='random'`` with an int, ``None`` or a
``RandomState`` draw exactly as scikit-learn does (the first centre by
``choice(n, p=w / w.sum())``, then ``uniform(size=2 + log k)`` per step, candidates by
cumulative weighted squared distance; 'random' by ``choice(n, k, replace=False, p)``),
so the same ``random_state`` gives the same starting centres, up to floating-point
ties between candidates (fastnet measures distances from differences where
scikit-learn uses ``||x||^2 - 2 x.c + ||c||^2``).  fastnet's seeding, the one of
:func:`fastnet.cluster.kmeans` (start i draws from child i of the seed, with NumPy's
``Generator``, on uncentred data), is used with ``init='random-partition'`` (the
seeds' init) and whenever ``random_state`` is a ``SeedSequence`` or a ``Generator``:
then an unweighted dense fit equals ``kmeans(X, ..., seed=random_state)``.

Differences from scikit-learn that remain: an empty cluster takes the farthest point
whose cluster keeps another point (scikit-learn takes the farthest points even if that
empties their cluster; the two agree whenever that does not happen); exact ties between
k-means++ candidates or between equidistant centres may be broken differently.
"""

from __future__ import annotations

import numbers
import warnings

import numba
import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import row_norms
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import check_is_fitted

from .._estimator import check_sample_weight, unchanged_on_error, validate_data
from .._jit import FASTMATH, prange, serial_or_parallel_jit
from .._stats import column_mean_std
from .._validation import seed_from_random_state
from ..random import rng as make_rng
from ..random import spawn_sequences
from .kmeans import (
    WIDE,
    _kmeans_plusplus,
    _Workspace,
    kmeans_plusplus_draws,
    lloyd_driver,
    random_partition_init,
)
from .kmeans_weighted import _csr_row_products, assign_weighted, lloyd_weighted

__all__ = ["KMeans"]

#: Dense X of at most this many elements takes ``tol``'s column variances from
#: ``np.var`` (a temporary of X's size, 8 MiB at most), larger X from compiled passes
NUMPY_VARIANCE_SIZE = 1 << 20


def _is_array_like(init):
    """Whether a validated ``init`` is an array of centres (not a name, not a callable)."""
    return not isinstance(init, str) and not callable(init)




def _same_clustering(a, b):
    """Whether two labelings are the same partition up to a renaming of the labels."""
    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


# without contraction to FMA: the products and sums round as scikit-learn's (a sparse
# product, then -2 xy + ||c||^2 + ||x||^2), so k-means++ picks the same candidates
@serial_or_parallel_jit(fastmath=set(FASTMATH - {"contract"}))
def _csr_trial_distances(data, indices, indptr, norms, candidates_t, candidate_norms,
                         closest, out):
    """out[j, i] = min(closest[i], squared distance of CSR row i to candidate j), the
    distance as ``(-2 x.c + ||c||^2) + ||x||^2`` clipped at 0 (scikit-learn's
    ``euclidean_distances`` order), x.c summed over the row's nonzeros in column order;
    ``candidates_t`` is (d, m), so the m products of one nonzero are contiguous.  Rows
    are independent: the same result for any number of threads."""
    n = indptr.shape[0] - 1
    m = candidates_t.shape[1]
    for chunk in prange((n + 255) // 256):  # 256 rows per scratch vector
        dot = np.empty(m)
        for i in range(256 * chunk, min(n, 256 * (chunk + 1))):
            _csr_row_products(data, indices, indptr[i], indptr[i + 1], candidates_t, dot)
            for j in range(m):
                distance = max((-2.0 * dot[j] + candidate_norms[j]) + norms[i], 0.0)
                out[j, i] = min(closest[i], distance)


def _csr_squared_distances(X, rows, norms, closest):
    """min(closest, squared distances (len(rows), n) from the rows ``rows`` of CSR ``X``
    to every row): one compiled pass over X's nonzeros for all the (densified) rows."""
    candidates_t = np.ascontiguousarray(X[rows].toarray().T, dtype=np.float64)
    out = np.empty((len(rows), X.shape[0]))
    kernel = _csr_trial_distances(X.nnz * len(rows))
    kernel(X.data, X.indices, X.indptr, norms, candidates_t,
           np.ascontiguousarray(norms[rows]), closest, out)
    return out


def _plusplus(X, k, weights, first, uniforms, spread_ties):
    """Greedy k-means++ centres of dense or CSR ``X`` from the given draws (the rule of
    :func:`fastnet.cluster.kmeans._kmeans_plusplus`)."""
    if not sp.issparse(X):
        return _kmeans_plusplus(X, k, first, uniforms, weights, spread_ties)
    # CSR rows: the same rule, distances ||x||^2 - 2 x.c + ||c||^2 from sparse products
    n = X.shape[0]
    norms = row_norms(X, squared=True).astype(np.float64, copy=False)
    chosen = [first]
    closest = _csr_squared_distances(X, [first], norms, np.full(n, np.inf))[0]
    for c in range(1, k):
        cumulative = np.cumsum(weights * closest)
        if cumulative[-1] > 0 or not spread_ties:
            candidates = np.searchsorted(cumulative, uniforms[c - 1] * cumulative[-1])
        else:
            candidates = (uniforms[c - 1] * n).astype(np.int64)
        candidates = np.minimum(candidates, n - 1)
        trial = _csr_squared_distances(X, candidates, norms, closest)
        best = int(np.argmin(trial @ weights))
        chosen.append(candidates[best])
        closest = trial[best]
    return X[chosen].toarray()


def _sklearn_plusplus(X, k, weights, random_state):
    """scikit-learn's greedy k-means++ draws (module docstring) from ``random_state``."""
    first = random_state.choice(X.shape[0], p=weights / weights.sum())
    # uniform(size=m) twice draws the same numbers as uniform(size=2m) once
    uniforms = random_state.uniform(size=(k - 1, 2 + int(np.log(k))))
    return _plusplus(X, k, weights, first, uniforms, False)


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-means clustering, scikit-learn's ``KMeans`` on fastnet's compiled kernels.

    Every parameter is scikit-learn's, with the same default and meaning; the one
    extension is ``init='random-partition'``.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters.
    init : {'k-means++', 'random', 'random-partition'}, callable or array-like (k, d)
        How the centres start. 'random-partition' (fastnet's extension, the seeds'
        init): a random label per point, centres = label means, drawn with fastnet's
        seeding (module docstring).
    n_init : 'auto' or int, default='auto'
        Starts to run, keeping the lowest inertia. 'auto': 10 starts for 'random'
        and a callable, 1 otherwise.
    max_iter : int, default=300
        Lloyd iterations per start.
    tol : float, default=1e-4
        Convergence threshold on the centres' movement, relative to the mean column
        variance of X.
    verbose : int, default=0
        Print the inertia of each iteration.
    random_state : None, int, RandomState, or (fastnet) SeedSequence / Generator
        An int, None or a RandomState draws as scikit-learn does; a SeedSequence or a
        Generator selects fastnet's seeding (module docstring).
    copy_x : bool, default=True
        Wide dense data are centred before the distances are computed: in a copy, or
        with False in place and put back before ``fit`` returns, as in scikit-learn.
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        'elkan' gives Lloyd's result.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The centres.
    labels_ : ndarray of shape (n_samples,), int32
        The cluster of each training point.
    inertia_ : float
        Sum of squared distances of the points to their centres (weighted).
    n_iter_ : int
        Iterations of the best start.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from fastnet.cluster import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> model = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> model.labels_
    array([1, 1, 1, 0, 0, 0], dtype=int32)
    >>> model.predict([[0, 0], [12, 3]])
    array([1, 0], dtype=int32)
    >>> model.cluster_centers_
    array([[10.,  2.],
           [ 1.,  2.]])
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random", "random-partition"}), callable,
                 "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state", np.random.SeedSequence, np.random.Generator],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan"})],
    }

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300,
                 tol=1e-4, verbose=0, random_state=None, copy_x=True, algorithm="lloyd"):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------ checks
    def _check_params_vs_input(self, X):
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= "
                             f"n_clusters={self.n_clusters}.")
        if sp.issparse(X):
            variances = mean_variance_axis(X, axis=0)[1]
        elif X.size <= NUMPY_VARIANCE_SIZE:
            variances = np.var(X, axis=0)  # scikit-learn's arithmetic, no compile
        else:  # compiled passes: np.var would allocate a temporary the size of X
            variances = column_mean_std(X)[1] ** 2
        self._tol = float(np.mean(variances)) * self.tol if self.tol else 0.0
        if self.n_init == "auto":
            self._n_init = 10 if (callable(self.init) or (isinstance(self.init, str)
                                                          and self.init == "random")) else 1
        else:
            self._n_init = self.n_init
        if _is_array_like(self.init) and self._n_init != 1:
            warnings.warn("Explicit initial center position passed: performing only one "
                          f"init in {type(self).__name__} instead of n_init={self._n_init}.",
                          RuntimeWarning, stacklevel=3)
            self._n_init = 1
        self._algorithm = self.algorithm
        if self._algorithm == "elkan" and self.n_clusters == 1:
            warnings.warn("algorithm='elkan' doesn't make sense for a single cluster. Using "
                          "'lloyd' instead.", RuntimeWarning, stacklevel=3)
            self._algorithm = "lloyd"

    def _validate_center_shape(self, X, centers, n_centroids=None):
        n_centroids = self.n_clusters if n_centroids is None else n_centroids
        if centers.shape[0] != n_centroids:
            raise ValueError(f"The shape of the initial centers {centers.shape} does not "
                             f"match the number of clusters {n_centroids}.")
        if centers.shape[1] != X.shape[1]:
            raise ValueError(f"The shape of the initial centers {centers.shape} does not "
                             f"match the number of features of the data {X.shape[1]}.")

    def _check_test_data(self, X):
        X = validate_data(self, X, accept_sparse="csr", reset=False,
                          dtype=[np.float64, np.float32], order="C",
                          accept_large_sparse=False)
        return X

    def _fastnet_seeding(self):
        return (isinstance(self.random_state, (np.random.SeedSequence, np.random.Generator))
                or (isinstance(self.init, str) and self.init == "random-partition"))

    # ------------------------------------------------------------ inits
    def _init_centroids(self, X, x_squared_norms, init, random_state, sample_weight,
                        init_size=None, n_centroids=None):
        """Starting centres of one start, (k, d) in X's dtype (scikit-learn's private
        signature; ``x_squared_norms`` is not needed).  ``random_state`` is a
        ``RandomState``, or a ``Generator`` with fastnet's seeding."""
        n = X.shape[0]
        k = self.n_clusters if n_centroids is None else n_centroids
        if init_size is not None and init_size < n:
            rows = random_state.randint(0, n, init_size)
            X, sample_weight, n = X[rows], sample_weight[rows], init_size
        if isinstance(init, str) and init == "k-means++":
            if isinstance(random_state, np.random.Generator):  # fastnet's draws
                first, uniforms = kmeans_plusplus_draws(n, k, random_state)
                centers = _plusplus(X, k, sample_weight, first, uniforms, True)
            else:
                centers = _sklearn_plusplus(X, k, sample_weight, random_state)
        elif isinstance(init, str) and init == "random":
            chosen = random_state.choice(n, size=k, replace=False,
                                         p=sample_weight / sample_weight.sum())
            centers = X[chosen]
        elif isinstance(init, str) and init == "random-partition":
            centers = self._random_partition(X, k, random_state)[0]
        elif callable(init):
            centers = init(X, k, random_state=random_state)
            centers = check_array(centers, dtype=X.dtype, copy=False, order="C")
            self._validate_center_shape(X, centers, n_centroids=k)
        else:
            centers = init
        if sp.issparse(centers):
            centers = centers.toarray()
        return np.ascontiguousarray(centers, dtype=X.dtype)

    @staticmethod
    def _random_partition(X, k, random_state):
        """The seeds' init: (label means, the random labels); a ``RandomState`` is
        turned into a ``Generator`` by one draw."""
        if not isinstance(random_state, np.random.Generator):
            random_state = make_rng(seed_from_random_state(random_state))
        if not sp.issparse(X):
            return random_partition_init(X, k, random_state)
        # the same draws; label sums as a (k, n) indicator times X, never X densified
        n = X.shape[0]
        labels = random_state.integers(0, k, n)
        counts = np.bincount(labels, minlength=k)
        indicator = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
        sums = np.asarray((indicator @ X).todense())
        centers = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], 0.0)
        return centers.astype(X.dtype), labels.astype(np.int64)

    def _start(self, X, init, random_state, sample_weight):
        """(centers, labels of the random partition or None) of one start."""
        if isinstance(init, str) and init == "random-partition":
            return self._random_partition(X, self.n_clusters, random_state)
        return self._init_centroids(X, None, init, random_state, sample_weight), None

    # ------------------------------------------------------------ fit
    def fit(self, X, y=None, sample_weight=None):
        """Compute the k-means clustering; a failed refit leaves the model as it was."""
        with unchanged_on_error(self):
            return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight):
        self._validate_params()
        # no copy here: only wide data are centred (below), in a copy unless copy_x=False
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          order="C", accept_large_sparse=False)
        self._check_params_vs_input(X)
        fastnet_seeding = self._fastnet_seeding()
        if fastnet_seeding:
            seed = seed_from_random_state(self.random_state)
            starts = [make_rng(s) for s in spawn_sequences(seed, self._n_init)]
        else:
            random_state = check_random_state(self.random_state)
            starts = [random_state] * self._n_init
        weighted = sample_weight is not None
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        weighted = weighted and not np.all(sample_weight == 1.0)
        self._n_threads = numba.get_num_threads()
        init = self.init
        if _is_array_like(init):
            init = check_array(init, dtype=X.dtype, copy=True, order="C")
            self._validate_center_shape(X, init)
        # Wide dense data are centred on their means (scikit-learn's accuracy rule): there
        # the nearest centre comes from BLAS products, ||c||^2 - 2 x.c, which cancel when
        # the data sit far from the origin.  Narrow data measure distances from
        # differences and need no centring: X is neither copied nor modified.  fastnet's
        # seeding works on X as given, as fastnet.cluster.kmeans does.
        X_mean = None
        if not sp.issparse(X) and not fastnet_seeding and X.shape[1] >= WIDE:
            X_mean = X.mean(axis=0)
            if self.copy_x:
                X = X - X_mean
            else:
                X -= X_mean
            if _is_array_like(init):
                init -= X_mean
        try:
            best = self._best_start(X, init, starts, sample_weight, weighted)
        finally:
            if X_mean is not None and not self.copy_x:
                X += X_mean
        centers, labels, inertia, n_iter = best
        if X_mean is not None:
            centers += X_mean
        distinct = np.count_nonzero(np.bincount(labels, minlength=self.n_clusters))
        if distinct < self.n_clusters:
            warnings.warn(f"Number of distinct clusters ({distinct}) found smaller than "
                          f"n_clusters ({self.n_clusters}). Possibly due to duplicate "
                          "points in X.", ConvergenceWarning, stacklevel=3)
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.labels_ = labels.astype(np.int32)
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        return self

    def _best_start(self, X, init, starts, sample_weight, weighted):
        n, d = X.shape
        k = self.n_clusters
        general = weighted or sp.issparse(X) or self.verbose
        if not general:
            work = _Workspace(n, d, k, X.dtype)
            lloyd = lloyd_driver(X, k, work)
        best = None
        for random_state in starts:
            centers, previous = self._start(X, init, random_state, sample_weight)
            if self.verbose:
                print("Initialization complete")
            if general:
                run = lloyd_weighted(X, sample_weight, centers, self.max_iter, self._tol,
                                     bool(self.verbose), previous)
            else:
                result = lloyd(X, centers, self.max_iter, self._tol, work, previous)
                run = (result.centers, result.labels, result.inertia, result.n_iter)
            if best is None or (run[2] < best[2] and not _same_clustering(run[1], best[1])):
                best = run
        centers, labels, inertia, n_iter = best
        return np.array(centers, dtype=X.dtype), labels, inertia, n_iter

    # ------------------------------------------------------------ methods
    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then the index of each row's cluster (``labels_``)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit, then the distances of the rows of ``X`` to every centre."""
        return self.fit(X, sample_weight=sample_weight)._transform(X)

    def _labels_distances(self, X, sample_weight=None):
        weights = check_sample_weight(sample_weight, X, dtype=np.float64)
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        if sp.issparse(X):
            labels, distances = assign_weighted(X, weights, centers)
        else:
            # the fitted centres, not n_clusters (which set_params may have changed since)
            work = _Workspace(X.shape[0], X.shape[1], len(centers), X.dtype)
            work.assign(X, centers)
            labels, distances = work.labels, work.distances
        return labels, float(np.dot(weights, distances.astype(np.float64)))

    def predict(self, X):
        """Index of the nearest centre of each row of ``X``."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        return self._labels_distances(X)[0].astype(np.int32)

    def transform(self, X):
        """Euclidean distances of the rows of ``X`` to every centre, (n, n_clusters)."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        return self._transform(X)

    def _transform(self, X):
        return euclidean_distances(X, self.cluster_centers_)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the (weighted) inertia of ``X`` for the fitted centres."""
        check_is_fitted(self)
        X = self._check_test_data(X)
        return -self._labels_distances(X, sample_weight)[1]
