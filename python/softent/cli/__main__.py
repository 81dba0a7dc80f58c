"""``python -m softent.cli``: the ``softent`` command."""

import sys

from .main import main

sys.exit(main())
