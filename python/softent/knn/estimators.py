"""k-nearest-neighbour information estimators of continuous representations: the
Kozachenko–Leonenko entropy, Kraskov–Stögbauer–Grassberger (KSG) mutual information, Ross's
mutual information between continuous rows and discrete labels, and the Frenzel–Pompe
conditional mutual information. All of them joint over every column (not per feature),
on the exact tiled neighbour kernel of :mod:`softent.knn.neighbours`.

Units: nats by default (``base=2``: bits). NumPy in -> Python float; torch in (CPU or CUDA)
-> a 0-d tensor on the same device (CUDA tensors run on the CUDA kernel when built).

These estimators are not sums over rows: they cannot be streamed or merged; estimate on a
subsample when N is too large.

Ties. The formulas assume distinct distances; repeated rows (distance 0) or repeated values
make neighbours tie. Ties are resolved deterministically (exact float64 distances; of
equidistant rows the lower index is the nearer), and ``noise=`` adds scikit-learn's tiny
jitter, ``noise * max(1, mean|column|) * N(0, 1)`` drawn from
``numpy.random.default_rng(seed)``, to a copy of the inputs (default 0: off, so a result
is a function of the data alone). scikit-learn and NPEET always add such noise
(1e-10 scaled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from .._checks import check_base, check_choice, check_int, check_seed, fail
from .._interop import is_torch, scalar_like, take_rows, to_numpy
from .._labels import encode_labels
from .._stats import NullSummary, permutation_pvalue
from . import _inputs
from ._kernel import group_count, knn, radius_count, sorted_1d

__all__ = [
    "KnnInformation",
    "PermutationTest",
    "conditional_mutual_information",
    "entropy",
    "information",
    "mutual_information",
    "permutation_test",
]

ESTIMATORS = ("ksg1", "ksg2", "ross")


@dataclass(frozen=True, repr=False)
class KnnInformation:
    """One kNN estimate, in units of ``base``.

    ``value``: the estimate (float, or a 0-d tensor for torch input); ``quantity``:
    'entropy', 'mutual_information' or 'conditional_mutual_information'; ``estimator``:
    'kozachenko-leonenko', 'ksg1', 'ksg2', 'ross' or 'frenzel-pompe'; ``k``; ``metric``;
    ``n``: rows used (Ross: rows whose label occurs more than once); ``n_labels`` (Ross;
    else 0); ``base``.
    """

    value: Any
    quantity: str
    estimator: str
    k: int
    metric: str
    n: int
    n_labels: int
    base: float

    @property
    def unit(self) -> str:
        return {math.e: "nats", 2.0: "bits"}.get(float(self.base), f"log base {self.base:g}")

    def __repr__(self) -> str:
        labels = f", labels={self.n_labels}" if self.n_labels else ""
        return (
            f"KnnInformation({self.quantity}={float(self.value):.4g} {self.unit}, "
            f"{self.estimator}, k={self.k}, {self.metric}, N={self.n}{labels})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "value": float(self.value),
            "quantity": self.quantity,
            "estimator": self.estimator,
            "k": self.k,
            "metric": self.metric,
            "n": self.n,
            "n_labels": self.n_labels,
            "base": self.base,
            "unit": self.unit,
        }


# ----------------------------------------------------------------------------- helpers
def _out(value_nats: float, like: Any, base: float) -> Any:
    v = value_nats if base == math.e else value_nats / math.log(base)
    return scalar_like(like, v) if is_torch(like) else float(v)


def _common(api: str, base: Any, num_threads: Any) -> tuple[float, int]:
    return check_base(api, base), _inputs.threads(api, num_threads)


def _hstack(parts: list[Any]) -> Any:
    """Columns side by side in one array of the parts' library and common float dtype."""
    if is_torch(parts[0]):
        import torch

        dtype = torch.float64 if any(p.dtype == torch.float64 for p in parts) else torch.float32
        return torch.cat([p.to(dtype) for p in parts], dim=1).contiguous()
    dtype = np.result_type(*[p.dtype for p in parts])
    return np.hstack([np.asarray(p, dtype=dtype) for p in parts])


