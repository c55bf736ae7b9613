"""One table-driven sweep of bad inputs over the whole public API (DESIGN.md's rule on bad
input: a ValueError/TypeError at the boundary that names the argument).

Every public function has a row in :data:`SPECS`: a small valid call (keyword
arguments only) and the kinds of its array arguments.  Each array kind lists the
generic corruptions that apply to it:

* ``ERROR`` corruptions (NaN, inf, wrong dimensionality, empty, object/str/complex
  dtypes, ...) must raise ``ValueError``/``TypeError`` whose message names the
  argument;
* ``SAME`` corruptions (integer or bool data, non-contiguous, Fortran-ordered,
  read-only and memory-mapped arrays) must give the result of the plain
  C-contiguous float64 call and leave the input untouched;
* ``PROPAGATE`` (element-wise functions only): NaN in, NaN out at the same place.

Bad scalars are listed per row as ``(parameter, value)`` pairs and must raise an
error naming the parameter, before any big allocation.  Estimators get the same
sweep through their ``fit``, plus wrong feature counts, use before ``fit`` and the
"nothing half-written" check: a failed refit leaves a fitted estimator as it was.

Policies decided here: bool data is accepted as 0/1 like integers; complex data is
refused (``TypeError`` from the functions; scikit-learn's ``ValueError`` from the
estimators); numeric object arrays are refused by the functions and converted by
the estimators (scikit-learn's rule), non-numeric ones refused by both.
"""

from __future__ import annotations

import dataclasses
import math
import types
import warnings

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from fastnet import cluster, decomposition, graph, nn
from fastnet.nn import MLP, MLPClassifier, MLPRegressor
from fastnet.parallel import run
from fastnet.studies import gmm_vs_kmeans, signal_flow_separation

# ---------------------------------------------------------------- small valid inputs
_rng = np.random.default_rng(20260101)
X = _rng.integers(0, 6, (24, 4)).astype(np.float64)  # integer-valued: int/bool rows compare
X[:8] += 6.0  # some structure, so clusters and components are well separated
Y3 = np.arange(24) % 3
ONEHOT = np.eye(3)[Y3[:6]]
PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.1, 0.8, 0.1],
                  [0.3, 0.3, 0.4], [0.5, 0.25, 0.25], [0.9, 0.05, 0.05]])
_upper = np.triu((_rng.random((8, 8)) < 0.5).astype(np.float64), 1)
_upper[np.arange(7), np.arange(1, 8)] = 1.0  # a path: connected
SYM = _upper + _upper.T  # undirected graph
DIRECTED = _upper  # a directed graph (edges i -> j, i < j)
SCORES = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
BLOCK_P = np.array([[0.8, 0.1], [0.1, 0.6]])
MIXTURE = types.SimpleNamespace(weights_=np.array([0.5, 0.5]), means_=np.zeros((2, 4)),
                                covariances_=np.array([np.eye(4), 2 * np.eye(4)]))
W0 = _rng.random((24, 2))
H0 = _rng.random((2, 4))

HUGE = 10**12


# ---------------------------------------------------------------- corruptions
def _set_first(value):
    def corrupt(a):
        out = np.array(a, dtype=np.float64)
        out.flat[0] = value
        return out
    return corrupt


def _non_contiguous(a):
    a = np.asarray(a)
    wide = np.repeat(a, 2, axis=-1)  # every second column: a strided view of the same values
    return wide[..., ::2]


def _read_only(a):
    out = np.array(a)
    out.setflags(write=False)
    return out


def _object_with_none(a):
    out = np.asarray(a).astype(object)
    out.flat[0] = None
    return out


#: Corruptions that must raise an error naming the argument.
ERROR = {
    "nan": _set_first(np.nan),
    "inf": _set_first(np.inf),
    "1d": lambda a: np.asarray(a)[..., 0],
    "3d": lambda a: np.asarray(a)[None],
    "2d": lambda a: np.asarray(a)[None],
    "0rows": lambda a: np.asarray(a)[:0],
    "0cols": lambda a: np.asarray(a)[:, :0],
    "nonsquare": lambda a: np.asarray(a)[:, :-1],
    "negative": lambda a: -1.0 - np.asarray(a, dtype=np.float64),
    "object": _object_with_none,
    "str": lambda a: np.full(np.shape(a), "a"),
    "complex": lambda a: np.asarray(a) + 1j,
    "fractional": lambda a: np.asarray(a) + 0.5,
    "short": lambda a: np.asarray(a)[:-1],
}

#: Corruptions that must give the result of the C-contiguous float64 call:
#: (corrupt, the equivalent plain input).
SAME = {
    "int": (lambda a: np.asarray(a).astype(np.int64),
            lambda a: np.asarray(a).astype(np.int64).astype(np.float64)),
    "bool": (lambda a: np.asarray(a) > 0, lambda a: (np.asarray(a) > 0).astype(np.float64)),
    "float32-labels": (lambda a: np.asarray(a).astype(np.float32), np.asarray),
    "str-labels": (lambda a: np.char.add("c", np.asarray(a).astype(str)), np.asarray),
    "noncontig": (_non_contiguous, np.ascontiguousarray),
    "fortran": (np.asfortranarray, np.ascontiguousarray),
    "readonly": (_read_only, np.ascontiguousarray),
    "memmap": (None, np.ascontiguousarray),  # built in the test, in tmp_path
}

