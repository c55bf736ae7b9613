"""Plots of fastnet's studies: ARI differences, signal flow per block, block-sorted
adjacency matrices and MLP learning curves.

matplotlib is an optional extra (``pip install "fastnet[plot]"``) imported only when a
function draws.  Every function takes ``ax=None``: it draws into that Axes, or into a
new :class:`matplotlib.figure.Figure` (not registered with pyplot, so nothing opens a
window and nothing needs closing), and returns the Axes; the figure is ``ax.figure``.
In a notebook, display it with ``ax.figure`` or pass an ``ax`` from ``plt.subplots()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_float_array, as_labels, check_int, check_positive_float

if TYPE_CHECKING:  # matplotlib is an optional extra, imported when a function draws
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ari_difference", "signal_flow_by_block", "block_adjacency", "learning_curves",
           "save"]

INSTALL_HINT = 'fastnet.plot needs matplotlib: pip install "fastnet[plot]"'
RUG_HEIGHT = 0.04  # rug ticks, as a fraction of the Axes height
MAX_BLOCK_TICKS = 30  # label block centres on the heatmap axes up to this many blocks
MAX_FLIERS_BLOCK = 2000  # signal_flow_by_block draws outliers up to this many nodes a block


# ---------------------------------------------------------------- helpers
def _matplotlib():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return matplotlib


def _axes(ax):
    """``ax`` checked, or the Axes of a new pyplot-free Figure."""
    _matplotlib()
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if ax is None:
        return Figure(layout="constrained").subplots()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _frame(df, name, required):
    """``df`` checked to be a non-empty DataFrame holding the ``required`` columns."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {list(required)}; missing {missing} "
                         f"(has {list(df.columns)})")
    if len(df) == 0:
        raise ValueError(f"{name} must have at least one row")
    return df


def _column(df, name, column, finite=True):
    try:
        values = df[column].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}[{column!r}] must hold numbers; "
                        f"got dtype {df[column].dtype}") from None
    return as_float_array(values, f"{name}[{column!r}]", ndim=1, finite=finite)


# ---------------------------------------------------------------- ARI difference
def ari_difference(results: pd.DataFrame, ax: Axes | None = None, bins: int = 20) -> Axes:
    """Histogram and rug of ARI(GMM) - ARI(k-means) over simulations.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per simulation with columns ``ari_gmm`` and ``ari_kmeans``; a
        ``difference`` column, if present, is plotted as is.
    ax : matplotlib Axes, optional
    bins : int >= 1

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import ari_difference
    >>> results = pd.DataFrame({"ari_gmm": [0.9, 0.8, 0.7], "ari_kmeans": [0.6, 0.85, 0.5]})
    >>> ax = ari_difference(results, ax=Figure().subplots())
    >>> ax.get_title()
    '3 simulations, mean difference +0.150'
    """
    _frame(results, "results", ("ari_gmm", "ari_kmeans"))
    if "difference" in results.columns:
        diff = _column(results, "results", "difference")
    else:
        gmm, kmeans = (_column(results, "results", c) for c in ("ari_gmm", "ari_kmeans"))
        diff = gmm - kmeans
    bins = check_int(bins, "bins", minimum=1)
    ax = _axes(ax)

    ax.hist(diff, bins=bins, color="0.6", edgecolor="white")
    rug = ax.vlines(diff, 0, RUG_HEIGHT, transform=ax.get_xaxis_transform(), color="black",
                    linewidth=1)
    rug.set_gid("rug")
    ax.axvline(0, color="red", linestyle="--", linewidth=1.5)
    # the side labels hug the zero line, whatever the x range
    for text, side, align in (("k-means better", -1, "right"), ("GMM better", 1, "left")):
        ax.annotate(text, xy=(0, 0.95), xycoords=ax.get_xaxis_transform(),
                    xytext=(6 * side, 0), textcoords="offset points", ha=align, va="top")
    ax.set_title(f"{diff.size} simulations, mean difference {diff.mean():+.3f}")
    ax.set_xlabel("ARI(GMM) − ARI(k-means)")
    ax.set_ylabel("simulations")
    return ax


