"""THE plain reference of the soft-bin estimator, in NumPy and in torch.

    score s_ib = −‖z_i − c_b‖ (euclidean), −‖z_i − c_b‖² (sqeuclidean),
                 ẑ_i·ĉ_b (cosine: unit rows), z_i·c_b (dot)
    q_ib = softmax_b(s_ib / T)                            soft assignment of row i
    p_b  = Σ_i q_ib / N,  p_kb = Σ_{i: l_i = k} q_ib / N_k  bin masses, overall and per label
    H(Z) = −Σ_b p_b ln p_b;  H(Z|L) = Σ_k w_k H(Z|L=k) with w_k = N_k / N ('weighted')
                             or 1 / K ('uniform');  I(Z;L) = H(Z) − H(Z|L)   (nats)

Rows labelled −1 are masked (left out of every sum). Everything is materialised (the
N x B scores and assignments): slow and simple on purpose, the kernels are checked
against it; the benchmarks time it as the "plain formula" baseline.

- NumPy: :func:`scores`, :func:`assignments`, :func:`masses`, :func:`shannon`,
  :func:`entropy`, :func:`information`. float64 by default (the tests); ``dtype=`` keeps
  the scores and assignments in another dtype (the benchmarks pass float32, the dtype
  of the activations), the masses and entropies are float64 in any case.
- torch: :func:`torch_scores`, :func:`torch_entropy`, :func:`torch_information`: the same
  formula with torch ops in the input's dtype, differentiable (the autograd tests
  compare softent.torch's gradients with theirs; the benchmarks time them as plain torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

METRICS = ("cosine", "euclidean", "sqeuclidean", "dot")

# ----------------------------------------------------------------------------- NumPy


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows divided by their norm; zero rows stay zero."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def scores(z: Any, centres: Any, metric: str, dtype: Any = np.float64) -> np.ndarray:
    """[N, B] scores in ``dtype``; distances by the expansion ‖z‖² − 2 z·c + ‖c‖² (one
    matmul), clamped at 0."""
    z = np.asarray(z, dtype=dtype)
    c = np.asarray(centres, dtype=np.float64)
    if metric == "cosine":
        return _unit_rows(z) @ _unit_rows(c).astype(dtype).T
    c = c.astype(dtype)
    if metric == "dot":
        return z @ c.T
    if metric not in ("euclidean", "sqeuclidean"):
        raise ValueError(metric)
    sq = (z * z).sum(axis=1, keepdims=True) - 2 * (z @ c.T) + (c * c).sum(axis=1)
    np.maximum(sq, 0, out=sq)
    return -np.sqrt(sq) if metric == "euclidean" else -sq


def assignments(z: Any, centres: Any, metric: str, temperature: float, dtype: Any = np.float64):
    """[N, B] soft assignments q = softmax(scores / T) over the bins, in ``dtype``."""
    s = scores(z, centres, metric, dtype)
    s /= s.dtype.type(temperature)
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s


def masses(q: np.ndarray, labels: Any = None):
    """(total [B], label values [K], per-label masses [K, B], counts [K]), float64 sums
    over the rows; without labels (total, None, None, None). Rows labelled −1 are left
    out of every sum."""
    if labels is None:
        return q.sum(axis=0, dtype=np.float64), None, None, None
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu":
        keep = labels != -1
        if not keep.all():
            q, labels = q[keep], labels[keep]
    values, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    counts = np.bincount(codes, minlength=len(values))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    order = np.argsort(codes, kind="stable")
    per_label = np.add.reduceat(q[order], starts, axis=0, dtype=np.float64)
    return q.sum(axis=0, dtype=np.float64), values, per_label, counts


def shannon(p: np.ndarray):
    """Shannon entropy (nats) of the masses ``p`` (normalised here) along the last axis;
    a float for one distribution."""
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(p > 0, -p * np.log(p), 0.0).sum(axis=-1)
    return float(h) if h.ndim == 0 else h


def entropy(z: Any, centres: Any, metric: str, temperature: float, dtype: Any = np.float64):
    """H(Z) in nats."""
    return shannon(masses(assignments(z, centres, metric, temperature, dtype))[0])


def information(
    z: Any,
    labels: Any,
    centres: Any,
    metric: str,
    temperature: float,
    weighting: str = "weighted",
    dtype: Any = np.float64,
):
    """(H(Z), H(Z|L), I(Z;L), {label: H(Z|L=label)}) in nats; label −1 is masked."""
    q = assignments(z, centres, metric, temperature, dtype)
    total, values, per_label, counts = masses(q, labels)
    h, hk = shannon(total), shannon(per_label)
    w = counts / counts.sum() if weighting == "weighted" else np.full(len(counts), 1 / len(counts))
    hc = float(np.dot(w, hk))
    return h, hc, h - hc, dict(zip(values, hk.tolist(), strict=True))


# ----------------------------------------------------------------------------- torch


def torch_scores(z, c, metric: str):
    """[N, B] scores, torch, in z's dtype (``torch.cdist`` for the Euclidean distance)."""
    import torch

    if metric == "euclidean":
        return -torch.cdist(z, c)
    if metric == "sqeuclidean":
        return -((z[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    if metric == "cosine":
        return torch.nn.functional.normalize(z, dim=1) @ torch.nn.functional.normalize(c, dim=1).T
    if metric == "dot":
        return z @ c.T
    raise ValueError(metric)


def _torch_shannon(m):
    """Entropy (nats) of the masses ``m`` along the last axis (0 ln 0 = 0)."""
    import torch

    p = m / m.sum(-1, keepdim=True)
    return -(p * torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))).sum(-1)


def torch_entropy(z, c, metric: str, t):
    """H(Z) in nats, a 0-d tensor (differentiable)."""
    import torch

    return _torch_shannon(torch.softmax(torch_scores(z, c, metric) / t, dim=1).sum(0))


def torch_information(z, labels, c, metric: str, t, weighting: str = "weighted"):
    """(H, H(Z|L), I, H(Z|L=k) [K]) in nats as tensors (differentiable; label −1 masked);
    the per-label masses by ``index_add`` over the label codes."""
    import torch

    q = torch.softmax(torch_scores(z, c, metric) / t, dim=1)
    keep = labels >= 0
    if not bool(keep.all()):
        q, labels = q[keep], labels[keep]
    values, codes, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    per = torch.zeros((len(values), q.shape[1]), dtype=q.dtype, device=q.device).index_add(
        0, codes, q
    )
    h, hk = _torch_shannon(q.sum(0)), _torch_shannon(per)
    counts = counts.to(q.dtype)
    w = (
        counts / counts.sum()
        if weighting == "weighted"
        else torch.full_like(counts, 1 / len(values))
    )
    hc = (w * hk).sum()
    return h, hc, h - hc, hk
