"""``python -m fastnet``: the ``fastnet`` command line (see :mod:`fastnet.cli`)."""

import sys

from .cli import main

sys.exit(main())
