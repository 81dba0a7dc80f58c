"""The peer packages (nam-entropy, soft-entropy) behind one calling convention.

Each ``*_candidate`` function returns ``(fn, note)``: ``fn()`` computes (H, H(Z|L), I) in
nats on the given data (NaN for what a task does not ask), ``note`` says which of the
peer's code paths it runs. The peers are imported only when a function is called (both
are slow to import), with their import-time warnings silenced; :func:`available` tells
whether one is importable without importing it. Install them apart from softent (see
shared/PEERS.md), e.g. in a venv created with ``--system-site-packages``.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

MODULES = {"soft-entropy": "soft_entropy", "nam-entropy": "nam_entropy"}


def available(peer: str) -> bool:
    """True when the peer ('soft-entropy' or 'nam-entropy') can be imported."""
    return importlib.util.find_spec(MODULES[peer]) is not None


def load(module: str) -> Any:
    """Import a peer module with its import-time warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(module)


def _nats(efficiency: float, n_bins: int) -> float:
    """soft-entropy divides every output by ln B ("efficiency"): back to nats."""
    return float(efficiency) * math.log(n_bins)


# ----------------------------------------------------------------------------- soft-entropy 0.1.5


def soft_entropy_oneshot(
    z: np.ndarray, labels: np.ndarray | None, n_bins: int, seed: int = 0, backend: str = "numpy"
) -> tuple[Callable[[], Any], str]:
    """soft-entropy's one-shot functions: ``soft_entropy(z, n_bins, seed)`` without labels,
    ``soft_mutual_information(z, labels, n_bins, seed)`` with them (numpy backend: its
    reference points are default_rng(seed).standard_normal((B, D)) normalised, its
    temperature find_eps(B, D)). The MI call computes H(Z) and every H(Z | L = k) but
    returns only I; the candidate returns (nan, nan, I) in nats."""
    mod = load(f"soft_entropy.{'numpy' if backend == 'numpy' else 'pytorch'}")
    if backend == "numpy":
        zz, ll = z, labels
        kw: dict[str, Any] = {"seed": seed}
    else:
        import torch

        zz = torch.from_numpy(np.ascontiguousarray(z))
        ll = None if labels is None else torch.from_numpy(np.ascontiguousarray(labels))
        kw = {}  # its torch MI has no seed (and draws other points than the numpy backend)
    if labels is None:
        return (
            lambda: (_nats(mod.soft_entropy(zz, n_bins, **kw), n_bins), math.nan, math.nan)
        ), f"soft_entropy.{backend} soft_entropy (one shot)"
    return (
        lambda: (
            math.nan,
            math.nan,
            _nats(mod.soft_mutual_information(zz, ll, n_bins, **kw), n_bins),
        )
    ), f"soft_entropy.{backend} soft_mutual_information (one shot; reruns soft_entropy per label)"


def soft_entropy_accumulator(
    z: np.ndarray,
    labels: np.ndarray | None,
    n_bins: int,
    seed: int = 0,
    backend: str = "numpy",
    chunk: int | None = None,
) -> tuple[Callable[[], Any], str]:
    """soft-entropy's ``SoftEntropyAccumulator(d, n_bins, seed, backend)``: a fresh one per
    call, ``update(z_chunk, labels_chunk)`` over chunks of ``chunk`` rows (None: one
    update with everything), then ``entropy()`` and ``mutual_information()``; returns
    (H, H(Z|L), I) in nats."""
    se = load("soft_entropy")
    n = z.shape[0]
    step = n if not chunk else int(chunk)
    if backend == "torch":
        import torch

        zz = torch.from_numpy(np.ascontiguousarray(z))
        ll = None if labels is None else torch.from_numpy(np.ascontiguousarray(labels))
    else:
        zz, ll = z, labels

    def fn() -> tuple[float, float, float]:
        acc = se.SoftEntropyAccumulator(z.shape[1], n_bins=n_bins, seed=seed, backend=backend)
        for i in range(0, n, step):
            acc.update(zz[i : i + step], None if ll is None else ll[i : i + step])
        h = _nats(acc.entropy(), n_bins)
        if ll is None:
            return h, math.nan, math.nan
        mi = _nats(acc.mutual_information()["labels"], n_bins)
        return h, h - mi, mi

    rows = "all rows in one update" if step >= n else f"updates of {step} rows"
    return fn, f"soft_entropy SoftEntropyAccumulator(backend={backend!r}), {rows}"


# ----------------------------------------------------------------------------- nam-entropy 0.2.0


def nam_information(
    z: np.ndarray,
    labels: np.ndarray,
    centres: np.ndarray,
    temperature: float,
    chunk: int = 8192,
    max_bytes: int | None = None,
) -> tuple[Callable[[], Any], str]:
    """nam-entropy, Euclidean (-|z - c|, softmax(score / T)) with our centres and 10 labels.

    Its batch call ``compute_all_entropy_measures(z, idx, label_list, B, dist_fn='euclidean',
    smoothing_fn='softmax', smoothing_temp=T, online_bins=C.view(B, 1, D))`` expands the
    centres N times inside ``torch.cdist`` (~8·N·B·D bytes); when that exceeds
    ``max_bytes`` (default 2 GiB) its ``EntropyAccumulator`` (nam_entropy.h; the same
    scoring, with ``bins`` set to our centres) is fed chunks of ``chunk`` rows, reduced
    so that one chunk stays within ``max_bytes``. Returns (H, H(Z|L), I) in nats.
    """
    import torch

    nam = load("nam_entropy")
    n, d = z.shape
    b = centres.shape[0]
    values, codes = np.unique(labels, return_inverse=True)
    label_list = [str(v) for v in values]
    zt = torch.from_numpy(np.ascontiguousarray(z))
    idx = torch.from_numpy(codes.reshape(-1).astype(np.int64))
    bins = torch.as_tensor(np.asarray(centres), dtype=zt.dtype).view(b, 1, d)
    budget = int(max_bytes or (2 << 30))
    per_row = 8 * b * d  # cdist's expanded [rows, 1, B, D] float32 input and its gradient-free copy
    kw = {"dist_fn": "euclidean", "smoothing_fn": "softmax", "smoothing_temp": float(temperature)}

    if n * per_row <= budget:

        def batch() -> tuple[float, float, float]:
            out = nam.compute_all_entropy_measures(
                zt, idx, label_list, b, n_heads=1, online_bins=bins, **kw
            )
            m = out["output_metrics"]
            return m["entropy"], m["conditional_entropy"], m["mutual_information"]

        return batch, "nam_entropy compute_all_entropy_measures (batch, online_bins=C.view(B,1,D))"

    step = max(1, min(int(chunk), budget // per_row))

    def accumulate() -> tuple[float, float, float]:
        acc = nam.EntropyAccumulator(
            b, label_list, embedding_dim=d, n_heads=1, bin_type="uniform", **kw
        )
        acc.bins = bins  # our centres (as from_state_dict restores them)
        for i in range(0, n, step):
            acc.update(zt[i : i + step], idx[i : i + step])
        m = acc.compute_metrics()["output_metrics"]
        return m["entropy"], m["conditional_entropy"], m["mutual_information"]

    return (
        accumulate,
        f"nam_entropy EntropyAccumulator, updates of {step} rows (the batch call would need ~{n * per_row / 2**30:.1f} GiB)",
    )
