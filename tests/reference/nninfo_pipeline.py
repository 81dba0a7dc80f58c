"""nninfo's analysis pipeline, transcribed from its source (github.com/Priesemann-Group/nninfo,
read at its HEAD), for parity tests of :func:`softent.pid.layer_complexity` and the PID
summaries. Plain Python/NumPy/SciPy (and torch where nninfo uses it); nothing from softent.

- :func:`q3_quantise`: ``nninfo/model/quantization.py``, ``Q3Quantizer.__call__``
  (rounding point "center_saturating"):
  ``torch.round((x - limits[0]) / scale) * scale + limits[0]``,
  ``scale = (limits[1] - limits[0]) / (n_levels - 1)``, after asserting every x inside the
  limits. Computed in the tensor's dtype, as nninfo does.
- :func:`fixed_size_discretize`: ``nninfo/analysis/binning.py``,
  ``FixedSizeBinning.discretize``: ``np.floor(activations / bin_size).astype("int")``,
  ``bin_size = (limits[1] - limits[0]) / n_bins``.
- :func:`binning_pdf`: ``nninfo/analysis/binning.py``, ``Binning.apply`` then
  ``Binning.get_pdf``: a ``Counter`` of the tuples (one tuple of neuron values per
  grouping, sources first, the target last) over the samples, divided by the total.
- :func:`degree_of_synergy_atoms`, :func:`representational_complexity`:
  ``nninfo/postprocessing/pid_postprocessing.py``, ``_compute_degree_of_synergy_atoms``
  (atoms grouped by ``Antichain.degree_of_synergy`` = min |a|, antichains parsed from
  their ``str`` with ``ast.literal_eval``), ``_compute_mutual_information`` (the sum of
  the atoms) and ``_compute_representational_complexity`` (Σ_m m·Π_m / I).
- :func:`reing_differences`: ``nninfo/analysis/reing.py``, ``compute_C_k`` /
  ``compute_C_k_diffs``: C_k = mean over k-source sets of H(sources, T) - H(sources)
  (``scipy.stats.entropy(..., base=2)`` of the marginal pmf), differences C_{k-1} - C_k.
- :func:`deg_red`: ``nninfo/analysis/pid_measurement.py``, ``_perform_deg_red``: total
  MI, each source's MI and the MI of all sources but one (bits), from marginals of the
  pmf; with r̄ = Σ_i I(T:S_i) / I and v̄ = (n·I - Σ_i I(T:S_-i)) / I (Ehrlich et al. 2023 /
  Gutknecht et al. 2025, as the issue states them).
"""

from __future__ import annotations

import ast
from collections import Counter
from itertools import combinations
from math import comb

import numpy as np
from scipy import stats


def q3_quantise(x, n_levels, limits):
    """nninfo's ``Q3Quantizer(n_levels, limits)(x)`` on a torch tensor (its dtype kept)."""
    import torch

    assert np.isfinite(limits[0])
    assert np.isfinite(limits[1])
    scale = (limits[1] - limits[0]) / (n_levels - 1)
    assert torch.all(x >= limits[0])
    assert torch.all(x <= limits[1])
    return torch.round((x - limits[0]) / scale) * scale + limits[0]


def fixed_size_discretize(activations, limits, n_bins):
    """nninfo's ``FixedSizeBinning.discretize`` of one neuron's activations."""
    binning_range = limits[1] - limits[0]
    bin_size = binning_range / n_bins
    return np.floor(activations / bin_size).astype("int")


def binning_pdf(activations, groupings, discretize=lambda a, neuron_id: a):
    """nninfo's ``Binning.apply`` + ``get_pdf``: ``activations`` {neuron_id: [N] values},
    ``groupings`` [[neuron ids of source 1], ..., [target neuron ids]]; ``discretize``
    the binning's (identity: ``NoneBinnig``). Returns {(tuple per grouping): p}."""
    counter = Counter()
    grouped = zip(
        *[
            zip(
                *[discretize(activations[neuron_id], neuron_id) for neuron_id in grouping],
                strict=False,
            )
            for grouping in groupings
            if grouping != []
        ],
        strict=False,
    )
    counter.update(grouped)
    total = sum(counter.values())
    return {rlz: count / total for (rlz, count) in counter.items()}


def _degree_of_synergy(antichain_string):
    antichain = ast.literal_eval(antichain_string)
    return min(len(a) for a in antichain)


def degree_of_synergy_atoms(atoms_by_string):
    """{m: Π_m} from {str(antichain): atom} (pandas ``groupby(degrees, axis=1).sum()``)."""
    out = {}
    for key, value in atoms_by_string.items():
        m = _degree_of_synergy(key)
        out[m] = out.get(m, 0.0) + value
    return dict(sorted(out.items()))


def representational_complexity(atoms_by_string):
    """Σ_m m·Π_m / Σ_α π(α)."""
    dos = degree_of_synergy_atoms(atoms_by_string)
    mutual_information = sum(atoms_by_string.values())
    return sum(m * v for m, v in dos.items()) / mutual_information


def _marginal_probs(pdf_dict, keep):
    out = {}
    for rlz, p in pdf_dict.items():
        key = tuple(rlz[i] for i in keep)
        out[key] = out.get(key, 0.0) + p
    return np.array(list(out.values()))


def _entropy_bits(pdf_dict, keep):
    return stats.entropy(_marginal_probs(pdf_dict, keep), base=2)


def reing_differences(pdf_dict):
    """{f'C({k-1}||{k})': C_{k-1} - C_k} in bits (``compute_C_k_diffs``)."""
    n = len(next(iter(pdf_dict.keys()))) - 1
    c = []
    for k in range(n + 1):
        sets = list(combinations(range(n), k))
        c.append(
            1
            / comb(n, k)
            * sum(_entropy_bits(pdf_dict, (*s, n)) - _entropy_bits(pdf_dict, s) for s in sets)
        )
    return {f"C({k - 1}||{k})": c[k - 1] - c[k] for k in range(1, n + 1)}


def deg_red(pdf_dict):
    """(total MI, [I(T:S_i)], [I(T:S_-i)]) in bits, and r̄, v̄ from them."""
    n = len(next(iter(pdf_dict.keys()))) - 1

    def mi(sources):
        return (
            _entropy_bits(pdf_dict, tuple(sources))
            + _entropy_bits(pdf_dict, (n,))
            - _entropy_bits(pdf_dict, (*sources, n))
        )

    total = mi(range(n))
    single = [mi([i]) for i in range(n)]
    rest = [mi([j for j in range(n) if j != i]) for i in range(n)]
    r_bar = sum(single) / total
    v_bar = (n * total - sum(rest)) / total
    return total, single, rest, r_bar, v_bar
