"""Soft histograms: the one kernel call every estimator in softent is built on.

Row z_i [D] gets the soft assignment q_ib = softmax_b(s(z_i, c_b) / T) over B bin centres;
histograms are the float64 sums of q over rows (all rows, and per label). The kernels never
materialise the N x B matrix q.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from . import _core, _kernel
from ._entropy import entropy_of_masses, to_base
from ._errors import fail
from ._interop import as_float_rows, device_of, is_torch, to_numpy, view
from ._labels import LabelCodes, encode_labels
from .bins import Seed, box_bins, spherical_bins
from .calibration import calibrate_temperature

Metric = Literal["euclidean", "sqeuclidean", "cosine", "dot"]
#: must match enum class Metric in cpp/include/softent/math/soft_bin.h
METRIC_CODES: dict[str, int] = {"euclidean": 0, "sqeuclidean": 1, "cosine": 2, "dot": 3}
Weighting = Literal["weighted", "uniform"]


def check_metric(api: str, metric: Any) -> str:
    if metric not in METRIC_CODES:
        fail(api, "metric", f"one of {sorted(METRIC_CODES)}", repr(metric))
    return str(metric)


def auto_temperature(metric: str, centres: np.ndarray) -> float:
    """The temperature used for ``temperature="auto"`` (see :func:`soft_histogram`)."""
    n_bins, dim = centres.shape
    if n_bins < 2:
        return 1.0  # one bin: every row is assigned to it whatever T is
    eps = calibrate_temperature(max(dim, 2), n_bins, "vmf")
    if metric == "cosine":
        return eps
    if metric == "dot":
        scale = float(np.sqrt(np.mean(np.sum(centres**2, axis=1))))
        return eps * scale**2 if scale > 0 else 1.0
    # (sq)euclidean: the spread r of the centres about their mean plays the radius of the
    # unit sphere. On the sphere cos/eps = -|z-c|^2/(2 eps) + const, so the squared
    # distance needs T = 2 eps r^2; linearising |z-c| around the typical distance
    # sqrt(2) r gives T = eps r / sqrt(2) for the unsquared distance.
    r = float(np.sqrt(np.mean(np.sum((centres - centres.mean(axis=0)) ** 2, axis=1))))
    if r == 0:
        return 1.0
    return 2 * eps * r**2 if metric == "sqeuclidean" else eps * r / math.sqrt(2)


@dataclass(frozen=True)
class Bins:
    """Bin centres with the metric and temperature that turn them into soft bins.

    ``centres`` [B, D] float64 exactly as given or generated (not normalised);
    ``temperature`` > 0 (divides the scores). Kernel-ready copies are cached per dtype/device.
    """

    centres: np.ndarray
    metric: str
    temperature: float
    _prepared: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_bins(self) -> int:
        return int(self.centres.shape[0])

    @property
    def dim(self) -> int:
        return int(self.centres.shape[1])

    def fingerprint(self) -> str:
        """A hash of centres (bytes), metric and temperature: equal iff the bins are identical."""
        import hashlib

        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.centres, dtype=np.float64).tobytes())
        h.update(f"{self.centres.shape}|{self.metric}|{self.temperature!r}".encode())
        return h.hexdigest()

    def prepared(self, dtype_code: int, device: int) -> tuple[Any, Any]:
        """(centres [B, D] in the kernel dtype, unit rows for cosine; ||c||^2 [B] float64)
        in the memory of ``device`` (-1 = host)."""
        key = (dtype_code, device)
        if key not in self._prepared:
            c = self.centres
            if self.metric == "cosine":
                c = c / np.linalg.norm(c, axis=1, keepdims=True)
            c = np.ascontiguousarray(c, dtype=np.float64 if dtype_code == 1 else np.float32)
            csq = np.ascontiguousarray(np.sum(c.astype(np.float64) ** 2, axis=1))
            if device >= 0:
                import torch

                c, csq = (
                    torch.as_tensor(c, device=f"cuda:{device}"),
                    torch.as_tensor(csq, device=f"cuda:{device}"),
                )
            self._prepared[key] = (c, csq)
        return self._prepared[key]


def make_bins(
    api: str,
    z: Any | None,
    dim: int,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: str = "cosine",
    temperature: float | str = "auto",
    seed: Seed = 0,
) -> Bins:
    """Resolve the shared keyword arguments into :class:`Bins` (validating each)."""
    metric = check_metric(api, metric)
    if centres is None:
        if not isinstance(n_bins, (int, np.integer)) or isinstance(n_bins, bool) or n_bins < 1:
            fail(api, "n_bins", "an int >= 1", repr(n_bins))
        if metric in ("euclidean", "sqeuclidean"):
            if z is None:
                fail(
                    api,
                    "centres",
                    "given for Euclidean metrics without data (or use box_bins)",
                    None,
                )
            c = box_bins(z, int(n_bins), seed)
        else:
            c = spherical_bins(int(n_bins), dim, seed)
    else:
        c = to_numpy(as_float_rows(centres, api, "centres")).astype(np.float64)
        if c.shape[1] != dim:
            fail(api, "centres", f"[B, D] with D={dim} (the data's dimension)", f"shape {c.shape}")
        if not np.isfinite(c).all():
            fail(api, "centres", "finite (no NaN/Inf)", "non-finite values")
        if metric == "cosine" and not (np.linalg.norm(c, axis=1) > 0).all():
            fail(api, "centres", "non-zero rows for metric='cosine'", "a zero row")
    if isinstance(temperature, str):
        if temperature != "auto":
            fail(api, "temperature", "a float > 0 or 'auto'", repr(temperature))
        t = auto_temperature(metric, c)
    else:
        try:
            t = float(temperature)
        except (TypeError, ValueError):
            fail(api, "temperature", "a float > 0 or 'auto'", repr(temperature), TypeError)
        if not (math.isfinite(t) and t > 0):
            fail(api, "temperature", "finite and > 0", t)
    return Bins(c, metric, t)


def check_threads(api: str, num_threads: Any) -> int:
    if num_threads is None:
        return 0
    if (
        not isinstance(num_threads, (int, np.integer))
        or isinstance(num_threads, bool)
        or num_threads < 1
    ):
        fail(api, "num_threads", "None or an int >= 1", repr(num_threads))
    return int(num_threads)


def accumulate(
    api: str,
    z: Any,
    bins: Bins,
    slots: np.ndarray | None,
    hist: Any,
    *,
    num_threads: int = 0,
    tile_rows: int | None = None,
    replicates: int = 0,
    replicate_seed: int = 0,
    row_offset: int = 0,
    replicate_offset: int = 0,
) -> None:
    """Add the soft assignments of the rows of ``z`` [N, D] into ``hist`` [R, B] float64
    (row 0: every row; row slots[s, i] >= 1: label set s). ``z`` comes from
    :func:`as_float_rows`; ``hist`` lives on z's device. Raises on non-finite rows.

    With ``replicates`` = M > 0, ``hist`` is [(1 + M) * R, B]: block 0 as above, block r the
    same sums with row i weighted by its Poisson(1) bootstrap weight, a function of
    (replicate_seed, row_offset + i, replicate_offset + r - 1) only
    (cpp/include/softent/math/bootstrap.h)."""
    v = view(z)
    if v.device >= 0 and not _core.build_info()["cuda"]:
        fail(
            api,
            "z",
            "on the CPU (this softent build has no CUDA support)",
            f"a tensor on cuda:{v.device}",
            RuntimeError,
        )
    centres, csq = bins.prepared(v.dtype_code, v.device)
    slots_dev: Any = None
    if slots is not None:
        slots_dev = np.ascontiguousarray(slots, dtype=np.int32)
        if v.device >= 0:
            import torch

            slots_dev = torch.as_tensor(slots_dev, device=f"cuda:{v.device}")
    if tile_rows is not None and (not isinstance(tile_rows, (int, np.integer)) or tile_rows < 1):
        fail(api, "tile_rows", "None or an int >= 1", repr(tile_rows))
    bad = _kernel.soft_histogram(
        v,
        centres,
        csq,
        slots_dev,
        hist,
        hist_rows=int(hist.shape[0]) // (1 + replicates),
        metric=METRIC_CODES[bins.metric],
        inv_temperature=1.0 / bins.temperature,
        num_threads=num_threads,
        tile_rows=int(tile_rows or 0),
        replicates=replicates,
        replicate_seed=replicate_seed,
        row_offset=row_offset,
        replicate_offset=replicate_offset,
    )
    if bad >= 0:
        fail(api, "z", "finite (or pass nonfinite='drop')", f"NaN/Inf in row {bad}")


def new_hist(z: Any, rows: int, n_bins: int) -> Any:
    """A zeroed float64 histogram [rows, n_bins] in the memory of z's device."""
    device = device_of(z)
    if device >= 0:
        import torch

        return torch.zeros((rows, n_bins), dtype=torch.float64, device=f"cuda:{device}")
    return np.zeros((rows, n_bins), dtype=np.float64)