# ---------------------------------------------------------------- signal flow
def signal_flow_by_block(z: ArrayLike, labels: ArrayLike, ax: Axes | None = None) -> Axes:
    """Box plot of the signal flow ``z`` of the nodes in each block, at x = block index.

    Parameters
    ----------
    z : array_like of float, shape (n,)
        Signal flows, e.g. from :func:`fastnet.graph.signal_flow`.
    labels : array_like of int >= 0, shape (n,)
        Block of every node, e.g. from :func:`fastnet.graph.block_labels`.
    ax : matplotlib Axes, optional

    The box artists carry the gid ``"box"`` and the median lines ``"median"``.
    Outliers are drawn as points only while every block has at most
    :data:`MAX_FLIERS_BLOCK` nodes: beyond that they merge into solid bars.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import signal_flow_by_block
    >>> ax = signal_flow_by_block([1.0, 1.2, 0.1, -0.1, -1.0], [0, 0, 1, 1, 2],
    ...                           ax=Figure().subplots())
    >>> [int(t) for t in ax.get_xticks()]
    [0, 1, 2]
    """
    z = as_float_array(z, "z", ndim=1, min_size=1)
    labels = as_labels(labels, "labels", n_samples=z.size)
    ax = _axes(ax)

    blocks, sizes = np.unique(labels, return_counts=True)
    groups = np.split(z[np.argsort(labels, kind="stable")], np.cumsum(sizes)[:-1])
    # beyond a few thousand points per block the outliers merge into a solid bar that
    # hides the boxes; the whiskers still show the spread
    parts = ax.boxplot(groups, positions=blocks, widths=0.6, patch_artist=True,
                       manage_ticks=False, medianprops={"color": "black"},
                       boxprops={"facecolor": "0.85"}, flierprops={"markersize": 3},
                       showfliers=bool(sizes.max() <= MAX_FLIERS_BLOCK))
    for artist in parts["boxes"]:
        artist.set_gid("box")
    for line in parts["medians"]:
        line.set_gid("median")
    ax.set_xticks(blocks)
    ax.set_xlim(blocks[0] - 0.6, blocks[-1] + 0.6)
    ax.set_xlabel("block")
    ax.set_ylabel("signal flow")
    return ax


