"""Plain references of softent's estimators, one module per family, used by the tests and
by the benchmarks as the "formula" baseline (docs/design.md §7).

- :mod:`reference.soft`: the soft-bin estimator (scores, softmax assignments, masses,
  H(Z), H(Z|L), I(Z;L)), in NumPy and in torch, materialising every N x B array.
- :mod:`reference.bootstrap`: the Poisson(1) bootstrap weights of the kernels, re-derived
  in pure Python.
- the discrete family, one module per part: :mod:`reference.discrete_tables` (table
  functions cell by cell), :mod:`reference.discrete_estimators` (every entropy estimator
  per cell, from the papers), :mod:`reference.discrete_counting` (``collections.Counter``
  histograms), :mod:`reference.discrete_samples` (sample-level plug-in H, I, CMI over
  Python tuples), :mod:`reference.discrete_capacity` (closed forms and brute-force
  optimisers of channel and layer capacity).

Imported as the top-level package ``reference``: pytest puts ``tests/`` on ``sys.path``
(the tests have no ``__init__.py``) and ``benchmarks._harness.reference`` does the same.
"""