def finite_rows(z: Any) -> Any:
    """Boolean mask [N] of the rows of z with no NaN/Inf (host NumPy array)."""
    if is_torch(z):
        import torch

        return torch.isfinite(z).all(dim=1).cpu().numpy()
    return np.isfinite(z).all(axis=1)


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

    def entropy(self, base: float = math.e) -> float:
        """H(Z) = -Σ_b p_b log p_b, in units of ``base`` (e: nats, 2: bits)."""
        return float(to_base(entropy_of_masses(self.total), base, "entropy"))

    def label_entropies(self, base: float = math.e) -> np.ndarray:
        """[K] H(Z | L = k) for each label value, in units of ``base``."""
        self._require_labels("label_entropies")
        return to_base(entropy_of_masses(self.per_label), base, "label_entropies")

    def conditional_entropy(self, base: float = math.e, weighting: Weighting = "weighted") -> float:
        """H(Z|L) = Σ_k w_k H(Z | L = k); w_k = N_k/N ("weighted") or 1/K ("uniform")."""
        self._require_labels("conditional_entropy")
        if weighting == "weighted":
            w = self.counts / self.counts.sum()
        elif weighting == "uniform":
            w = np.full(self.counts.shape, 1.0 / self.counts.shape[0])
        else:
            fail("conditional_entropy", "weighting", "'weighted' or 'uniform'", repr(weighting))
        return float(np.dot(w, self.label_entropies(base)))

    def mutual_information(self, base: float = math.e, weighting: Weighting = "weighted") -> float:
        """I(Z;L) = H(Z) - H(Z|L), in units of ``base``."""
        return self.entropy(base) - self.conditional_entropy(base, weighting)

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
    nonfinite: Literal["raise", "drop"] = "raise",
    num_threads: int | None = None,
    tile_rows: int | None = None,
    _api: str = "soft_histogram",
) -> SoftHistogram:
    """Soft-bin histograms of ``z`` [N, D], total and per label, in one fused kernel pass.

    Args:
        z: [N, D] float array (NumPy, torch CPU/CUDA, or any ``__dlpack__`` object);
            float16/bfloat16 are computed in float32. Never modified.
        labels: optional [N] integers or strings; -1 masks an integer label (the row is
            then ignored everywhere, including in H(Z)).
        centres: [B, D] bin centres. Default: ``spherical_bins(n_bins, D, seed)`` for
            'cosine'/'dot', ``box_bins(z, n_bins, seed)`` for the Euclidean metrics.
        n_bins: B when ``centres`` is not given.
        metric: score s(z, c): 'cosine' <z/|z|, c/|c|> (spherical bins; the published
            method), 'euclidean' -|z-c| (unsquared, as nam-entropy), 'sqeuclidean'
            -|z-c|^2, 'dot' <z, c>.
        temperature: T > 0 dividing the scores, or 'auto': for 'cosine' the vMF
            calibration eps*(D, B) of :func:`softent.calibrate_temperature` (the kernel
            then carries log B nats); for the other metrics eps* transported to the
            centres' scale r (the RMS distance of the centres from their mean):
            'euclidean' eps*·r/√2, 'sqeuclidean' 2·eps*·r², 'dot' eps*·mean|c|².
        seed: int or ``numpy.random.Generator`` for the default centres.
        nonfinite: 'raise' (default: ValueError naming the first bad row) or 'drop'
            (rows with NaN/Inf are removed, with their labels; see ``n_dropped``).
        num_threads: OpenMP threads for this call (default: OMP_NUM_THREADS / all cores).
        tile_rows: rows per kernel tile (performance knob; default automatic).

    Returns:
        :class:`SoftHistogram` with float64 histograms, counts, label values, bins.
    """
    api = _api
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
            rows = rows[keep] if not is_torch(rows) else rows[torch_mask(keep, rows)]
            n = int(rows.shape[0])
            if labels is not None:
                labels_np = to_numpy(labels) if is_torch(labels) else np.asarray(labels)
                codes = encode_labels(labels_np[keep], n, api)
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
    threads = check_threads(api, num_threads)
    if codes is None:
        hist = new_hist(rows, 1, bins.n_bins)
        accumulate(api, rows, bins, None, hist, num_threads=threads, tile_rows=tile_rows)
        total = to_numpy(hist)[0].copy()
        return SoftHistogram(total, None, None, None, bins, n, n_dropped)
    slots = np.where(codes.codes >= 0, codes.codes + 1, -1).astype(np.int32)[None, :]
    hist = new_hist(rows, 1 + codes.n_labels, bins.n_bins)
    accumulate(api, rows, bins, slots, hist, num_threads=threads, tile_rows=tile_rows)
    per_label = to_numpy(hist)[1:].copy()
    return SoftHistogram(
        per_label.sum(axis=0),
        per_label,
        codes.counts,
        codes.values,
        bins,
        int(codes.counts.sum()),
        n_dropped,
    )


