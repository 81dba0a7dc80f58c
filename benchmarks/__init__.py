"""softent benchmarks (docs/design.md §8).

- :mod:`benchmarks._harness`: the one harness (sizes, threads, seeded data, alternating
  timing with medians, peak memory, worker processes, the ratio table and ``--json``,
  the optional peers, the plain reference from ``tests/reference/``).
- :mod:`benchmarks.soft`: the soft-bin family's task module (tasks, candidates, sizes,
  targets; the differentiable task set too).
- ``python -m benchmarks [--family soft] [--sizes quick|issue|targets] [--json F]``: the
  table of ratios and peak extra memory (:mod:`benchmarks._harness.cli`; also
  ``python benchmarks/run.py``).
- ``python -m benchmarks.autograd [--memory]``: forward + backward of a differentiable
  I(Z;L) loss, with backward/forward ratios.
- ``benchmarks/test_bench_*.py``: pytest-benchmark files timing softent next to its
  baselines on the same seeded data (``pytest benchmarks``; CI smoke run:
  ``pytest benchmarks --benchmark-disable``; full sizes: ``SOFTENT_BENCH_FULL=1``).

Benchmarks call softent's public API only (``softent.*``, ``softent.torch.*``, the CLI).
Importing this package exports the thread count before numpy is loaded.
"""

from benchmarks._harness import env as env
