"""Import cost: ``import fastnet`` against its floor, ``import numba``.

Each ``timeraw_`` benchmark runs in a fresh interpreter; the difference of the two
is what fastnet adds to a user's start-up (target: well under a second).
"""


def timeraw_import_numba():
    return "import numba"


def timeraw_import_fastnet():
    return "import fastnet"
