"""The comparison table: one list of cases drives correctness tests, ``fastnet bench``
and the asv suites in ``benchmarks/``.

A :class:`Case` names a fast callable, its pure-NumPy reference twin, optional peer
implementations from other libraries (computing the same thing), and a factory that
builds the call's arguments for a given size and dtype.  The harness (:class:`Case`,
selection, timing) is :mod:`fastnet.bench.harness`; the cases live in one module per
area, mirroring :mod:`fastnet.reference`: :mod:`~fastnet.bench.nn`,
:mod:`~fastnet.bench.decomposition`, :mod:`~fastnet.bench.cluster`,
:mod:`~fastnet.bench.graph` and :mod:`~fastnet.bench.studies`, then the drop-in cases
(:mod:`~fastnet.bench.dropin`: scikit-learn's estimators against fastnet's).  :data:`CASES` is
their concatenation, in that order (the row order of ``fastnet bench``).
"""

from __future__ import annotations

from . import cluster, decomposition, dropin, graph, nn, studies
from .harness import Case, format_table, run, select, time_call, time_calls

__all__ = ["Case", "CASES", "select", "time_call", "time_calls", "run", "format_table"]

#: Every case, area by area.
CASES: list[Case] = [*nn.CASES, *decomposition.CASES, *cluster.CASES, *graph.CASES,
                     *studies.CASES, *dropin.CASES]
