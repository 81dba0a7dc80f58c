"""The soft-bin family: its tasks, candidates, sizes and targets, on :mod:`benchmarks._harness`.

Tasks (each compares candidates computing the same thing on the same seeded data):

- ``H-cos``     H(Z), cosine: softent.entropy vs the plain NumPy / torch formula, vs one
                bare float32 ``numpy.matmul`` of the same [N, D] x [D, B] shape (the
                roofline), vs soft-entropy's one-shot ``soft_entropy`` and accumulator.
- ``I-cos-10``  H, H(Z|L), I with 10 labels, cosine: softent.information vs the formulas,
                soft-entropy's one-shot ``soft_mutual_information`` and its
                ``SoftEntropyAccumulator``.
- ``I-cos-50k`` the same with 50,000-value token-style labels.
- ``I-euc-10``  H, H(Z|L), I with 10 labels, Euclidean (-|z - c|): softent.information vs
                the formulas and nam-entropy (``compute_all_entropy_measures`` when it
                fits in memory, else its ``EntropyAccumulator`` over 8192-row chunks).

Candidates: ``softent`` (the public API only), ``matmul`` (the roofline), ``numpy`` /
``torch`` (THE plain reference, ``tests/reference/soft.py``, in the activations' dtype),
``se-oneshot`` / ``se-acc`` (soft-entropy 0.1.5), ``nam`` (nam-entropy 0.2.0). Cosine
tasks use soft-entropy's reference points (= softent.spherical_bins(B, D, seed)) and its
calibrated ε as temperature for every candidate; Euclidean tasks share box centres and
one temperature. The differentiable task set (forward + backward of I(Z;L)) is
:func:`grad_setup` / :func:`grad_candidate`, driven by :mod:`benchmarks.autograd`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import data, env, peers, reference

ref = reference.load("soft")


@dataclass(frozen=True)
class Task:
    metric: str
    labels: str | None  # None | "10" | "50k"
    candidates: tuple[str, ...]  # in table order; "softent" first: the reference of the ratios


TASKS = {
    "H-cos": Task("cosine", None, ("softent", "matmul", "numpy", "torch", "se-oneshot", "se-acc")),
    "I-cos-10": Task("cosine", "10", ("softent", "numpy", "torch", "se-oneshot", "se-acc")),
    "I-cos-50k": Task("cosine", "50k", ("softent", "numpy", "torch", "se-oneshot", "se-acc")),
    "I-euc-10": Task("euclidean", "10", ("softent", "numpy", "torch", "nam")),
}
LABELS = {
    "softent": "softent",
    "matmul": "numpy.matmul f32 (roofline)",
    "numpy": "NumPy formula (N x B)",
    "torch": "torch formula (N x B)",
    "se-oneshot": "soft-entropy one-shot",
    "se-acc": "soft-entropy accumulator",
    "nam": "nam-entropy",
}
ROOFLINE = "matmul"
#: candidate -> the optional module it imports (the workers then start torch's threads)
NEEDS = {
    "torch": "torch",
    "se-oneshot": "soft_entropy",
    "se-acc": "soft_entropy",
    "nam": "nam_entropy",
}

SIZES = {
    "quick": "N=10k",
    "issue": "N in {10k,100k,1M} x D in {64,768} x B in {100,1000} + (1M,128,1000)",
    "targets": "only the issue's targets",
}
GRIDS: dict[str, list[tuple[int, int, int]]] = {
    "quick": [(10_000, 64, 100), (10_000, 768, 100), (10_000, 64, 1000)],
    "issue": [
        (n, d, b) for n in (10_000, 100_000, 1_000_000) for d in (64, 768) for b in (100, 1000)
    ]
    + [(1_000_000, 128, 1000)],
}


def plan(sizes: str) -> list[tuple[str, tuple[int, int, int], tuple[str, ...]]]:
    """(task, (N, D, B), candidates) of a ``--sizes`` set."""
    if sizes in GRIDS:
        return [(t, s, TASKS[t].candidates) for s in GRIDS[sizes] for t in TASKS]
    if sizes != "targets":
        raise ValueError(sizes)
    out = [
        ("I-euc-10", (100_000, 768, 100), ("softent", "nam")),
        ("I-cos-10", (100_000, 768, 100), ("softent", "se-oneshot", "se-acc")),
        ("I-cos-50k", (100_000, 768, 100), ("softent", "se-acc")),
    ]
    out += [
        ("H-cos", (100_000, d, b), ("softent", "matmul")) for d in (768, 64) for b in (100, 1000)
    ]
    out += [(task, (1_000_000, 128, 1000), ("softent",)) for task in ("H-cos", "I-cos-10")]
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The family's own options of ``python -m benchmarks``."""
    p.add_argument(
        "--se-backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="soft-entropy backend (numpy: the same reference points)",
    )
    p.add_argument(
        "--se-chunk",
        type=int,
        default=None,
        help="rows per SoftEntropyAccumulator.update (default: all at once)",
    )
    p.add_argument(
        "--nam-chunk", type=int, default=8192, help="rows per nam-entropy EntropyAccumulator update"
    )


