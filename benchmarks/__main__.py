"""``python -m benchmarks``: see :mod:`benchmarks._harness.cli`."""

from benchmarks._harness.cli import main

raise SystemExit(main())