def _same_library(api: str, x: Any, name: str, other: Any) -> Any:
    """``other`` in x's library and device (NumPy data next to a tensor becomes a tensor)."""
    if is_torch(x) and not is_torch(other):
        import torch

        try:
            a = np.asarray(other)
        except ValueError:  # a ragged sequence
            a = np.asarray(None)
        if a.dtype.kind not in "biufc" or a.dtype.itemsize > 8:  # what torch reads
            fail(api, name, "numeric values of at most 64 bits", f"dtype {a.dtype}", TypeError)
        # torch reads native byte order and non-negative strides only, and warns on a
        # read-only array: a (small) native, contiguous, writable copy
        a = np.array(a, dtype=a.dtype.newbyteorder("="), order="C", copy=True)
        return torch.as_tensor(a, device=x.device)
    if not is_torch(x) and is_torch(other):
        fail(api, name, "a NumPy array when x is one", "a torch tensor", TypeError)
    return other


def _varies(api: str, name: str, a: Any) -> None:
    """Refuse an argument whose N rows are all identical (every distance 0)."""
    if int(a.shape[0]) >= 2 and _constant_columns(a).size == int(a.shape[1]):
        fail(api, name, "varying across rows", f"all {int(a.shape[0])} rows identical")


def _constant_columns(a: Any) -> np.ndarray:
    """Indices of the columns of ``a`` [N, D] (finite) holding one value, computed in a's
    library from the columns' max and min: [D] temporaries, never [N, D]."""
    same = a.amax(dim=0) == a.amin(dim=0) if is_torch(a) else a.max(axis=0) == a.min(axis=0)
    return np.flatnonzero(to_numpy(same))


def _sklearn_radius(r: np.ndarray) -> np.ndarray:
    """The largest float64 below r (0 stays 0): counting d <= it is counting d < r for
    r > 0 and d == 0 for r == 0 (scikit-learn's ``np.nextafter(radius, 0)``)."""
    return np.nextafter(r, 0)


def _mean_digamma(values: Any) -> float:
    return float(np.mean(digamma(np.asarray(to_numpy(values), dtype=np.float64))))


def _prepare(api: str, arrays: dict[str, Any], noise: Any, seed: Any) -> dict[str, Any]:
    """Validated rows of every argument (equal N, x's library), noise added to copies when
    asked (argument j draws from the stream (seed, j))."""
    out: dict[str, Any] = {}
    first = None
    for j, (name, a) in enumerate(arrays.items()):
        arr = _inputs.float_rows(
            a if first is None else _same_library(api, first, name, a), api, name
        )
        if first is None:
            first = arr
        else:
            _inputs.same_rows(api, int(first.shape[0]), name, arr)
        out[name] = _inputs.add_noise(arr, noise, seed, api, stream=j)
    return out


# ----------------------------------------------------------------------------- entropy
def _log_unit_ball(metric: str, d: int) -> float:
    """log V_d of the metric's unit ball: pi^(d/2) / Gamma(d/2 + 1) (euclidean), 2^d
    (max-norm: the cube of half-width 1)."""
    if metric == "chebyshev":
        return d * math.log(2.0)
    return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))


def entropy(
    x: Any,
    *,
    k: int = 3,
    metric: str = "euclidean",
    base: float = math.e,
    noise: float = 0.0,
    seed: int = 0,
    num_threads: int | None = None,
) -> Any:
    """Differential entropy H(X) of the rows of ``x`` [N, D] by the Kozachenko–Leonenko
    estimator (Kozachenko & Leonenko 1987, Probl. Inf. Transm. 23(2):95–101; in the form of
    Kraskov, Stögbauer & Grassberger 2004, Phys. Rev. E 69:066138, eq. 20):

        H = ψ(N) − ψ(k) + log V_D + (D/N) Σ_i log ε_i

    with ε_i the distance from row i to its k-th nearest other row and V_D the volume of
    the metric's unit ball (π^{D/2}/Γ(D/2+1) for 'euclidean', 2^D for 'chebyshev').

    ``metric`` defaults to 'euclidean': rotation-invariant (a representation's basis is
    arbitrary) and screened by GEMM, the fast path for wide rows. Units of ``base`` (nats
    by default). Bias: consistent, but at finite N biased, increasingly with D (the
    estimator assumes a density constant over each k-ball: Kraskov et al. 2004 §II.A; Gao,
    Oh & Viswanath 2018, IEEE Trans. Inf. Theory 64(8)); a larger k lowers the variance and
    raises the bias.

    Raises ValueError for k outside [1, N - 1], NaN/Inf, a constant column (differential
    entropy −∞) or repeated rows within k neighbours (ε_i = 0: pass ``noise=1e-10``).
    """
    api = "knn.entropy"
    base_, threads = _common(api, base, num_threads)
    metric = _inputs.check_metric(api, metric)
    arr = _prepare(api, {"x": x}, noise, seed)["x"]
    n, d = int(arr.shape[0]), int(arr.shape[1])
    k = _inputs.check_k(api, k, n)
    constant = _constant_columns(arr)
    if constant.size:
        fail(
            api,
            "x",
            "without constant columns (their differential entropy is -inf)",
            f"column {int(constant[0])} constant",
        )
    dist, _, _, _ = knn(arr, k, metric, api, indices=False, num_threads=threads)
    eps = _inputs.host_float64(dist)[:, k - 1]
    if (eps <= 0).any():
        i = int(np.flatnonzero(eps <= 0)[0])
        fail(
            api,
            "x",
            f"free of rows repeated within k={k} neighbours (pass noise=1e-10 to break ties)",
            f"row {i} at distance 0 from its {k}-th neighbour",
        )
    h = (
        float(digamma(n))
        - float(digamma(k))
        + _log_unit_ball(metric, d)
        + d * float(np.mean(np.log(eps)))
    )
    return _out(h, arr, base_)


