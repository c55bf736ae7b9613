"""``fastnet demo``: a tour of the library on shipped data and generated graphs.

Four steps, each timed against its reference (the NumPy twin, or scikit-learn for the
GMM-vs-k-means study), each writing a figure into the output folder:

1. the MLP study's network (softplus, KL loss, SGD) on scikit-learn's digits
   (learning curves);
2. NMF and PCA denoising of noisy digits;
3. the GMM vs k-means study (histogram of the ARI differences);
4. a feedforward SBM of 10^6 nodes and its signal flow by block.

Where the reference would take too long at the demo's size it runs on a smaller one,
and the line says so.  Times exclude Numba's one-off compilation (a small warm-up call
comes first); the study's time includes starting its two worker processes.
``quick=True`` shrinks every step (the tests use it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TextIO

import numpy as np

__all__ = ["run_demo"]


def _timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


class _Report:
    def __init__(self, stream, out):
        import importlib.util

        self.stream, self.out = stream, out
        self.drawing = importlib.util.find_spec("matplotlib") is not None

    def figure(self, name, draw, title=None):
        """Save the Axes ``draw()`` returns, titled ``title`` if given, as ``out/name``
        (skipped without matplotlib)."""
        if not self.drawing:
            self.line(f"figure {name} skipped: pip install \"fastnet[plot]\" to draw it")
            return
        from . import plot

        ax = draw()
        if title is not None:
            ax.set_title(title, fontsize="medium")
        self.line(f"figure: {plot.save(ax, self.out / name)}")

    def step(self, number, total, title):
        print(f"\n[{number}/{total}] {title}", file=self.stream, flush=True)

    def line(self, text):
        print(f"    {text}", file=self.stream, flush=True)

    def times(self, what, fast, reference, note=""):
        note = f"  ({note})" if note else ""
        self.line(f"{what}: fastnet {fast:.2f} s, reference {reference:.2f} s "
                  f"-> {reference / fast:.1f}x{note}")


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=0)


def _mlp_step(quick, report):
    from . import plot
    from .nn import MLP
    from .random import spawn_sequences
    from .reference import nn as ref_nn

    X_train, X_test, y_train, y_test = _digits()
    epochs = 5 if quick else 40
    MLP((64, 8, 10), seed=0).fit(X_train[:64], y_train[:64], epochs=1)  # warm-up
    net = MLP((64, 200, 200, 200, 10), seed=0, shuffle=True)
    coefs = [W.copy() for W in net.coefs]
    intercepts = [b.copy() for b in net.intercepts]
    history, fast = _timed(lambda: net.fit(X_train, y_train, epochs=epochs, batch_size=32,
                                           learning_rate=0.1, X_val=X_test, y_val=y_test))
    train_rng = np.random.default_rng(spawn_sequences(0, 2)[1])
    _, reference = _timed(lambda: ref_nn.mlp_train(coefs, intercepts, X_train, y_train,
                                                   epochs, 32, 0.1, shuffle=True,
                                                   rng=train_rng))
    twin_accuracy = np.mean(ref_nn.mlp_predict_proba(coefs, intercepts, X_test).argmax(1)
                            == y_test)
    report.times(f"{epochs} epochs of 64-200-200-200-10 on {len(X_train)} digits", fast,
                 reference)
    report.line(f"test accuracy {history.val_accuracy.iloc[-1]:.3f} (twin: {twin_accuracy:.3f})")
    report.figure("mlp_learning_curves.png", lambda: plot.learning_curves(history),
                  f"MLP 64-200-200-200-10 on digits: loss and accuracy per epoch "
                  f"({len(X_train)} train, {len(X_test)} validation)")


def _denoise_step(quick, report):
    from .decomposition import NMF, PCA, denoise, minmax_range, random_init
    from .reference import decomposition as ref_dec

    X_train, X_test, _, _ = _digits()
    noise = np.random.default_rng(1)
    noisy = np.clip(X_test + noise.normal(0.0, 0.25, X_test.shape), 0.0, 1.0)
    k, iterations = 20, (100 if quick else 500)
    W, H = random_init(X_train.shape[0], X_train.shape[1], k, seed=0)
    model = NMF(k, init="custom", solver="mu", pseudo_count=1e-3, tol=0.0, max_iter=iterations)
    model.fit(X_train, W=W.copy(), H=H.copy())  # warm-up: compile or load the kernels
    _, fast = _timed(lambda: model.fit(X_train, W=W.copy(), H=H.copy()))
    _, reference = _timed(lambda: ref_dec.nmf(X_train, k, max_iter=iterations, W_init=W.copy(),
                                              H_init=H.copy()))
    report.times(f"NMF k={k}, {iterations} multiplicative updates", fast, reference)
    # unstandardised: near-constant border pixels would blow the noise up when scaled
    pca = PCA(k, standardize=False).fit(X_train)
    _, fast = _timed(lambda: pca.fit(X_train))
    _, reference = _timed(lambda: ref_dec.pca(X_train, k, standardize=False))
    report.times(f"PCA k={k} on {X_train.shape[0]} x {X_train.shape[1]}", fast, reference,
                 "tiny data: fixed costs dominate")
    low, high = minmax_range(X_train)
    errors = {"noisy": noisy,
              "NMF-denoised": denoise(noisy, model, center=low, scale=high - low),
              "PCA-denoised": denoise(noisy, pca)}
    report.line("mean squared error against the clean digits: " + ", ".join(
        f"{name} {np.mean((value - X_test) ** 2):.4f}" for name, value in errors.items()))


def _study_step(quick, report):
    from . import plot
    from .reference import studies as ref_studies
    from .studies import gmm_vs_kmeans

    n_sims, twin_sims = (8, 2) if quick else (40, 4)
    gmm_vs_kmeans(n_sims=1)  # warm-up: compile the kernels once; workers load them
    results, fast = _timed(lambda: gmm_vs_kmeans(n_sims=n_sims, seed=8888, n_jobs=2,
                                                 progress=not quick))
    _, reference = _timed(lambda: ref_studies.gmm_vs_kmeans(n_sims=twin_sims, seed=8888))
    report.times(f"{n_sims} simulations, n_jobs=2", fast, reference * n_sims / twin_sims,
                 f"fastnet's time includes starting 2 worker processes; scikit-learn ran "
                 f"{twin_sims} simulations serially in {reference:.2f} s, scaled to {n_sims}")
    better = float(np.mean(results["difference"] > 0))
    report.line(f"mean ARI(GMM) - ARI(k-means) = {results['difference'].mean():+.3f}; "
                f"GMM better in {better:.0%} of the simulations")
    report.figure("gmm_vs_kmeans.png", lambda: plot.ari_difference(results))  # own title


def _graph_step(quick, report):
    from . import plot
    from .graph import block_labels, feedforward_block_probs, sbm, signal_flow
    from .reference import graph as ref_graph

    n_blocks, block = 10, (10_000 if quick else 100_000)
    sizes = [block] * n_blocks
    p = feedforward_block_probs(n_blocks, 1e-6, 5e-5, 5e-5) * (100_000 / block)
    # warm-up: compile the sparse path, with its parallel kernels (10^5 nodes)
    signal_flow(sbm([10_000] * n_blocks, p * (block / 10_000), directed=True, sparse=True,
                    seed=1))
    A, sample = _timed(lambda: sbm(sizes, p, directed=True, sparse=True, seed=0))
    z, flow = _timed(lambda: signal_flow(A))
    labels = block_labels(sizes)
    report.line(f"feedforward SBM, {n_blocks} x {block:,} nodes, {A.nnz:,} edges: sampled in "
                f"{sample:.2f} s, signal flow in {flow:.2f} s")
    means = [z[labels == b].mean() for b in range(n_blocks)]
    report.line("mean signal flow by block: " + " ".join(f"{m:+.2f}" for m in means))

    small_sizes = [200] * 5
    small_p = feedforward_block_probs(5, 0.05, 0.2, 0.3)

    def fast_small():
        return signal_flow(sbm(small_sizes, small_p, directed=True, seed=0))

    def twin_small():
        return ref_graph.signal_flow(ref_graph.sbm(small_sizes, small_p, directed=True, seed=0))

    fast_small()  # compiled above for sparse input; this compiles the dense path
    _, fast = _timed(fast_small)
    _, reference = _timed(twin_small)
    report.times("sample + signal flow at 5 x 200 nodes", fast, reference,
                 "the dense NumPy twin (pinv) cannot reach 10^6 nodes")
    report.figure("signal_flow_by_block.png", lambda: plot.signal_flow_by_block(z, labels),
                  f"Signal flow per block: feedforward SBM of {n_blocks} x {block:,} nodes, "
                  f"{A.nnz:,} edges")
    small = sbm(small_sizes, small_p, directed=True, seed=0)
    report.figure("feedforward_adjacency.png",
                  lambda: plot.block_adjacency(small, block_labels(small_sizes)),
                  f"Adjacency of a small feedforward SBM ({len(small_sizes)} x "
                  f"{small_sizes[0]} nodes; the {n_blocks * block:,}-node graph is too "
                  "large to draw)")


STEPS = (("MLP on scikit-learn's digits (the MLP study's network)", _mlp_step),
         ("NMF and PCA denoising of noisy digits", _denoise_step),
         ("GMM vs k-means on anisotropic blobs (the GMM-vs-k-means study)", _study_step),
         ("feedforward SBM and its signal flow", _graph_step))


def run_demo(out: str | os.PathLike = "fastnet-demo", quick: bool = False,
             stream: TextIO | None = None) -> list[Path]:
    """Run the tour, print timings to ``stream`` (standard output) and write figures
    into ``out``; returns the figures in ``out``."""
    stream = stream or sys.stdout
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = _Report(stream, out)
    start = time.perf_counter()
    for number, (title, step) in enumerate(STEPS, 1):
        report.step(number, len(STEPS), title)
        step(quick, report)
    print(f"\ndone in {time.perf_counter() - start:.0f} s; figures in {out}/", file=stream,
          flush=True)
    return sorted(out.glob("*.png"))
