"""nam-entropy 0.2.0's batch API (``nam_entropy.h``: ``compute_all_entropy_measures``,
``soft_bin``, ``get_bins``, ``EntropyAccumulator``) with its signatures, defaults, return
dicts and units (nats), computed by softent's kernels — a one-line import change, or none
with :func:`patch`::

    from softent.compat.nam_entropy import compute_all_entropy_measures

What nam-entropy computes and this module reproduces: bins [B, 1, D] drawn as its
``get_bins`` draws them (torch's global generator: ``'uniform'`` U(min_j, max_j) per
coordinate of the data passed in, ``'unit_sphere'`` normalised ``torch.randn``,
``'standard_normal'``, the ``'unit_cube_*'`` grids) unless ``online_bins`` gives them;
scores −‖z − c‖ (``'euclidean'``, not squared), cos(z, c) (``'cosine'``), 25·cos
(``'cosine_5'``), ⟨z, c⟩ (``'dot'``); q_ib = softmax_b(score / ``smoothing_temp``); p_b the
plain mean of q over rows; H = −Σ p ln p (natural log); H(Z|L) = Σ_k w_k H(Z | L = k) with
w_k = N_k/N (``'weighted'``) or 1/K; I = H − H(Z|L). So with the same torch seed (or the
same ``online_bins``) the numbers are nam-entropy's, to ~1e-10 in float64.

Differences from nam-entropy 0.2.0 (its defaults and corner cases are broken; the front
door gives the estimator's answer):

============================== ======================================= ==========================
case                           nam-entropy 0.2.0                       this front door
============================== ======================================= ==========================
``smoothing_fn='None'``        raw negative distances averaged as      softmax at
(the default)                  "probabilities": H = −inf, I = NaN      ``smoothing_temp``
labels not exactly 0..K−1      crash (index/bincount sizes) or NaN     any subset of 0..K−1; an
with the largest present       for a label without rows                empty label: weight 0,
                                                                       entropy None
``'uniform'`` weighting        crash (float32·float64 dot); 1/K over   1/K over the labels that
                               every label, empty ones NaN             have rows (its accumulator's rule)
``merge`` of other bins        silently adds histograms of different   ValueError naming ``other``
                               bins (or metric, temperature)
CUDA input (batch API)         crash (per-label sums on the CPU)       computed on the device
bfloat16, Euclidean            crash (``cdist``)                       computed in float32
``n_heads > 1``                crash (batch API, accumulator)          ValueError (``soft_bin``:
                                                                       one pass per head)
``sparsemax``, ``'cluster'``   sparsemax / k-means (unseeded)          ValueError: pass k-means
                                                                       centres as ``online_bins``
``'unit_cube_by_interpolation'``  crash (B − 1 points for B bins)      B evenly spaced points
``soft_bin(bins=, centers=,    ignored                                 ValueError (use
sub_mean=True, set_var≠1)``                                            ``online_bins``)
``'discrete'`` smoothing       int64 one-hot                           float one-hot (T → 0)
sums, probabilities            in the data's dtype                     float64 sums; returned
                                                                       tensors in the data's dtype
``soft_bin`` gradients         differentiable                          ValueError if z requires
                                                                       grad (use softent.torch)
============================== ======================================= ==========================

nam-entropy's v2 API (``h2``: ``EntropyAccumulator2``, ``compute_all_entropy_measures2``)
is not mirrored.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from .._checks import check_choice, fail, is_int
from ..soft import Accumulator, information, soft_histogram
from ._patch import PeerPatch, Target

__all__ = [
    "EntropyAccumulator",
    "compute_all_entropy_measures",
    "get_bins",
    "is_patched",
    "patch",
    "patched",
    "soft_bin",
    "unpatch",
]

_API = "compat.nam_entropy"
BIN_TYPES = (
    "uniform",
    "standard_normal",
    "unit_sphere",
    "unit_cube_by_bins",
    "unit_cube_by_interpolation",
)
#: dist_fn -> (softent metric, factor on the scores: 'cosine_5' is 25·cos)
DIST_FNS = {
    "euclidean": ("euclidean", 1.0),
    "cosine": ("cosine", 1.0),
    "cosine_5": ("cosine", 25.0),
    "dot": ("dot", 1.0),
}
SMOOTHING_FNS = ("softmax", "None", "discrete")
#: 'discrete' is the T -> 0 limit of the softmax: the smallest temperature softent takes
#: (the smallest normal float64) gives the one-hot argmax
_DISCRETE_T = float(np.finfo(np.float64).tiny)


def _torch(api: str) -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - nam-entropy itself needs torch
        fail(api, "torch", "installed (nam-entropy's bins are drawn by torch)", "none", ImportError)
    return torch


def _tensor(api: str, arg: str, x: Any) -> Any:
    """x as a 2-D floating torch tensor (NumPy arrays are wrapped, not copied)."""
    torch = _torch(api)
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if t.ndim != 2:
        fail(api, arg, "a 2-D tensor [N, D]", f"shape {tuple(t.shape)}")
    if not t.is_floating_point():
        fail(api, arg, "floating point", f"dtype {t.dtype}", TypeError)
    if t.shape[0] == 0:
        fail(api, arg, "at least one row", "0 rows")
    return t.detach()


def _scores(api: str, dist_fn: Any, smoothing_fn: Any, smoothing_temp: Any) -> tuple[str, float]:
    """(softent metric, temperature) of nam-entropy's dist_fn / smoothing / temperature."""
    if not isinstance(dist_fn, str) or dist_fn not in DIST_FNS:
        fail(
            api, "dist_fn", f"one of {sorted(DIST_FNS)} ('cluster' is not supported)", repr(dist_fn)
        )
    if not isinstance(smoothing_fn, str) or smoothing_fn not in SMOOTHING_FNS:
        fail(
            api,
            "smoothing_fn",
            f"one of {list(SMOOTHING_FNS)} (softent's kernels are softmax assignments)",
            repr(smoothing_fn),
        )
    metric, factor = DIST_FNS[dist_fn]
    if smoothing_fn == "discrete":
        return metric, _DISCRETE_T
    try:
        t = float(smoothing_temp)
    except (TypeError, ValueError):
        fail(api, "smoothing_temp", "a float > 0", repr(smoothing_temp), TypeError)
    if not (math.isfinite(t) and t > 0):
        fail(api, "smoothing_temp", "finite and > 0", t)
    return metric, t / factor