# ----------------------------------------------------------------------------- mutual information
def _is_discrete(y: Any) -> bool:
    """Integer, boolean or string labels ([N] or [N, 1]) are discrete; floats are not."""
    if is_torch(y):
        return not (y.is_floating_point() or y.is_complex()) and (
            y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
        )
    try:
        a = np.asarray(y)
    except ValueError:  # a ragged sequence: not labels (float_rows refuses it)
        return False
    one_column = a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)
    return one_column and (a.dtype.kind in "iubUST" or a.dtype == object)


def _labels_of(api: str, y: Any, n: int) -> np.ndarray:
    """Discrete ``y`` as a host 1-D array of N labels ([N, 1] flattened)."""
    lab = np.asarray(to_numpy(y))
    if lab.ndim == 2 and lab.shape[1] == 1:
        lab = lab[:, 0]
    if lab.ndim != 1:
        fail(api, "y", f"one label per row of x ([N] with N={n})", f"shape {lab.shape}")
    if lab.shape[0] != n:
        fail(api, "y", f"one label per row of x (N={n})", f"length {lab.shape[0]}")
    if lab.dtype.kind in "fc":
        _, inverse = np.unique(lab, return_inverse=True)  # discrete_y=True on float labels
        if lab.dtype.kind == "f" and not np.isfinite(lab).all():
            fail(api, "y", "finite labels", "NaN/Inf")
        lab = inverse.astype(np.int64)
    return lab


def _ross(
    api: str, x: Any, labels: Any, k: int, metric: str, threads: int
) -> tuple[float, int, int]:
    """(I in nats, rows used, labels used) by Ross 2014 as scikit-learn's _compute_mi_cd,
    joint over x's columns: rows whose label occurs once are left out."""
    n = int(x.shape[0])
    codes = encode_labels(_labels_of(api, labels, n), n, api, "y")
    code = codes.codes.astype(np.int64)
    count_of = np.where(code >= 0, codes.counts[np.maximum(code, 0)], 0)
    keep = np.flatnonzero(count_of > 1)
    if keep.size == 0:
        fail(
            api,
            "y",
            "at least one label with two or more rows (labels seen once are left out)",
            f"{codes.n_labels} labels, each on one row",
        )
    k_of = np.minimum(k, count_of - 1).astype(np.float64)
    host = not (is_torch(x) and x.device.type != "cpu")
    if int(x.shape[1]) == 1:
        # one column: sorting, not pairs (params/knn.h sorted_1d, host or CUDA)
        col = take_rows(x, keep)
        _, m_all = sorted_1d(col, api, groups=code[keep], k=k, num_threads=threads)
        return (
            _ross_value(keep.size, k_of[keep], count_of[keep], m_all[:, 0]),
            int(keep.size),
            int((codes.counts > 1).sum()),
        )
    if host:
        # host rows: both numbers in one pass over the pairs of rows (params/knn.h
        # knn_group_count), each pair screened once
        _, m_all, _ = group_count(
            x, np.maximum(code, 0), k, metric, api, rows=keep, num_threads=threads
        )
        return (
            _ross_value(keep.size, k_of[keep], count_of[keep], m_all),
            int(keep.size),
            int((codes.counts > 1).sum()),
        )
    radius = np.empty(n)
    for label in np.flatnonzero(codes.counts > 1):
        rows = np.flatnonzero(code == label)
        kl = min(k, rows.shape[0] - 1)
        dist, _, _, _ = knn(x, kl, metric, api, rows=rows, indices=False, num_threads=threads)
        radius[rows] = _inputs.host_float64(dist)[:, kl - 1]
    m_all = radius_count(
        x,
        _sklearn_radius(radius[keep]),
        metric,
        api,
        strict=False,
        include_self=True,
        rows=keep,
        num_threads=threads,
    )
    mi = _ross_value(keep.size, k_of[keep], count_of[keep], m_all)
    return mi, int(keep.size), int((codes.counts > 1).sum())


