"""The floor every family stands on: Shannon entropy of masses, the label weights of a
conditional entropy, and unit conversion (nats -> any base).

Written once against the array namespace (:func:`softent._interop.namespace`): the same
formula runs on NumPy arrays (float64 results) and on torch tensors, differentiably and
under ``torch.compile``. Masses are any non-negative weights (counts, soft-histogram sums,
bootstrap-weighted sums); they are normalised here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_base, check_weighting
from .._interop import as_float64, namespace


def entropy_of_masses(masses: Any) -> Any:
    """H = -Σ_b p_b ln p_b (nats) of p = masses / masses.sum(-1), over the last axis,
    with 0 ln 0 = 0 and H = 0 for an all-zero row.

    ``masses`` [..., B] non-negative: a NumPy array (computed in float64) or a torch
    tensor (in its dtype, float64 for the soft histograms; differentiable, and traceable
    by ``torch.compile``). Returns [...] in the same library.
    """
    xp = namespace(masses)
    m = np.asarray(masses, dtype=np.float64) if xp is np else masses
    total = m.sum(-1, keepdims=True)
    p = m / xp.where(total > 0, total, 1.0)
    # log(1) = 0 stands in at the zero cells: 0 ln 0 = 0 with a finite gradient (0 there)
    # in every dtype, where a floor such as 1e-300 would round to 0 in float32 (NaN).
    # Negated before the sum (the same value, bit for bit): an all-zero row sums +0.0 terms.
    return (-(p * xp.log(xp.where(p > 0, p, 1.0)))).sum(-1)


def label_weights(counts: Any, weighting: str, api: str) -> Any:
    """The weights w_k of H(Z|L) = Σ_k w_k H(Z | L = k), from the row counts ``counts``
    [K] (integers, or summed bootstrap weights): N_k / N for 'weighted', 1/K' over the K'
    labels with N_k > 0 for 'uniform'. [K] float64 in counts' library."""
    check_weighting(api, weighting)
    if weighting == "weighted":
        c = as_float64(counts)
        return c / c.sum()
    present = as_float64(counts > 0)
    return present / present.sum()


def information_of_masses(
    per_label: Any,
    counts: Any,
    weighting: str,
    api: str,
    total: Any = None,
    base: float = math.e,
) -> tuple[Any, Any, Any]:
    """(H(Z), H(Z|L), [K] H(Z | L = k)) in units of ``base`` (nats by default) from
    per-label masses ``per_label`` [K, B] and row counts ``counts`` [K] (see
    :func:`label_weights`); I(Z;L) = H(Z) - H(Z|L).

    H(Z) is taken over ``total`` [B] when given, else over the labelled rows
    (``per_label.sum(0)``: a masked row belongs to no label). NumPy or torch throughout
    (0-d results in the input's library)."""
    b = check_base(api, base)
    h = entropy_of_masses(per_label.sum(0) if total is None else total)
    h_k = entropy_of_masses(per_label)
    hc = (label_weights(counts, weighting, api) * h_k).sum()
    if b == math.e:
        return h, hc, h_k
    log_b = math.log(b)
    return h / log_b, hc / log_b, h_k / log_b


def unit_name(base: float) -> str:
    """What a result in units of ``base`` is called: 'nats' (e), 'bits' (2), else
    '(log base b)'."""
    return {math.e: "nats", 2.0: "bits"}.get(float(base), f"(log base {base:g})")


def to_base(nats: Any, base: float, api: str) -> Any:
    """Convert nats to units of ``base`` (2: bits, e: nats, 10: hartleys). A NumPy array
    or float comes back as a NumPy array, a tensor as a tensor (differentiably)."""
    b = check_base(api, base)
    x = np.asarray(nats) if namespace(nats) is np else nats
    return x if b == math.e else x / math.log(b)
