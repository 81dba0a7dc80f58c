"""Plain references of softent's estimators, one module per family, used by the tests and
by the benchmarks as the "formula" baseline (DESIGN.md §7).

- :mod:`reference.soft`: the soft-bin estimator (scores, softmax assignments, masses,
  H(Z), H(Z|L), I(Z;L)), in NumPy and in torch, materialising every N x B array.
- :mod:`reference.bootstrap`: the Poisson(1) bootstrap weights of the kernels, re-derived
  in pure Python.

Imported as the top-level package ``reference``: pytest puts ``tests/`` on ``sys.path``
(the tests have no ``__init__.py``) and ``benchmarks._harness.reference`` does the same.
"""
