"""The ``fastnet`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def _bench(args) -> int:
    from . import _threads, bench

    as_json = getattr(args, "json", False)
    if not as_json:
        what = ("median time per call; scaling = time at the fewest threads / time at "
                "the most" if args.threads is not None else
                "median time per call; ref/fast > 1 means fastnet is faster")
        if args.amdahl:
            what = ("share of one-thread samples outside BLAS and parallel kernels, and "
                    "the speed-up that share allows")
        print(f"fastnet {__version__} - {what} "
              f"({_threads.max_threads()} Numba threads)", flush=True)
    # a quick run is a smoke test: fewer timings unless asked for
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 7)
    try:
        if args.amdahl:
            from .bench.amdahl import run_amdahl

            rows = run_amdahl(args.filter, quick=args.quick, quiet=as_json)
        elif args.threads is not None:
            from .bench.threads import parse_thread_counts, run_scaling

            rows = run_scaling(args.filter, parse_thread_counts(args.threads),
                               quick=args.quick, repeat=repeat, quiet=as_json)
        else:
            rows = bench.run(args.filter, quick=args.quick, repeat=repeat, quiet=as_json)
    except (ValueError, RuntimeError) as exc:  # RuntimeError: py-spy could not sample
        print(f"fastnet bench: error: {exc}", file=sys.stderr)
        return 2
    if as_json:
        import json
        import os
        import platform

        machine = {"fastnet": __version__, "python": platform.python_version(),
                   "machine": platform.machine(), "processor": platform.processor(),
                   "cpu_count": os.cpu_count(), "numba_threads": _threads.max_threads()}
        print(json.dumps({"machine": machine, "rows": rows}, indent=1))
    return 0


def _compile(args) -> int:
    import time

    from .precompile import precompile

    start = time.perf_counter()
    try:
        steps = precompile(args.filter)
    except ValueError as exc:
        print(f"fastnet compile: error: {exc}", file=sys.stderr)
        return 2
    print(f"compiled the kernels of {steps} calls in {time.perf_counter() - start:.1f} s; "
          f"later processes load them from the cache")
    return 0


def _demo(args) -> int:
    from .demo import run_demo

    run_demo(args.out, quick=args.quick)
    return 0


#: The studies' defaults as the CLI shows them: the keyword defaults of
#: :func:`fastnet.studies.gmm_vs_kmeans` and :func:`fastnet.studies.signal_flow_separation`
#: (a test checks that they agree), written out so that ``--help`` imports no study.
GMM_VS_KMEANS_DEFAULTS = {"n_sims": 40, "seed": 8888, "n_samples": 300, "n_init": 20}
SIGNAL_FLOW_DEFAULTS = {"n_sims": 1, "seed": 2024, "n_blocks": [5], "block_size": [50],
                        "low_p": 0.05, "diag_p": 0.2, "feedforward_p": 0.3}


def _study(args) -> int:
    import pathlib

    from . import plot
    from .parallel import TaskError

    out = pathlib.Path(args.out)
    options = dict(n_sims=args.n_sims, seed=args.seed, n_jobs=args.n_jobs,
                   backend=args.backend, scheduler=args.scheduler,
                   checkpoint=args.checkpoint, progress=sys.stderr.isatty())
    try:
        if args.study == "gmm-vs-kmeans":
            from .studies import gmm_vs_kmeans

            table = gmm_vs_kmeans(**options, n_samples=args.n_samples, n_init=args.n_init)
            axes = plot.ari_difference(table)
            summary = (f"{len(table)} simulations: mean ARI(GMM) - ARI(k-means) = "
                       f"{table['difference'].mean():+.4f}, GMM better in "
                       f"{(table['difference'] > 0).mean():.0%}")
        else:
            from .studies import signal_flow_separation

            table = signal_flow_separation(
                **options, n_blocks=args.n_blocks, block_size=args.block_size,
                low_p=args.low_p, diag_p=args.diag_p, feedforward_p=args.feedforward_p,
                sharded=args.sharded)
            axes = plot.signal_flow_study(table)
            summary = _separation_summary(table)
    except (TaskError, ValueError, TypeError) as exc:
        print(f"fastnet study {args.study}: error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    stem = args.study.replace("-", "_")
    table.to_csv(out / f"{stem}.csv", index=False)
    plot.save(axes, out / f"{stem}.png")
    print(summary)
    print(f"wrote {out / f'{stem}.csv'} and {out / f'{stem}.png'}")
    return 0


def _separation_summary(table) -> str:
    lines = []
    for (n_blocks, size), rows in table.groupby(["n_blocks", "block_size"], sort=True):
        means = rows.groupby("block")["mean"].mean()
        lines.append(f"{n_blocks} blocks x {size} nodes: mean signal flow per block "
                     + " ".join(f"{m:+.2f}" for m in means)
                     + "; smallest separation of adjacent blocks, P(z_i > z_j) for i in a "
                     f"block and j in the next (an AUC: 0.5 none, 1 complete), "
                     f"{rows['min_separation'].mean():.3f}")
    return "\n".join(lines)


class _DefaultsHelpFormatter(argparse.HelpFormatter):
    """Appends "(default: X)" to an option's help where it has a default to show."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default is None or action.default is argparse.SUPPRESS or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


