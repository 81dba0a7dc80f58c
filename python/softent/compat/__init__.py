"""Peer-compatible front doors: the signatures of the packages users come from, computed by
softent's kernels. Each submodule only translates arguments (docs/design.md §1), and offers
``patch()`` / ``unpatch()`` / ``patched()`` to make the installed peer itself compute with
softent (one mechanism: :mod:`softent.compat._patch`).

- :mod:`softent.compat.sklearn`: ``mutual_info_classif``, ``mutual_info_regression``.
- :mod:`softent.compat.soft_entropy`: soft-entropy 0.1.5's ``soft_entropy``,
  ``soft_mutual_information`` (NumPy and torch), ``SoftEntropyAccumulator``, ``find_eps``.
- :mod:`softent.compat.nam_entropy`: nam-entropy 0.2.0's ``compute_all_entropy_measures``,
  ``soft_bin``, ``get_bins``, ``EntropyAccumulator``.
- :mod:`softent.compat.dse_dsmi`: dse-dsmi 1.1's ``diffusion_spectral_entropy``,
  ``adjacency_spectral_entropy`` and the two mutual informations, with its options.

None of them imports its peer (or torch) until a function needs it.
"""

from __future__ import annotations

from . import dse_dsmi, nam_entropy, sklearn, soft_entropy

__all__ = ["dse_dsmi", "nam_entropy", "sklearn", "soft_entropy"]
