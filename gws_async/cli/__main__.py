"""``python -m gws_async.cli``: the same as the ``gws-async`` command."""

import sys

from . import main

sys.exit(main())
