"""Per-feature kNN mutual information: I(x_j; y) for every column j of x on its own (the
quantity scikit-learn's ``mutual_info_classif`` / ``mutual_info_regression`` return), by
sorting each column (1-D neighbours need no pairs), all columns in parallel.

This is NOT the information of the representation: summed over columns it counts shared
information many times (the joint I(x; y) is :func:`softent.knn.mutual_information`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import digamma

from .._checks import check_base, fail
from .._interop import is_torch, to_numpy
from .._labels import encode_labels
from . import _inputs
from ._kernel import sorted_1d

__all__ = ["feature_mutual_information"]


def feature_mutual_information(
    x: Any,
    y: Any,
    *,
    k: int = 3,
    discrete_y: bool | None = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> Any:
    """I(x_j; y) for each column j of ``x`` [N, D] (or [N]): [D] float64, in units of
    ``base`` (nats by default), in x's library (NumPy, or a CPU tensor).

    Discrete ``y`` (integer, boolean or string labels [N], or ``discrete_y=True``): Ross's
    estimator (Ross 2014, PLoS ONE 9(2):e87357) per column, exactly as scikit-learn's
    ``_compute_mi_cd``: the k_i-th neighbour distance d_i within row i's label (k_i =
    min(k, N_label − 1)), m_i the rows of any label strictly within d_i (self included);
    rows whose label occurs once are left out. Continuous ``y`` [N]: KSG-1 (Kraskov et al.
    2004 eq. 8) per column in the plane (x_j, y) with the max-norm, marginal counts
    strictly within the joint k-th distance (scikit-learn's ``_compute_mi_cc``).

    1-D neighbours by sorting: the k-th distance by walking outwards, counts by exact
    bisection on the float64 difference |x_uj − x_ij| (the same distance as the pair
    kernel's). No noise and no clipping (scikit-learn adds 1e-10 noise and clips at 0:
    :mod:`softent.compat.sklearn` reproduces both). Bias: as the joint estimators, in 1-D
    (small); ties (repeated values) make counts ambiguous — add tiny noise to break them.

    Raises ValueError for k outside [1, N − 1], NaN/Inf, mismatched lengths, a constant y,
    or (Ross) no label with two rows.
    """
    api = "knn.feature_mutual_information"
    base_ = check_base(api, base)
    threads = _inputs.threads(api, num_threads)
    arr = _inputs.float_rows(x, api, "x")
    if is_torch(arr) and arr.device.type != "cpu":
        fail(api, "x", "in host memory (NumPy or a CPU tensor)", f"a tensor on {arr.device}")
    host = np.asarray(to_numpy(arr))
    n = int(host.shape[0])
    if discrete_y is not None and not isinstance(discrete_y, bool):
        fail(api, "discrete_y", "None, True or False", repr(discrete_y), TypeError)
    yarr = np.asarray(to_numpy(y))
    if yarr.ndim == 2 and yarr.shape[1] == 1:
        yarr = yarr[:, 0]
    if yarr.ndim != 1 or yarr.shape[0] != n:
        fail(api, "y", f"one value per row of x ([N] with N={n})", f"shape {yarr.shape}")
    discrete = (yarr.dtype.kind in "iubUSO") if discrete_y is None else discrete_y
    k = _inputs.check_k(api, k, n)
    if discrete:
        if yarr.dtype.kind in "fc":
            if not np.isfinite(yarr).all():
                fail(api, "y", "finite labels", "NaN/Inf")
            yarr = np.unique(yarr, return_inverse=True)[1].astype(np.int64)  # values as labels
        codes = encode_labels(yarr, n, api, "y")
        code = codes.codes.astype(np.int64)
        count_of = np.where(code >= 0, codes.counts[np.maximum(code, 0)], 0)
        keep = np.flatnonzero(count_of > 1)
        if keep.size == 0:
            fail(api, "y", "at least one label with two or more rows", "every label on one row")
        _, m_all = sorted_1d(host[keep], api, groups=code[keep], k=k, num_threads=threads)
        k_of = np.minimum(k, count_of[keep] - 1).astype(np.float64)
        value = (
            float(digamma(keep.size))
            + float(np.mean(digamma(k_of)))
            - float(np.mean(digamma(count_of[keep].astype(np.float64))))
            - np.mean(digamma(m_all.astype(np.float64)), axis=0)
        )
    else:
        ycol = _inputs.float_rows(yarr.astype(np.float64, copy=False), api, "y")
        if n >= 2 and bool((ycol == ycol[0]).all()):
            fail(api, "y", "varying across rows", f"all {n} rows identical")
        common = np.promote_types(host.dtype, ycol.dtype)
        host = host.astype(common, copy=False)
        ys = np.ascontiguousarray(ycol[:, 0], dtype=common)
        rep = np.broadcast_to(ys[:, None], host.shape)
        kth, nx = sorted_1d(host, api, y=rep, k=k, num_threads=threads)
        _, ny = sorted_1d(rep, api, radii=np.nextafter(kth, 0), num_threads=threads)
        value = (
            float(digamma(n))
            + float(digamma(k))
            - np.mean(digamma(nx.astype(np.float64)), axis=0)  # (count - 1) + 1
            - np.mean(digamma(ny.astype(np.float64)), axis=0)
        )
    out = np.asarray(value, dtype=np.float64)
    if base_ != math.e:
        out = out / math.log(base_)
    if is_torch(arr):
        import torch

        return torch.from_numpy(out)
    return out