_LAYOUTS = ("noncontig", "readonly", "memmap")
#: Array kinds: (error corruptions, same-result corruptions, propagate-NaN?)
KINDS = {
    "matrix": (("nan", "inf", "1d", "3d", "0rows", "0cols", "object", "str", "complex"),
               ("int", "bool", "fortran") + _LAYOUTS, False),
    "nonneg": (("nan", "inf", "1d", "3d", "0rows", "0cols", "object", "str", "complex",
                "negative"), ("int", "bool", "fortran") + _LAYOUTS, False),
    "square": (("nan", "inf", "1d", "3d", "nonsquare", "object", "str", "complex"),
               ("int", "bool", "fortran") + _LAYOUTS, False),
    "adjacency": (("nan", "inf", "1d", "3d", "nonsquare", "object", "str", "complex",
                   "negative"), ("int", "bool", "fortran") + _LAYOUTS, False),
    "elementwise": (("object", "str", "complex"),
                    ("int", "bool", "fortran") + _LAYOUTS, True),
    "rows": (("0cols", "object", "str", "complex"),
             ("int", "bool", "fortran") + _LAYOUTS, True),
    "onehot": (("nan", "inf", "3d", "0cols", "object", "str", "complex", "negative"),
               ("int", "bool", "fortran") + _LAYOUTS, False),
    "probs": (("nan", "inf", "3d", "object", "str", "complex", "negative"),
              ("fortran",) + _LAYOUTS, False),
    "factor": (("nan", "inf", "1d", "0rows", "object", "str", "complex"),
               ("fortran",) + _LAYOUTS, False),
    "int_labels": (("fractional", "2d", "object", "str", "complex", "negative", "short"),
                   ("float32-labels",) + _LAYOUTS, False),
    "labels": (("nan", "2d", "object", "short"),
               ("float32-labels", "str-labels") + _LAYOUTS, False),
    "scores": (("nan", "inf", "2d", "object", "str", "complex"), ("int",) + _LAYOUTS, False),
    "sizes": (("fractional", "2d", "object", "str", "complex", "negative"), _LAYOUTS, False),
}


# ---------------------------------------------------------------- the table
@dataclasses.dataclass
class Spec:
    """A public function: a valid keyword call, its array arguments' kinds, bad scalars."""

    name: str
    fn: object
    kwargs: dict
    arrays: dict = dataclasses.field(default_factory=dict)
    bad: list = dataclasses.field(default_factory=list)  # (parameter, value[, match])
    skip: tuple = ()  # "argument:corruption" pairs that do not apply
    match: dict = dataclasses.field(default_factory=dict)  # argument -> message regex
    xfail: dict = dataclasses.field(default_factory=dict)  # row id suffix -> reason


COUNT = (-1, 0, 2.5, "2", True)
SEED = ("abc", -1, 1.5)
PROBABILITY = (-0.1, 1.5, math.nan, "a")
POSITIVE = (0, -1.0, math.nan, math.inf, "a")
NONNEGATIVE = (-1.0, math.nan, math.inf, "a")
OPTION = ("bogus",)
BOOL = ("yes", 2)


def bad(param, values):
    return [(param, v) for v in values]


def _fit(cls, data_arg="X", fit_kwargs=None, **fixed):
    """``cls(**params).fit(X)``: an estimator as a function of X and its parameters."""
    def call(**kwargs):
        data = {k: kwargs.pop(k) for k in list(kwargs) if k in (data_arg, "y")}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return cls(**{**fixed, **kwargs}).fit(*data.values(), **(fit_kwargs or {}))
    call.__name__ = f"{cls.__name__}.fit"
    return call


def _mlp_fit(X, y, layer_sizes=(4, 3, 3), seed=0, dtype=np.float64, keep_prob=1.0,
             epochs=2, batch_size=8, learning_rate=0.1):
    net = MLP(layer_sizes, seed=seed, dtype=dtype, keep_prob=keep_prob)
    net.fit(X, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)
    return net.coefs + net.intercepts


# Estimators: sklearn's data messages are prefixed "X:" by fastnet's validate_data.
_EST = {"X": r"\bX\b"}


def _label_pair_spec(name, **options):
    """A metric of two labelings (labels_true, labels_pred)."""
    return Spec(name, getattr(cluster, name), dict(labels_true=Y3, labels_pred=np.arange(24) % 4),
                {"labels_true": "labels", "labels_pred": "labels"},
                match={"labels_pred": "labels_true|labels_pred"}, **options)


