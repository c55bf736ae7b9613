"""asv suites built from the comparison table in :mod:`fastnet.bench`.

Every case is timed at its quick and full size for each dtype it supports: the
fastnet kernel, its NumPy reference twin and each installed peer, plus the peak
memory of the fast call.  ``setup`` warms the JIT, so compilation is never timed.
"""

from fastnet import bench

CASE_NAMES = [case.name for case in bench.CASES]
DTYPES = sorted({dtype for case in bench.CASES for dtype in case.dtypes})
_BY_NAME = {case.name: case for case in bench.CASES}


class Cases:
    params = (CASE_NAMES, ["quick", "full"], DTYPES)
    param_names = ["case", "scale", "dtype"]
    timeout = 300

    def setup(self, name, scale, dtype):
        case = _BY_NAME[name]
        if dtype not in case.dtypes:
            raise NotImplementedError(f"{name} has no {dtype} variant")  # asv skips it
        self.case = case
        self.args = case.inputs(case.sizes[0] if scale == "quick" else case.sizes[1], dtype)
        case.fast(*self.args)  # compile or load from cache outside the timing

    def time_fast(self, name, scale, dtype):
        self.case.fast(*self.args)

    def time_reference(self, name, scale, dtype):
        self.case.reference(*self.args)

    def peakmem_fast(self, name, scale, dtype):
        self.case.fast(*self.args)


def _others(case):
    return {**case.peers(), **case.baselines()}


PEER_PAIRS = [f"{case.name}:{label}" for case in bench.CASES for label in _others(case)]


class Peers:
    """Peer libraries and baselines (e.g. the BLAS floor) of a case, at the full size."""

    params = (PEER_PAIRS, DTYPES)
    param_names = ["case_peer", "dtype"]

    def setup(self, pair, dtype):
        name, label = pair.split(":", 1)
        case = _BY_NAME[name]
        if dtype not in case.dtypes:
            raise NotImplementedError(f"{name} has no {dtype} variant")
        self.peer = _others(case)[label]
        self.args = case.inputs(case.sizes[1], dtype)

    def time_peer(self, pair, dtype):
        self.peer(*self.args)
