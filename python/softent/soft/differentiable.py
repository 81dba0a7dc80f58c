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

from .._checks import check_base, fail
from .._labels import encode_labels
from . import _ops
from .bins import Seed
from .histogram import (
    METRIC_CODES,
    Metric,
    Weighting,
    auto_temperature,
    check_metric,
    check_threads,
    make_bins,
)

_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

#: The most memory (bytes) a differentiable call keeps for its backward: the forward's
#: [N, B] dots when they fit (the backward then skips their GEMM, ~1/3 of its time at
#: D = 768), otherwise nothing (recomputed tile by tile). Either way the extra memory is
#: bounded independently of N. See :func:`set_backward_cache_bytes`.
_backward_cache_bytes = 64 << 20


def set_backward_cache_bytes(nbytes: int) -> int:
    """Set the most memory (bytes, >= 0) that a differentiable softent call keeps between
    forward and backward (default 64 MiB; 0: always recompute). Returns the previous value."""
    global _backward_cache_bytes
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < 0:
        fail("torch.set_backward_cache_bytes", "nbytes", "an int >= 0", repr(nbytes))
    previous, _backward_cache_bytes = _backward_cache_bytes, nbytes
    return previous


@dataclass(frozen=True)
class TorchInformation:
    """Differentiable results of :func:`information` (0-d tensors in units of ``base``).

    ``label_entropies`` [K] tensor (H(Z | L = k)), ``label_values`` [K] NumPy array (None
    under torch.compile), ``counts`` [K] float64 tensor, ``hist`` [1 + K, B] float64 tensor (row 0 all rows, row 1 + k label k),
    ``centres``/``temperature``: the bins used."""

    entropy: Tensor
    conditional_entropy: Tensor
    mutual_information: Tensor
    label_entropies: Tensor
    label_values: np.ndarray | None
    counts: Tensor
    hist: Tensor
    centres: Tensor
    temperature: Tensor


def _entropy_rows(masses: Tensor) -> Tensor:
    """-Σ_b p_b ln p_b over the last axis of p = masses / Σ masses (nats); 0 for an empty
    row. The clamps keep values and gradients finite where a bin's mass underflowed to 0
    (its term and its weight are then 0)."""
    p = masses / masses.sum(-1, keepdim=True).clamp_min(1e-300)
    return -(p * torch.log(p.clamp_min(1e-300))).sum(-1)


def _compiling() -> bool:
    return bool(torch.compiler.is_compiling())


def _check_z(api: str, z: Any) -> Tensor:
    if not isinstance(z, torch.Tensor):
        fail(
            api,
            "z",
            "a torch.Tensor (use softent.information for NumPy arrays)",
            type(z).__name__,
            TypeError,
        )
    if z.dtype not in _FLOATS:
        fail(
            api,
            "z",
            "a floating-point tensor (float16/bfloat16/float32/float64)",
            z.dtype,
            TypeError,
        )
    if z.ndim != 2:
        fail(api, "z", "a 2-D tensor [N, D]", f"shape {tuple(z.shape)}")
    if z.shape[0] == 0 or z.shape[1] == 0:
        fail(api, "z", "non-empty (N >= 1 rows, D >= 1 features)", f"shape {tuple(z.shape)}")
    if z.device.type not in ("cpu", "cuda"):
        fail(api, "z", "on the CPU or a CUDA device", z.device, RuntimeError)
    # float16/bfloat16 are computed in float32; .float() stays in the autograd graph.
    return z if z.dtype in (torch.float32, torch.float64) else z.float()