SPECS = [
    # ---- fastnet.nn
    Spec("softplus", nn.softplus, dict(x=X), {"x": "elementwise"}, bad("beta", POSITIVE)),
    Spec("softplus_grad", nn.softplus_grad, dict(x=X), {"x": "elementwise"},
         bad("beta", POSITIVE)),
    Spec("softmax", nn.softmax, dict(x=X), {"x": "rows"}, bad("axis", (2, -3, 1.0, "a"))),
    Spec("log_softmax", nn.log_softmax, dict(x=X), {"x": "rows"}, bad("axis", (2, 1.0))),
    Spec("kl_divergence", nn.kl_divergence, dict(y_true=ONEHOT, y_pred=PROBS),
         {"y_true": "onehot", "y_pred": "probs"}),
    Spec("cross_entropy", nn.cross_entropy, dict(labels=Y3[:6], probs=PROBS),
         {"labels": "int_labels", "probs": "probs"},
         skip=("probs:negative",)),  # only the picked probabilities are checked
    Spec("onehot", nn.onehot, dict(y=Y3, n_classes=3), {"y": "int_labels"},
         bad("n_classes", (0, -1, 2.5, "3", HUGE)) + bad("dtype", ("bogus", np.int64))
         + [("n_classes", 2, r"\by must hold labels in \[0, 2\)")],
         skip=("y:short",)),
    Spec("MLP.fit", _mlp_fit, dict(X=X, y=Y3), {"X": "matrix", "y": "int_labels"},
         bad("layer_sizes", ((4, HUGE, 3), (4, 0, 3), (4, 3, 1), (4,), 5, (4, 2.5, 3)))
         + bad("seed", SEED) + bad("dtype", ("bogus", np.int64))
         + bad("keep_prob", (0, 1.5, "a")) + bad("epochs", COUNT)
         + bad("batch_size", COUNT) + bad("learning_rate", POSITIVE),
         skip=("X:3d", "X:1d"), match={"X": r"\bX\b", "y": r"\by\b"}),
    *[Spec(cls.__name__, _fit(cls, hidden_layer_sizes=(3,), max_iter=2, batch_size=8,
                              random_state=0),
           dict(X=X, y=Y3), {"X": "matrix"},
           bad("hidden_layer_sizes", ((HUGE,), (0,), "a", (2.5,)))
           + bad("activation", OPTION) + bad("solver", OPTION) + bad("alpha", (-1.0, "a"))
           + bad("batch_size", (0, "a")) + bad("learning_rate", OPTION)
           + bad("learning_rate_init", (0, -1.0, "a")) + bad("power_t", (-1.0,))
           + bad("max_iter", (0, 2.5)) + bad("shuffle", BOOL) + bad("random_state", SEED)
           + bad("tol", (-1.0,)) + bad("verbose", ("x",)) + bad("warm_start", BOOL)
           + bad("momentum", (-0.1, 1.5)) + bad("nesterovs_momentum", BOOL)
           + bad("early_stopping", BOOL) + bad("validation_fraction", (-0.1, 1.0))
           + bad("beta_1", (1.0, -0.1)) + bad("beta_2", (1.0,)) + bad("epsilon", (0,))
           + bad("n_iter_no_change", (0, "a")) + bad("max_fun", (0,))
           + bad("keep_prob", (0, 1.5, "a"))
           + (bad("loss", OPTION) if cls is MLPRegressor else []),
           skip=("X:1d", "X:object"), match=_EST)
      for cls in (MLPClassifier, MLPRegressor)],
    # ---- fastnet.decomposition
    Spec("nmf", decomposition.nmf, dict(X=X, n_components=2, max_iter=5, seed=0),
         {"X": "nonneg"},
         bad("n_components", COUNT + (HUGE,)) + bad("max_iter", COUNT) + bad("seed", SEED)
         + bad("pseudo_count", NONNEGATIVE) + bad("tol", NONNEGATIVE)
         + bad("progress", (0, "a"))),
    Spec("nmf-custom-init", decomposition.nmf,
         dict(X=X, n_components=2, max_iter=5, W_init=W0, H_init=H0),
         {"W_init": "factor", "H_init": "factor"}),
    Spec("NMF", _fit(decomposition.NMF, n_components=2, max_iter=5, random_state=0),
         dict(X=X), {"X": "nonneg"},
         bad("n_components", (0, 2.5, "a", HUGE)) + bad("init", OPTION)
         # scikit-learn's Interval(Integral, 1, None) takes True as 1
         + bad("random_state", SEED) + bad("max_iter", (-1, 0, 2.5, "2"))
         + bad("tol", NONNEGATIVE) + bad("pseudo_count", NONNEGATIVE)
         + bad("solver", OPTION) + bad("beta_loss", OPTION) + bad("alpha_W", (-1.0, "a"))
         + bad("alpha_H", (-1.0, "a")) + bad("l1_ratio", (-0.1, 1.5)) + bad("shuffle", BOOL)
         + bad("verbose", ("x",)),
         skip=("X:object",), match={"X": r"\bX\b|Negative values"}),
    Spec("random_init", decomposition.random_init,
         dict(n_samples=5, n_features=3, n_components=2, seed=0),
         bad=bad("n_samples", COUNT) + bad("n_features", COUNT) + bad("n_components", COUNT)
         + [("n_components", 10**10), ("n_samples", HUGE)] + bad("seed", SEED)
         + bad("dtype", ("bogus", np.int64))),
    Spec("pca", decomposition.pca, dict(X=X, n_components=2), {"X": "matrix"},
         bad("n_components", COUNT + (HUGE,)) + bad("standardize", BOOL)),
    Spec("PCA", _fit(decomposition.PCA, n_components=2), dict(X=X), {"X": "matrix"},
         bad("n_components", (-1, 2.5, "a", HUGE)) + bad("standardize", BOOL)
         + bad("svd_solver", OPTION) + bad("whiten", BOOL) + bad("copy", BOOL)
         + bad("tol", (-1.0, "a")) + bad("iterated_power", (-1, "x"))
         + bad("n_oversamples", (0, 2.5)) + bad("power_iteration_normalizer", OPTION)
         + bad("random_state", SEED),
         skip=("X:object",), match=_EST),
    Spec("denoise", decomposition.denoise, dict(X=X, basis=np.eye(4)[:2]),
         {"X": "matrix", "basis": "factor"},
         bad("center", ("a", [1.0, 2.0], math.nan)) + bad("scale", (0, "a", [1.0]))),
    Spec("standardize", decomposition.standardize, dict(X=X, X_train=X),
         {"X": "matrix", "X_train": "matrix"}),
    Spec("unstandardize", decomposition.unstandardize, dict(X=X, X_train=X),
         {"X": "matrix", "X_train": "matrix"}),
    Spec("minmax_normalize", decomposition.minmax_normalize, dict(X=X, X_train=X),
         {"X": "matrix", "X_train": "matrix"}),
    Spec("minmax_unnormalize", decomposition.minmax_unnormalize, dict(X=X, X_train=X),
         {"X": "matrix", "X_train": "matrix"}),
    Spec("column_stats", decomposition.column_stats, dict(X=X), {"X": "matrix"}),
    Spec("minmax_range", decomposition.minmax_range, dict(X_train=X), {"X_train": "matrix"}),
    # ---- fastnet.cluster
    Spec("kmeans", cluster.kmeans, dict(X=X, n_clusters=3, seed=0), {"X": "matrix"},
         bad("n_clusters", COUNT + (25, HUGE)) + bad("init", OPTION + (3,))
         + bad("n_init", COUNT) + bad("max_iter", COUNT) + bad("tol", NONNEGATIVE)
         + bad("seed", SEED)),
    Spec("kmeans-init-array", cluster.kmeans, dict(X=X, n_clusters=2, init=X[[0, 20]]),
         {"init": "factor"}),
    Spec("KMeans", _fit(cluster.KMeans, n_clusters=3, random_state=0), dict(X=X),
         {"X": "matrix"},
         bad("n_clusters", (0, 2.5, "a", 25, HUGE)) + bad("init", OPTION)
         + bad("n_init", (0, "a")) + bad("max_iter", (0,)) + bad("tol", (-1.0,))
         + bad("random_state", SEED) + bad("algorithm", OPTION) + bad("copy_x", BOOL)
         + bad("verbose", ("x",)),
         skip=("X:object",), match=_EST),
    Spec("gaussian_mixture", cluster.gaussian_mixture,
         dict(X=X, n_components=2, seed=0, max_iter=200), {"X": "matrix"},
         bad("n_components", COUNT + (25, HUGE)) + bad("init_params", OPTION)
         + bad("n_init", COUNT) + bad("max_iter", COUNT) + bad("tol", NONNEGATIVE)
         + bad("reg_covar", NONNEGATIVE) + bad("seed", SEED)
         + bad("weights_init", (["a", "b"], [0.5], [0.7, 0.7], [1 + 0j, 0j]))
         + bad("means_init", (np.zeros((3, 4)), [[math.nan] * 4] * 2))
         + bad("precisions_init", (np.zeros((2, 4, 4)), "a")),
         skip=("X:bool",)),  # 0/1 columns: a singular covariance (an error, both ways)
    Spec("GaussianMixture", _fit(cluster.GaussianMixture, n_components=2, random_state=0,
                                 max_iter=200),
         dict(X=X), {"X": "matrix"},
         bad("n_components", (0, 2.5, "a", 25, HUGE)) + bad("covariance_type", OPTION)
         + bad("init_params", OPTION) + bad("random_state", SEED) + bad("tol", (-1.0,))
         + bad("verbose", ("x",)) + bad("reg_covar", (-1.0, "a")) + bad("max_iter", (-1,))
         + bad("n_init", (0, 2.5)) + bad("warm_start", BOOL)
         + bad("verbose_interval", (0, "a")),
         skip=("X:object", "X:bool"), match=_EST),
    _label_pair_spec("adjusted_rand_score"),
    _label_pair_spec("homogeneity_score"),
    _label_pair_spec("contingency_matrix"),
    _label_pair_spec("majority_cluster_map",  # its keys are the labels themselves
                     skip=("labels_true:str-labels", "labels_pred:str-labels")),
    Spec("calinski_harabasz_score", cluster.calinski_harabasz_score, dict(X=X, labels=Y3),
         {"X": "matrix", "labels": "labels"}, skip=("X:0rows",),
         match={"labels": r"\blabels\b|Number of labels"}),
    Spec("within_cluster_distance", cluster.within_cluster_distance, dict(X=X, labels=Y3),
         {"X": "matrix", "labels": "labels"}, bad("method", OPTION), skip=("X:0rows",)),
    Spec("within_cluster_distance-pairwise", cluster.within_cluster_distance,
         dict(X=X, labels=Y3, method="pairwise"), {"X": "matrix", "labels": "labels"},
         skip=("X:0rows",)),
    Spec("class_log_likelihood", cluster.class_log_likelihood,
         dict(X=X, labels=Y3, mixture=MIXTURE), {"X": "matrix", "labels": "labels"},
         bad("mixture", (object(), None)), skip=("X:0rows", "labels:str-labels")),
    # ---- fastnet.graph
    Spec("sbm", graph.sbm, dict(n=[5, 4], p=BLOCK_P, seed=0),
         {"n": "sizes", "p": "probs"},
         bad("n", (5, [], [HUGE], [-1, 2])) + bad("p", (np.full((2, 2), 1.5), [[0.5, 0.1]]))
         + bad("seed", SEED) + bad("directed", BOOL) + bad("loops", BOOL)
         + bad("sparse", BOOL) + bad("return_labels", BOOL) + bad("wt", (math.nan, "a")),
         skip=("p:3d",)),
    Spec("sbm-sparse", graph.sbm, dict(n=[5, 4], p=BLOCK_P, seed=0, sparse=True),
         {"p": "probs"}, [("n", [HUGE]), ("n", [10**7] * 2, "n and p")],
         skip=("p:3d",)),
    Spec("feedforward_block_probs", graph.feedforward_block_probs,
         dict(n_blocks=3, low_p=0.0, diag_p=0.2, feedforward_p=0.3),
         bad=bad("n_blocks", COUNT + (10**6,)) + bad("low_p", PROBABILITY)
         + bad("diag_p", PROBABILITY) + bad("feedforward_p", PROBABILITY)),
    Spec("block_labels", graph.block_labels, dict(sizes=[2, 3]), {"sizes": "sizes"},
         bad("sizes", (3, [], [HUGE]))),
    Spec("signal_flow", graph.signal_flow, dict(A=DIRECTED), {"A": "adjacency"},
         bad("method", OPTION + (3,)) + bad("tol", POSITIVE) + bad("max_iter", COUNT)),
    Spec("signal_flow-sparse-method", graph.signal_flow, dict(A=DIRECTED, method="sparse"),
         {"A": "adjacency"}),
    Spec("correlation_graph", graph.correlation_graph, dict(X=X, threshold=0.1),
         {"X": "matrix"},
         bad("threshold", (1.0, -0.1, math.nan, "a")) + bad("sparse", BOOL)
         + [("X", np.zeros((2, 10**6))), ("X", np.zeros((1, 4)))]),
    Spec("degree_centrality", graph.degree_centrality, dict(A=SYM), {"A": "square"}),
    Spec("top_k", graph.top_k, dict(scores=SCORES, k=3), {"scores": "scores"},
         bad("k", (-1, 9, HUGE, 2.5, "a"))),
    Spec("normalized_laplacian", graph.normalized_laplacian, dict(A=SYM), {"A": "square"},
         [("A", DIRECTED)]),
    Spec("connected_components", graph.connected_components, dict(A=SYM), {"A": "square"}),
    Spec("spectral_embedding", graph.spectral_embedding, dict(A=SYM, n_components=2),
         {"A": "square"}, bad("n_components", (0, 9, HUGE, 2.5, "a"))),
    Spec("spectral_partition", graph.spectral_partition, dict(A=SYM), {"A": "square"},
         [("A", np.zeros((1, 1)))]),
    # ---- fastnet.parallel and the studies: bad arguments only, refused before any work
    Spec("parallel.run", run, dict(fn=lambda seed: 1.0, tasks=2, seed=0),
         bad=bad("fn", (3,)) + bad("tasks", (-1, HUGE, "abc", [1], [{"seed": 1}]))
         + bad("seed", SEED + (None,)) + bad("n_jobs", (0, -2, "x", 1.5))
         + bad("backend", OPTION) + bad("progress", BOOL)),
    Spec("studies.gmm_vs_kmeans", gmm_vs_kmeans, dict(n_sims=1, n_samples=30, n_init=1),
         bad=bad("n_sims", COUNT + (HUGE,)) + bad("seed", SEED + (None,))
         + bad("n_samples", (2, HUGE, "a")) + bad("n_init", COUNT) + bad("n_jobs", (0, "x"))
         + bad("backend", OPTION)),
    Spec("studies.signal_flow_separation", signal_flow_separation,
         dict(n_blocks=3, block_size=10, n_sims=1),
         bad=bad("n_blocks", (1, [], "a", 2.5)) + bad("block_size", (0, HUGE, [10, HUGE]))
         + bad("low_p", PROBABILITY) + bad("diag_p", PROBABILITY)
         + bad("feedforward_p", PROBABILITY) + bad("n_sims", COUNT + (HUGE,))
         + bad("seed", SEED + (None,)) + bad("n_jobs", (0, "x")) + bad("backend", OPTION)),
]

