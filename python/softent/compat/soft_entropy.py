"""soft-entropy 0.1.5's public API (``soft_entropy.numpy``, ``soft_entropy.pytorch``,
``SoftEntropyAccumulator``, ``find_eps``) with its signatures, defaults, reference points
and units, computed by softent's kernels — a one-line import change, or none with
:func:`patch`::

    from softent.compat.soft_entropy import soft_entropy   # was: from soft_entropy.numpy

What soft-entropy computes (Conklin 2025, arXiv:2505.23960, §5.4) and this module
reproduces: rows of z [N, D] normalised to unit length; B reference points drawn from the
backend's own generator seeded with ``seed`` and normalised (NumPy:
``default_rng(seed).standard_normal((B, D))``; torch: ``torch.randn`` with a
``torch.Generator(device).manual_seed(seed)``); q_ib = softmax_b(cos(z_i, w_b) / ε) with ε
the root of soft-entropy's lower bound of KL(vMF ‖ uniform) (:func:`find_eps`); p = mean_i
q_i; H = −Σ_b p_b ln p_b; I = H(Z) − Σ_k (N_k/N) H(Z | L = k). **Every result is divided by
ln B** (soft-entropy's "efficiency", in [0, 1]): multiply by ln B for nats
(``softent.information(z, labels, n_bins=B, temperature=find_eps(B, D))`` gives nats).

Differences from soft-entropy 0.1.5 (the values agree to ~1e-10 in float64 otherwise):

=============================== ===================================== ==========================
case                            soft-entropy 0.1.5                    this front door
=============================== ===================================== ==========================
a bin mass p_b < 1e-9           −p_b ln(1e-9) (clipped log)           −p_b ln p_b (exact)
``calibration`` not "find_eps"  any other string: leading order       "find_eps", "leading_order"
                                                                      or "vmf" (exact KL root);
                                                                      others: ValueError
``seed`` a Generator in MI      each label draws other points         one draw for every label
torch input float64             RuntimeError (float32 points)         computed in float64
NumPy input float32             scores in float64 (float64 points)    scores in float32, sums
                                                                      in float64 (~1e-9 apart)
``n_bins=1``                    NaN (0/0)                             ValueError naming it
a zero row of z                 NaN (NumPy backend)                   uniform assignment (as its
                                                                      torch backend's normalize)
label sets missing from some    H(Z) of all rows, weights N_k/N_all   over the rows labelled in
accumulator updates             (they do not sum to 1)                that set (softent's rule)
accumulator sums                float32 for float32 input             float64 (same points)
accumulator ``dtype`` bf16      scores in bf16                        scores in float32
empty accumulator results       NaN                                   ValueError
=============================== ===================================== ==========================

The NumPy accumulator's reference points are soft-entropy's own float32 points; softent's
cosine renormalises them exactly in float64 while soft-entropy uses their float32 norms
(1 ± 6e-8), so accumulator results agree with soft-entropy's to ~1e-8 relative (its torch
backend, float32 throughout: ~1e-6).
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from .._checks import check_int, fail, is_int
from ..soft import Accumulator, calibrate_temperature, entropy, information, mutual_information

#: a zero row gets the uniform assignment (soft-entropy gives NaN; softent refuses by default)
_ZERO = {"zero_rows": "uniform"}
from ._patch import PeerPatch, Target

__all__ = [
    "SoftEntropyAccumulator",
    "find_eps",
    "is_patched",
    "patch",
    "patched",
    "pytorch_soft_entropy",
    "pytorch_soft_mutual_information",
    "soft_entropy",
    "soft_mutual_information",
    "unpatch",
]

_API = "compat.soft_entropy"
CALIBRATIONS = {"find_eps": "vmf_bound", "leading_order": "leading_order", "vmf": "vmf"}


def find_eps(m: int, d: int, eps_range: Any = (1e-5, 1e0)) -> float:
    """soft-entropy's ``find_eps``: the temperature ε solving Ψ⁻(ε, d) = ln m, Ψ⁻ its lower
    bound of KL(vMF(κ = 1/ε) ‖ uniform on S^{d−1}) (:func:`softent.calibrate_temperature`
    with ``method="vmf_bound"``). ``eps_range`` (lo, hi) must contain the root (ValueError
    otherwise, as soft-entropy's Brent bracket). Dimensionless; agrees with soft-entropy's
    to ~1e-10 relative (its Brent stops at rtol = 1e-10)."""
    api = f"{_API}.find_eps"
    m = check_int(api, "m", m, lo=2)
    d = check_int(api, "d", d, lo=2)
    lo, hi = _bracket(api, eps_range)
    try:
        eps = calibrate_temperature(d, m, "vmf_bound")
    except ValueError:  # the bound stays below ln m (d = 2): soft-entropy refuses too
        fail(api, "d", f"a dimension where soft-entropy's bound reaches ln m={m}", d)
    if not lo <= eps <= hi:
        fail(api, "eps_range", f"a bracket (lo, hi) containing the root {eps:.6g}", (lo, hi))
    return eps


def _bracket(api: str, eps_range: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in eps_range)
    except (TypeError, ValueError):
        fail(api, "eps_range", "a pair (lo, hi) of floats", repr(eps_range), TypeError)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        fail(api, "eps_range", "finite with 0 < lo < hi", (lo, hi))
    return lo, hi


def _temperature(api: str, calibration: Any, n_bins: int, d: int) -> float:
    if not isinstance(calibration, str) or calibration not in CALIBRATIONS:
        fail(api, "calibration", f"one of {sorted(CALIBRATIONS)}", repr(calibration))
    if d < 2:
        fail(api, "z", "[N, D] with D >= 2 (a sphere S^{D-1} to calibrate on)", f"D={d}")
    if calibration == "find_eps":
        return find_eps(n_bins, d)
    return calibrate_temperature(d, n_bins, CALIBRATIONS[calibration])


def _n_bins(api: str, n_bins: Any) -> int:
    # B = 1 divides by ln 1 = 0 in soft-entropy
    return check_int(api, "n_bins", n_bins, lo=2)


def _shape(api: str, z: Any) -> tuple[int, int]:
    """(N, D) of z [N, D] (any array-like)."""
    shape = getattr(z, "shape", None)
    if shape is None:
        shape = np.shape(z)
    if len(shape) != 2:
        fail(api, "z", "a 2-D array [N, D]", f"shape {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def _numpy_seed(api: str, seed: Any) -> Any:
    """An int >= 0 or a Generator, as softent takes it; None (soft-entropy: fresh random
    points) becomes a fresh Generator."""
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator) or (is_int(seed) and seed >= 0):
        return seed
    fail(api, "seed", "a non-negative int, a numpy.random.Generator or None", repr(seed), TypeError)


def _codes(api: str, labels: Any, n: int) -> Any:
    """Dense codes 0..K-1 of any label values (soft-entropy treats every distinct value,
    -1 included, as a label, as softent does): torch labels stay torch."""
    if hasattr(labels, "detach"):
        import torch

        if labels.ndim != 1 or labels.shape[0] != n:
            fail(api, "labels", f"a 1-D array of N={n} labels", f"shape {tuple(labels.shape)}")
        if labels.is_floating_point() and not bool(torch.isfinite(labels).all()):
            fail(api, "labels", "finite", "NaN/Inf")
        return torch.unique(labels, return_inverse=True)[1]
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        fail(api, "labels", f"a 1-D array of N={n} labels", f"shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        fail(api, "labels", "finite", "NaN/Inf")
    return np.unique(arr, return_inverse=True)[1].reshape(-1)


def soft_entropy(z: Any, n_bins: int = 100, seed: Any = 0, calibration: str = "find_eps") -> Any:
    """soft-entropy's ``soft_entropy.numpy.soft_entropy``: H(Z) / ln B of the rows of ``z``
    [N, D] ("efficiency", in [0, 1]; × ln B for nats) with cosine soft bins at the
    ``default_rng(seed)`` reference points and ε = :func:`find_eps` (``calibration=
    "leading_order"``: 1/√(2 D ln B); ``"vmf"``: the exact-KL root). A float (a 0-d tensor
    for torch input)."""
    api = f"{_API}.soft_entropy"
    b = _n_bins(api, n_bins)
    eps = _temperature(api, calibration, b, _shape(api, z)[1])
    h = entropy(z, n_bins=b, metric="cosine", temperature=eps, seed=_numpy_seed(api, seed), **_ZERO)
    return h / math.log(b)


def soft_mutual_information(
    z: Any, labels: Any, n_bins: int = 100, seed: Any = 0, calibration: str = "find_eps"
) -> Any:
    """soft-entropy's ``soft_entropy.numpy.soft_mutual_information``: I(Z; L) / ln B =
    [H(Z) − Σ_k (N_k/N) H(Z | L = k)] / ln B for ``z`` [N, D] and ``labels`` [N] (any
    values; each distinct value is a label), one kernel pass for every label. A float (a
    0-d tensor for torch input)."""
    api = f"{_API}.soft_mutual_information"
    b = _n_bins(api, n_bins)
    n, d = _shape(api, z)
    eps = _temperature(api, calibration, b, d)
    codes = _codes(api, labels, n)
    info = information(
        z, codes, n_bins=b, metric="cosine", temperature=eps, seed=_numpy_seed(api, seed), **_ZERO
    )
    return info.mutual_information / math.log(b)


def _torch_points(api: str, z: Any, n_bins: int, seed: Any) -> Any:
    """soft-entropy's torch reference points: randn from a Generator on z's device."""
    import torch
    import torch.nn.functional as F

    if not is_int(seed) or seed < 0:
        fail(api, "seed", "a non-negative int", repr(seed), TypeError)
    g = torch.Generator(device=z.device).manual_seed(int(seed))
    w = torch.randn(n_bins, int(z.shape[1]), device=z.device, generator=g)
    return F.normalize(w, dim=-1)


def _require_tensor(api: str, z: Any) -> None:
    if not hasattr(z, "detach") or not hasattr(z, "device"):
        fail(api, "z", "a torch.Tensor [N, D]", type(z).__name__, TypeError)


def pytorch_soft_entropy(
    z: Any, n_bins: int = 100, seed: int = 0, calibration: str = "find_eps"
) -> Any:
    """soft-entropy's ``soft_entropy.pytorch.soft_entropy``: H(Z) / ln B of a tensor ``z``
    [N, D] with its torch reference points (``torch.randn`` from a Generator on z's device
    seeded with ``seed``, normalised). A 0-d tensor on z's device, differentiable when z
    requires grad (softent's backward kernel); float64 input is computed in float64."""
    api = f"{_API}.pytorch_soft_entropy"
    _require_tensor(api, z)
    b = _n_bins(api, n_bins)
    eps = _temperature(api, calibration, b, _shape(api, z)[1])
    w = _torch_points(api, z, b, seed)
    return entropy(z, centres=w, metric="cosine", temperature=eps, **_ZERO) / math.log(b)


def pytorch_soft_mutual_information(
    z: Any, labels: Any, n_bins: int = 100, calibration: str = "find_eps"
) -> Any:
    """soft-entropy's ``soft_entropy.pytorch.soft_mutual_information`` (no ``seed``: its
    points are seed 0's): I(Z; L) / ln B of a tensor ``z`` [N, D] and ``labels`` [N]. A 0-d
    tensor on z's device, differentiable when z requires grad."""
    api = f"{_API}.pytorch_soft_mutual_information"
    _require_tensor(api, z)
    b = _n_bins(api, n_bins)
    eps = _temperature(api, calibration, b, _shape(api, z)[1])
    codes = _codes(api, labels, _shape(api, z)[0])
    w = _torch_points(api, z, b, 0)
    mi = mutual_information(z, codes, centres=w, metric="cosine", temperature=eps, **_ZERO)
    return mi / math.log(b)


# --------------------------------------------------------------------------- accumulator


def _peer_device() -> Any:
    """The device soft-entropy's torch backend puts its points on."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _accumulator_points(api: str, backend: str, n_bins: int, d: int, seed: Any, dtype: Any) -> Any:
    """soft-entropy's accumulator reference points [B, d], in the backend's array type."""
    if backend == "numpy":
        w = np.random.default_rng(seed).standard_normal((n_bins, d)).astype(np.float32)
        return w / np.linalg.norm(w, axis=-1, keepdims=True)
    if backend == "torch":
        import torch
        import torch.nn.functional as F

        device = _peer_device()
        g = torch.Generator(device=device).manual_seed(int(seed))
        w = torch.randn(n_bins, d, generator=g, device=device, dtype=dtype or torch.float32)
        return F.normalize(w, dim=-1)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        fail(api, "backend", "'numpy' or 'torch' (jax is not installed)", "'jax'", ImportError)
    w = jax.random.normal(
        jax.random.PRNGKey(int(seed)), shape=(n_bins, d), dtype=dtype or jnp.float32
    )
    return w / jnp.linalg.norm(w, axis=-1, keepdims=True)


def _as_float64(w: Any) -> np.ndarray:
    if hasattr(w, "detach"):
        return w.detach().cpu().double().numpy()
    return np.asarray(w, dtype=np.float64)


def _host_labels(labels: Any) -> np.ndarray:
    if hasattr(labels, "detach"):
        return labels.detach().cpu().numpy()
    return np.asarray(labels)


class _Vocabulary:
    """Label values of one set -> codes 0..K-1 in order of first appearance (within a
    batch, sorted), the order soft-entropy's dicts list them in."""

    def __init__(self) -> None:
        self.code: dict[Any, int] = {}
        self.values: list[Any] = []

    def encode(self, api: str, name: str, labels: Any, n: int) -> tuple[np.ndarray, list[Any]]:
        """(codes [N] int64, new values) of one batch; the vocabulary is grown by
        :meth:`commit` only once the batch is accepted."""
        arr = _host_labels(labels)
        if arr.ndim != 1 or arr.shape[0] != n:
            fail(api, f"labels[{name!r}]", f"a 1-D array of N={n} labels", f"shape {arr.shape}")
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            fail(api, f"labels[{name!r}]", "finite", "NaN/Inf")
        uniq, inverse = np.unique(arr, return_inverse=True)
        new: list[Any] = []
        lut = np.empty(len(uniq), dtype=np.int64)
        for i, v in enumerate(uniq):
            c = self.code.get(v)
            if c is None:
                c = len(self.values) + len(new)
                new.append(v)
            lut[i] = c
        return lut[inverse.reshape(-1)], new

    def commit(self, new: list[Any]) -> None:
        for v in new:
            self.code[v] = len(self.values)
            self.values.append(v)


class SoftEntropyAccumulator:
    """soft-entropy's ``SoftEntropyAccumulator(d, n_bins=100, seed=0, backend="numpy",
    dtype=None)``: streamed soft histograms with named label sets, held by a
    :class:`softent.Accumulator` (float64 sums, one fused kernel pass per update for every
    label set).

    Same reference points as soft-entropy's for each backend (``w``: NumPy float32 from
    ``default_rng(seed)``; torch: its Generator on the device it would pick, in ``dtype``;
    jax: ``jax.random.normal(PRNGKey(seed))``), same temperature ``temp`` =
    :func:`find_eps` (n_bins, d). Results are divided by ln B like soft-entropy's.
    :meth:`as_softent` gives the underlying accumulator (merge, all_reduce, save, nats).
    """

    def __init__(
        self, d: int, n_bins: int = 100, seed: int = 0, backend: str = "numpy", dtype: Any = None
    ) -> None:
        api = f"{_API}.SoftEntropyAccumulator"
        d = check_int(api, "d", d, lo=2)
        self.n_bins = _n_bins(api, n_bins)
        if backend not in ("numpy", "torch", "jax"):
            fail(api, "backend", "'numpy', 'torch' or 'jax'", repr(backend))
        if not is_int(seed) or seed < 0:
            fail(api, "seed", "a non-negative int", repr(seed), TypeError)
        self.backend = backend
        self.temp = find_eps(self.n_bins, d)
        self.w = _accumulator_points(api, backend, self.n_bins, d, int(seed), dtype)
        self._acc = Accumulator(_as_float64(self.w), metric="cosine", temperature=self.temp)
        self._vocab: dict[str, _Vocabulary] = {}

    def __repr__(self) -> str:
        return (
            f"SoftEntropyAccumulator(d={self._acc.bins.dim}, n_bins={self.n_bins}, "
            f"backend={self.backend!r}, n_rows={self._acc.n_rows}, "
            f"label_sets={list(self._acc.label_sets)})"
        )

    def as_softent(self) -> Accumulator:
        """The :class:`softent.Accumulator` holding the sums (label values there are this
        front door's codes 0..K-1, in order of first appearance)."""
        return self._acc

    def reset(self) -> None:
        """Clear all accumulated counts (keeps the reference points)."""
        self._acc.reset()
        self._vocab = {}

    def update(self, z: Any, labels: Any = None) -> None:
        """Add a batch ``z`` [N, d] (NumPy or torch, any device); ``labels``: None, one [N]
        array (the label set "labels") or a dict {name: [N] array} of label sets (any
        values, -1 included)."""
        api = f"{_API}.SoftEntropyAccumulator.update"
        n = int(z.shape[0]) if hasattr(z, "shape") else len(z)
        if labels is None:
            self._acc.update(z)
            return
        sets = labels if isinstance(labels, dict) else {"labels": labels}
        coded: dict[str, np.ndarray] = {}
        fresh: dict[str, list[Any]] = {}
        for name, values in sets.items():
            if not isinstance(name, str):
                fail(api, "labels", "a dict keyed by label-set names (str)", repr(name), TypeError)
            vocab = self._vocab.get(name) or _Vocabulary()
            coded[name], fresh[name] = vocab.encode(api, name, values, n)
        self._acc.update(z, coded)
        for name, new in fresh.items():  # the batch was accepted: grow the vocabularies
            self._vocab.setdefault(name, _Vocabulary()).commit(new)

    def entropy(self) -> float:
        """H(Z) / ln B of every row streamed."""
        return float(self._acc.entropy()) / math.log(self.n_bins)

    def conditional_entropy(self) -> dict[str, dict[Any, float]]:
        """{label set: {label value: H(Z | X = x) / ln B}}."""
        out: dict[str, dict[Any, float]] = {}
        scale = math.log(self.n_bins)
        for name in self._acc.label_sets:
            codes = self._acc.label_values(name)
            h = self._acc.label_entropies(name)
            values = self._vocab[name].values
            out[name] = {values[int(c)]: float(v) / scale for c, v in zip(codes, h, strict=True)}
        return out

    def mutual_information(self) -> dict[str, float]:
        """{label set: I(X; Z) / ln B}, over the rows labelled in each set."""
        scale = math.log(self.n_bins)
        return {
            name: float(self._acc.mutual_information(name)) / scale for name in self._acc.label_sets
        }

    def results(self) -> dict[str, float]:
        """{"H(Z)": H, "I(X;Z)/<set>": I, "regularity/<set>": I/H (NaN when H = 0)}."""
        h = self.entropy()
        out: dict[str, float] = {"H(Z)": h}
        for name, mi in self.mutual_information().items():
            out[f"I(X;Z)/{name}"] = mi
            out[f"regularity/{name}"] = (mi / h) if h > 0 else float("nan")
        return out


# --------------------------------------------------------------------------- patching

_PATCH = PeerPatch(
    _API,
    package="soft_entropy",
    distribution="soft-entropy",
    targets=[
        Target("soft_entropy.numpy", "soft_entropy", soft_entropy),
        Target("soft_entropy.numpy", "soft_mutual_information", soft_mutual_information),
        Target("soft_entropy.pytorch", "soft_entropy", pytorch_soft_entropy, optional=True),
        Target(
            "soft_entropy.pytorch",
            "soft_mutual_information",
            pytorch_soft_mutual_information,
            optional=True,
        ),
        Target("soft_entropy.accumulator", "SoftEntropyAccumulator", SoftEntropyAccumulator),
        Target("soft_entropy", "SoftEntropyAccumulator", SoftEntropyAccumulator),
        # LLMInferrer builds its accumulators from this module's binding
        Target("soft_entropy.llm", "SoftEntropyAccumulator", SoftEntropyAccumulator, optional=True),
    ],
)


def patch() -> None:
    """Make the installed soft-entropy compute with softent: ``soft_entropy.numpy``'s and
    ``soft_entropy.pytorch``'s ``soft_entropy`` / ``soft_mutual_information`` and
    ``SoftEntropyAccumulator`` (in ``soft_entropy``, ``soft_entropy.accumulator`` and
    ``soft_entropy.llm``) become this module's front doors. ``find_eps`` and the jax
    backend are left alone. Idempotent; ImportError when soft-entropy is not installed.
    Names bound before the call (``from soft_entropy.numpy import soft_entropy``) keep
    the original: patch first."""
    _PATCH.patch()


def unpatch() -> None:
    """Restore soft-entropy's own objects (identity); a no-op when not patched."""
    _PATCH.unpatch()


def patched() -> AbstractContextManager[None]:
    """``with patched(): ...``: soft-entropy patched inside the block, the state found
    restored after it."""
    return _PATCH.patched()


def is_patched() -> bool:
    """True while soft-entropy is patched."""
    return _PATCH.is_patched()