def _ross_value(n: int, k_of: np.ndarray, count_of: np.ndarray, m_all: Any) -> float:
    """Ross 2014 eq. (scikit-learn's _compute_mi_cd): ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{y_i})⟩ − ⟨ψ(m_i)⟩."""
    return (
        float(digamma(n))
        + float(np.mean(digamma(k_of)))
        - float(np.mean(digamma(count_of.astype(np.float64))))
        - _mean_digamma(m_all)
    )


def _marginal_counts(
    api: str,
    space: Any,
    radii: np.ndarray,
    metric: str,
    blocks: list[int] | None,
    threads: int,
    strict: bool,
    names: tuple[str, ...],
) -> np.ndarray:
    """Rows other than i within radii[i] of row i in ``space``: strictly closer (KSG-1,
    Frenzel–Pompe: d <= nextafter(r, 0), which is d < r for r > 0 and d == 0 for r == 0,
    as scikit-learn counts) or not farther (KSG-2)."""
    r = _sklearn_radius(radii) if strict else radii
    if int(space.shape[1]) == 1:
        # one column: sorting and exact bisection instead of pairs (host or CUDA)
        _, c = sorted_1d(space, api, radii=r[:, None], num_threads=threads)
        return _inputs.host_float64(c)[:, 0] - 1.0  # self excluded
    counts = radius_count(
        space,
        r,
        metric,
        api,
        strict=False,
        include_self=False,
        blocks=blocks,
        num_threads=threads,
        names=names,
    )
    return _inputs.host_float64(counts)


def _ksg(api: str, x: Any, y: Any, k: int, metric: str, estimator: str, threads: int) -> float:
    n = int(x.shape[0])
    dx, dy = int(x.shape[1]), int(y.shape[1])
    joint = _hstack([x, y])
    second = estimator == "ksg2"
    dist, _, per_block, _ = knn(
        joint,
        k,
        metric,
        api,
        blocks=[dx, dx + dy],
        indices=False,
        block_distances=second,
        num_threads=threads,
        names=("x", "y"),
    )
    if not second:
        eps = _inputs.host_float64(dist)[:, k - 1]
        nx = _marginal_counts(api, x, eps, metric, None, threads, True, ("x",))
        ny = _marginal_counts(api, y, eps, metric, None, threads, True, ("y",))
        return float(
            digamma(k) + digamma(n) - np.mean(digamma(nx + 1.0)) - np.mean(digamma(ny + 1.0))
        )
    pb = _inputs.host_float64(per_block)
    ex, ey = pb[:, :, 0].max(axis=1), pb[:, :, 1].max(axis=1)
    nx = _marginal_counts(api, x, ex, metric, None, threads, False, ("x",))
    ny = _marginal_counts(api, y, ey, metric, None, threads, False, ("y",))
    return float(digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny)))


