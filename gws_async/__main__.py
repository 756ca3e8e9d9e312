"""``python -m gws_async``: the same as the ``gws-async`` command."""

import sys

from .cli import main

sys.exit(main())