def signal_flow_study(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Mean signal flow by block for each configuration of a
    :func:`fastnet.studies.signal_flow_separation` table, with the mean within-block
    standard deviation as error bars (both averaged over repetitions); the legend
    gives each configuration's smallest adjacent-block separation P(z_b > z_b+1).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import signal_flow_study
    >>> from fastnet.studies import signal_flow_separation
    >>> table = signal_flow_separation(n_blocks=3, block_size=20, seed=1)
    >>> ax = signal_flow_study(table, ax=Figure().subplots())
    >>> len(ax.get_lines()) >= 1
    True
    """
    required = ("n_blocks", "block_size", "block", "mean", "std", "min_separation")
    table = _frame(table, "table", required)
    for column in ("mean", "std", "min_separation"):
        _column(table, "table", column)
    ax = _axes(ax)
    for (n_blocks, size), rows in table.groupby(["n_blocks", "block_size"], sort=True):
        by_block = rows.groupby("block")[["mean", "std"]].mean()
        worst = rows["min_separation"].mean()
        ax.errorbar(by_block.index, by_block["mean"], yerr=by_block["std"], marker="o",
                    capsize=3, label=f"{n_blocks} x {size} nodes, min separation {worst:.2f}")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("block (0: the start of the feedforward chain)")
    ax.set_ylabel("signal flow")
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------- adjacency
def block_adjacency(A, labels: ArrayLike | None = None, ax: Axes | None = None,
                    max_nodes: int = 5000) -> Axes:
    """Heatmap of the adjacency matrix with nodes sorted by block, and block boundaries.

    Parameters
    ----------
    A : array_like or scipy.sparse matrix, shape (n, n)
    labels : array_like of int >= 0, shape (n,), optional
        Block of every node; rows and columns are stably sorted by it and thin lines
        mark where blocks meet.  None keeps the node order and draws no lines.
    ax : matplotlib Axes, optional
    max_nodes : int
        Refuse larger graphs: the dense image costs n^2 memory and shows no detail.

    Node ``i`` of the sorted order covers ``[i, i + 1)`` on both axes, so the
    boundaries sit at the cumulative block sizes.  0/1 graphs use a binary colormap,
    weighted ones viridis; add a colour bar with ``ax.figure.colorbar(ax.images[0])``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import block_adjacency
    >>> A = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    >>> ax = block_adjacency(A, labels=[1, 0, 1], ax=Figure().subplots())
    >>> ax.images[0].get_array().astype(int).tolist()
    [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    """
    dense = _dense_adjacency(A, check_int(max_nodes, "max_nodes", minimum=1))
    n = dense.shape[0]
    if labels is not None:
        labels = as_labels(labels, "labels", n_samples=n)
        order = np.argsort(labels, kind="stable")
        dense = dense[np.ix_(order, order)]
    ax = _axes(ax)

    binary = bool(np.isin(dense, (0.0, 1.0)).all())
    ax.imshow(dense, cmap="binary" if binary else "viridis", vmin=0 if binary else None,
              vmax=1 if binary else None, extent=(0, n, n, 0), interpolation="nearest",
              aspect="equal")
    if labels is not None:
        _block_boundaries(ax, np.unique(labels, return_counts=True), n)
    ax.set_xlabel("target")
    ax.set_ylabel("source")
    return ax


def _dense_adjacency(A, max_nodes):
    """``A`` as a dense square float64 array of at most ``max_nodes`` rows; the size
    is checked before a sparse matrix is densified."""
    from .graph._adjacency import as_adjacency, is_sparse

    if not is_sparse(A):
        A = as_float_array(A, "A", ndim=2)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix; got shape {A.shape}")
    if A.shape[0] > max_nodes:
        raise ValueError(f"A has {A.shape[0]} nodes, more than max_nodes={max_nodes}: a "
                         f"dense image of it would be huge and unreadable; plot a smaller "
                         f"graph (e.g. a subgraph or fewer nodes per block) or raise max_nodes")
    A = as_adjacency(A, "A")
    return A.toarray() if is_sparse(A) else A


def _block_boundaries(ax, blocks_and_sizes, n):
    """Thin lines where consecutive blocks meet; block ids at block centres."""
    blocks, sizes = blocks_and_sizes
    ends = np.cumsum(sizes)
    inner = ends[:-1]
    style = {"color": "tab:red", "linewidth": 0.6}
    ax.hlines(inner, 0, n, **style).set_gid("block boundaries")
    ax.vlines(inner, 0, n, **style).set_gid("block boundaries")
    if blocks.size <= MAX_BLOCK_TICKS:
        centres = ends - sizes / 2
        ax.set_xticks(centres, [str(b) for b in blocks])
        ax.set_yticks(centres, [str(b) for b in blocks])


# ---------------------------------------------------------------- learning curves
def learning_curves(history: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Loss per epoch on ``ax`` and accuracy per epoch on a twin y axis.

    Parameters
    ----------
    history : pandas.DataFrame
        As returned by :meth:`fastnet.nn.MLP.fit`: columns ``epoch`` and ``train_loss``,
        optionally ``val_loss``, ``train_accuracy`` and ``val_accuracy`` (NaN allowed).
    ax : matplotlib Axes, optional

    The returned Axes holds the loss lines and one legend for all lines; the accuracy
    lines are on its twin, ``ax.get_shared_x_axes().get_siblings(ax)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import learning_curves
    >>> history = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.9, 0.5, 0.4],
    ...                         "train_accuracy": [0.6, 0.8, 0.85]})
    >>> ax = learning_curves(history, ax=Figure().subplots())
    >>> [line.get_label() for line in ax.lines]
    ['train loss']
    """
    _frame(history, "history", ("epoch", "train_loss"))
    epoch = _column(history, "history", "epoch")
    ax = _axes(ax)

    lines = []
    for split, colour in (("train", "tab:blue"), ("val", "tab:orange")):
        if f"{split}_loss" in history.columns:
            loss = _column(history, "history", f"{split}_loss", finite=False)
            lines += ax.plot(epoch, loss, color=colour, label=f"{split} loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")

    accuracy_columns = [c for c in ("train_accuracy", "val_accuracy") if c in history.columns]
    if accuracy_columns:
        twin = ax.twinx()
        for column in accuracy_columns:
            split = column.split("_")[0]
            colour = "tab:blue" if split == "train" else "tab:orange"
            accuracy = _column(history, "history", column, finite=False)
            lines += twin.plot(epoch, accuracy, color=colour, linestyle="--",
                               label=f"{split} accuracy")
        twin.set_ylim(0, 1.05)
        twin.set_ylabel("accuracy")
        # draw ax (and its legend) above the twin's lines
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    return ax


# ---------------------------------------------------------------- saving
def save(ax_or_fig: Axes | Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Write the figure of ``ax_or_fig`` (an Axes or a Figure) to the PNG file ``path``,
    creating missing parent directories; returns the path as a :class:`pathlib.Path`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> from fastnet.plot import save
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save(Figure(), pathlib.Path(tmp) / "plots" / "empty.png")
    ...     out.read_bytes()[:4]
    b'\\x89PNG'
    """
    _matplotlib()
    from matplotlib.axes import Axes
    from matplotlib.figure import FigureBase

    if isinstance(ax_or_fig, Axes):
        ax_or_fig = ax_or_fig.figure
    if not isinstance(ax_or_fig, FigureBase):
        raise TypeError(f"ax_or_fig must be a matplotlib Axes or Figure; "
                        f"got {type(ax_or_fig).__name__}")
    fig = ax_or_fig.figure  # the root figure, also for a SubFigure
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path must end in .png (save writes PNG); got {str(path)!r}")
    dpi = check_positive_float(dpi, "dpi")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    return path
