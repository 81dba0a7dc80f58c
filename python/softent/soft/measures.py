"""Representation measures computed from soft histograms.

Every function here reads only the float64 masses of a :class:`softent.SoftHistogram`
(``total`` [B], ``per_label`` [K, B], ``counts`` [K]), so batch histograms
(:func:`softent.soft_histogram`) and streamed ones (:meth:`softent.Accumulator.result`)
give the same numbers. With p_b = total_b / Σ total and p_{b|k} = per_label_kb / Σ_b per_label_kb:

===================  =====================================================  ==========
measure              definition                                             units
===================  =====================================================  ==========
efficiency           H(Z) / log B                                           ratio
regularity           I(Z;L) / H(Z)                                          ratio
variation            H(Z|L) / log B                                         ratio
disentanglement      (1/K) Σ_k JS(p(·|L=k) ‖ p(·|L≠k))                      ``base``
label_entropy        H(L) = -Σ_k (N_k/N) log(N_k/N)                         ``base``
normalised_mi        I(Z;L) / H(L)                                          ratio
optimality           I(Y;Z) / I(X;Z)  (input label set X, output set Y)     ratio
===================  =====================================================  ==========

H(Z|L) = Σ_k w_k H(Z|L=k) with w_k = N_k/N (``weighting="weighted"``, default) or 1/K
(``"uniform"``), as in :meth:`softent.SoftHistogram.conditional_entropy`; I(Z;L) = H(Z) - H(Z|L).
Information quantities are in nats (``base=math.e``, default) or bits (``base=2``); ratios
are unitless and do not depend on ``base``. A ratio whose denominator is 0 (e.g. regularity
when H(Z) = 0) is undefined and returned as NaN, as is disentanglement with fewer than two
label values.

Sources (what each definition rests on; no equation numbers are cited because the text of
the papers' equations was not available to us — see each function):

- soft-entropy (PyPI ``soft-entropy``, github.com/hcoxec/soft_h), the reference
  implementation of the estimator of Conklin 2025 (arXiv:2505.23960): README section
  "Efficiency, Regularity, and Optimality" (Efficiency = H(Z)/log(n), Regularity =
  I(X;Z)/H(Z), Optimality = I(Y;Z)/I(X;Z)) and ``SoftEntropyAccumulator.results()``
  (``regularity = mi / h``).
- The code released with Conklin & Smith 2024, "Representations as Language: An
  Information-Theoretic Framework for Interpretability" (arXiv:2406.02449;
  github.com/hcoxec/h, ``code/h.py`` and its estimator's ``analyse()``): efficiency
  H(Z)/max H, ``variation = H(Z|L)/max H`` and ``disentanglement`` = the mean over label
  values x of the Jensen-Shannon divergence (natural log) between p(·|x) and p(·|¬x), where
  p(·|¬x) normalises the summed bin counts of every other label.
- Optimality as "compression optimality" I(Y;Z)/I(X;Z): Conklin et al., "Learning is
  Forgetting: LLM Training As Lossy Compression" (ICLR 2026, arXiv:2604.07569), as the
  soft-entropy README states.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import Weighting, check_base, check_masses, fail
from ..discrete import entropy_of_masses, label_weights
from .histogram import SoftHistogram, row_entropies

__all__ = [
    "all_measures",
    "disentanglement",
    "efficiency",
    "label_entropy",
    "label_set_measures",
    "measures_from_masses",
    "normalised_mi",
    "optimality",
    "regularity",
    "variation",
]

#: keys of :func:`measures_from_masses` that need labels (None without them)
LABEL_KEYS = (
    "conditional_entropy",
    "mutual_information",
    "regularity",
    "variation",
    "disentanglement",
    "normalised_mi",
    "label_entropy",
)
#: every key of :func:`measures_from_masses`, in table order
MEASURE_KEYS = (
    "entropy",
    "conditional_entropy",
    "mutual_information",
    "efficiency",
    "regularity",
    "variation",
    "disentanglement",
    "normalised_mi",
    "label_entropy",
)


# ----------------------------------------------------------------------------- array core


def _ratio(num: float, den: float) -> float:
    """num/den, NaN when the denominator is 0 (the measure is undefined there, and a silent
    0 or inf would read as a real value)."""
    return float(num / den) if den != 0 else math.nan


def _js_to_rest_nats(per_label: np.ndarray, chunk_rows: int = 4096) -> np.ndarray:
    """[K] JS(p_k ‖ p_¬k) in nats, p_¬k the normalised sum of every other row's masses.

    The rest is summed from prefix and suffix sums, never as total - row: subtracting the
    dominant label from the total would cancel catastrophically. Rows are processed in
    chunks so that token-style label sets (K ~ 10^5) need a few [chunk, B] temporaries,
    not ten [K, B] ones."""
    m = np.asarray(per_label, dtype=np.float64)
    k, b = m.shape
    starts = list(range(0, k, chunk_rows))
    chunk_sums = np.stack([m[a : a + chunk_rows].sum(axis=0) for a in starts])
    # suffix[c] = Σ of the chunks after chunk c (summed from the end, as the rows inside)
    suffix = np.concatenate([np.cumsum(chunk_sums[::-1], axis=0)[::-1][1:], np.zeros((1, b))])
    out = np.empty(k)
    prefix = np.zeros(b)
    for c, a in enumerate(starts):
        rows = m[a : a + chunk_rows]
        zero = np.zeros((1, b))
        before = prefix + np.concatenate([zero, np.cumsum(rows, axis=0)[:-1]])  # Σ_{j<k}
        after = suffix[c] + np.concatenate(
            [np.cumsum(rows[::-1], axis=0)[::-1][1:], zero]
        )  # Σ_{j>k}
        rest = before + after
        p = rows / rows.sum(axis=1, keepdims=True)
        rsum = rest.sum(axis=1, keepdims=True)
        q = np.divide(rest, rsum, out=np.zeros_like(rest), where=rsum > 0)
        # KL(p ‖ m) with m = (p + q)/2 as Σ p log(2p / (p + q)): halving a subnormal p
        # first would round m to 0 (p / m = inf: an infinite JS); p + q >= p > 0 never does,
        # and the ratio stays in (0, 2]
        both = p + q
        with np.errstate(divide="ignore", invalid="ignore"):
            kp = np.where(p > 0, p * np.log(2 * p / both), 0.0).sum(axis=1)
            kq = np.where(q > 0, q * np.log(2 * q / both), 0.0).sum(axis=1)
        # JS >= 0 exactly; rounding can leave -1e-17 for (nearly) identical rows.
        out[a : a + len(rows)] = np.maximum(0.5 * (kp + kq), 0.0)
        prefix = prefix + chunk_sums[c]
    return out


def measures_from_masses(
    total: np.ndarray,
    per_label: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    *,
    base: float = math.e,
    weighting: Weighting = "weighted",
    _api: str = "measures_from_masses",
) -> dict[str, float | None]:
    """Every measure of this module from raw histogram masses (the array core that
    :func:`all_measures` and :func:`softent.report` use for point estimates and for each
    bootstrap replicate alike).

    Args:
        total: [B] float masses Σ_i q_ib of the rows H(Z) is taken over (for a label set:
            its labelled rows, i.e. ``per_label.sum(0)``).
        per_label: optional [K, B] masses per label value.
        counts: [K] row counts N_k (or summed bootstrap weights; need not be integers).
            Label values with N_k = 0 (absent from a bootstrap replicate) are left out.
        base: units of the information quantities (e: nats, 2: bits).
        weighting: 'weighted' (w_k = N_k/N) or 'uniform' (1/K) for H(Z|L).

    Returns:
        dict with ``entropy`` H(Z) and ``efficiency``; with labels also
        ``conditional_entropy``, ``mutual_information``, ``regularity``, ``variation``,
        ``disentanglement``, ``normalised_mi``, ``label_entropy`` (None without labels).
        Python floats; NaN where a measure is undefined.
    """
    b = check_base(_api, base)
    scale = 1.0 if b == math.e else 1.0 / math.log(b)  # nats -> units of base
    tot = np.asarray(total, dtype=np.float64)
    if tot.ndim != 1 or tot.shape[0] < 1:
        fail(_api, "total", "a 1-D array [B] with B >= 1", f"shape {tot.shape}")
    check_masses(_api, "total", tot)
    n_bins = tot.shape[0]
    log_b = math.log(n_bins)
    out: dict[str, float | None] = dict.fromkeys(MEASURE_KEYS)
    if per_label is None:
        h = float(entropy_of_masses(tot, validate=False))
        out["entropy"] = h * scale
        out["efficiency"] = _ratio(h, log_b)
        return out
    per = np.asarray(per_label, dtype=np.float64)
    cnt = np.asarray(counts, dtype=np.float64) if counts is not None else None
    if per.ndim != 2 or per.shape[1] != n_bins:
        fail(_api, "per_label", f"a 2-D array [K, B] with B={n_bins}", f"shape {per.shape}")
    if cnt is None or cnt.shape != (per.shape[0],):
        fail(
            _api,
            "counts",
            f"a 1-D array [K] with K={per.shape[0]}",
            None if cnt is None else f"shape {cnt.shape}",
        )
    check_masses(_api, "per_label", per)
    check_masses(_api, "counts", cnt)
    present = cnt > 0
    if not present.all():
        per, cnt = per[present], cnt[present]
    if cnt.shape[0] == 0:
        fail(_api, "counts", "positive for at least one label value", "no labelled rows")
    empty = np.flatnonzero(~(per.sum(axis=1) > 0))
    if empty.size:
        # a label value with rows has masses summing to its rows' soft assignments (> 0);
        # an all-zero row has no distribution to take a divergence of
        fail(
            _api,
            "per_label",
            "a row of positive total mass for every label value with counts > 0",
            f"an all-zero row (label index {int(np.flatnonzero(present)[empty[0]])})",
        )
    # H(Z|L) over blocks of label rows (row_entropies): no [K, B] temporaries
    h = float(entropy_of_masses(tot, validate=False))
    hc = float((label_weights(cnt, weighting, _api, validate=False) * row_entropies(per)).sum())
    mi = h - hc
    hl = float(entropy_of_masses(cnt, validate=False))  # H(L) of the counts, every N_k > 0 here
    out["entropy"] = h * scale
    out["efficiency"] = _ratio(h, log_b)
    out["conditional_entropy"] = hc * scale
    out["mutual_information"] = mi * scale
    out["regularity"] = _ratio(mi, h)
    out["variation"] = _ratio(hc, log_b)
    out["disentanglement"] = (
        float(_js_to_rest_nats(per).mean()) * scale if cnt.shape[0] > 1 else math.nan
    )
    out["normalised_mi"] = _ratio(mi, hl)
    out["label_entropy"] = hl * scale
    return out


# ----------------------------------------------------------------------------- histogram API


def _masses(
    api: str, hist: Any, need_labels: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    if not isinstance(hist, SoftHistogram):
        fail(
            api,
            "hist",
            "a softent.SoftHistogram (soft_histogram(...) or Accumulator.result(...))",
            type(hist).__name__,
            TypeError,
        )
    if need_labels and hist.per_label is None:
        fail(
            api,
            "hist",
            "a SoftHistogram with labels (soft_histogram(z, labels) or Accumulator.result(name))",
            "one without labels",
        )
    return hist.total, hist.per_label, hist.counts


def _measure(
    api: str, hist: Any, key: str, base: float = math.e, weighting: Weighting = "weighted"
) -> float:
    total, per, counts = _masses(api, hist, key in LABEL_KEYS)
    value = measures_from_masses(total, per, counts, base=base, weighting=weighting, _api=api)[key]
    return float(value)  # type: ignore[arg-type]


def efficiency(hist: SoftHistogram) -> float:
    """Efficiency H(Z) / log B: the entropy of the representation as a fraction of the most
    B soft bins can carry (unitless, in [0, 1]).

    Source: soft-entropy's README ("Efficiency = H(Z) / log(n)", n bins) and the
    ``efficiency`` of the code of Conklin & Smith 2024 (arXiv:2406.02449; H(Z)/max H).

    Args:
        hist: a :class:`softent.SoftHistogram` (``total`` [B]); labels not needed.
    Returns: float (NaN when B = 1).
    """
    return _measure("efficiency", hist, "efficiency")


def regularity(hist: SoftHistogram, *, weighting: Weighting = "weighted") -> float:
    """Regularity I(Z;L) / H(Z): the fraction of the representation's entropy that the label
    set explains (unitless, in [0, 1]; 1 when the label determines the bin, 0 when z is
    independent of it).

    Source: soft-entropy (the reference implementation of Conklin 2025, arXiv:2505.23960):
    README "Regularity = I(X; Z) / H(Z)" and ``SoftEntropyAccumulator.results()``
    (``regularity = mi / h``). The code released with Conklin & Smith 2024
    (arXiv:2406.02449, github.com/hcoxec/h) divided I by max H = log B instead; that number
    is ``regularity * efficiency``.

    Args:
        hist: a labelled :class:`softent.SoftHistogram` (``per_label`` [K, B], ``counts`` [K]).
        weighting: 'weighted' (w_k = N_k/N, default) or 'uniform' (1/K) for H(Z|L).
    Returns: float (NaN when H(Z) = 0).
    """
    return _measure("regularity", hist, "regularity", weighting=weighting)


def variation(hist: SoftHistogram, *, weighting: Weighting = "weighted") -> float:
    """Variation H(Z|L) / log B: how much the representation still varies once the label is
    known, as a fraction of the most B bins can carry (unitless, in [0, 1]; 0 when each
    label value maps to one bin).

    Source: the code released with Conklin & Smith 2024 (arXiv:2406.02449,
    github.com/hcoxec/h: ``variation/<label set> = H(Z|L) / max H``, there with the
    unweighted mean over label values, ``weighting='uniform'`` here); soft-entropy's
    efficiency-normalised H(Z|X) (H / log n) is the same quantity.

    Args:
        hist: a labelled :class:`softent.SoftHistogram`.
        weighting: 'weighted' (w_k = N_k/N, default) or 'uniform' (1/K) for H(Z|L).
    Returns: float (NaN when B = 1).
    """
    return _measure("variation", hist, "variation", weighting=weighting)


def disentanglement(hist: SoftHistogram, *, base: float = math.e) -> float:
    """Disentanglement: the mean over label values x of the Jensen-Shannon divergence
    between p(·|L=x) and p(·|L≠x), in units of ``base`` (nats by default: in [0, ln 2];
    ``base=2``: bits, in [0, 1]).

    JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½(p + q). p(·|L≠x) is the count-weighted
    mixture of the other labels' conditionals, Σ_{k≠x} N_k p(·|k) / Σ_{k≠x} N_k (the
    normalised sum of their bin masses). The mean over x is unweighted. 0 when every label
    value has the same conditional (e.g. labels independent of z); large when each label's
    rows occupy bins of their own.

    Source: ``disentanglement`` in the code released with Conklin & Smith 2024
    (arXiv:2406.02449, github.com/hcoxec/h ``code/h.py``: ``js_divergence(normalise(
    counts.sum(0) - counts), normalise(counts)).mean()``, natural log).

    Args:
        hist: a labelled :class:`softent.SoftHistogram`.
        base: e (nats, default) or 2 (bits).
    Returns: float (NaN with fewer than two label values).
    """
    return _measure("disentanglement", hist, "disentanglement", base=base)


def label_entropy(hist: SoftHistogram, *, base: float = math.e) -> float:
    """H(L) = -Σ_k (N_k/N) log(N_k/N), the entropy of the label values' row counts, in
    units of ``base`` (nats by default). The bound I(Z;L) <= H(L)."""
    return _measure("label_entropy", hist, "label_entropy", base=base)


def normalised_mi(hist: SoftHistogram, *, weighting: Weighting = "weighted") -> float:
    """Normalised mutual information I(Z;L) / H(L) (unitless; 1 when the representation
    resolves every label value into bins of its own, 0 when z is independent of L).
    H(L) comes from the label counts (:func:`label_entropy`).

    Args:
        hist: a labelled :class:`softent.SoftHistogram`.
        weighting: 'weighted' (default) or 'uniform' for the H(Z|L) inside I(Z;L).
    Returns: float (NaN when H(L) = 0, i.e. one label value).
    """
    return _measure("normalised_mi", hist, "normalised_mi", weighting=weighting)


def optimality(
    input_hist: SoftHistogram, output_hist: SoftHistogram, *, weighting: Weighting = "weighted"
) -> float:
    """Optimality I(Y;Z) / I(X;Z) for an input label set X and an output label set Y on the
    same representation Z (unitless): how much of the information Z keeps about its input
    is relevant to the output. It approaches 1 as Z approaches the Information Bottleneck
    bound (Z keeps only what predicts Y).

    Source: soft-entropy's README ("Optimality = I(Y; Z) / I(X; Z)") and Conklin et al.,
    "Learning is Forgetting: LLM Training As Lossy Compression" (ICLR 2026,
    arXiv:2604.07569), where the ratio measures compression optimality.

    Args:
        input_hist: labelled :class:`softent.SoftHistogram` of X (e.g. the input token).
        output_hist: labelled :class:`softent.SoftHistogram` of Y (e.g. the next token),
            on identical bins. Each mutual information is taken over that set's labelled
            rows; label the same rows in both for the Information Bottleneck reading.
        weighting: 'weighted' (default) or 'uniform' for H(Z|L).
    Returns: float (NaN when I(X;Z) = 0).
    """
    api = "optimality"
    for name, h in (("input_hist", input_hist), ("output_hist", output_hist)):
        if not isinstance(h, SoftHistogram) or h.per_label is None:
            fail(api, name, "a labelled softent.SoftHistogram", type(h).__name__, TypeError)
    if input_hist.bins.fingerprint() != output_hist.bins.fingerprint():
        fail(
            api,
            "output_hist",
            "on the same bins as input_hist (centres, metric, temperature)",
            "other bins",
        )
    ix = measures_from_masses(
        input_hist.total, input_hist.per_label, input_hist.counts, weighting=weighting, _api=api
    )["mutual_information"]
    iy = measures_from_masses(
        output_hist.total, output_hist.per_label, output_hist.counts, weighting=weighting, _api=api
    )["mutual_information"]
    return _ratio(float(iy), float(ix))  # type: ignore[arg-type]


def label_set_measures(
    per_label: np.ndarray,
    counts: np.ndarray | None = None,
    *,
    base: float = math.e,
    weighting: Weighting = "weighted",
    _api: str = "label_set_measures",
) -> dict[str, float | None]:
    """:func:`measures_from_masses` of one label set from its masses ``per_label`` [K, B]:
    H(Z) over its labelled rows (``per_label.sum(0)``: masked rows belong to no label),
    ``counts`` [K] defaulting to the rows' masses, i.e. the weighted counts of a bootstrap
    replicate (Σ_b q_ib = 1 per row)."""
    per = np.asarray(per_label, dtype=np.float64)
    cnt = per.sum(axis=1) if counts is None else np.asarray(counts, dtype=np.float64)
    return measures_from_masses(
        per.sum(axis=0), per, cnt, base=base, weighting=weighting, _api=_api
    )


def replicate_set_measures(
    per_label: np.ndarray,
    counts: np.ndarray | None = None,
    *,
    base: float = math.e,
    weighting: Weighting = "weighted",
    _api: str = "report",
) -> dict[str, float | None]:
    """:func:`label_set_measures` of one bootstrap replicate, where a label set with few
    labelled rows may have drawn weight 0 for every one of them: its measures are then
    undefined in that replicate (NaN, left out of the intervals by
    :func:`softent._stats.bootstrap_interval`), not an error about ``counts``."""
    per = np.asarray(per_label, dtype=np.float64)
    cnt = per.sum(axis=1) if counts is None else np.asarray(counts, dtype=np.float64)
    if not bool((cnt > 0).any()):
        return dict.fromkeys(MEASURE_KEYS, math.nan)
    return label_set_measures(per, cnt, base=base, weighting=weighting, _api=_api)


def all_measures(
    hist: SoftHistogram, *, base: float = math.e, weighting: Weighting = "weighted"
) -> dict[str, float | None]:
    """Every measure of one histogram in a dict (keys of :func:`measures_from_masses`):
    H(Z), H(Z|L), I(Z;L), H(L) and disentanglement in units of ``base``; efficiency,
    regularity, variation, normalised MI unitless. Label measures are None for a histogram
    without labels."""
    total, per, counts = _masses("all_measures", hist, False)
    return measures_from_masses(
        total, per, counts, base=base, weighting=weighting, _api="all_measures"
    )


#: the keys :func:`stacked_measures` computes (every measure but disentanglement, whose
#: per-label divergences cost several passes over each replicate)
STACKED_KEYS = tuple(k for k in MEASURE_KEYS if k != "disentanglement")


def stacked_measures(
    per_label: np.ndarray,
    counts: np.ndarray | None = None,
    *,
    base: float = math.e,
    weighting: Weighting = "weighted",
    single_row_entropies: np.ndarray | None = None,
    _api: str = "stacked_measures",
) -> dict[str, np.ndarray]:
    """The measures of R label histograms at once (bootstrap replicates or label
    permutations of one label set), without a Python loop over replicates or labels.

    Args:
        per_label: [R, K, B] float64 masses (a view is fine: never modified).
        counts: [K] row counts shared by every replicate (a permutation keeps them), or
            None: each replicate's own weighted counts ``per_label.sum(-1)`` [R, K]
            (Σ_b q_ib = 1 per row). A label with count 0 in a replicate is left out of it.
        base, weighting: as :func:`measures_from_masses`.
        single_row_entropies: optional [K] entropies (nats) of the point estimate's
            labels, NaN where a label has more than one row: a label value with one row
            has p(·|k) = q_i in every replicate that keeps it (its weight cancels), so its
            entropy is taken from here instead of from R copies (per-sample label sets).

    Returns:
        {key: [R] float64} for the keys of :data:`STACKED_KEYS` (H(Z) over the labelled
        rows of each replicate, H(Z|L), I(Z;L), efficiency, regularity, variation,
        normalised MI, H(L)); NaN in a replicate without labelled rows. Equals
        :func:`replicate_set_measures` per replicate (up to float64 rounding).
    """
    b = check_base(_api, base)
    per = np.asarray(per_label, dtype=np.float64)
    if per.ndim != 3:
        fail(_api, "per_label", "a 3-D array [R, K, B]", f"shape {per.shape}")
    r, k, n_bins = per.shape
    cnt = per.sum(axis=2) if counts is None else np.broadcast_to(np.asarray(counts, float), (r, k))
    h_z = np.asarray(entropy_of_masses(per.sum(axis=1), validate=False))
    rows = np.zeros((r, k))
    todo = np.arange(k)
    if single_row_entropies is not None:
        single = np.asarray(single_row_entropies, dtype=np.float64)
        known = np.isfinite(single)
        rows[:, known] = single[known]
        todo = np.flatnonzero(~known)
    if todo.size:
        sub = per if todo.size == k else per[:, todo]
        rows[:, todo] = row_entropies(sub.reshape(-1, n_bins)).reshape(r, todo.size)
    return stacked_from_parts(h_z, cnt, rows, n_bins, base=b, weighting=weighting)


def stacked_from_parts(
    h_z: np.ndarray,
    counts: np.ndarray,
    label_entropies: np.ndarray,
    n_bins: int,
    *,
    base: float = math.e,
    weighting: Weighting = "weighted",
) -> dict[str, np.ndarray]:
    """:func:`stacked_measures` from its parts: H(Z) [R] (nats) of each replicate's
    labelled rows, the label counts [R, K] (0: absent from that replicate) and H(Z|L=k)
    [R, K] or [K] (nats)."""
    scale = 1.0 if base == math.e else 1.0 / math.log(base)
    cnt = np.asarray(counts, dtype=np.float64)
    r, k = cnt.shape
    rows = np.broadcast_to(np.asarray(label_entropies, dtype=np.float64), (r, k))
    present = cnt > 0
    n_lab = cnt.sum(axis=1)
    if weighting == "weighted":
        w = np.divide(cnt, n_lab[:, None], out=np.zeros((r, k)), where=n_lab[:, None] > 0)
    else:
        n_present = present.sum(axis=1, keepdims=True)
        w = np.divide(present, n_present, out=np.zeros((r, k)), where=n_present > 0)
    h_c = (w * np.where(present, rows, 0.0)).sum(axis=1)
    p_l = np.divide(cnt, n_lab[:, None], out=np.zeros((r, k)), where=n_lab[:, None] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h_l = -(np.where(p_l > 0, p_l * np.log(np.where(p_l > 0, p_l, 1.0)), 0.0)).sum(axis=1)
        mi = h_z - h_c
        log_b = math.log(n_bins)
        out = {
            "entropy": h_z * scale,
            "conditional_entropy": h_c * scale,
            "mutual_information": mi * scale,
            "efficiency": h_z / log_b if log_b else np.full(r, np.nan),
            "regularity": np.where(h_z != 0, mi / np.where(h_z != 0, h_z, 1.0), np.nan),
            "variation": h_c / log_b if log_b else np.full(r, np.nan),
            "normalised_mi": np.where(h_l != 0, mi / np.where(h_l != 0, h_l, 1.0), np.nan),
            "label_entropy": h_l * scale,
        }
    empty = n_lab <= 0
    if empty.any():
        for v in out.values():
            v[empty] = np.nan
    return out