def mutual_information(
    x: Any,
    y: Any,
    *,
    k: int = 3,
    estimator: str | None = None,
    metric: str | None = None,
    discrete_y: bool | None = None,
    base: float = math.e,
    noise: float = 0.0,
    seed: int = 0,
    num_threads: int | None = None,
) -> Any:
    """I(X; Y) of the rows of ``x`` [N, Dx] and ``y``, joint over all columns.

    Continuous ``y`` [N, Dy] (or [N]): the KSG estimators (Kraskov, Stögbauer & Grassberger
    2004, Phys. Rev. E 69:066138) in the joint space with the max-norm
    dist = max(‖dx‖, ‖dy‖) and ε_i the joint distance to the k-th neighbour:

    - ``estimator='ksg1'`` (default, eq. 8): I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩,
      n_x(i) the rows strictly closer than ε_i to row i in x (self excluded);
    - ``'ksg2'`` (eq. 9): I = ψ(k) − 1/k + ψ(N) − ⟨ψ(n_x) + ψ(n_y)⟩, n_x(i) the rows not
      farther than ε_x(i), the largest x-distance among the k joint neighbours.

    Discrete ``y`` ([N] integer, boolean or string labels, or ``discrete_y=True``): Ross's
    estimator (Ross 2014, PLoS ONE 9(2):e87357), as scikit-learn's ``_compute_mi_cd`` but
    joint over x's columns: I = ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{y_i})⟩ − ⟨ψ(m_i)⟩, with the k-th
    neighbour distance d_i among rows of the same label (k_i = min(k, N_label − 1)) and m_i
    the rows of any label strictly within d_i (self included). Rows whose label occurs
    once are left out (and N counts the rest); every label value is a class, -1 included.

    ``metric`` is the norm within x and within y: default 'chebyshev' for KSG (the
    published max-norm, as NPEET and scikit-learn; in 1-D all norms agree) and
    'euclidean' for Ross (rotation-invariant, GEMM-screened: the fast path for wide
    embeddings; Ross's estimator holds for any metric). Units of ``base`` (nats by default).
    No clipping: estimates can be slightly negative.

    Bias: KSG under-estimates strong dependence (it needs N growing exponentially with the
    true MI: Gao, Ver Steeg & Galstyan 2015, AISTATS) and at high dimension, where the
    k-balls stop being small (Kraskov et al. 2004 §IV); KSG-1 has the smaller variance,
    KSG-2 the smaller bias. Ross shares the kNN bias in high D and is upward-biased when
    labels have few rows. Independent data give ≈ 0 either way.

    Raises ValueError for k outside [1, N − 1], NaN/Inf, mismatched lengths, an argument
    whose rows are all identical, or (Ross) no label with two rows.
    """
    api = "knn.mutual_information"
    base_, threads = _common(api, base, num_threads)
    discrete, estimator, metric = _choose(api, y, "y", discrete_y, estimator, metric)
    (value, like), _, _ = _mi(api, x, y, k, estimator, metric, discrete, noise, seed, threads)
    return _out(value, like, base_)


def _choose(
    api: str, y: Any, name: str, discrete_y: Any, estimator: Any, metric: Any
) -> tuple[bool, str, str]:
    """(discrete, estimator, metric) of an MI call: Ross for discrete ``y``, KSG-1 for
    continuous; euclidean for Ross, the max-norm for KSG, unless given."""
    if discrete_y is not None and not isinstance(discrete_y, bool):
        fail(api, "discrete_y", "None, True or False", repr(discrete_y), TypeError)
    discrete = _is_discrete(y) if discrete_y is None else discrete_y
    if estimator is None:
        estimator = "ross" if discrete else "ksg1"
    estimator = check_choice(api, "estimator", estimator, ESTIMATORS)
    if discrete != (estimator == "ross"):
        kind = "discrete" if discrete else "continuous"
        want = "'ross'" if discrete else "'ksg1' or 'ksg2'"
        fail(api, "estimator", f"{want} ({name} is {kind})", repr(estimator))
    if metric is None:
        metric = "euclidean" if discrete else "chebyshev"
    return discrete, estimator, _inputs.check_metric(api, metric)


def _mi(
    api: str,
    x: Any,
    y: Any,
    k: Any,
    estimator: str,
    metric: str,
    discrete: bool,
    noise: Any,
    seed: Any,
    threads: int,
) -> tuple[tuple[float, Any], int, int]:
    """((I in nats, the array the result's kind follows), rows used, labels used)."""
    if discrete:
        arr = _prepare(api, {"x": x}, noise, seed)["x"]
        n = int(arr.shape[0])
        _labels_of(api, y, n)  # shape and length first: clear messages
        _varies(api, "x", arr)
        # k above a label's rows - 1 is lowered to them for that label, as scikit-learn does
        k = _inputs.check_k(api, k, n)
        mi, used, labels = _ross(api, arr, y, k, metric, threads)
        return (mi, arr), used, labels
    a = _prepare(api, {"x": x, "y": y}, noise, seed)
    n = int(a["x"].shape[0])
    k = _inputs.check_k(api, k, n)
    _varies(api, "x", a["x"])
    _varies(api, "y", a["y"])
    return (_ksg(api, a["x"], a["y"], k, metric, estimator, threads), a["x"]), n, 0