def _check_heads(api: str, n_heads: Any) -> None:
    if not is_int(n_heads) or n_heads != 1:
        fail(
            api,
            "n_heads",
            "1 (nam-entropy 0.2.0 crashes for n_heads > 1; soft_bin takes heads)",
            repr(n_heads),
        )


def _check_n_bins(api: str, n_bins: Any) -> int:
    if not is_int(n_bins) or n_bins < 1:
        fail(api, "n_bins", "an int >= 1", repr(n_bins))
    return int(n_bins)


def get_bins(all_representations: Any, bin_type: str, n_bins: int, n_heads: int) -> Any:
    """nam-entropy's ``get_bins``: bin locations [n_bins, n_heads, D/n_heads] drawn exactly
    as nam-entropy draws them (torch's global generator, so ``torch.manual_seed`` fixes
    them), in the data's dtype and device. 'uniform': U(min_j, max_j) per coordinate of
    ``all_representations`` [N, D]; 'standard_normal': N(0, 1); 'unit_sphere': normalised
    N(0, 1) per head; 'unit_cube_by_bins': the centres of n_bins equal cells of [min, max];
    'unit_cube_by_interpolation': n_bins evenly spaced points from min to max."""
    api = f"{_API}.get_bins"
    torch = _torch(api)
    import torch.nn.functional as F

    z = _tensor(api, "all_representations", all_representations)
    b = _check_n_bins(api, n_bins)
    bin_type = check_choice(api, "bin_type", bin_type, BIN_TYPES)
    d = int(z.shape[1])
    if not is_int(n_heads) or n_heads < 1 or d % int(n_heads):
        fail(api, "n_heads", f"an int >= 1 dividing D={d}", repr(n_heads))
    h = int(n_heads)
    lo, hi = z.min(0).values, z.max(0).values
    if bin_type == "uniform":
        # torch.distributions.Uniform(lo, hi).sample([B]): lo + rand * (hi - lo), the same
        # draw (and, unlike Uniform, a constant coordinate is allowed)
        bins = lo + torch.rand((b, d), dtype=lo.dtype, device=lo.device) * (hi - lo)
    elif bin_type in ("standard_normal", "unit_sphere"):
        bins = torch.randn((b, d))
        if bin_type == "unit_sphere":
            bins = F.normalize(bins.view(b, h, d // h), dim=-1)
    elif bin_type == "unit_cube_by_bins":
        steps = torch.arange(b + 1, dtype=torch.float32, device=lo.device) / b
        edges = lo[None] + steps[:, None] * (hi - lo)[None]  # [B + 1, D]
        bins = edges[:-1] + (edges[1:] - edges[:-1]) / 2
    else:  # unit_cube_by_interpolation: B points (nam-entropy makes B - 1 and crashes)
        t = torch.linspace(0, 1, b, device=lo.device, dtype=lo.dtype).unsqueeze(1)
        bins = torch.lerp(lo[None].expand(b, d), hi[None].expand(b, d), t)
    return bins.reshape(b, h, d // h).to(device=z.device, dtype=z.dtype)


def _centres(api: str, bins: Any, d: int) -> Any:
    """nam-entropy's bins [B, 1, D] (or [B, D]) as softent centres [B, D]."""
    torch = _torch(api)
    c = bins if isinstance(bins, torch.Tensor) else torch.as_tensor(np.asarray(bins))
    if c.ndim == 3 and c.shape[1] == 1:
        c = c[:, 0, :]
    if c.ndim != 2 or c.shape[1] != d:
        fail(api, "online_bins", f"bins [B, 1, {d}] (or [B, {d}])", f"shape {tuple(c.shape)}")
    return c.detach()


def _label_indices(api: str, arg: str, index: Any, n_labels: int, n: int) -> np.ndarray:
    """Label indices [N] in 0..K-1 as int64 NumPy (any subset of the labels may occur)."""
    arr = index.detach().cpu().numpy() if hasattr(index, "detach") else np.asarray(index)
    if arr.ndim != 1 or arr.shape[0] != n:
        fail(api, arg, f"a 1-D tensor of N={n} label indices", f"shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        fail(api, arg, "integer label indices", f"dtype {arr.dtype}", TypeError)
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= n_labels):
        fail(
            api,
            arg,
            f"indices into label_list, in [0, {n_labels})",
            f"values in [{int(arr.min())}, {int(arr.max())}]",
        )
    return arr.astype(np.int64, copy=False)


def _label_list(api: str, label_list: Any) -> list[Any]:
    try:
        labels = list(label_list)
    except TypeError:
        fail(api, "label_list", "a list of label names", type(label_list).__name__, TypeError)
    if not labels:
        fail(api, "label_list", "a non-empty list of label names", "[]")
    return labels


def _metrics(
    torch: Any,
    z: Any,
    label_list: list[Any],
    info: Any,
    bins: Any,
) -> dict[str, Any]:
    """nam-entropy's result dict from one :class:`softent.Information` (labels = indices)."""
    k, hist = len(label_list), info.histogram
    present = np.asarray(info.label_values, dtype=np.int64)
    per = np.zeros((k, hist.bins.n_bins))
    per[present] = hist.per_label / np.asarray(info.counts, dtype=np.float64)[:, None]
    label_h: list[float | None] = [None] * k
    for i, h in zip(present, info.label_entropies, strict=True):
        label_h[int(i)] = float(h)
    hz, hzl = float(info.entropy), float(info.conditional_entropy)
    entropy_dict: dict[Any, float | None] = {"total_population": hz}
    for name, h in zip(label_list, label_h, strict=True):
        entropy_dict[name] = h

    def out(a: np.ndarray) -> Any:
        return torch.as_tensor(a).to(device=z.device, dtype=z.dtype)

    return {
        "intermediate_data": {
            "prob_dist_for_total_population_tensor": out(hist.total / hist.total.sum()),
            "prob_dist_by_label_tensor": out(per),
            "tmp_bins": bins,
        },
        "output_metrics": {
            "entropy": hz,
            "conditional_entropy": hzl,
            "mutual_information": hz - hzl,
            "label_entropy_dict": entropy_dict,
        },
    }


def compute_all_entropy_measures(
    data_embeddings_tensor: Any,
    data_label_indices_tensor: Any,
    label_list: list,
    n_bins: int = 10,
    n_heads: int = 1,
    dist_fn: str = "euclidean",
    bin_type: str = "uniform",
    smoothing_fn: str = "None",
    smoothing_temp: float = 1.0,
    conditional_entropy_label_weighting: str = "weighted",
    online_bins: Any = None,
) -> dict:
    """nam-entropy's ``compute_all_entropy_measures``: H(Z), H(Z|L), I(Z;L) in nats of
    ``data_embeddings_tensor`` [N, D] with label indices [N] into ``label_list`` [K], from
    one softent kernel pass.

    Returns nam-entropy's dict: ``output_metrics`` {``entropy``, ``conditional_entropy``,
    ``mutual_information`` (floats, nats), ``label_entropy_dict`` {'total_population': H,
    label: H(Z | L = label) or None for a label without rows}} and ``intermediate_data``
    {``prob_dist_for_total_population_tensor`` [B], ``prob_dist_by_label_tensor`` [K, B]
    (zero rows for empty labels), ``tmp_bins`` [B, 1, D]}. See the module documentation
    for the scores, the defaults and where nam-entropy differs."""
    api = f"{_API}.compute_all_entropy_measures"
    torch = _torch(api)
    z = _tensor(api, "data_embeddings_tensor", data_embeddings_tensor)
    labels = _label_list(api, label_list)
    _check_heads(api, n_heads)
    metric, temperature = _scores(api, dist_fn, smoothing_fn, smoothing_temp)
    weighting = check_choice(
        api,
        "conditional_entropy_label_weighting",
        conditional_entropy_label_weighting,
        ("weighted", "uniform"),
    )
    index = _label_indices(
        api, "data_label_indices_tensor", data_label_indices_tensor, len(labels), int(z.shape[0])
    )
    # nam-entropy ignores bin_type when online_bins is given
    bins = get_bins(z, bin_type, n_bins, 1) if online_bins is None else online_bins
    centres = _centres(api, bins, int(z.shape[1]))
    info = information(
        z,
        index,
        centres=centres,
        metric=metric,
        temperature=temperature,
        weighting=weighting,
        zero_rows="uniform",  # as the peer's normalised zero row: scores 0, softmax uniform
        _api=api,
    )
    return _metrics(torch, z, labels, info, bins)


def soft_bin(
    all_representations: Any,
    n_bins: int,
    bins: Any = None,
    centers: Any = None,
    dist_fn: str = "euclidean",
    bin_type: str = "uniform",
    sub_mean: bool = False,
    n_heads: int = 1,
    smoothing_fn: str = "None",
    smoothing_temp: float = 1.0,
    online_bins: Any = None,
    set_var: float = 1.0,
    online_var: Any = None,
    show_diagnostics: bool = False,
) -> tuple[Any, Any]:
    """nam-entropy's ``soft_bin``: (scores [N, n_heads, n_bins], bins [n_bins, n_heads,
    D/n_heads]) — each row's soft assignment q_ib = softmax_b(score(z_i, c_b) / T) per
    head, from softent's kernel (each row its own histogram), in the data's dtype and
    device. Not differentiable (ValueError for a tensor that requires grad: use
    ``softent.torch.entropy`` & co. for gradients)."""
    api = f"{_API}.soft_bin"
    torch = _torch(api)
    if bins is not None or centers is not None or sub_mean or online_var is not None:
        fail(
            api,
            "bins, centers, sub_mean and online_var",
            "left at their defaults (nam-entropy 0.2.0 ignores them; pass bins as online_bins)",
            "a value",
        )
    if set_var != 1.0:
        fail(api, "set_var", "1.0 (nam-entropy marks its rescaling unused)", repr(set_var))
    if (
        isinstance(all_representations, torch.Tensor)
        and all_representations.requires_grad
        and torch.is_grad_enabled()
    ):
        fail(
            api,
            "all_representations",
            "a tensor that does not require grad (the front door's assignments are not "
            "differentiable: use softent.torch.entropy & co.)",
            "requires_grad=True",
        )
    z = _tensor(api, "all_representations", all_representations)
    metric, temperature = _scores(api, dist_fn, smoothing_fn, smoothing_temp)
    n, d = int(z.shape[0]), int(z.shape[1])
    if show_diagnostics:
        print(f"minns = {z.min(0).values}")
        print(f"maxxes = {z.max(0).values}")
    if online_bins is None:
        bins_out = get_bins(z, bin_type, n_bins, n_heads)
    else:
        bins_out = torch.as_tensor(online_bins)
        if not is_int(n_heads) or n_heads < 1 or d % int(n_heads):
            fail(api, "n_heads", f"an int >= 1 dividing D={d}", repr(n_heads))
        if bins_out.ndim == 2:
            bins_out = bins_out.reshape(bins_out.shape[0], int(n_heads), d // int(n_heads))
    h = int(n_heads)
    if bins_out.ndim != 3 or bins_out.shape[1] != h or bins_out.shape[2] * h != d:
        fail(api, "online_bins", f"bins [B, {h}, {d // h}]", f"shape {tuple(bins_out.shape)}")
    rows = torch.arange(n, device=z.device)  # every row its own label: its own histogram
    heads = z.reshape(n, h, d // h)
    scores = [
        soft_histogram(
            heads[:, j, :],
            rows,
            centres=bins_out[:, j, :].detach(),
            metric=metric,
            temperature=temperature,
            _api=api,
        ).per_label
        for j in range(h)
    ]
    out = torch.as_tensor(np.stack(scores, axis=1)).to(device=z.device, dtype=z.dtype)
    return out, bins_out


class EntropyAccumulator:
    """nam-entropy's ``EntropyAccumulator(n_bins, label_list, embedding_dim=None,
    n_heads=1, dist_fn='euclidean', bin_type='uniform', smoothing_fn='None',
    smoothing_temp=1.0)``: ``update(data_tensor, index_tensor)``,
    ``compute_metrics(conditional_entropy_label_weighting)`` (the batch function's dict),
    ``merge(other)``, ``get_state_dict()`` / ``from_state_dict(d)``; the sums live in a
    :class:`softent.Accumulator` (float64, one kernel pass per update).

    Bins as nam-entropy's: drawn at construction for 'unit_sphere' / 'standard_normal'
    when ``embedding_dim`` is given, else from the first batch (``get_bins``). ``merge``
    refuses other bins, metric or temperature (nam-entropy adds them silently).
    """

    def __init__(
        self,
        n_bins: int,
        label_list: list,
        embedding_dim: int | None = None,
        n_heads: int = 1,
        dist_fn: str = "euclidean",
        bin_type: str = "uniform",
        smoothing_fn: str = "None",
        smoothing_temp: float = 1.0,
    ) -> None:
        api = f"{_API}.EntropyAccumulator"
        torch = _torch(api)
        import torch.nn.functional as F

        self.n_bins = _check_n_bins(api, n_bins)
        self.label_list = _label_list(api, label_list)
        self.num_labels = len(self.label_list)
        _check_heads(api, n_heads)
        self.n_heads = 1
        self._metric, self._temperature = _scores(api, dist_fn, smoothing_fn, smoothing_temp)
        self.bin_type = check_choice(api, "bin_type", bin_type, BIN_TYPES)
        self.dist_fn, self.smoothing_fn, self.smoothing_temp = dist_fn, smoothing_fn, smoothing_temp
        self.embedding_dim = embedding_dim
        self.bins: Any = None
        self.dtype: Any = None
        self.device: Any = None
        self._acc: Accumulator | None = None
        if embedding_dim is not None and bin_type in ("unit_sphere", "standard_normal"):
            if not is_int(embedding_dim) or embedding_dim < 1:
                fail(api, "embedding_dim", "an int >= 1", repr(embedding_dim))
            bins = torch.randn((self.n_bins, int(embedding_dim))).view(self.n_bins, 1, -1)
            self.bins = F.normalize(bins, dim=-1) if bin_type == "unit_sphere" else bins

    @property
    def total_count(self) -> int:
        """Rows streamed so far."""
        return 0 if self._acc is None else self._acc.n_rows

    def _start(self, centres: Any) -> None:
        self._acc = Accumulator(
            centres, metric=self._metric, temperature=self._temperature, label_sets="labels"
        )

    def update(self, data_tensor: Any, index_tensor: Any) -> None:
        """Add a batch [N, D] with label indices [N] into ``label_list``."""
        api = f"{_API}.EntropyAccumulator.update"
        z = _tensor(api, "data_tensor", data_tensor)
        index = _label_indices(api, "index_tensor", index_tensor, self.num_labels, int(z.shape[0]))
        bins = self.bins if self.bins is not None else get_bins(z, self.bin_type, self.n_bins, 1)
        if int(bins.shape[-1]) != int(z.shape[1]):
            fail(
                api,
                "data_tensor",
                f"[N, {int(bins.shape[-1])}] (the dimension of the accumulator's bins)",
                f"shape {tuple(z.shape)}",
            )
        if self._acc is None:
            self._start(_centres(api, bins, int(z.shape[1])))
        self._acc.update(z, {"labels": index})  # type: ignore[union-attr]
        if self.dtype is None:
            self.dtype, self.device = z.dtype, z.device
        if self.bins is None:
            self.bins = bins

    def _require(self, api: str) -> Accumulator:
        if self._acc is None or self._acc.n_rows == 0:
            fail(api, "the accumulator", "non-empty (call update() first)", "0 rows")
        return self._acc

    def compute_metrics(self, conditional_entropy_label_weighting: str = "weighted") -> dict:
        """The dict of :func:`compute_all_entropy_measures` for every row streamed."""
        api = f"{_API}.EntropyAccumulator.compute_metrics"
        torch = _torch(api)
        acc = self._require(api)
        weighting = check_choice(
            api,
            "conditional_entropy_label_weighting",
            conditional_entropy_label_weighting,
            ("weighted", "uniform"),
        )
        info = acc.information("labels", weighting=weighting)
        ref = torch.empty(0, dtype=self.dtype, device=self.device)
        return _metrics(torch, ref, self.label_list, info, self.bins)

    def merge(self, other: EntropyAccumulator) -> None:
        """Add ``other``'s rows (same n_bins, label_list, bins, dist_fn and temperature;
        ValueError naming ``other`` otherwise)."""
        api = f"{_API}.EntropyAccumulator.merge"
        torch = _torch(api)
        if not isinstance(other, EntropyAccumulator):
            fail(
                api,
                "other",
                "a compat.nam_entropy.EntropyAccumulator",
                type(other).__name__,
                TypeError,
            )
        if other is self:
            fail(api, "other", "another accumulator (it would count every row twice)", "itself")
        if self.n_bins != other.n_bins or self.label_list != other.label_list:
            fail(
                api, "other", "an accumulator with the same n_bins and label_list", "different ones"
            )
        if (self._metric, self._temperature) != (other._metric, other._temperature):
            fail(
                api, "other", "an accumulator with the same dist_fn and smoothing", "different ones"
            )
        if other._acc is None:
            return
        if self._acc is None:
            if self.bins is not None and not torch.equal(
                self.bins.cpu().double(), other.bins.cpu().double()
            ):
                fail(
                    api,
                    "other",
                    "an accumulator with the same bins (nam-entropy does not check)",
                    "other bins",
                )
            self._acc = other._acc.copy()
            self.bins, self.dtype, self.device = other.bins, other.dtype, other.device
            return
        if self._acc.fingerprint != other._acc.fingerprint:
            fail(
                api,
                "other",
                "an accumulator with the same bins (nam-entropy does not check)",
                "other bins",
            )
        self._acc.merge(other._acc)

    def get_state_dict(self) -> dict:
        """nam-entropy's state dict: the settings, ``total_count``, ``total_scores_sum``
        [B], ``label_scores_sum`` [K, B], ``label_counts`` [K] (float64 / int64 tensors),
        ``bins``, ``dtype``, ``device``."""
        torch = _torch(f"{_API}.EntropyAccumulator.get_state_dict")
        total = per = counts = None
        if self._acc is not None and self._acc.n_rows:
            hist = self._acc.result("labels")
            present = np.asarray(hist.label_values, dtype=np.int64)
            per_np = np.zeros((self.num_labels, self.n_bins))
            per_np[present] = hist.per_label
            counts_np = np.zeros(self.num_labels, dtype=np.int64)
            counts_np[present] = hist.counts
            total, per, counts = (
                torch.as_tensor(hist.total.copy()),
                torch.as_tensor(per_np),
                torch.as_tensor(counts_np),
            )
        return {
            "n_bins": self.n_bins,
            "label_list": list(self.label_list),
            "embedding_dim": self.embedding_dim,
            "n_heads": self.n_heads,
            "num_labels": self.num_labels,
            "dist_fn": self.dist_fn,
            "bin_type": self.bin_type,
            "smoothing_fn": self.smoothing_fn,
            "smoothing_temp": self.smoothing_temp,
            "total_count": self.total_count,
            "total_scores_sum": total,
            "label_scores_sum": per,
            "label_counts": counts,
            "bins": self.bins,
            "dtype": self.dtype,
            "device": None if self.device is None else str(self.device),
        }

    @classmethod
    def from_state_dict(cls, state_dict: dict) -> EntropyAccumulator:
        """An accumulator restored from :meth:`get_state_dict` (or nam-entropy's own)."""
        api = f"{_API}.EntropyAccumulator.from_state_dict"
        torch = _torch(api)
        acc = cls(
            n_bins=state_dict["n_bins"],
            label_list=state_dict["label_list"],
            embedding_dim=None,
            n_heads=state_dict["n_heads"],
            dist_fn=state_dict["dist_fn"],
            bin_type=state_dict["bin_type"],
            smoothing_fn=state_dict["smoothing_fn"],
            smoothing_temp=state_dict["smoothing_temp"],
        )
        acc.embedding_dim = state_dict.get("embedding_dim")
        acc.bins = state_dict["bins"]
        acc.dtype = state_dict["dtype"]
        device = state_dict["device"]
        acc.device = None if device is None else torch.device(device)
        if not state_dict["total_count"]:
            return acc
        d = int(acc.bins.shape[-1])
        acc._start(_centres(api, acc.bins, d))
        counts = np.asarray(torch.as_tensor(state_dict["label_counts"]).cpu(), dtype=np.int64)
        present = np.flatnonzero(counts)
        per = np.asarray(torch.as_tensor(state_dict["label_scores_sum"]).cpu(), dtype=np.float64)
        total = np.asarray(torch.as_tensor(state_dict["total_scores_sum"]).cpu(), dtype=np.float64)
        state = acc._acc.state_dict()  # type: ignore[union-attr]
        state.update(
            n_rows=int(counts.sum()),
            internal_shape=[],
            total=total,
            label_sets={
                "labels": {
                    "kind": "i",
                    "values": present.astype(np.int64),
                    "hist": per[present],
                    "counts": counts[present],
                    "hist_replicates": np.zeros((0, len(present), acc.n_bins)),
                }
            },
            total_replicates=np.zeros((0, acc.n_bins)),
        )
        acc._acc.load_state_dict(state)  # type: ignore[union-attr]
        return acc


# --------------------------------------------------------------------------- patching

_PATCH = PeerPatch(
    _API,
    package="nam_entropy",
    distribution="nam-entropy",
    targets=[
        Target(module, name, fn)
        for module in ("nam_entropy.h", "nam_entropy")  # defined in h, re-exported by *
        for name, fn in (
            ("compute_all_entropy_measures", compute_all_entropy_measures),
            ("EntropyAccumulator", EntropyAccumulator),
        )
    ],
)


def patch() -> None:
    """Make the installed nam-entropy compute with softent: ``compute_all_entropy_measures``
    and ``EntropyAccumulator`` (in ``nam_entropy`` and ``nam_entropy.h``) become this
    module's front doors. ``soft_bin`` (nam-entropy's differentiable building block) and
    the v2 API (``h2``) are left alone. Idempotent; ImportError when nam-entropy is not
    installed. Names bound before the call keep the original: patch first."""
    _PATCH.patch()


def unpatch() -> None:
    """Restore nam-entropy's own objects (identity); a no-op when not patched."""
    _PATCH.unpatch()


def patched() -> AbstractContextManager[None]:
    """``with patched(): ...``: nam-entropy patched inside the block, the state found
    restored after it."""
    return _PATCH.patched()


def is_patched() -> bool:
    """True while nam-entropy is patched."""
    return _PATCH.is_patched()
