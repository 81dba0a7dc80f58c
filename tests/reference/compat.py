"""Plain references of what the peer front doors (softent.compat.soft_entropy and
softent.compat.nam_entropy) compute, written from the peers' definitions (docs/coming-from/)
on top of the plain soft-bin formula of :mod:`reference.soft`: nothing here calls softent.

soft-entropy 0.1.5 (Conklin 2025, arXiv:2505.23960, §5.4):

    w_b  = g_b / ‖g_b‖,  g = default_rng(seed).standard_normal((B, D))   reference points
    ε    = root in [1e-5, 1] of Ψ⁻(ε, D) = ln B, with κ = 1/ε, ν = D/2 − 1, h = D/2,
           Ψ⁻ = κ²/(h + √(κ²+h²)) − [√(κ²+ν²) − ν + ν ln((D−2)/(ν+√(κ²+ν²)))]
    H    = −Σ_b p_b ln p_b / ln B,  p = mean_i softmax(cos(z_i, w) / ε)   ("efficiency")
    I    = [H(Z) − Σ_k (N_k/N) H(Z | L = k)]  (each already / ln B)

nam-entropy 0.2.0: q_ib = softmax_b(score(z_i, c_b) / T) with score −‖z − c‖, cos, 25 cos
or ⟨z, c⟩; p_b = mean_i q_ib; H, H(Z|L), I in nats; the per-label distributions are the
per-label means; empty labels have weight 0 and no entropy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq

from reference import soft

# --------------------------------------------------------------------------- soft-entropy


def psi_minus(eps: float, d: int) -> float:
    """soft-entropy's lower bound Ψ⁻(ε, d) of KL(vMF(1/ε) ‖ uniform on S^{d−1})."""
    kappa, nu, h = 1.0 / eps, d / 2.0 - 1.0, d / 2.0
    root = math.sqrt(kappa * kappa + nu * nu)
    return kappa * kappa / (h + math.sqrt(kappa * kappa + h * h)) - (
        root - nu + nu * math.log((d - 2.0) / (nu + root))
    )


def find_eps(m: int, d: int) -> float:
    """The root of Ψ⁻(ε, d) = ln m on [1e-5, 1] (d > 2)."""
    return brentq(lambda e: psi_minus(e, d) - math.log(m), 1e-5, 1.0, xtol=1e-15, rtol=1e-15)


def numpy_points(n_bins: int, d: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed).standard_normal((n_bins, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def soft_entropy(z: Any, n_bins: int, eps: float, centres: Any) -> float:
    """H(Z) / ln B (exact −p ln p, no clipping)."""
    return soft.entropy(z, centres, "cosine", eps) / math.log(n_bins)


def soft_mutual_information(z: Any, labels: Any, n_bins: int, eps: float, centres: Any) -> float:
    """I(Z; L) / ln B with every distinct label value (−1 included) a label."""
    labels = np.asarray(labels)
    h = soft_entropy(z, n_bins, eps, centres)
    hc = 0.0
    for value in np.unique(labels):
        mask = labels == value
        hc += mask.mean() * soft_entropy(np.asarray(z)[mask], n_bins, eps, centres)
    return h - hc


# --------------------------------------------------------------------------- nam-entropy

#: nam-entropy dist_fn -> (reference.soft metric, factor on the scores)
DIST_FNS = {
    "euclidean": ("euclidean", 1.0),
    "cosine": ("cosine", 1.0),
    "cosine_5": ("cosine", 25.0),
    "dot": ("dot", 1.0),
}


def nam_assignments(z: Any, centres: Any, dist_fn: str, temperature: float) -> np.ndarray:
    """[N, B] q = softmax(score / T) in float64; T = 0: the one-hot argmax
    (``smoothing_fn='discrete'``)."""
    metric, factor = DIST_FNS[dist_fn]
    if temperature == 0:
        s = soft.scores(z, centres, metric)
        return np.eye(s.shape[1])[s.argmax(axis=1)]
    return soft.assignments(z, centres, metric, temperature / factor)


def nam_measures(
    z: Any,
    index: Any,
    n_labels: int,
    centres: Any,
    dist_fn: str,
    temperature: float,
    weighting: str = "weighted",
) -> dict[str, Any]:
    """{'entropy', 'conditional_entropy', 'mutual_information', 'label_entropies' [K]
    (None for a label without rows), 'p_total' [B], 'p_by_label' [K, B] (zero rows for
    empty labels)} in nats."""
    q = nam_assignments(z, centres, dist_fn, temperature)
    index = np.asarray(index)
    p_total = q.mean(axis=0)
    h = soft.shannon(p_total)
    label_h: list[float | None] = [None] * n_labels
    p_by = np.zeros((n_labels, q.shape[1]))
    counts = np.bincount(index, minlength=n_labels)
    for k in range(n_labels):
        if counts[k]:
            p_by[k] = q[index == k].mean(axis=0)
            label_h[k] = soft.shannon(p_by[k])
    present = [k for k in range(n_labels) if counts[k]]
    if weighting == "weighted":
        hc = sum(counts[k] / len(index) * label_h[k] for k in present)
    else:
        hc = sum(label_h[k] for k in present) / len(present)
    return {
        "entropy": h,
        "conditional_entropy": float(hc),
        "mutual_information": h - float(hc),
        "label_entropies": label_h,
        "p_total": p_total,
        "p_by_label": p_by,
    }
