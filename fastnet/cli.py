"""The ``fastnet`` command line."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _bench(args) -> int:
    from . import _jit, bench

    print(f"fastnet {__version__} - median time per call; ref/fast > 1 means fastnet is "
          f"faster ({_jit.max_threads()} Numba threads)", flush=True)
    try:
        bench.run(args.filter, quick=args.quick, repeat=args.repeat)
    except ValueError as exc:
        print(f"fastnet bench: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _demo(args) -> int:
    # Until the study demos exist, the main job is the benchmark table (quick sizes
    # unless --full: the full table races slow NumPy twins for several minutes).
    return _bench(argparse.Namespace(filter=None, quick=not args.full, repeat=5))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastnet",
        description="Numba-compiled kernels for machine learning and network science.",
    )
    parser.add_argument("--version", action="version", version=f"fastnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    bench = sub.add_parser("bench", help="time fast kernels against their NumPy twins and peers")
    bench.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    bench.add_argument("--filter", metavar="PATTERN",
                       help="only cases whose name matches (glob, or a substring)")
    bench.add_argument("--repeat", type=int, default=7, metavar="N",
                       help="timings per measurement; the median is reported (default 7)")
    bench.set_defaults(func=_bench)

    demo = sub.add_parser("demo", help="run the main job: the benchmark table")
    demo.add_argument("--full", action="store_true",
                      help="full sizes (minutes) instead of the quick table")
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "repeat", 1) < 1:
        parser.error("--repeat must be >= 1")
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
