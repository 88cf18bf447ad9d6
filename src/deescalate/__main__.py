"""``python -m deescalate``: the same as the ``deescalate`` command."""

import sys

from .cli import main

sys.exit(main())