def options(args: argparse.Namespace) -> dict[str, Any]:
    return {"se_backend": args.se_backend, "se_chunk": args.se_chunk, "nam_chunk": args.nam_chunk}


# ----------------------------------------------------------------------------- bins, temperatures


def soft_entropy_eps(n_bins: int, dim: int) -> float:
    """soft-entropy 0.1.5's ``find_eps(n_bins, dim)``: the root in [1e-5, 1] of the lower
    bound Ψ⁻(ε, d) = ln m of KL(vMF(1/ε) ‖ uniform) (see docs/peers.md). Used as the
    temperature of every cosine comparison so that both packages compute the same thing."""
    from scipy.optimize import brentq

    d = float(dim)
    nu, h, target = d / 2 - 1, d / 2, math.log(n_bins)

    def psi(eps: float) -> float:
        k = 1.0 / eps
        r = math.sqrt(k * k + nu * nu)
        return (
            k * k / (h + math.sqrt(k * k + h * h))
            - (r - nu + nu * math.log((d - 2) / (nu + r)))
            - target
        )

    return float(brentq(psi, 1e-5, 1.0, xtol=1e-12, rtol=1e-12, maxiter=500))


def cosine_setup(d: int, b: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """(centres [b, d] float64 unit rows = soft-entropy's numpy reference points for
    ``seed``, temperature = soft-entropy's calibrated ε)."""
    g = np.random.default_rng(seed).standard_normal((b, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True), soft_entropy_eps(b, d)


def euclidean_setup(z: np.ndarray, b: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """(centres [b, d] float64 uniform in the box of ``z`` = softent.box_bins(z, b, seed),
    a temperature for the unsquared distance giving non-trivial entropies: the median
    gap between the nearest and the 3rd-nearest centre over a sample of rows)."""
    lo = z.min(axis=0).astype(np.float64)
    hi = z.max(axis=0).astype(np.float64)
    centres = np.random.default_rng(seed).uniform(lo, hi, size=(b, z.shape[1]))
    dist = -ref.scores(z[: min(len(z), 512)], centres, "euclidean")
    dist.sort(axis=1)
    kth = min(2, b - 1)
    gap = float(np.median(dist[:, kth] - dist[:, 0])) if b > 1 else 1.0
    return centres, max(gap, 1e-6)


# ----------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """The inputs of one task and size, shared by all the candidates timed on it."""

    task: str
    metric: str
    z: Any  # [N, D] float32
    labels: Any  # [N] int64 or None
    centres: Any  # [B, D] float64
    temperature: float
    n_bins: int
    seed: int = 0
    threads: int = env.THREADS
    opts: dict = field(default_factory=dict)  # se_backend, se_chunk, nam_chunk, max_bytes
    _tensors: dict = field(default_factory=dict, repr=False)

    def tensor(self, name: str) -> Any:
        """``torch.from_numpy`` of ``z``, ``labels`` or ``centres`` (z's dtype), cached."""
        import torch

        if name not in self._tensors:
            arr = getattr(self, name)
            if name == "centres":
                arr = np.asarray(arr, dtype=self.z.dtype)
            self._tensors[name] = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
        return self._tensors[name]

    def head(self, rows: int) -> Inputs:
        """The same task on the first ``rows`` rows (warm-up calls)."""
        return Inputs(
            self.task,
            self.metric,
            self.z[:rows],
            None if self.labels is None else self.labels[:rows],
            self.centres,
            self.temperature,
            self.n_bins,
            self.seed,
            self.threads,
            self.opts,
        )

    def describe(self) -> dict[str, Any]:
        """What the table's JSON keeps of the inputs."""
        return {"temperature": self.temperature}


def task_inputs(
    task: str,
    z: np.ndarray,
    labels10: np.ndarray | None,
    n_bins: int,
    seed: int = 0,
    labels50k: np.ndarray | None = None,
    threads: int | None = None,
    opts: dict | None = None,
) -> Inputs:
    """:class:`Inputs` of ``task`` on the data: cosine tasks use soft-entropy's reference
    points and calibrated ε (:func:`cosine_setup`), Euclidean ones :func:`euclidean_setup`."""
    t = TASKS[task]
    labels = None
    if t.labels == "10":
        labels = labels10
    elif t.labels == "50k":
        labels = labels50k if labels50k is not None else data.token_labels(len(z), 50_000, seed)
    if t.metric == "cosine":
        centres, temp = cosine_setup(z.shape[1], n_bins, seed)
    else:
        centres, temp = euclidean_setup(z, n_bins, seed)
    threads = env.THREADS if threads is None else threads
    return Inputs(task, t.metric, z, labels, centres, temp, n_bins, seed, threads, dict(opts or {}))


def write_data(folder: Path, n: int, d: int, seed: int, tasks: set[str]) -> None:
    """The seeded inputs of every task at (N, D), as .npy files for the workers."""
    z, labels = data.clustered(n, d, 10, seed)
    np.save(folder / "z.npy", z)
    np.save(folder / "labels10.npy", labels)
    if any(TASKS[t].labels == "50k" for t in tasks):
        np.save(folder / "labels50k.npy", data.token_labels(n, 50_000, seed + 1))


def load_inputs(spec: dict) -> Inputs:
    """The :class:`Inputs` of a worker spec (``task``, ``size``, ``data_dir``, ``seed``, ...)."""
    folder = Path(spec["data_dir"])
    kind = TASKS[spec["task"]].labels
    z = np.load(folder / "z.npy")
    labels10 = np.load(folder / "labels10.npy") if kind == "10" else None
    labels50k = np.load(folder / "labels50k.npy") if kind == "50k" else None
    b, seed, threads = spec["size"][2], spec["seed"], spec["threads"]
    return task_inputs(spec["task"], z, labels10, b, seed, labels50k, threads, spec.get("opts"))


# ----------------------------------------------------------------------------- candidates


class Matmul:
    """The roofline: one bare float32 ``numpy.matmul`` [N, D] x [D, B] into a preallocated
    output (no allocation or page faults timed, just the GEMM)."""

    def __init__(self, z: np.ndarray, centres: np.ndarray) -> None:
        self.z = z
        self.ct = np.ascontiguousarray(centres, dtype=z.dtype).T  # [D, B] view, as softent
        self.out = np.empty((z.shape[0], centres.shape[0]), dtype=z.dtype)
        self.out.fill(0)  # touch the pages once

    def __call__(self) -> np.ndarray:
        return np.matmul(self.z, self.ct, out=self.out)


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): ``fn()`` computes the task on ``x`` and returns (H, H(Z|L), I) in nats
    (NaN where not asked; None for the matmul roofline); ``note`` names the code path."""
    nan = math.nan
    if name == "softent":
        import softent

        kw = {
            "centres": x.centres,
            "metric": x.metric,
            "temperature": x.temperature,
            "num_threads": x.threads,
        }
        if x.labels is None:
            return (lambda: (softent.entropy(x.z, **kw), nan, nan)), "softent.entropy"

        def info() -> tuple[float, float, float]:
            r = softent.information(x.z, x.labels, **kw)
            return r.entropy, r.conditional_entropy, r.mutual_information

        return info, "softent.information"
    if name == "matmul":
        mm = Matmul(x.z, x.centres)
        return (lambda: (mm(), None)[1]), "np.matmul(z, C.T, out=buf), float32"
    if name == "numpy":
        args = (x.centres, x.metric, x.temperature)
        note = "tests/reference/soft.py, NumPy"
        if x.labels is None:
            return (lambda: (ref.entropy(x.z, *args, dtype=x.z.dtype), nan, nan)), note
        return (lambda: ref.information(x.z, x.labels, *args, dtype=x.z.dtype)[:3]), note
    if name == "torch":
        zt, ct, t = x.tensor("z"), x.tensor("centres"), x.temperature
        note = "tests/reference/soft.py, torch"
        if x.labels is None:
            return (lambda: (float(ref.torch_entropy(zt, ct, x.metric, t)), nan, nan)), note
        lt = x.tensor("labels")

        def formula() -> tuple[float, ...]:
            return tuple(float(v) for v in ref.torch_information(zt, lt, ct, x.metric, t)[:3])

        return formula, note
    if name == "se-oneshot":
        return soft_entropy_oneshot(x.z, x.labels, x.n_bins, x.seed, x.opts.get("se_backend"))
    if name == "se-acc":
        return soft_entropy_accumulator(
            x.z, x.labels, x.n_bins, x.seed, x.opts.get("se_backend"), x.opts.get("se_chunk")
        )
    if name == "nam":
        if x.metric != "euclidean":
            raise ValueError("the nam-entropy candidate is Euclidean")
        return nam_information(
            x.z,
            x.labels,
            x.centres,
            x.temperature,
            chunk=x.opts.get("nam_chunk", 8192),
            max_bytes=x.opts.get("max_bytes"),
        )
    raise ValueError(f"unknown candidate {name!r}")


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate, to skip the ones that
    cannot fit or take far too long. Calibrated on this project's 2-core machine."""
    nb, nd = n * b, n * d
    labels50k = TASKS[task].labels == "50k"
    if cand in ("softent", "matmul"):
        return (nb * 4 if cand == "matmul" else 64 << 20), n * b * d * 1.5e-11
    if cand == "numpy":
        extra = nb * 4 * (5 if labels50k else 4) + nd * 4
        return extra, n * b * d * 2e-11 + nb * 2e-9
    if cand == "torch":
        return nb * 4 * 4 + nd * 4, n * b * d * 2e-11 + nb * 1e-9
    if cand == "se-oneshot":
        per_label = 50_000 * 2e-3 if labels50k else 0
        seconds = n * b * d * 6e-11 * (2 if task != "H-cos" else 1) + per_label
        return nd * 8 * 2 + nb * 8 * 4, seconds
    if cand == "se-acc":
        chunk = opts.get("se_chunk") or n
        seconds = n * b * d * 4e-11 + (2.0 if labels50k else 0)
        return min(n, chunk) * (d * 8 * 2 + b * 8 * 4), seconds
    if cand == "nam":
        batch = 2 * n * b * d * 4
        if batch <= opts["max_bytes"]:
            return batch, n * b * d * 7.5e-9 / 8
        chunk = opts.get("nam_chunk", 8192)
        return 2 * min(n, chunk) * b * d * 4, n * b * d * 7.8e-9
    return 0, 0


#: (task, candidate, goal of candidate time / softent time, what) at N=100k, D=768, B=100
PEER_TARGETS = [
    ("I-euc-10", "nam", 100, "Euclidean I, 10 labels, N=100k D=768 B=100: nam-entropy / softent"),
    (
        "I-cos-10",
        "se-oneshot",
        3,
        "Cosine I, 10 labels: soft-entropy one-shot soft_mutual_information / softent",
    ),
    ("I-cos-10", "se-acc", 1, "Cosine I, 10 labels: SoftEntropyAccumulator / softent"),
    ("I-cos-50k", "se-acc", 2, "Cosine I, 50,000 labels: SoftEntropyAccumulator / softent"),
]


def targets(rows: list[dict]) -> list[str]:
    """PASS/MISS lines of the issue's targets, from whichever rows were measured."""

    def find(task, size, cand):
        for r in rows:
            if (r["task"], (r["n"], r["d"], r["b"]), r["candidate"]) == (task, size, cand):
                return r
        return None

    out = []

    def ratio_line(what, task, size, cand, goal, cmp):
        r = find(task, size, cand)
        if r is None or r.get("ratio") is None:
            return
        v = r["ratio"] if cand != ROOFLINE else 1 / r["ratio"]
        ok = v >= goal if cmp == ">=" else v <= goal
        out.append(f"{'PASS' if ok else 'MISS'}  {what}: {v:.3g} (target {cmp} {goal})")

    s = (100_000, 768, 100)
    for task, cand, goal, what in PEER_TARGETS:
        ratio_line(what, task, s, cand, goal, ">=")
    for d, goal in ((768, 1.3), (64, 2.0)):
        for b in (100, 1000):
            what = f"H forward N=100k D={d} B={b}: softent / float32 matmul"
            ratio_line(what, "H-cos", (100_000, d, b), ROOFLINE, goal, "<=")
    for task in ("H-cos", "I-cos-10"):
        r = find(task, (1_000_000, 128, 1000), "softent")
        if r is not None and r.get("extra_mib") is not None:
            ok = r["extra_mib"] <= 64
            out.append(
                f"{'PASS' if ok else 'MISS'}  extra peak memory, {task}, N=1M D=128 B=1000: "
                f"{r['extra_mib']:.1f} MiB (target <= 64 MB)"
            )
    return out


# ----------------------------------------------------------------------------- differentiable

#: forward + backward of I(Z;L): candidate -> what it runs
GRAD_CANDIDATES = {
    "softent": "softent.torch.information (fused C++ forward and backward kernels)",
    "softent-recompute": "the same with softent.torch.set_backward_cache_bytes(0)",
    "torch": "tests/reference/soft.py torch_information under plain autograd",
    "nam": "nam-entropy 0.2.0 soft_bin + entropy (its differentiable path)",
}


def grad_setup(n: int, d: int, b: int, metric: str, seed: int = 0) -> tuple[Any, Any, Any, float]:
    """(z [n, d] float32 tensor, labels [n] int64 tensor, centres [b, d] float32, T)."""
    import torch

    z, labels = data.cached_clustered(n, d, seed=seed)
    if metric == "cosine":
        centres, t = cosine_setup(d, b, seed)
    else:
        centres, t = euclidean_setup(z, b, seed)
    return (
        torch.from_numpy(z.copy()),
        torch.from_numpy(labels.astype("int64")),
        torch.as_tensor(centres, dtype=torch.float32),
        float(t),
    )


def grad_candidate(
    name: str, z: Any, labels: Any, centres: Any, metric: str, t: float
) -> Callable[[], tuple[Any, Any]]:
    """fn() -> (loss I(Z;L) in nats, the leaf z it was computed from): call loss.backward()."""

    def leaf() -> Any:
        return z.detach().requires_grad_()

    if name in ("softent", "softent-recompute"):
        import softent.torch as st

        def fn() -> tuple[Any, Any]:
            zz = leaf()
            previous = st.set_backward_cache_bytes(0) if name == "softent-recompute" else None
            try:
                info = st.information(
                    zz,
                    labels,
                    centres=centres,
                    metric=metric,
                    temperature=t,
                    num_threads=env.THREADS,
                )
            finally:
                if previous is not None:
                    st.set_backward_cache_bytes(previous)
            return info.mutual_information, zz

        return fn
    if name == "torch":

        def plain() -> tuple[Any, Any]:
            zz = leaf()
            return ref.torch_information(zz, labels, centres, metric, t)[2], zz

        return plain
    if name == "nam":
        k = int(labels.max()) + 1

        def nam() -> tuple[Any, Any]:
            zz = leaf()
            return nam_mi(zz, labels, centres, metric, t, k), zz

        return nam
    raise ValueError(f"unknown candidate {name!r}")


# ----------------------------------------------------------------------------- soft-entropy 0.1.5


def _nats(efficiency: float, n_bins: int) -> float:
    """soft-entropy divides every output by ln B ("efficiency"): back to nats."""
    return float(efficiency) * math.log(n_bins)


def _backend_inputs(z: np.ndarray, labels: np.ndarray | None, backend: str) -> tuple[Any, Any]:
    if backend != "torch":
        return z, labels
    import torch

    zz = torch.from_numpy(np.ascontiguousarray(z))
    return zz, None if labels is None else torch.from_numpy(np.ascontiguousarray(labels))


def soft_entropy_oneshot(
    z: np.ndarray, labels: np.ndarray | None, n_bins: int, seed: int = 0, backend: str | None = None
) -> tuple[Callable[[], Any], str]:
    """soft-entropy's one-shot functions: ``soft_entropy(z, n_bins, seed)`` without labels,
    ``soft_mutual_information(z, labels, n_bins, seed)`` with them (numpy backend: its
    reference points are default_rng(seed).standard_normal((B, D)) normalised, its
    temperature find_eps(B, D)). The MI call computes H(Z) and every H(Z | L = k) but
    returns only I; the candidate returns (nan, nan, I) in nats."""
    backend = backend or "numpy"
    mod = peers.load(f"soft_entropy.{'numpy' if backend == 'numpy' else 'pytorch'}")
    zz, ll = _backend_inputs(z, labels, backend)
    # its torch MI has no seed (and draws other points than the numpy backend)
    kw: dict[str, Any] = {"seed": seed} if backend == "numpy" else {}
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
    backend: str | None = None,
    chunk: int | None = None,
) -> tuple[Callable[[], Any], str]:
    """soft-entropy's ``SoftEntropyAccumulator(d, n_bins, seed, backend)``: a fresh one per
    call, ``update(z_chunk, labels_chunk)`` over chunks of ``chunk`` rows (None: one
    update with everything), then ``entropy()`` and ``mutual_information()``; returns
    (H, H(Z|L), I) in nats."""
    backend = backend or "numpy"
    se = peers.load("soft_entropy")
    n = z.shape[0]
    step = n if not chunk else int(chunk)
    zz, ll = _backend_inputs(z, labels, backend)

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

    nam = peers.load("nam_entropy")
    n, d = z.shape
    b = centres.shape[0]
    values, codes = np.unique(labels, return_inverse=True)
    label_list = [str(v) for v in values]
    zt = torch.from_numpy(np.ascontiguousarray(z))
    idx = torch.from_numpy(codes.reshape(-1).astype(np.int64))
    bins = torch.as_tensor(np.asarray(centres), dtype=zt.dtype).view(b, 1, d)
    budget = int(max_bytes or (2 << 30))
    per_row = 8 * b * d  # cdist's expanded [rows, 1, B, D] float32 input and its copy
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

    need = n * per_row / 2**30
    return accumulate, (
        f"nam_entropy EntropyAccumulator, updates of {step} rows "
        f"(the batch call would need ~{need:.1f} GiB)"
    )


def nam_mi(z: Any, labels: Any, centres: Any, metric: str, t: float, k: int) -> Any:
    """nam-entropy's differentiable ``soft_bin`` + ``entropy`` (its h.py) with our
    centres: I(Z;L) in nats as a tensor. Its cdist expands the centres N times
    (~8·N·B·D bytes, twice that with the graph)."""
    nam_h = peers.load("nam_entropy.h")
    b, d = centres.shape
    scores, _ = nam_h.soft_bin(
        z,
        b,
        online_bins=centres.view(b, 1, d),
        dist_fn=metric,
        n_heads=1,
        smoothing_fn="softmax",
        smoothing_temp=t,
    )
    scores = scores.reshape(z.shape[0], b)
    hz = nam_h.entropy(scores.mean(0))
    hc = 0.0
    for v in range(k):
        rows = labels == v
        hc = hc + rows.float().mean() * nam_h.entropy(scores[rows].mean(0))
    return hz - hc
