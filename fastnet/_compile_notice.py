"""One line on stderr when a call compiles fastnet kernels (issue 19, DESIGN.md rule 9).

A first call on an empty kernel cache spends seconds in Numba's compiler; without a word
that looks like a hang.  A listener on Numba's ``numba:compile`` event, which fires only
for real compilation (never for a kernel loaded from the on-disk cache), logs once per
fastnet module and process, on the ``fastnet.compile`` logger at WARNING level, e.g.
"fastnet: compiling the nn.perceptron_kernels kernels for float64 (first use; cached on
disk afterwards)".

Python prints WARNING records to stderr when logging is not configured.  Silence it with
``logging.getLogger("fastnet.compile").setLevel(logging.ERROR)`` or the environment
variable ``FASTNET_COMPILE_NOTICE=0``.
"""

from __future__ import annotations

import logging
import os

from numba.core import event

__all__ = ["logger", "CompileNotice"]

logger = logging.getLogger("fastnet.compile")


class CompileNotice(event.Listener):
    """Logs the first compilation of each fastnet module's kernels in this process."""

    def __init__(self):
        self.announced: set[str] = set()

    def on_start(self, ev):
        dispatcher = (ev.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not module.startswith("fastnet.") or module in self.announced:
            return
        if os.environ.get("FASTNET_COMPILE_NOTICE", "1") == "0":
            return
        self.announced.add(module)
        # the float dtype of the first float array argument (a Numba type such as
        # array(float32, 2d, C)): the data's dtype, for the kernels that take data first
        dtypes = [str(arg.dtype) for arg in (ev.data or {}).get("args", ())
                  if str(getattr(arg, "dtype", "")).startswith("float")]
        what = f" for {dtypes[0]}" if dtypes else ""
        logger.warning("fastnet: compiling the %s kernels%s (first use; cached on disk "
                       "afterwards)", module.removeprefix("fastnet."), what)

    def on_end(self, ev):
        pass


event.register("numba:compile", CompileNotice())
