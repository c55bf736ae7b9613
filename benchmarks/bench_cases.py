"""asv suites that mirror the comparison table of :mod:`fastnet.bench` one to one.

Each case of the table gets two classes, named after it in CamelCase (``mlp_epoch``
-> ``MlpEpoch`` and ``MlpEpochRatio``), whose parameters are only what that case
has, so every cell of ``asv run`` holds a measurement:

* ``<Case>.time_call(size, dtype, impl)``: ``size`` is the case's quick and full size,
  ``dtype`` its own dtypes, ``impl`` is ``fastnet``, ``reference`` (the NumPy twin;
  scikit-learn's estimator for the ``dropin_*`` cases) and the case's installed peers
  and baselines by their labels in ``fastnet bench``;
* ``<Case>.peakmem_call`` with the same parameters, for the MLP and large-graph cases;
* ``<Case>Ratio.track_time_ratio(size, dtype, versus)``: fastnet's time over the time
  of ``versus`` (the reference or a peer), timed interleaved in one run as ``fastnet
  bench`` does: 1 / the speed-up the README's table reports.  asv takes a larger value
  as worse for every benchmark, so a regression raises this ratio as it raises a
  time; interleaving cancels the drift of the machine's speed that moves every time.

``setup`` calls every implementation once, so compilation is never timed.
"""

from fastnet import bench
from fastnet.bench import harness  # not its time_* names: asv would take them for benchmarks

#: cases whose peak memory is tracked too: the networks and the large graphs
PEAKMEM_PREFIXES = ("mlp_", "dropin_mlp_", "sbm_", "signal_flow_")


def _implementations(case) -> dict:
    """``{impl label: callable}`` of one case, fastnet first."""
    return {"fastnet": case.fast, "reference": case.reference, **case.peers(),
            **case.baselines()}


def _class_name(case_name: str) -> str:
    return "".join(part.capitalize() for part in case_name.split("_"))


class _CaseSuite:
    """Times one case (``case`` is set by :func:`_suites`)."""

    case = None
    param_names = ["size", "dtype", "impl"]
    timeout = 600

    def setup(self, size, dtype, impl):
        self.func = _implementations(self.case)[impl]
        self.args = self.case.inputs(size, dtype)
        self.func(*self.args)  # compile, or load from the cache, outside the timing

    def time_call(self, size, dtype, impl):
        self.func(*self.args)


class _PeakmemSuite(_CaseSuite):
    def peakmem_call(self, size, dtype, impl):
        self.func(*self.args)


class _RatioSuite:
    """fastnet's time over the reference's or a peer's (``versus``)."""

    case = None
    param_names = ["size", "dtype", "versus"]
    unit = "fastnet time / versus time"
    timeout = 600

    def setup(self, size, dtype, versus):
        self.funcs = [self.case.fast, _implementations(self.case)[versus]]
        self.args = self.case.inputs(size, dtype)
        for func in self.funcs:
            func(*self.args)  # compile outside the timing

    def track_time_ratio(self, size, dtype, versus):
        fast, other = harness.time_calls(self.funcs, self.args, repeat=5, warm_up=False)
        return fast / other


def _suites(case) -> dict[str, type]:
    """The two asv classes of one case, by name."""
    sizes = sorted(set(case.sizes))
    impls = list(_implementations(case))
    versus = ["reference", *case.peers()]
    name = _class_name(case.name)
    base = _PeakmemSuite if case.name.startswith(PEAKMEM_PREFIXES) else _CaseSuite
    doc = f"``{case.name}`` from the comparison table (:mod:`fastnet.bench`)."
    return {
        name: type(name, (base,), {"case": case, "params": (sizes, list(case.dtypes), impls),
                                   "__doc__": doc, "__module__": __name__}),
        f"{name}Ratio": type(f"{name}Ratio", (_RatioSuite,), {
            "case": case, "params": (sizes, list(case.dtypes), versus),
            "__doc__": doc, "__module__": __name__}),
    }


SUITES = {name: suite for case in bench.CASES for name, suite in _suites(case).items()}
globals().update(SUITES)