def _bins(
    api: str, z: Tensor, centres: Any, n_bins: int, metric: str, temperature: Any, seed: Seed
) -> tuple[Tensor, Tensor]:
    """(centres [B, D] in z's dtype and device, possibly requiring grad; T as a 0-d float64
    CPU tensor, possibly requiring grad)."""
    t_tensor = isinstance(temperature, torch.Tensor)
    if isinstance(centres, torch.Tensor):
        if centres.ndim != 2 or centres.shape[1] != z.shape[1] or centres.shape[0] < 1:
            fail(
                api,
                "centres",
                f"[B, D] with B >= 1 and D={z.shape[1]} (the data's dimension)",
                f"shape {tuple(centres.shape)}",
            )
        if centres.dtype not in _FLOATS:
            fail(api, "centres", "a floating-point tensor", centres.dtype, TypeError)
        if not _compiling():  # data-dependent checks: eager only
            if not bool(torch.isfinite(centres).all()):
                fail(api, "centres", "finite (no NaN/Inf)", "non-finite values")
            if metric == "cosine" and not bool((centres.detach().norm(dim=1) > 0).all()):
                fail(api, "centres", "non-zero rows for metric='cosine'", "a zero row")
        c = centres.to(device=z.device, dtype=z.dtype)
        if t_tensor:
            t: Any = temperature
        elif isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
            if not (math.isfinite(temperature) and temperature > 0):
                fail(api, "temperature", "finite and > 0", temperature)
            t = float(temperature)
        elif _compiling():
            fail(
                api,
                "temperature",
                "a float or a tensor under torch.compile ('auto' calibrates in SciPy)",
                repr(temperature),
            )
        elif temperature == "auto":
            t = auto_temperature(metric, centres.detach().double().cpu().numpy())
        else:
            t = make_bins(
                api,
                None,
                z.shape[1],
                centres=centres.detach().cpu(),
                metric=metric,
                temperature=temperature,
            ).temperature
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
        if not _compiling() and not (math.isfinite(tv := float(t.detach())) and tv > 0):
            fail(api, "temperature", "finite and > 0", tv)
        return c, t.reshape(()).to(device="cpu", dtype=torch.float64)
    return c, torch.tensor(float(t), dtype=torch.float64)


@dataclass(frozen=True)
class _Codes:
    """Dense label codes: ``counts`` [K] float64 tensor, ``values`` [K] (NumPy, or None
    under torch.compile where they are 0..K-1)."""

    counts: Tensor
    values: np.ndarray | None

    @property
    def n_labels(self) -> int:
        return int(self.counts.shape[0])