def torch_mask(keep: np.ndarray, like: Any) -> Any:
    import torch

    return torch.as_tensor(keep, device=like.device)


#: poisson_bootstrap returns every replicate at once: refuse results above this size.
MAX_BOOTSTRAP_BYTES = 2 << 30
#: iter_poisson_bootstrap: histogram memory of one kernel pass (replicates are split into
#: groups of passes above it; each pass recomputes the scores).
PASS_BOOTSTRAP_BYTES = 256 << 20

Replicate = dict[str, Any]


def _check_bootstrap_args(api: str, n_resamples: Any, seed: Any) -> None:
    if (
        not isinstance(n_resamples, (int, np.integer))
        or isinstance(n_resamples, bool)
        or n_resamples < 1
    ):
        fail(api, "n_resamples", "an int >= 1", repr(n_resamples))
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**64:
        fail(api, "seed", "an int in [0, 2**64)", repr(seed))


def iter_poisson_bootstrap(
    z: Any,
    label_sets: dict[str, Any] | None,
    bins: Bins,
    n_resamples: int,
    seed: int = 0,
    num_threads: int = 0,
    *,
    row_offset: int = 0,
    max_pass_bytes: int | None = None,
    max_total_bytes: int | None = None,
    api: str = "poisson_bootstrap",
) -> Iterator[Replicate]:
    """The replicates of :func:`poisson_bootstrap`, one at a time, in as few fused kernel
    passes as ``max_pass_bytes`` of replicate histograms allow (one pass unless R x label
    rows x B is large, e.g. token-style label sets; default budget
    :data:`PASS_BOOTSTRAP_BYTES`). Replicate r has the same weights whatever the grouping.
    ``max_total_bytes``: refuse R whose replicate histograms together exceed it (for
    callers that keep them all). Arguments are checked before the first replicate is made."""
    _check_bootstrap_args(api, n_resamples, seed)
    rows = as_float_rows(z, api, "z")
    n = int(rows.shape[0])
    if int(rows.shape[1]) != bins.dim:
        fail(api, "z", f"[N, {bins.dim}] (the bins' dimension)", f"shape {tuple(rows.shape)}")
    encoded: list[tuple[str, LabelCodes, int]] = []
    n_hist = 1
    for name, labels in (label_sets or {}).items():
        codes = encode_labels(labels, n, api, f"label_sets[{name!r}]")
        encoded.append((name, codes, n_hist))
        n_hist += codes.n_labels
    slots = None
    if encoded:
        slots = np.stack(
            [np.where(c.codes >= 0, off + c.codes, -1) for _, c, off in encoded]
        ).astype(np.int32)
    per_replicate = n_hist * bins.n_bins * 8
    if max_total_bytes is not None and (1 + int(n_resamples)) * per_replicate > max_total_bytes:
        fail(
            api,
            "n_resamples",
            f"small enough that the replicate histograms fit in {max_total_bytes >> 30} GiB "
            f"({n_hist} histogram rows x {bins.n_bins} bins x 8 bytes each; iter_poisson_bootstrap streams them)",
            n_resamples,
        )
    budget = PASS_BOOTSTRAP_BYTES if max_pass_bytes is None else int(max_pass_bytes)
    group = max(1, min(int(n_resamples), budget // per_replicate - 1))

    def generate() -> Iterator[Replicate]:
        for first in range(0, int(n_resamples), group):
            g = min(group, int(n_resamples) - first)
            hist = new_hist(rows, (1 + g) * n_hist, bins.n_bins)
            accumulate(
                api,
                rows,
                bins,
                slots,
                hist,
                num_threads=num_threads,
                replicates=g,
                replicate_seed=int(seed),
                row_offset=int(row_offset),
                replicate_offset=first,
            )
            h = to_numpy(hist).reshape(1 + g, n_hist, bins.n_bins)
            for rep in range(1, 1 + g):
                sets = {}
                for name, c, off in encoded:
                    per_label = h[rep, off : off + c.n_labels].copy()
                    sets[name] = (c.values, per_label, per_label.sum(axis=1))
                yield {"total": h[rep, 0].copy(), "sets": sets}

    return generate()


def poisson_bootstrap(
    z: Any,
    label_sets: dict[str, Any] | None,
    bins: Bins,
    n_resamples: int,
    seed: int = 0,
    num_threads: int = 0,
    *,
    row_offset: int = 0,
    api: str = "poisson_bootstrap",
) -> list[Replicate]:
    """R Poisson(1)-bootstrap replicates of the soft histograms of ``z`` [N, D], all in ONE
    fused kernel pass (the scores and softmax of each row are computed once and added into
    every replicate with its weight).

    Row i's weight in replicate r is a Poisson(1) draw that depends only on
    (seed, row_offset + i, r) (a counter-based hash, cpp/include/softent/math/bootstrap.h):
    no R x N weight matrix exists, and chunks of a stream passed with their ``row_offset``
    draw the same resamples as the whole array. The Poisson bootstrap approximates the
    multinomial (resample-N-rows) bootstrap (Hanley & MacGibbon 2006).

    Args:
        z: [N, D] float array (NumPy or torch).
        label_sets: {name: [N] labels} (integers with -1 = masked, or strings), or None.
        bins: the :class:`Bins` of the point estimate (the replicates reuse its centres).
        n_resamples: R >= 1.
        seed: the resampling seed (an int >= 0).

    Returns:
        R dicts {"total": [B] float64 (all rows, weighted), "sets": {name: (values [K],
        per_label [K, B] float64, counts [K] float64 = the weighted row counts)}}; label
        values sorted as in the unweighted result. All R are held at once (refused above
        2 GiB: use :func:`iter_poisson_bootstrap` to consume them one by one).
    """
    # one pass: the whole result fits the cap, hence one pass's budget
    return list(
        iter_poisson_bootstrap(
            z,
            label_sets,
            bins,
            n_resamples,
            seed,
            num_threads,
            row_offset=row_offset,
            max_pass_bytes=MAX_BOOTSTRAP_BYTES,
            max_total_bytes=MAX_BOOTSTRAP_BYTES,
            api=api,
        )
    )