def conditional_mutual_information(
    x: Any,
    y: Any,
    z: Any,
    *,
    k: int = 3,
    metric: str = "chebyshev",
    base: float = math.e,
    noise: float = 0.0,
    seed: int = 0,
    num_threads: int | None = None,
) -> Any:
    """I(X; Y | Z) of the rows of ``x`` [N, Dx], ``y`` [N, Dy], ``z`` [N, Dz] by the
    Frenzel–Pompe estimator (Frenzel & Pompe 2007, Phys. Rev. Lett. 99:204101; the KSG-1
    construction conditioned on z):

        I = ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_yz + 1) − ψ(n_z + 1)⟩

    with ε_i the distance to the k-th neighbour in the joint space, max(‖dx‖, ‖dy‖, ‖dz‖),
    and n_s(i) the rows strictly closer than ε_i in the subspace s (self excluded).
    ``metric``: the norm within each argument, default 'chebyshev' (the published
    max-norm). Units of ``base`` (nats by default). Bias: as KSG (under-estimates strong
    dependence and at high total dimension); ≈ 0 when X and Y are independent given Z.
    """
    api = "knn.conditional_mutual_information"
    base_, threads = _common(api, base, num_threads)
    metric = _inputs.check_metric(api, metric)
    a = _prepare(api, {"x": x, "y": y, "z": z}, noise, seed)
    xa, ya, za = a["x"], a["y"], a["z"]
    n = int(xa.shape[0])
    k = _inputs.check_k(api, k, n)
    for name in ("x", "y", "z"):
        _varies(api, name, a[name])
    dx, dy, dz = int(xa.shape[1]), int(ya.shape[1]), int(za.shape[1])
    dist, _, _, _ = knn(
        _hstack([xa, ya, za]),
        k,
        metric,
        api,
        blocks=[dx, dx + dy, dx + dy + dz],
        indices=False,
        num_threads=threads,
        names=("x", "y", "z"),
    )
    eps = _inputs.host_float64(dist)[:, k - 1]
    n_xz = _marginal_counts(
        api, _hstack([xa, za]), eps, metric, [dx, dx + dz], threads, True, ("x", "z")
    )
    n_yz = _marginal_counts(
        api, _hstack([ya, za]), eps, metric, [dy, dy + dz], threads, True, ("y", "z")
    )
    n_z = _marginal_counts(api, za, eps, metric, None, threads, True, ("z",))
    cmi = float(
        digamma(k)
        - np.mean(digamma(n_xz + 1.0))
        - np.mean(digamma(n_yz + 1.0))
        + np.mean(digamma(n_z + 1.0))
    )
    return _out(cmi, xa, base_)


def information(
    x: Any,
    labels: Any,
    *,
    k: int = 3,
    estimator: str | None = None,
    metric: str | None = None,
    discrete_y: bool | None = None,
    base: float = math.e,
    noise: float = 0.0,
    seed: int = 0,
    num_threads: int | None = None,
) -> KnnInformation:
    """:func:`mutual_information` of ``x`` and ``labels`` (Ross for discrete labels, KSG
    for continuous ones) as a :class:`KnnInformation` that records how it was estimated
    (estimator, k, metric, rows and labels used, base)."""
    api = "knn.information"
    base_, threads = _common(api, base, num_threads)
    discrete, estimator, metric = _choose(api, labels, "labels", discrete_y, estimator, metric)
    (value, like), n, n_labels = _mi(
        api, x, labels, k, estimator, metric, discrete, noise, seed, threads
    )
    return KnnInformation(
        value=_out(value, like, base_),
        quantity="mutual_information",
        estimator=estimator,
        k=int(k),
        metric=metric,
        n=n,
        n_labels=n_labels,
        base=base_,
    )