def _slots(
    api: str, labels: Any, n: int, n_labels: int | None, device: torch.device
) -> tuple[Tensor, _Codes | None]:
    """Kernel slots [S, N] int32 (1 + code, or -1 masked) and the codes' counts."""
    if labels is None:
        return torch.zeros((0, n), dtype=torch.int32, device=device), None
    if n_labels is not None:
        # Labels already coded 0..n_labels-1 (-1 masked) as a tensor: all in torch, so
        # torch.compile traces it (the C++ call re-checks the range of every slot).
        if not isinstance(n_labels, int) or isinstance(n_labels, bool) or n_labels < 1:
            fail(api, "n_labels", "None or an int >= 1", repr(n_labels))
        if (
            not isinstance(labels, torch.Tensor)
            or labels.dtype not in (torch.int32, torch.int64)
            or labels.shape != (n,)
        ):
            fail(
                api,
                "labels",
                f"an int tensor of shape ({n},) with values in -1..{n_labels - 1} when n_labels is given",
                f"{type(labels).__name__} {getattr(labels, 'dtype', '')} {tuple(getattr(labels, 'shape', ()))}",
            )
        labels = labels.to(device)
        if not _compiling() and bool(((labels < -1) | (labels >= n_labels)).any()):
            fail(api, "labels", f"in -1..{n_labels - 1} (n_labels={n_labels})", "values outside")
        keep = labels >= 0
        slots = torch.where(keep, labels + 1, -1).to(torch.int32).reshape(1, n)
        counts = torch.zeros(n_labels, dtype=torch.float64, device=device)
        counts = counts.index_add(0, labels.clamp_min(0), keep.to(torch.float64))
        values = None if _compiling() else np.arange(n_labels)
        return slots, _Codes(counts, values)
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    codes = encode_labels(labels, n, api)
    slots = np.where(codes.codes >= 0, codes.codes + 1, -1).astype(np.int32)[None, :]
    counts = torch.as_tensor(codes.counts, dtype=torch.float64, device=device)
    return torch.as_tensor(slots, device=device), _Codes(counts, codes.values)


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
    num_threads: int | None = None,
    _api: str = "torch.information",
) -> TorchInformation:
    """Differentiable H(Z), H(Z|L), I(Z;L) and H(Z | L = k), from one kernel pass.

    Args:
        z: [N, D] tensor (CPU or CUDA; float32/float64, float16/bfloat16 computed in
            float32). Gradients flow to it when it requires grad.
        labels: [N] integers (tensor or array; -1 masks a row everywhere) or strings.
        centres: [B, D] array or tensor (a tensor with ``requires_grad`` gets gradients);
            default as :func:`softent.soft_histogram` (spherical bins for cosine/dot, the
            data box for Euclidean metrics), from ``n_bins`` and ``seed``.
        metric: 'cosine' (default), 'euclidean', 'sqeuclidean', 'dot'.
        temperature: T > 0, 'auto' (see :func:`softent.soft_histogram`), or a 0-d tensor
            (a tensor with ``requires_grad`` gets a gradient).
        base: e (nats, default) or 2 (bits).
        weighting: 'weighted' (w_k = N_k/N, default) or 'uniform' (1/K over the labels
            present) in H(Z|L).
        n_labels: K when ``labels`` is an int tensor already coded 0..K-1 (-1 masked):
            the labels are then handled in torch, as ``torch.compile(fullgraph=True)``
            needs (with tensor ``centres`` and a float or tensor ``temperature``), and
            labels on the GPU never make a host round trip. Labels absent from the data
            get H(Z | L = k) = 0 and weight 0. Without it, labels are encoded on the host.
        num_threads: OpenMP threads for the CPU kernels (default: all).

    Returns:
        :class:`TorchInformation`: 0-d tensors on z's device (float64) in units of ``base``.
    """
    api = _api
    if labels is None and api != "torch.entropy":
        fail(api, "labels", "an [N] array of labels (use softent.torch.entropy for H(Z))", None)
    b = check_base(api, base)
    if weighting not in ("weighted", "uniform"):
        fail(api, "weighting", "'weighted' or 'uniform'", repr(weighting))
    metric = check_metric(api, metric)  # type: ignore[assignment]
    threads = check_threads(api, num_threads)
    z = _check_z(api, z)
    n = int(z.shape[0])
    slots, codes = _slots(api, labels, n, n_labels, z.device)
    c, t = _bins(api, z, centres, n_bins, metric, temperature, seed)
    c_kernel = c / c.norm(dim=1, keepdim=True) if metric == "cosine" else c
    c_kernel = c_kernel.contiguous()
    csq = (c_kernel.to(torch.float64) ** 2).sum(1)
    k = 0 if codes is None else codes.n_labels
    wants_grad = torch.is_grad_enabled() and (
        z.requires_grad or c_kernel.requires_grad or t.requires_grad
    )
    keep_dots = wants_grad and n * c.shape[0] * z.element_size() <= _backward_cache_bytes
    hist = _ops.soft_histogram(
        z, c_kernel, csq, slots, 1.0 / t, 1 + k, METRIC_CODES[metric], threads, keep_dots
    )

    scale = 1.0 / math.log(b)
    if codes is None:
        h = _entropy_rows(hist[0]) * scale
        zero = torch.zeros((), dtype=torch.float64, device=z.device)
        return TorchInformation(
            h, h, zero, h.reshape(1), None, hist.new_full((1,), float(n)), hist, c, t
        )
    per_label = hist[1:]
    # Masked rows are ignored everywhere (as the batch API): H(Z) from the labelled rows.
    h = _entropy_rows(per_label.sum(0)) * scale
    h_k = _entropy_rows(per_label) * scale
    counts = codes.counts
    present = (counts > 0).to(torch.float64)
    w = counts / counts.sum() if weighting == "weighted" else present / present.sum()
    hc = (w * h_k).sum()
    return TorchInformation(h, hc, h - hc, h_k, codes.values, counts, hist, c, t)


def entropy(z: Tensor, **kwargs: Any) -> Tensor:
    """Differentiable soft-bin entropy H(Z) (0-d float64 tensor, nats; ``base=2``: bits).
    Same keyword arguments as :func:`information` (without labels and weighting)."""
    for name in ("labels", "weighting"):
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
    """Differentiable H(Z|L) = Σ_k w_k H(Z | L = k) (0-d float64 tensor, nats).
    Same arguments as :func:`information`."""
    return information(z, labels, _api="torch.conditional_entropy", **kwargs).conditional_entropy


def mutual_information(z: Tensor, labels: Any, **kwargs: Any) -> Tensor:
    """Differentiable I(Z;L) = H(Z) - H(Z|L) (0-d float64 tensor, nats).
    Same arguments as :func:`information`."""
    return information(z, labels, _api="torch.mutual_information", **kwargs).mutual_information