def _add_study_parsers(sub) -> None:
    """``fastnet study gmm-vs-kmeans|signal-flow``: one subcommand per study, each with
    its own options and its defaults in ``--help``."""
    study = sub.add_parser("study", help="run one of the studies in parallel; write CSV + PNG",
                           description="Run one of the seed studies in parallel (per-task "
                                       "seeds: the same table for any --n-jobs or backend) "
                                       "and write its table (CSV) and figure (PNG).")
    common = argparse.ArgumentParser(add_help=False)
    runs = common.add_argument_group("running")
    runs.add_argument("--n-jobs", type=int, default=1, metavar="N", help="parallel workers")
    runs.add_argument("--backend", choices=["loky", "threading", "sequential", "dask"],
                      default=None, help="joblib backend (default: loky when --n-jobs > 1)")
    runs.add_argument("--scheduler", metavar="ADDR",
                      help="Dask scheduler address, e.g. tcp://host:8786 (implies dask)")
    runs.add_argument("--checkpoint", metavar="FILE",
                      help="append finished rows here; rerun to resume")
    runs.add_argument("--out", default="fastnet-study", metavar="DIR",
                      help="folder for the CSV and PNG")
    studies = study.add_subparsers(dest="study", metavar="STUDY", required=True)
    formatter = _DefaultsHelpFormatter

    gmm = studies.add_parser(
        "gmm-vs-kmeans", parents=[common], formatter_class=formatter,
        help="adjusted Rand index of a Gaussian mixture and of k-means on anisotropic blobs",
        description="ARI(GMM) - ARI(k-means) on --n-sims fresh anisotropic blob data sets.")
    d = GMM_VS_KMEANS_DEFAULTS
    gmm.add_argument("--n-sims", type=int, default=d["n_sims"], metavar="N",
                     help="simulations (data sets)")
    gmm.add_argument("--seed", type=int, default=d["seed"], help="study seed")
    gmm.add_argument("--n-samples", type=int, default=d["n_samples"], metavar="N",
                     help="points per data set")
    gmm.add_argument("--n-init", type=int, default=d["n_init"], metavar="N",
                     help="starts of each model")
    gmm.set_defaults(func=_study)

    flow = studies.add_parser(
        "signal-flow", parents=[common], formatter_class=formatter,
        help="how well signal flow separates the blocks of feedforward SBMs",
        description="Signal flow of feedforward SBMs over a sweep of block counts and "
                    "sizes; every combination of --n-blocks and --block-size is one "
                    "configuration.")
    d = SIGNAL_FLOW_DEFAULTS
    flow.add_argument("--n-sims", type=int, default=d["n_sims"], metavar="N",
                      help="graphs per configuration")
    flow.add_argument("--seed", type=int, default=d["seed"], help="study seed")
    flow.add_argument("--n-blocks", type=int, nargs="+", default=d["n_blocks"], metavar="K",
                      help="blocks per graph")
    flow.add_argument("--block-size", type=int, nargs="+", default=d["block_size"],
                      metavar="N", help="nodes per block")
    flow.add_argument("--low-p", type=float, default=d["low_p"],
                      help="edge probability between unrelated blocks")
    flow.add_argument("--diag-p", type=float, default=d["diag_p"],
                      help="edge probability within a block")
    flow.add_argument("--feedforward-p", type=float, default=d["feedforward_p"],
                      help="edge probability from block b to block b + 1")
    flow.add_argument("--sharded", action="store_true",
                      help="graphs too large for one worker: sample and solve each graph in "
                           "shards on the Dask cluster at --scheduler, one graph at a time")
    flow.set_defaults(func=_study)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastnet",
        description="Numba-compiled kernels for machine learning and network science.",
    )
    parser.add_argument("--version", action="version", version=f"fastnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    bench = sub.add_parser("bench", help="time fast kernels against their NumPy twins and peers")
    bench.add_argument("--quick", action="store_true",
                       help="small sizes and fewer, shorter timings: a smoke run of every "
                            "case (about half a minute)")
    bench.add_argument("--filter", metavar="PATTERN",
                       help="only cases whose name matches (glob, or a substring)")
    bench.add_argument("--repeat", type=int, default=None, metavar="N",
                       help="timings per measurement; the median is reported (default 7, "
                            "3 with --quick)")
    bench.add_argument("--threads", metavar="LIST",
                       help="thread scaling instead: time each case's fast callable and "
                            "baselines with Numba and BLAS capped at each count, e.g. "
                            "1,2,4,8,16, and print time at the fewest / time at the most")
    bench.add_argument("--amdahl", action="store_true",
                       help="serial share instead: sample each case's fast callable at one "
                            "thread with py-spy and print the share of samples outside BLAS "
                            "and parallel kernels, and the speed-up that share allows at 16 "
                            "threads (Amdahl's law)")
    bench.add_argument("--json", action="store_true",
                       help="print the rows (seconds, ratios, peers) as JSON instead of a table")
    bench.set_defaults(func=_bench)

    compile_ = sub.add_parser(
        "compile", help="compile every kernel into the on-disk cache before first use "
                        "(for container images and cluster workers)")
    compile_.add_argument("--filter", metavar="PATTERN",
                          help="only the benchmark cases whose name matches (glob, or a "
                               "substring), without the estimators' default fits")
    compile_.set_defaults(func=_compile)

    demo = sub.add_parser("demo", help="the main job: a timed tour of fastnet on real data "
                                       "and generated graphs, with figures")
    demo.add_argument("--quick", action="store_true", help="smaller sizes (for a smoke test)")
    demo.add_argument("--out", default="fastnet-demo", metavar="DIR",
                      help="folder for the figures (default: fastnet-demo)")
    demo.set_defaults(func=_demo)

    _add_study_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "repeat", None) is not None and args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
