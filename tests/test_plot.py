import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fastnet import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def results(rng):
    gmm = rng.uniform(0.3, 1.0, 40)
    return pd.DataFrame({"ari_gmm": gmm, "ari_kmeans": gmm - rng.normal(0.05, 0.1, 40)})


@pytest.fixture
def history():
    return pd.DataFrame({"epoch": [1, 2, 3, 4], "train_loss": [1.0, 0.6, 0.4, 0.35],
                         "train_accuracy": [0.5, 0.7, 0.8, 0.85],
                         "val_loss": [1.1, 0.7, 0.55, np.nan],
                         "val_accuracy": [0.45, 0.65, 0.7, np.nan]})


def _collections(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def _segments_x(collection):
    return np.array([seg[0, 0] for seg in collection.get_segments()])


# ---------------------------------------------------------------- ari_difference
def test_ari_difference_histogram_rug_and_labels(results):
    diff = (results.ari_gmm - results.ari_kmeans).to_numpy()
    ax = plot.ari_difference(results, bins=12)
    heights = np.array([p.get_height() for p in ax.patches])
    assert heights.sum() == len(results)
    assert_array_equal(heights, np.histogram(diff, bins=12)[0])
    (rug,) = _collections(ax, "rug")
    assert_allclose(np.sort(_segments_x(rug)), np.sort(diff))
    zero_lines = [line for line in ax.lines if np.all(np.asarray(line.get_xdata()) == 0)]
    assert len(zero_lines) == 1
    texts = {t.get_text(): t for t in ax.texts}
    assert texts["k-means better"].get_ha() == "right"  # ends at 0: left of the line
    assert texts["GMM better"].get_ha() == "left"
    assert texts["k-means better"].xy[0] == texts["GMM better"].xy[0] == 0
    assert ax.get_title() == f"40 simulations, mean difference {diff.mean():+.3f}"
    assert ax.get_xlabel() == "ARI(GMM) − ARI(k-means)"


def test_ari_difference_uses_difference_column(results):
    results = results.assign(difference=np.linspace(-0.5, 0.5, len(results)))
    ax = plot.ari_difference(results)
    assert_allclose(np.sort(_segments_x(_collections(ax, "rug")[0])), results.difference)


def test_ari_difference_bad_input(results):
    with pytest.raises(ValueError, match="results.*ari_kmeans"):
        plot.ari_difference(results.drop(columns="ari_kmeans"))
    with pytest.raises(TypeError, match="results must be a pandas DataFrame"):
        plot.ari_difference(results.to_numpy())
    with pytest.raises(ValueError, match="results must have at least one row"):
        plot.ari_difference(results.iloc[:0])
    with pytest.raises(ValueError, match="results\\['ari_gmm'\\].*finite"):
        plot.ari_difference(results.assign(ari_gmm=np.nan))
    with pytest.raises(TypeError, match="results\\['ari_gmm'\\] must hold numbers"):
        plot.ari_difference(results.assign(ari_gmm="high"))
    with pytest.raises(ValueError, match="bins must be >= 1"):
        plot.ari_difference(results, bins=0)
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plot.ari_difference(results, ax=Figure())


# ---------------------------------------------------------------- signal_flow_by_block
def test_signal_flow_boxes_match_blocks(rng):
    labels = np.repeat([0, 1, 3], [30, 20, 25])  # block 2 is empty
    z = rng.normal(-labels.astype(float), 0.3)
    perm = rng.permutation(labels.size)
    ax = plot.signal_flow_by_block(z[perm], labels[perm])
    boxes = [p for p in ax.patches if p.get_gid() == "box"]
    medians = [line for line in ax.lines if line.get_gid() == "median"]
    assert len(boxes) == len(medians) == 3
    assert_allclose([line.get_ydata()[0] for line in medians],
                    [np.median(z[labels == b]) for b in (0, 1, 3)])
    assert_allclose([np.mean(line.get_xdata()) for line in medians], [0, 1, 3])
    assert_array_equal(ax.get_xticks(), [0, 1, 3])
    assert ax.get_ylabel() == "signal flow"


def test_signal_flow_outliers_only_while_blocks_are_small(rng):
    def fliers(ax):  # matplotlib draws each box's outliers as one marker-only line
        return sum(line.get_xydata().shape[0] for line in ax.lines
                   if line.get_linestyle() == "None")

    heavy = rng.standard_t(1, 3 * plot.MAX_FLIERS_BLOCK)  # heavy tails: many outliers
    few = np.repeat([0, 1, 2], plot.MAX_FLIERS_BLOCK)
    assert fliers(plot.signal_flow_by_block(heavy, few)) > 0
    many = np.repeat([0, 1], [plot.MAX_FLIERS_BLOCK + 1, 2 * plot.MAX_FLIERS_BLOCK - 1])
    assert fliers(plot.signal_flow_by_block(heavy, many)) == 0


def test_signal_flow_bad_input():
    with pytest.raises(ValueError, match="labels must have 3 entries"):
        plot.signal_flow_by_block([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match="z must be 1-D"):
        plot.signal_flow_by_block(np.zeros((2, 2)), [0, 1])
    with pytest.raises(TypeError, match="labels must hold integer labels"):
        plot.signal_flow_by_block([0.1, 0.2], ["a", "b"])
    with pytest.raises(TypeError, match="z must hold real numbers"):
        plot.signal_flow_by_block(["a", "b"], [0, 1])


# ---------------------------------------------------------------- block_adjacency
@pytest.mark.parametrize("sparse", [False, True])
def test_block_adjacency_sorted_image_and_boundaries(rng, sparse):
    labels = rng.integers(0, 3, 40)
    A = (rng.random((40, 40)) < 0.3).astype(float)
    ax = plot.block_adjacency(scipy.sparse.csr_array(A) if sparse else A, labels=labels)
    order = np.argsort(labels, kind="stable")
    image = ax.images[0]
    assert_array_equal(image.get_array(), A[np.ix_(order, order)])
    assert image.get_cmap().name == "binary"
    horizontal, vertical = _collections(ax, "block boundaries")
    ends = np.cumsum(np.bincount(labels))[:-1]
    assert_array_equal([seg[0, 1] for seg in horizontal.get_segments()], ends)
    assert_array_equal(_segments_x(vertical), ends)


def test_block_adjacency_weighted_unsorted():
    A = np.arange(16.0).reshape(4, 4)
    ax = plot.block_adjacency(A)
    assert_array_equal(ax.images[0].get_array(), A)
    assert ax.images[0].get_cmap().name != "binary"
    assert not any(isinstance(c, LineCollection) for c in ax.collections)


def test_block_adjacency_bad_input():
    with pytest.raises(ValueError, match="A has 11 nodes, more than max_nodes=10.*smaller"):
        plot.block_adjacency(np.zeros((11, 11)), max_nodes=10)
    with pytest.raises(ValueError, match="A has 11 nodes"):
        plot.block_adjacency(scipy.sparse.identity(11, format="csr"), max_nodes=10)
    with pytest.raises(ValueError, match="A must be 2-D"):
        plot.block_adjacency(np.zeros(9))
    with pytest.raises(ValueError, match="A must be a square matrix"):
        plot.block_adjacency(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="A must hold real numbers"):
        plot.block_adjacency(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="labels must have 3 entries"):
        plot.block_adjacency(np.eye(3), labels=[0, 1])
    with pytest.raises(TypeError, match="max_nodes must be an int"):
        plot.block_adjacency(np.eye(3), max_nodes=1e4)


# ---------------------------------------------------------------- learning_curves
def test_learning_curves_lines_match_history(history):
    ax = plot.learning_curves(history)
    (twin,) = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a is not ax]
    lines = {line.get_label(): line for line in ax.lines + twin.lines}
    assert set(lines) == {"train loss", "val loss", "train accuracy", "val accuracy"}
    assert {line.get_label() for line in ax.lines} == {"train loss", "val loss"}
    for label, column in [("train loss", "train_loss"), ("val loss", "val_loss"),
                          ("train accuracy", "train_accuracy"), ("val accuracy", "val_accuracy")]:
        assert_array_equal(lines[label].get_xdata(), history.epoch)
        assert_array_equal(lines[label].get_ydata(), history[column])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(lines)


def test_learning_curves_train_loss_only(history):
    ax = plot.learning_curves(history[["epoch", "train_loss"]])
    assert [line.get_label() for line in ax.lines] == ["train loss"]
    assert len(ax.figure.axes) == 1  # no twin without accuracy


def test_learning_curves_from_mlp():
    from fastnet.nn import MLP

    X = np.random.default_rng(0).random((60, 3))
    y = (X[:, 0] > 0.5).astype(int)
    history = MLP((3, 4, 2), seed=0).fit(X, y, epochs=3, batch_size=20, X_val=X, y_val=y)
    ax = plot.learning_curves(history)
    assert_array_equal(ax.lines[0].get_ydata(), history.train_loss)


def test_learning_curves_bad_input(history):
    with pytest.raises(ValueError, match="history.*missing \\['train_loss'\\]"):
        plot.learning_curves(history.drop(columns="train_loss"))
    with pytest.raises(TypeError, match="history must be a pandas DataFrame"):
        plot.learning_curves(history.to_dict())


# ---------------------------------------------------------------- ax= and save
@pytest.mark.parametrize("draw", [
    lambda ax: plot.ari_difference(pd.DataFrame({"ari_gmm": [0.5, 0.9],
                                                 "ari_kmeans": [0.6, 0.4]}), ax=ax),
    lambda ax: plot.signal_flow_by_block([0.0, 1.0, 2.0], [0, 0, 1], ax=ax),
    lambda ax: plot.block_adjacency(np.eye(3), labels=[0, 1, 1], ax=ax),
    lambda ax: plot.learning_curves(pd.DataFrame({"epoch": [1, 2], "train_loss": [1, 0.5],
                                                  "train_accuracy": [0.5, 0.6]}), ax=ax),
], ids=["ari_difference", "signal_flow_by_block", "block_adjacency", "learning_curves"])
def test_draws_into_given_axes(draw):
    fig, (left, right) = plt.subplots(1, 2)
    assert draw(right) is right
    assert right.has_data() and not left.has_data()
    new = draw(None)
    assert new.figure is not fig and isinstance(new.figure, Figure)


def test_save_writes_png(tmp_path):
    ax = plot.block_adjacency(np.eye(5), labels=[0, 0, 1, 1, 2])
    path = plot.save(ax, tmp_path / "new" / "dir" / "adjacency.png", dpi=50)
    assert path == tmp_path / "new" / "dir" / "adjacency.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 10
    assert plot.save(ax.figure, str(tmp_path / "fig.png")) == tmp_path / "fig.png"


def test_save_bad_input(tmp_path):
    fig = Figure()
    with pytest.raises(TypeError, match="ax_or_fig must be a matplotlib Axes or Figure"):
        plot.save("figure", tmp_path / "x.png")
    with pytest.raises(ValueError, match="path must end in .png"):
        plot.save(fig, tmp_path / "x.pdf")
    with pytest.raises(TypeError, match="path must be a str"):
        plot.save(fig, 3)
    with pytest.raises(ValueError, match="dpi must be a finite number > 0"):
        plot.save(fig, tmp_path / "x.png", dpi=0)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- optional dependency
def test_import_does_not_load_matplotlib():
    code = "import fastnet.plot, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match='pip install "fastnet\\[plot\\]"'):
        plot.signal_flow_by_block([0.0, 1.0], [0, 1])
    with pytest.raises(ImportError, match='pip install "fastnet\\[plot\\]"'):
        plot.save(object(), "x.png")
