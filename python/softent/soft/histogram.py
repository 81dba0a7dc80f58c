"""Soft histograms: the one kernel result every soft-bin estimator is built on.

Row z_i [D] gets the soft assignment q_ib = softmax_b(s(z_i, c_b) / T) over B bin centres
(:mod:`.bins`); histograms are the float64 sums of q over rows (all rows, and per label),
made by one fused kernel pass (:mod:`._kernel`) that never materialises the N x B matrix q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import (
    Weighting,
    check_base,
    check_fits,
    check_optional_int,
    check_threads,
    fail,
    is_int,
)
from .._interop import as_float_rows, take_rows, to_numpy
from .._labels import LabelCodes, encode_labels, keep_rows, warn_masking
from ..discrete import entropy_of_masses, label_weights, to_base
from ._kernel import (
    ZeroRows,
    accumulate,
    check_forward_fits,
    check_zero_rows,
    finite_rows,
    kernel_view,
    label_slots,
    new_hist,
    zero_row_keep,
)
from .bins import (
    Bins,
    Metric,
    Seed,
    make_bins,
)

#: bytes of float64 masses per block of :func:`row_entropies`
_ENTROPY_BLOCK_BYTES = 4 << 20


def row_entropies(masses: np.ndarray) -> np.ndarray:
    """[K] entropies (nats) of the rows of ``masses`` [K, B], a block of rows at a time:
    the entropy formula's temporaries (p, log p, p log p: each [K, B]) are then a few MB,
    not several copies of a token-style histogram (K ~ 10^5 labels x B = 1000 peaked at
    ~4x the histogram)."""
    k, b = masses.shape
    step = max(1, _ENTROPY_BLOCK_BYTES // (8 * max(b, 1)))
    if k <= step:
        return np.asarray(entropy_of_masses(masses, validate=False))
    out = np.empty(k)
    for a in range(0, k, step):
        out[a : a + step] = entropy_of_masses(masses[a : a + step], validate=False)
    return out


def check_histograms_fit(
    api: str, hist_rows: int, n_bins: int, copies: int = 1, arg: str = "labels"
) -> None:
    """Refuse up front (naming ``arg``, with the sizes) [hist_rows, B] float64
    histograms (times ``copies``) that would not fit in memory."""
    check_fits(
        api,
        arg,
        f"{hist_rows - 1} label values x {n_bins} bins (float64 histograms "
        f"[{hist_rows}, {n_bins}], {hist_rows * n_bins * 8 / 2**30:.2f} GiB each)",
        copies * hist_rows * n_bins * 8,
    )


# ----------------------------------------------------------------------------- row selection
# Masking (mask=, ignore_index=) and the zero-row policy (zero_rows=) of every soft entry
# point: the estimators, report, soft_histogram and poisson_bootstrap. They live here, below
# the estimators, so that the histogram functions share them without an import circle.


def select_rows(
    api: str,
    z: Any,
    labels: Any,
    *,
    ignore_index: Any = None,
    mask: Any = None,
    zero_rows: Any = "raise",
    metric: Any = "cosine",
) -> tuple[Any, Any]:
    """(z, labels) restricted to the rows the estimate uses: rows masked by ``mask``
    (False) or ``ignore_index`` (their label) are left out first (warning when most rows,
    or all but one label value, go), then all-zero rows under cosine bins per ``zero_rows``
    (see :func:`softent.soft._kernel.zero_row_keep`). Returns the inputs themselves (no
    copy) when nothing is left out; labels come back as a host array when rows were."""
    check_zero_rows(api, zero_rows)
    rows = z
    lab = labels
    n = _n_rows(api, z)
    if labels is not None and (mask is not None or zero_rows == "drop"):
        # the labels are indexed with a row mask below: one per row, or a clear error
        shape = tuple(getattr(labels, "shape", None) or to_numpy(labels).shape)
        if len(shape) != 1 or shape[0] != n:
            fail(
                api,
                "labels",
                f"a 1-D array with one label per row of z (length N={n})",
                f"shape {shape}",
            )
    keep = keep_rows(api, labels, n, ignore_index=ignore_index, mask=mask)
    if keep is not None:
        warn_masking(api, keep, labels)
        if not keep.all():
            rows = take_rows(as_float_rows(z, api, "z"), keep)
            lab = None if labels is None else to_numpy(labels)[keep]
    if metric == "cosine" and zero_rows != "uniform":
        rows = as_float_rows(rows, api, "z")
        nz = zero_row_keep(api, rows, "cosine", zero_rows)
        if nz is not None:
            rows = take_rows(rows, nz)
            lab = None if lab is None else to_numpy(lab)[nz]
    return rows, lab


def select_label_sets(
    api: str,
    z: Any,
    named: dict[str, Any],
    *,
    ignore_index: Any = None,
    mask: Any = None,
    zero_rows: Any = "raise",
    metric: Any = "cosine",
) -> tuple[Any, dict[str, Any]]:
    """(z, {name: labels}) for several label sets of the same rows: ``mask`` (False) and
    all-zero rows (``zero_rows``) leave rows out of every set, as :func:`select_rows`;
    ``ignore_index`` masks per set (a row stays in the sets where its label is another
    value: pass it on to :func:`softent._labels.encode_labels`). Warns per set when
    masking left out most rows or one label value."""
    n = _n_rows(api, z)
    rows = z
    keep = keep_rows(api, None, n, mask=mask)
    if keep is not None:
        warn_masking(api, keep)  # the share of rows left out
        if not keep.all():
            rows = take_rows(as_float_rows(z, api, "z"), keep)
            named = {k: to_numpy(v)[keep] for k, v in named.items()}
    m = int(keep.sum()) if keep is not None else n
    for arr in named.values():
        set_keep = keep_rows(api, arr, m, ignore_index=ignore_index)
        if set_keep is not None:
            warn_masking(api, set_keep, arr)
        elif keep is not None:  # one label value left by the mask
            warn_masking(api, np.ones(m, bool), arr)
    if metric == "cosine" and zero_rows != "uniform":
        rows = as_float_rows(rows, api, "z")
        nz = zero_row_keep(api, rows, "cosine", zero_rows)
        if nz is not None:
            rows = take_rows(rows, nz)
            named = {k: to_numpy(v)[nz] for k, v in named.items()}
    else:
        check_zero_rows(api, zero_rows)
    return rows, named


def _n_rows(api: str, z: Any) -> int:
    shape = getattr(z, "shape", None)
    if shape is None or len(shape) != 2:
        return int(as_float_rows(z, api, "z").shape[0])
    return int(shape[0])


@dataclass(frozen=True)
class SoftHistogram:
    """Float64 soft histograms of one call.

    ``total`` [B]: Σ_i q_ib over the rows used (labelled rows when labels were given:
    masked rows are ignored everywhere). ``per_label`` [K, B]: Σ_{i: l_i = k} q_ib.
    ``counts`` [K]: N_k. ``label_values`` [K]: the label of each histogram row.
    Histograms are masses (they sum to the row counts); divide by the sum for p.
    """

    total: np.ndarray
    per_label: np.ndarray | None
    counts: np.ndarray | None
    label_values: np.ndarray | None
    bins: Bins
    n_rows: int
    n_dropped: int = 0

    @property
    def centres(self) -> np.ndarray:
        return self.bins.centres

    @property
    def temperature(self) -> float:
        return self.bins.temperature

    @property
    def metric(self) -> str:
        return self.bins.metric

    def __repr__(self) -> str:
        labels = "no labels" if self.per_label is None else f"labels={self.per_label.shape[0]}"
        dropped = f", dropped={self.n_dropped}" if self.n_dropped else ""
        return (
            f"SoftHistogram(N={self.n_rows}, B={self.bins.n_bins} {self.metric}, "
            f"T={self.temperature:.4g}, {labels}{dropped})"
        )

    def entropy(self, base: float = math.e) -> float:
        """H(Z) = -Σ_b p_b log p_b, in units of ``base`` (e: nats, 2: bits)."""
        return float(to_base(entropy_of_masses(self.total, validate=False), base, "entropy"))

    def label_entropies(self, base: float = math.e) -> np.ndarray:
        """[K] H(Z | L = k) for each label value, in units of ``base``."""
        self._require_labels("label_entropies")
        return to_base(row_entropies(self.per_label), base, "label_entropies")

    def conditional_entropy(self, base: float = math.e, weighting: Weighting = "weighted") -> float:
        """H(Z|L) = Σ_k w_k H(Z | L = k); w_k = N_k/N ("weighted") or 1/K ("uniform")."""
        self._require_labels("conditional_entropy")
        w = label_weights(self.counts, weighting, "conditional_entropy", validate=False)
        return float((w * self.label_entropies(base)).sum())

    def mutual_information(self, base: float = math.e, weighting: Weighting = "weighted") -> float:
        """I(Z;L) = H(Z) - H(Z|L), in units of ``base``."""
        return self.entropy(base) - self.conditional_entropy(base, weighting)

    def information(
        self, base: float = math.e, weighting: Weighting = "weighted", api: str = "information"
    ) -> tuple[float, float, np.ndarray]:
        """(H(Z), H(Z|L), [K] H(Z | L = k)) in units of ``base``, each entropy computed
        once (I(Z;L) = H(Z) - H(Z|L))."""
        self._require_labels(api)
        b = check_base(api, base)
        h = float(to_base(entropy_of_masses(self.total, validate=False), b, api))
        h_k = to_base(row_entropies(self.per_label), b, api)
        hc = float((label_weights(self.counts, weighting, api, validate=False) * h_k).sum())
        return h, hc, h_k

    def _require_labels(self, api: str) -> None:
        if self.per_label is None:
            fail(api, "labels", "given to soft_histogram", None)


def soft_histogram(
    z: Any,
    labels: Any = None,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: Metric = "cosine",
    temperature: float | Literal["auto"] = "auto",
    seed: Seed = 0,
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "uniform",
    nonfinite: Literal["raise", "drop"] = "raise",
    num_threads: int | None = None,
    tile_rows: int | None = None,
    _api: str = "soft_histogram",
) -> SoftHistogram:
    """Soft-bin histograms of ``z`` [N, D], total and per label, in one fused kernel pass.

    Args:
        z: [N, D] float array (NumPy, torch CPU/CUDA, or any ``__dlpack__`` object);
            float16/bfloat16 are computed in float32. Never modified.
        labels: optional [N] integers or strings; every value is a class (-1 included).
        centres: [B, D] bin centres. Default: ``spherical_bins(n_bins, D, seed)`` for
            'cosine'/'dot', ``box_bins(z, n_bins, seed)`` for the Euclidean metrics.
        n_bins: B when ``centres`` is not given.
        metric: score s(z, c): 'cosine' <z/|z|, c/|c|> (spherical bins; the published
            method), 'euclidean' -|z-c| (unsquared, as nam-entropy), 'sqeuclidean'
            -|z-c|^2, 'dot' <z, c>. The Euclidean scores are computed relative to the
            centres' mean (no cancellation for data far from 0); cosine uses scale-safe
            norms (rows of any magnitude, ~1e-23 or ~1e20 in float32 included). A finite
            row whose scores overflow the data's float type is refused saying so.
        temperature: T >= 2.2e-308 (the smallest normal float64; tiny T gives the hard
            argmax assignment) dividing the scores, or 'auto': for 'cosine' the vMF
            calibration eps*(D, B) of :func:`softent.calibrate_temperature` (the kernel
            then carries log B nats); for the other metrics eps* transported to the
            centres' scale r (the RMS distance of the centres from their mean):
            'euclidean' eps*·r/√2, 'sqeuclidean' 2·eps*·r², 'dot' eps*·mean|c|².
        seed: int or ``numpy.random.Generator`` for the default centres.
        ignore_index: a label value (e.g. -100, Hugging Face's "ignore"; a str for string
            labels) whose rows are left out, H(Z) included, as in
            :func:`softent.information` (default None: every value is a class).
        mask: optional [N] bool (NumPy or torch): False leaves the row out everywhere.
            Masking warns (UserWarning) when it leaves out most rows or one label value,
            and refuses to leave none.
        zero_rows: all-zero rows under cosine bins (a zero vector has no direction):
            'uniform' (default here, the kernel's assignment 1/B: this is the low-level
            layer), 'raise' (ValueError naming the first one, the estimators' default) or
            'drop' (left out, with a UserWarning giving their number). Other metrics
            score a zero row normally.
        nonfinite: 'raise' (default: ValueError naming the first bad row) or 'drop'
            (rows with NaN/Inf are removed, with their labels; see ``n_dropped``).
            Applied after ``mask``/``ignore_index``/``zero_rows``: ``n_dropped`` counts
            only non-finite rows.
        num_threads: OpenMP threads for this call (default: OMP_NUM_THREADS / all cores);
            at most the CPUs this process may use, and 1 in a process forked after softent
            was imported (use the 'spawn' or 'forkserver' start method for parallel
            workers). Ctrl-C stops the kernel between tiles (KeyboardInterrupt).
        tile_rows: rows per kernel tile (performance knob; default automatic; at most N).
            A call whose buffers would not fit in the available memory is refused up
            front (ValueError naming ``n_bins`` or ``tile_rows``, with the size).

    Returns:
        :class:`SoftHistogram` with float64 histograms, counts, label values, bins.
    """
    api = _api
    if ignore_index is not None or mask is not None or zero_rows != "uniform":
        # the estimators' selection (they call this function with rows selected already)
        z, labels = select_rows(
            api, z, labels, ignore_index=ignore_index, mask=mask, zero_rows=zero_rows, metric=metric
        )
    rows = as_float_rows(z, api, "z")
    n, dim = int(rows.shape[0]), int(rows.shape[1])
    codes: LabelCodes | None = None
    n_dropped = 0
    if nonfinite not in ("raise", "drop"):
        fail(api, "nonfinite", "'raise' or 'drop'", repr(nonfinite))
    if labels is not None:
        codes = encode_labels(labels, n, api)
    if nonfinite == "drop":
        keep = finite_rows(rows)
        n_dropped = int(n - keep.sum())
        if n_dropped:
            if n_dropped == n:
                fail(api, "z", "at least one finite row", "only NaN/Inf rows")
            rows = take_rows(rows, keep)
            n = int(rows.shape[0])
            if labels is not None:
                codes = encode_labels(to_numpy(labels)[keep], n, api)
    threads = check_threads(api, num_threads)
    tile = min(check_optional_int(api, "tile_rows", tile_rows, lo=1) or 0, n)
    v = kernel_view(api, rows)
    if centres is None and is_int(n_bins) and n_bins >= 1 and v.device < 0:
        # before the centres exist: a B that cannot fit is refused, not allocated
        hist_rows = 1 + (codes.n_labels if codes is not None else 0)
        itemsize = 4 if v.dtype_code == 0 else 8
        check_forward_fits(api, n, dim, int(n_bins), hist_rows, itemsize, threads, tile)
    bins = make_bins(
        api,
        rows,
        dim,
        centres=centres,
        n_bins=n_bins,
        metric=metric,
        temperature=temperature,
        seed=seed,
    )
    # the kernel's histograms, and their host copy when they live on a GPU
    hist_rows = 1 + (codes.n_labels if codes is not None else 0)
    check_histograms_fit(api, hist_rows, bins.n_bins, 1 if v.device < 0 else 2)
    if codes is None:
        hist = new_hist(rows, 1, bins.n_bins)
        accumulate(api, rows, bins, None, hist, num_threads=threads, tile_rows=tile_rows)
        total = to_numpy(hist)[0].copy()
        return SoftHistogram(total, None, None, None, bins, n, n_dropped)
    hist = new_hist(rows, 1 + codes.n_labels, bins.n_bins)
    accumulate(api, rows, bins, label_slots(codes), hist, num_threads=threads, tile_rows=tile_rows)
    # a view of the kernel's output (no second [K, B] copy); row 0 (all rows) is unused
    per_label = to_numpy(hist)[1:]
    return SoftHistogram(
        per_label.sum(axis=0),
        per_label,
        codes.counts,
        codes.values,
        bins,
        int(codes.counts.sum()),
        n_dropped,
    )
