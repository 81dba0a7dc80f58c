"""softent benchmarks.

- ``benchmarks/test_bench_*.py``: pytest-benchmark files timing softent next to its
  baselines on the same seeded data (``pytest benchmarks``; CI smoke run:
  ``pytest benchmarks --benchmark-disable``; full sizes: ``SOFTENT_BENCH_FULL=1``).
- ``python -m benchmarks`` / ``python benchmarks/run.py``: a table of ratios and peak
  extra memory for the sizes of the issues, with ``--json``.
- :mod:`benchmarks._common` (sizes, threads, seeded data, the plain NumPy/torch formulas)
  and :mod:`benchmarks._peers` (the peer packages, each used only when importable) are
  shared by every benchmark file.
"""