_BY_NAME = {spec.name: spec for spec in SPECS}


# ---------------------------------------------------------------- helpers
def _arrays_of(result):
    """Every number in a result, as a flat list of arrays (for equality checks)."""
    if isinstance(result, np.ndarray):
        return [result]
    if scipy.sparse.issparse(result):
        return [result.toarray()]
    if isinstance(result, (bool, int, float, np.generic, str)) or result is None:
        return [np.asarray(result)]
    if isinstance(result, dict):
        return [np.asarray(list(result.items()), dtype=object)]
    if isinstance(result, (list, tuple)):
        return [a for item in result for a in _arrays_of(item)]
    if hasattr(result, "__slots__"):
        return _arrays_of([getattr(result, name) for name in result.__slots__])
    if dataclasses.is_dataclass(result):
        return _arrays_of([getattr(result, f.name) for f in dataclasses.fields(result)])
    if hasattr(result, "get_params"):  # a fitted estimator: its fitted attributes
        fitted = sorted(k for k in vars(result) if k.endswith("_") and not k.startswith("_")
                        and k not in ("history_", "net_"))
        return _arrays_of([getattr(result, k) for k in fitted])
    return _arrays_of(list(vars(result).values()))


def assert_same_result(actual, expected):
    actual, expected = _arrays_of(actual), _arrays_of(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        if e.dtype == object or a.dtype == object or e.dtype.kind in "US":
            assert_array_equal(a, e)
        else:
            assert_allclose(a, e, rtol=1e-12, atol=1e-12, equal_nan=True)


def _outcome(fn, kwargs):
    """(result, None) or (None, the exception) of ``fn(**kwargs)``."""
    try:
        return fn(**kwargs), None
    except (ValueError, TypeError, FloatingPointError) as exc:
        return None, exc


def _rows():
    for spec in SPECS:
        for arg, kind in spec.arrays.items():
            errors, same, propagate = KINDS[kind]
            for corruption in errors + same + (("nan-propagates",) if propagate else ()):
                if f"{arg}:{corruption}" in spec.skip:
                    continue
                row_id = f"{spec.name}-{arg}:{corruption}"
                yield pytest.param(spec.name, arg, corruption, id=row_id)


def _scalar_rows():
    for spec in SPECS:
        for item in spec.bad:
            param, value = item[0], item[1]
            text = repr(value) if not isinstance(value, np.ndarray) else f"array{value.shape}"
            yield pytest.param(spec.name, param, value, item[2] if len(item) > 2 else None,
                               id=f"{spec.name}-{param}={text[:24]}")


# ---------------------------------------------------------------- the sweeps
@pytest.mark.parametrize("spec_name,arg,corruption", list(_rows()))
def test_array_corruption(spec_name, arg, corruption, tmp_path):
    spec = _BY_NAME[spec_name]
    valid = spec.kwargs[arg]
    if corruption in ERROR:
        kwargs = {**spec.kwargs, arg: ERROR[corruption](valid)}
        pattern = spec.match.get(arg, rf"\b{arg}\b")
        with pytest.raises((ValueError, TypeError), match=pattern):
            spec.fn(**kwargs)
        return
    if corruption == "nan-propagates":
        x = np.array(valid, dtype=np.float64)
        x[1, 1] = np.nan
        out = spec.fn(**{**spec.kwargs, arg: x})
        assert np.isnan(out[1, 1]) and not np.isnan(out[0]).any()
        return
    corrupt, plain = SAME[corruption]
    if corruption == "memmap":
        path = tmp_path / "input.npy"
        np.save(path, np.asarray(valid))
        corrupted = np.load(path, mmap_mode="r")
    else:
        corrupted = corrupt(valid)
    before = np.array(corrupted, copy=True)
    expected, expected_error = _outcome(spec.fn, {**spec.kwargs, arg: plain(valid)})
    if expected_error is not None:  # the plain input is refused: so is the corrupted one
        with pytest.raises(type(expected_error)):
            spec.fn(**{**spec.kwargs, arg: corrupted})
        return
    actual = spec.fn(**{**spec.kwargs, arg: corrupted})
    assert_same_result(actual, expected)
    assert_array_equal(np.asarray(corrupted), before)  # the input is not modified


@pytest.mark.parametrize("spec_name,param,value,match", list(_scalar_rows()))
def test_bad_scalar(spec_name, param, value, match):
    spec = _BY_NAME[spec_name]
    with pytest.raises((ValueError, TypeError), match=match or rf"\b{param}\b"):
        spec.fn(**{**spec.kwargs, param: value})


@pytest.mark.parametrize("spec_name", [s.name for s in SPECS if not s.name.startswith(
    ("parallel", "studies"))])
def test_valid_call_is_clean(spec_name):
    """The table's valid calls work and give finite numbers (the baseline of the sweep)."""
    spec = _BY_NAME[spec_name]
    for a in _arrays_of(spec.fn(**spec.kwargs)):
        if a.dtype.kind == "f":
            assert np.isfinite(a).all()


# ---------------------------------------------------------------- defined edge cases
def test_zero_size_blocks_and_clusters():
    A, labels = graph.sbm([3, 0, 2], np.full((3, 3), 0.5), return_labels=True, seed=0)
    assert A.shape == (5, 5) and np.array_equal(A, A.T)
    assert_array_equal(labels, [0, 0, 0, 2, 2])
    assert_array_equal(graph.block_labels([2, 0, 1]), [0, 0, 2])
    assert graph.sbm([0], [[0.5]], seed=0).shape == (0, 0)
    assert graph.sbm([0, 0], BLOCK_P, sparse=True, seed=0).shape == (0, 0)
    # a label value that is never used (cluster 1 of 0, 2) is not an empty cluster
    assert cluster.adjusted_rand_score([0, 0, 2, 2], [5, 5, 9, 9]) == 1.0
    assert cluster.majority_cluster_map([], []) == {}
    assert cluster.contingency_matrix([], []).shape == (0, 0)
    assert cluster.homogeneity_score([], []) == 1.0
    assert graph.degree_centrality(np.zeros((0, 0))).shape == (0,)
    assert graph.connected_components(np.zeros((0, 0))) == 0
    assert graph.signal_flow(np.zeros((0, 0))).shape == (0,)
    with pytest.raises(ValueError, match="n_components"):
        graph.spectral_embedding(np.zeros((0, 0)), 1)
    assert nn.softmax(np.zeros((0, 3))).shape == (0, 3)
    assert nn.cross_entropy([], np.zeros((0, 3))).shape == (0,)
    with pytest.raises(ValueError, match="n_classes"):
        nn.onehot([])


def test_kmeans_more_clusters_than_distinct_points():
    """Duplicate points: an empty cluster is refilled; labels still cover n_clusters."""
    X2 = np.repeat(X[:3], 4, axis=0)
    result = cluster.kmeans(X2, 3, seed=0)
    assert np.isfinite(result.centers).all() and len(set(result.labels.tolist())) == 3


# ---------------------------------------------------------------- estimators
def _fitted(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if name in ("MLPClassifier", "MLPRegressor"):
            cls = MLPClassifier if name == "MLPClassifier" else MLPRegressor
            return cls(hidden_layer_sizes=(3,), max_iter=2, batch_size=8,
                       random_state=0).fit(X, Y3)
        return {
            "KMeans": lambda: cluster.KMeans(3, random_state=0),
            "GaussianMixture": lambda: cluster.GaussianMixture(2, random_state=0),
            "PCA": lambda: decomposition.PCA(2),
            "NMF": lambda: decomposition.NMF(2, max_iter=5, random_state=0),
        }[name]().fit(X)


ESTIMATOR_METHODS = {
    "KMeans": ("predict", "transform", "score"),
    "GaussianMixture": ("predict", "predict_proba", "score_samples"),
    "PCA": ("transform",),
    "NMF": ("transform",),
    "MLPClassifier": ("predict", "predict_proba", "predict_log_proba"),
    "MLPRegressor": ("predict",),
}
_UNFITTED = {"KMeans": cluster.KMeans(3), "GaussianMixture": cluster.GaussianMixture(2),
             "PCA": decomposition.PCA(2), "NMF": decomposition.NMF(2),
             "MLPClassifier": MLPClassifier((3,)),
             "MLPRegressor": MLPRegressor(hidden_layer_sizes=(3,))}
_METHOD_ROWS = [(e, m) for e, methods in ESTIMATOR_METHODS.items() for m in methods]


@pytest.mark.parametrize("estimator,method", _METHOD_ROWS + [("PCA", "inverse_transform"),
                                                             ("NMF", "inverse_transform")],
                         ids=lambda v: v)
def test_method_before_fit(estimator, method):
    with pytest.raises(NotFittedError):
        getattr(_UNFITTED[estimator], method)(X if "inverse" not in method else X[:, :2])


@pytest.mark.parametrize("estimator,method", _METHOD_ROWS, ids=lambda v: v)
@pytest.mark.parametrize("corruption", ["wrong-features", "nan", "1d", "0rows", "str",
                                        "complex"])
def test_method_bad_X(estimator, method, corruption):
    model = _fitted(estimator)
    data = X[:, :3] if corruption == "wrong-features" else ERROR[corruption](X)
    with pytest.raises((ValueError, TypeError), match=r"\bX\b"):
        getattr(model, method)(data)


@pytest.mark.parametrize("estimator", ["PCA", "NMF"])
def test_inverse_transform_wrong_width(estimator):
    with pytest.raises(ValueError, match=r"X must have 2 columns"):
        _fitted(estimator).inverse_transform(X[:, :3])


_REFIT_FAILURES = {
    "nan": lambda m: m.fit(*((ERROR["nan"](X),) + ((Y3,) if _is_clf(m) else ()))),
    "other-width-and-bad-param": lambda m: m.set_params(**_BAD_PARAM[type(m).__name__]).fit(
        *((X[:, :3],) + ((Y3,) if _is_clf(m) else ()))),
}
_BAD_PARAM = {"KMeans": {"n_clusters": 99}, "GaussianMixture": {"n_components": 99},
              "PCA": {"n_components": 99}, "NMF": {"n_components": 99, "init": "nndsvda"},
              "MLPClassifier": {"learning_rate_init": -1.0},
              "MLPRegressor": {"learning_rate_init": -1.0}}


def _is_clf(model):
    return isinstance(model, (MLPClassifier, MLPRegressor))


@pytest.mark.parametrize("failure", list(_REFIT_FAILURES))
@pytest.mark.parametrize("estimator", list(ESTIMATOR_METHODS))
def test_failed_refit_leaves_the_fitted_estimator_unchanged(estimator, failure):
    model = _fitted(estimator)
    method = ESTIMATOR_METHODS[estimator][0]
    before = getattr(model, method)(X)
    state = {k: v for k, v in vars(model).items() if k.endswith("_")}
    params = model.get_params()
    with pytest.raises((ValueError, TypeError)):
        _REFIT_FAILURES[failure](model)
    model.set_params(**params)
    assert {k for k in vars(model) if k.endswith("_")} == set(state)
    assert model.n_features_in_ == X.shape[1]
    assert_same_result(getattr(model, method)(X), before)


def test_failed_mlp_fit_leaves_the_weights_unchanged():
    net = MLP((4, 3, 3), seed=0)
    net.fit(X, Y3, epochs=1, batch_size=8)
    weights = [w.copy() for w in net.coefs + net.intercepts]
    for kwargs in (dict(X=ERROR["nan"](X), y=Y3), dict(X=X, y=Y3 + 5),
                   dict(X=X, y=Y3, learning_rate=-1.0), dict(X=X[:, :3], y=Y3)):
        with pytest.raises((ValueError, TypeError)):
            net.fit(**kwargs)
    assert net.epochs_trained == 1
    for saved, w in zip(weights, net.coefs + net.intercepts, strict=True):
        assert_array_equal(saved, w)


@pytest.mark.parametrize("estimator", ["KMeans", "GaussianMixture", "NMF", "MLPClassifier",
                                       "MLPRegressor"])
@pytest.mark.parametrize("state", [np.random.RandomState(0), np.random.default_rng(0),
                                   np.random.SeedSequence(0)], ids=lambda s: type(s).__name__)
def test_random_state_objects(estimator, state):
    """scikit-learn's random_state values all work (documented by the estimators)."""
    model = _fitted(estimator).set_params(random_state=state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y3) if _is_clf(model) else model.fit(X)
    assert model.n_features_in_ == X.shape[1]


# ---------------------------------------------------------------- left over from the sweep
def test_kmeans_predict_after_set_params_uses_the_fitted_centres():
    X = np.r_[np.zeros((5, 2)), np.full((5, 2), 10.0)]
    model = cluster.KMeans(2, random_state=0).fit(X)
    expected = model.predict(X)
    model.set_params(n_clusters=5)  # not refitted: predictions use the fitted centres
    assert_array_equal(model.predict(X), expected)


def test_gaussian_mixture_information_criteria_accept_lists():
    X = np.random.default_rng(0).standard_normal((40, 2))
    model = cluster.GaussianMixture(2, random_state=0).fit(X)
    assert model.bic(X.tolist()) == model.bic(X)
    assert model.aic(X.tolist()) == model.aic(X)


@pytest.mark.parametrize("seed", [None, "abc", 1.5, True])
def test_run_seed_message_lists_what_is_valid(seed):
    with pytest.raises(TypeError, match="seed must be an int >= 0 or a numpy.random.SeedSeq"):
        run(lambda seed: 0, 2, seed=seed)


# scikit-learn's parameter validation: the drop-in estimators raise its
# InvalidParameterError (a ValueError and a TypeError) for values outside
# _parameter_constraints, as scikit-learn's estimators do
_SKLEARN_PARAMS = {
    "KMeans": ("init", "n_init", "tol", "algorithm", "copy_x", "verbose", "random_state"),
    "GaussianMixture": ("covariance_type", "init_params", "tol", "reg_covar", "max_iter",
                        "n_init", "warm_start", "verbose", "verbose_interval",
                        "random_state"),
    "PCA": ("svd_solver", "whiten", "copy", "tol", "iterated_power", "n_oversamples",
            "power_iteration_normalizer", "random_state"),
    "NMF": ("init", "solver", "beta_loss", "alpha_W", "alpha_H", "l1_ratio", "shuffle",
            "verbose", "max_iter", "tol", "random_state"),
    **{name: ("activation", "solver", "alpha", "batch_size", "learning_rate",
              "learning_rate_init", "power_t", "max_iter", "shuffle", "random_state", "tol",
              "verbose", "warm_start", "momentum", "nesterovs_momentum", "early_stopping",
              "validation_fraction", "beta_1", "beta_2", "epsilon", "n_iter_no_change",
              "max_fun", "keep_prob", "loss") for name in ("MLPClassifier", "MLPRegressor")},
}


@pytest.mark.parametrize("spec_name,param,value", [
    pytest.param(name, param, value, id=f"{name}-{param}={value!r}")
    for name, params in _SKLEARN_PARAMS.items()
    for param, value in _BY_NAME[name].bad if param in params])
def test_estimator_parameters_raise_scikit_learns_error(spec_name, param, value):
    from sklearn.utils._param_validation import InvalidParameterError

    spec = _BY_NAME[spec_name]
    with pytest.raises(InvalidParameterError, match=rf"'{param}' parameter"):
        spec.fn(**{**spec.kwargs, param: value})
