"""Differentiable soft-bin entropy, conditional entropy and mutual information for torch.

The same estimator and arguments as :func:`softent.information` & co., returning 0-d
tensors that carry gradients to ``z`` [N, D], to ``centres`` [B, D] when it is a tensor
with ``requires_grad``, and to ``temperature`` when it is a tensor with ``requires_grad``.
The histograms come from the fused kernels (``torch.ops.softent.soft_histogram``, whose
backward is a C++ kernel too); only the [1 + K, B] histograms and the entropy formula are
torch autograd graph, so memory stays independent of N. Use them as loss terms::

    loss = task_loss - 0.1 * softent.torch.mutual_information(hidden, y)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from .._checks import (
    Weighting,
    check_base,
    check_int,
    check_optional_int,
    check_threads,
    check_weighting,
    fail,
)
from .._interop import as_float_rows, count_codes, to_float, to_numpy
from .._labels import (
    check_mask,
    encode_labels,
    histogram_slots,
    keep_rows,
    refuse_all_masked,
    warn_masking,
)
from ..discrete import (
    entropy_of_masses,
    information_of_masses,
    to_base,
    unit_name,
)
from . import _ops
from ._kernel import ZeroRows, check_zero_rows, label_slots, zero_row_keep
from .bins import (
    METRIC_CODES,
    TRANSLATION_INVARIANT,
    Metric,
    Seed,
    check_centres,
    check_metric,
    check_temperature,
    checked_auto_temperature,
    make_bins,
    unit_rows,
)
from .histogram import check_histograms_fit

#: The most memory (bytes) a differentiable call keeps for its backward: the forward's
#: [N, B] dots when they fit (the backward then skips their GEMM, ~1/3 of its time at
#: D = 768), otherwise nothing (recomputed tile by tile). Either way the extra memory is
#: bounded independently of N. See :func:`set_backward_cache_bytes`.
_backward_cache_bytes = 64 << 20


def set_backward_cache_bytes(nbytes: int) -> int:
    """Set the most memory (bytes, >= 0) that a differentiable softent call keeps between
    forward and backward (default 64 MiB; 0: always recompute). Returns the previous value."""
    global _backward_cache_bytes
    nbytes = check_int("torch.set_backward_cache_bytes", "nbytes", nbytes, lo=0)
    previous, _backward_cache_bytes = _backward_cache_bytes, nbytes
    return previous


@dataclass(frozen=True)
class TorchInformation:
    """Differentiable results of :func:`information` (0-d tensors in units of ``base``).

    ``label_entropies`` [K] tensor (H(Z | L = k)), ``label_values`` [K] NumPy array (None
    under torch.compile), ``counts`` [K] float64 tensor, ``hist`` [1 + K, B] float64 tensor
    (row 0 all rows, row 1 + k label k), ``centres``/``temperature``: the bins used,
    ``base`` the units (e: nats, 2: bits), ``metric`` the score."""

    entropy: Tensor
    conditional_entropy: Tensor
    mutual_information: Tensor
    label_entropies: Tensor
    label_values: np.ndarray | None
    counts: Tensor
    hist: Tensor
    centres: Tensor
    temperature: Tensor
    base: float = math.e
    metric: str = "cosine"

    def __repr__(self) -> str:
        return (
            f"TorchInformation(H={to_float(self.entropy):.4g} {unit_name(self.base)}, "
            f"H(Z|L)={to_float(self.conditional_entropy):.4g}, "
            f"I={to_float(self.mutual_information):.4g}, N={to_float(self.counts.sum()):.0f}, "
            f"B={self.hist.shape[1]} {self.metric}, T={to_float(self.temperature):.4g}, "
            f"labels={self.label_entropies.shape[0]}, device={self.hist.device})"
        )


def _compiling() -> bool:
    return bool(torch.compiler.is_compiling())


def _check_z(api: str, z: Any) -> Tensor:
    """z [N, D] validated as every softent function does; float16/bfloat16 become float32
    inside the autograd graph."""
    if not isinstance(z, torch.Tensor):
        fail(
            api,
            "z",
            "a torch.Tensor (use softent.information for NumPy arrays)",
            type(z).__name__,
            TypeError,
        )
    return as_float_rows(z, api, "z", keep_graph=True)


def _bins(
    api: str, z: Tensor, centres: Any, n_bins: int, metric: str, temperature: Any, seed: Seed
) -> tuple[Tensor, Tensor]:
    """(centres [B, D] in z's dtype and device, possibly requiring grad; T as a 0-d float64
    CPU tensor, possibly requiring grad). Validated by the same checks as the NumPy path
    (:mod:`.bins`); what is torch's own is that a tensor may carry gradients and that under
    ``torch.compile`` nothing may leave the graph (no NumPy centres, no 'auto')."""
    t_tensor = isinstance(temperature, torch.Tensor)
    if isinstance(centres, torch.Tensor):
        c = as_float_rows(centres, api, "centres", keep_graph=True)
        check_centres(api, c, int(z.shape[1]), metric, values=not _compiling())
        if t_tensor:
            t: Any = temperature
        elif (
            not (isinstance(temperature, (int, float)) and not isinstance(temperature, bool))
            and _compiling()
        ):
            fail(
                api,
                "temperature",
                "a float or a tensor under torch.compile ('auto' calibrates in SciPy)",
                repr(temperature),
            )
        else:
            t = check_temperature(api, temperature)
            if t is None:
                t = checked_auto_temperature(api, metric, to_numpy(c).astype(np.float64))
        c = c.to(device=z.device, dtype=z.dtype)
    else:
        if _compiling():
            fail(
                api,
                "centres",
                "a tensor under torch.compile (the default centres are drawn with NumPy)",
                type(centres).__name__,
                TypeError,
            )
        bins = make_bins(
            api,
            z.detach(),
            z.shape[1],
            centres=centres,
            n_bins=n_bins,
            metric=metric,
            temperature="auto" if t_tensor else temperature,
            seed=seed,
        )
        c = torch.as_tensor(bins.centres, dtype=z.dtype, device=z.device)
        t = temperature if t_tensor else bins.temperature
    if isinstance(t, torch.Tensor):
        if t.numel() != 1 or not t.dtype.is_floating_point:
            fail(
                api,
                "temperature",
                "a float > 0, 'auto', or a 1-element float tensor",
                f"a tensor of shape {tuple(t.shape)}",
                TypeError,
            )
        if not _compiling():
            check_temperature(api, to_float(t))
        return c, t.reshape(()).to(device="cpu", dtype=torch.float64)
    return c, torch.tensor(float(t), dtype=torch.float64)


def _check_n_labels(api: str, n_labels: Any) -> int | None:
    """None, or K in [1, 2**31 - 2]: label codes cross to the kernel as int32 slots (1 + code)."""
    n_labels = check_optional_int(api, "n_labels", n_labels, lo=1)
    if n_labels is not None and n_labels > 2**31 - 2:
        fail(api, "n_labels", f"an int in [1, {2**31 - 2}] (int32 histogram rows)", n_labels)
    return n_labels


def _slots(
    api: str,
    labels: Any,
    n: int,
    n_labels: int | None,
    device: torch.device,
    masked: Tensor | None = None,
) -> tuple[Tensor, Tensor | None, np.ndarray | None]:
    """(kernel slots [S, N] int32 on ``device`` (1 + code, or -1 masked; S = 0 without
    labels), counts [K] float64 on ``device``, label values [K] or None). ``masked`` [N]
    bool on ``device`` (n_labels-coded labels only): rows to leave out."""
    if labels is None:
        return torch.zeros((0, n), dtype=torch.int32, device=device), None, None
    n_labels = _check_n_labels(api, n_labels)
    if n_labels is None:
        # any labels (strings too): encoded on the host, exactly as the NumPy path
        codes = encode_labels(labels, n, api)
        counts = torch.as_tensor(codes.counts, dtype=torch.float64, device=device)
        return torch.as_tensor(label_slots(codes), device=device), counts, codes.values
    # Labels already coded 0..n_labels-1 as a tensor: all in torch, so
    # torch.compile traces it and labels on the GPU never make a host round trip (the C++
    # call re-checks the range of every slot).
    if (
        not isinstance(labels, torch.Tensor)
        or labels.dtype not in (torch.int32, torch.int64)
        or labels.shape != (n,)
    ):
        fail(
            api,
            "labels",
            f"an int tensor of shape ({n},) with values in 0..{n_labels - 1} when n_labels is given",
            f"{type(labels).__name__} {getattr(labels, 'dtype', '')} {tuple(getattr(labels, 'shape', ()))}",
        )
    labels = labels.to(device)
    if not _compiling():  # data-dependent: not checked while torch.compile traces
        outside = (labels < 0) | (labels >= n_labels)
        if masked is not None:
            outside &= ~masked
        if bool(outside.any()):
            fail(api, "labels", f"in 0..{n_labels - 1} (n_labels={n_labels})", "values outside")
    if masked is not None:  # masked rows get the internal code -1 (the kernels skip them)
        labels = torch.where(masked, -1, labels)
    slots = histogram_slots(labels, 1).reshape(1, n)
    values = None if _compiling() else np.arange(n_labels)
    return slots, count_codes(labels, n_labels), values


def information(
    z: Tensor,
    labels: Any,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: Metric = "cosine",
    temperature: float | Literal["auto"] | Tensor = "auto",
    seed: Seed = 0,
    base: float = math.e,
    weighting: Weighting = "weighted",
    n_labels: int | None = None,
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "raise",
    num_threads: int | None = None,
    _api: str = "torch.information",
) -> TorchInformation:
    """Differentiable H(Z), H(Z|L), I(Z;L) and H(Z | L = k), from one kernel pass.

    Args:
        z: [N, D] tensor (CPU or CUDA; float32/float64, float16/bfloat16 computed in
            float32). Gradients flow to it when it requires grad. A float16/bfloat16 z
            gets the float32 gradient cast to its dtype (autograd's rule for a leaf): an
            entry beyond that dtype's range (65504 for float16, e.g. data of scale 1e-3
            with a Euclidean metric, whose gradient scales as 1/scale) is ±inf there, the
            overflow torch.amp's GradScaler detects; pass z in float32 to get it finite.
        labels: [N] integers (tensor or array) or strings; every value is a class.
        centres: [B, D] array or tensor (a tensor with ``requires_grad`` gets gradients);
            default as :func:`softent.soft_histogram` (spherical bins for cosine/dot, the
            data box for Euclidean metrics), from ``n_bins`` and ``seed``.
        metric: 'cosine' (default), 'euclidean', 'sqeuclidean', 'dot'.
        temperature: T > 0, 'auto' (see :func:`softent.soft_histogram`), or a 0-d tensor
            (a tensor with ``requires_grad`` gets a gradient, formed as
            -(dL/d(1/T) / T) / T: finite for tiny T too).
        base: e (nats, default) or 2 (bits).
        weighting: 'weighted' (w_k = N_k/N, default) or 'uniform' (1/K over the labels
            present) in H(Z|L).
        n_labels: K when ``labels`` is an int tensor already coded 0..K-1:
            the labels are then handled in torch, as ``torch.compile(fullgraph=True)``
            needs (with tensor ``centres`` and a float or tensor ``temperature``), and
            labels on the GPU never make a host round trip. Labels absent from the data
            get H(Z | L = k) = 0 and weight 0. Without it, labels are encoded on the host.
            Values outside 0..K-1 (unless masked) and all rows masked are refused
            (ValueError), except while torch.compile traces (data-dependent checks):
            there every row masked gives NaN for H(Z|L) and I.
        ignore_index: a label value whose rows are left out everywhere (e.g. -100).
        mask: [N] bool (tensor or array), True keeps the row. With ``n_labels`` both
            mask in torch (no row copy, traceable); otherwise the kept rows of z are
            taken (gradients of the others are 0). A UserWarning says when masking left
            out most (> 50 %) rows or one label value (not while torch.compile traces).
        zero_rows: all-zero rows of z under cosine bins: 'raise' (default), 'drop' (left
            out, with a UserWarning giving their number) or 'uniform' (assignment 1/B),
            as :func:`softent.information`. Not checked while torch.compile traces.
        num_threads: OpenMP threads for the CPU kernels (default: all), at most the CPUs
            this process may use; 1 in a process forked after softent was imported.

    Returns:
        :class:`TorchInformation`: 0-d tensors on z's device in units of ``base``, in z's
        floating dtype (float32 for float16/bfloat16), as the NumPy-free path returns
        them; ``hist`` and ``counts`` stay float64.
    """
    api = _api
    if labels is None and api != "torch.entropy":
        fail(api, "labels", "an [N] array of labels (use softent.torch.entropy for H(Z))", None)
    b = check_base(api, base)
    check_weighting(api, weighting)
    metric = check_metric(api, metric)  # type: ignore[assignment]
    threads = check_threads(api, num_threads)
    check_zero_rows(api, zero_rows)
    z = _check_z(api, z)
    out_dtype = z.dtype  # float16/bfloat16 were made float32 by _check_z
    z, labels, masked = _select(
        api, z, labels, n_labels, ignore_index, mask, zero_rows, str(metric)
    )
    n = int(z.shape[0])
    c, t = _bins(api, z, centres, n_bins, metric, temperature, seed)
    if labels is not None and (k_given := _check_n_labels(api, n_labels)) is not None:
        # the [1 + K, B] histograms (and their cotangent), before the counts and values of
        # K labels are made
        check_histograms_fit(api, 1 + k_given, int(c.shape[0]), 2, "n_labels")
    slots, counts, values = _slots(api, labels, n, n_labels, z.device, masked)
    if counts is not None:  # the [1 + K, B] histograms (and their cotangent)
        arg = "labels" if n_labels is None else "n_labels"
        check_histograms_fit(api, 1 + int(counts.shape[0]), int(c.shape[0]), 2, arg)
    # the kernel's centres in z's dtype, inside the graph (gradients reach tensor centres)
    # (unit rows whatever their scale: tiny or huge centres keep their direction)
    c_kernel = unit_rows(c) if metric == "cosine" else c
    origin = None
    if metric in TRANSLATION_INVARIANT:
        # rows and centres relative to the centres' mean (a constant: the scores depend on
        # z - c only, so the gradients w.r.t. the shifted centres are those w.r.t. c), as
        # Bins.prepared does for the NumPy path
        origin = c_kernel.detach().to(torch.float64).mean(0).to(z.dtype)
        c_kernel = (c_kernel.to(torch.float64) - origin.to(torch.float64)).to(z.dtype)
    c_kernel = c_kernel.contiguous()
    csq = (c_kernel.to(torch.float64) ** 2).sum(1)
    k = 0 if counts is None else int(counts.shape[0])
    wants_grad = torch.is_grad_enabled() and (
        z.requires_grad or c_kernel.requires_grad or t.requires_grad
    )
    keep_dots = wants_grad and n * c.shape[0] * z.element_size() <= _backward_cache_bytes
    hist = _ops.soft_histogram(
        z,
        c_kernel,
        csq,
        slots,
        t,
        1 + k,
        METRIC_CODES[metric],
        threads,
        keep_dots,
        origin,
    )
    # the last step, shared with the NumPy path (softent.discrete)
    if counts is None:
        h = to_base(entropy_of_masses(hist[0], validate=False), b, api).to(out_dtype)
        zero = torch.zeros((), dtype=out_dtype, device=z.device)
        return TorchInformation(
            h, h, zero, h.reshape(1), None, hist.new_full((1,), float(n)), hist, c, t, b, metric
        )
    # masked rows are ignored everywhere (as the batch API): H(Z) from the labelled rows
    h, hc, h_k = information_of_masses(hist[1:], counts, weighting, api, base=b, validate=False)
    # the entropies in float64 (the histograms are float64 sums), the results in z's dtype
    h, hc, h_k, mi = h.to(out_dtype), hc.to(out_dtype), h_k.to(out_dtype), (h - hc).to(out_dtype)
    return TorchInformation(h, hc, mi, h_k, values, counts, hist, c, t, b, metric)


def _select(
    api: str,
    z: Tensor,
    labels: Any,
    n_labels: Any,
    ignore_index: Any,
    mask: Any,
    zero_rows: str,
    metric: str,
) -> tuple[Tensor, Any, Tensor | None]:
    """(z, labels, masked) after masking and the zero-row policy. Labels coded in torch
    (``n_labels`` given, a tensor) are masked in torch: ``masked`` [N] bool on z's device,
    no row copy (torch.compile traces it). Otherwise the kept rows of z (and labels) are
    taken, in the autograd graph, and ``masked`` is None."""
    n = int(z.shape[0])
    masked: Tensor | None = None
    coded = n_labels is not None and isinstance(labels, torch.Tensor)
    if coded and (ignore_index is not None or mask is not None):
        if ignore_index is not None and not isinstance(ignore_index, int):
            fail(api, "ignore_index", "an int with n_labels-coded labels", repr(ignore_index))
        masked = torch.zeros(n, dtype=torch.bool, device=z.device)
        if mask is not None:
            m = (
                mask
                if isinstance(mask, torch.Tensor)
                else torch.as_tensor(check_mask(api, mask, n))
            )
            if m.dtype != torch.bool or m.shape != (n,):
                check_mask(api, m, n)  # the shared message
            masked = masked | ~m.to(z.device)
        if ignore_index is not None:
            masked = masked | (labels.to(z.device) == ignore_index)
        if not _compiling():  # data-dependent: as the host path refuses and warns
            keep = (~masked).cpu().numpy()
            if not keep.any():
                refuse_all_masked(api, n, ignore_index)
            warn_masking(api, keep, labels)
    elif ignore_index is not None or mask is not None:
        keep = keep_rows(api, labels, n, ignore_index=ignore_index, mask=mask)
        warn_masking(api, keep, labels)
        if keep is not None and not keep.all():
            z = z[torch.as_tensor(keep, device=z.device)]
            labels = None if labels is None else _take_labels(labels, keep)
    if metric == "cosine" and zero_rows != "uniform" and not _compiling():
        nz = zero_row_keep(api, z, "cosine", zero_rows)
        if nz is not None:
            z = z[torch.as_tensor(nz, device=z.device)]
            if labels is not None:
                labels = _take_labels(labels, nz)
            if masked is not None:
                masked = masked[torch.as_tensor(nz, device=masked.device)]
    return z, labels, masked


def _take_labels(labels: Any, keep: np.ndarray) -> Any:
    """The kept labels, a tensor staying a tensor on its device."""
    if isinstance(labels, torch.Tensor):
        return labels[torch.as_tensor(keep, device=labels.device)]
    return to_numpy(labels)[keep]


def entropy(z: Tensor, **kwargs: Any) -> Tensor:
    """Differentiable soft-bin entropy H(Z) (0-d tensor in z's dtype, nats; ``base=2``:
    bits). Same keyword arguments as :func:`information` (without labels, weighting and
    ignore_index; ``mask`` selects rows)."""
    for name in ("labels", "weighting", "ignore_index"):
        if name in kwargs:
            fail(
                "torch.entropy",
                name,
                "not given (H(Z) uses no labels)",
                repr(kwargs[name]),
                TypeError,
            )
    return information(z, None, _api="torch.entropy", **kwargs).entropy


def conditional_entropy(z: Tensor, labels: Any, **kwargs: Any) -> Tensor:
    """Differentiable H(Z|L) = Σ_k w_k H(Z | L = k) (0-d tensor in z's dtype, nats).
    Same arguments as :func:`information`."""
    return information(z, labels, _api="torch.conditional_entropy", **kwargs).conditional_entropy


def mutual_information(z: Tensor, labels: Any, **kwargs: Any) -> Tensor:
    """Differentiable I(Z;L) = H(Z) - H(Z|L) (0-d tensor in z's dtype, nats).
    Same arguments as :func:`information`."""
    return information(z, labels, _api="torch.mutual_information", **kwargs).mutual_information