# ----------------------------------------------------------------------------- permutation test
@dataclass(frozen=True, repr=False)
class PermutationTest(NullSummary):
    """A shuffle test of I(X; Y) = 0, in units of ``base``.

    ``estimate``: the kNN estimate on the data (float); ``null`` [n_permutations] float64:
    the estimates with y's rows shuffled (X and Y independent by construction, the rest of
    the data unchanged); ``p_value`` = (1 + #{null >= estimate}) / (1 + n_permutations)
    (Phipson & Smyth 2010, Stat. Appl. Genet. Mol. Biol. 9(1): never 0); ``estimator``,
    ``k``, ``metric``, ``n_permutations``, ``seed``, ``base``. Also, as every permutation
    result (:class:`softent.PermutationResult`): ``statistic`` (= estimate), ``pvalue``
    (= p_value), ``null_mean``, ``null_std``, ``null_quantiles`` and ``corrected`` =
    estimate - null_mean, the bias-corrected estimate.
    """

    estimate: float
    null: np.ndarray
    p_value: float
    estimator: str
    k: int
    metric: str
    n_permutations: int
    seed: int
    base: float

    @property
    def statistic(self) -> float:  # type: ignore[override]
        """The estimate on the data (the shared name of :class:`softent.PermutationResult`)."""
        return self.estimate

    def __repr__(self) -> str:
        return (
            f"PermutationTest(estimate={self.estimate:.4g}, p={self.p_value:.4g}, "
            f"{self.estimator}, k={self.k}, {self.metric}, permutations={self.n_permutations})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "estimate": self.estimate,
            "null": self.null.tolist(),
            "p_value": self.p_value,
            "estimator": self.estimator,
            "k": self.k,
            "metric": self.metric,
            "n_permutations": self.n_permutations,
            "seed": self.seed,
            "base": self.base,
        }


def permutation_test(
    x: Any,
    y: Any,
    *,
    n_permutations: int = 100,
    seed: int = 0,
    k: int = 3,
    estimator: str | None = None,
    metric: str | None = None,
    discrete_y: bool | None = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> PermutationTest:
    """Shuffle test of independence with the kNN mutual information: the estimate of
    :func:`mutual_information` (Ross for discrete ``y``, KSG for continuous), and the same
    estimate for ``n_permutations`` shuffles of y's rows (``numpy.random.default_rng(seed)``
    permutations: reproducible). p = (1 + #{null >= estimate}) / (1 + n_permutations).

    The null keeps each margin (x's rows, y's values) and breaks only their pairing, so it
    also carries the estimator's bias at this N, D and k: the test is exact under
    exchangeability whatever that bias. Cost: (1 + n_permutations) estimates.
    Arguments as :func:`mutual_information`; returns a :class:`PermutationTest` (floats in
    units of ``base``, also for torch input).
    """
    api = "knn.permutation_test"
    base_, threads = _common(api, base, num_threads)
    n_perm = check_int(api, "n_permutations", n_permutations, lo=1)
    seed_ = check_seed(api, "seed", seed)
    if discrete_y is not None and not isinstance(discrete_y, bool):
        fail(api, "discrete_y", "None, True or False", repr(discrete_y), TypeError)
    discrete = _is_discrete(y) if discrete_y is None else discrete_y
    if estimator is None:
        estimator = "ross" if discrete else "ksg1"
    estimator = check_choice(api, "estimator", estimator, ESTIMATORS)
    if discrete != (estimator == "ross"):
        want = "'ross' (y is discrete)" if discrete else "'ksg1' or 'ksg2' (y is continuous)"
        fail(api, "estimator", want, repr(estimator))
    if metric is None:
        metric = "euclidean" if discrete else "chebyshev"
    metric = _inputs.check_metric(api, metric)
    scale = 1.0 if base_ == math.e else 1.0 / math.log(base_)

    def one(yy: Any) -> float:
        (value, _), _, _ = _mi(api, x, yy, k, estimator, metric, discrete, 0.0, 0, threads)
        return value * scale

    estimate = one(y)
    n = int(x.shape[0]) if hasattr(x, "shape") else len(x)
    rng = np.random.default_rng(seed_)
    if is_torch(y):
        import torch

        def shuffled(order: np.ndarray) -> Any:
            return y[torch.as_tensor(order, device=y.device)]
    else:
        arr = np.asarray(y)

        def shuffled(order: np.ndarray) -> Any:
            return arr[order]

    null = np.array([one(shuffled(rng.permutation(n))) for _ in range(n_perm)])
    p = permutation_pvalue(estimate, null)
    return PermutationTest(
        estimate=float(estimate),
        null=null,
        p_value=float(p),
        estimator=estimator,
        k=int(k),
        metric=metric,
        n_permutations=n_perm,
        seed=seed_,
        base=base_,
    )
