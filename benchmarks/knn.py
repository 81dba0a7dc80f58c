"""The knn family: joint kNN mutual information of embeddings, on :mod:`benchmarks._harness`.

Sizes are (N, D, L) in the table's (N, D, B) columns: N rows of D columns, **float32**
(:func:`benchmarks._harness.data.clustered`: every candidate gets the same float32 array;
softent screens it by float32 GEMM and decides on exact float64 distances), L labels.

Tasks (each compares candidates computing the same number on the same seeded data):

- ``Ross-joint``  I(Z; L) by Ross 2014, joint over all D columns, k = 3, euclidean:
                  softent.knn.mutual_information vs a plain NumPy chunked-GEMM brute force
                  (written here: per-label k-th neighbour distances and all-row radius
                  counts from float32 ‖a‖² + ‖b‖² − 2 a·b blocks of 1024 rows) and, where
                  importable, scikit-learn's neighbour machinery applied jointly
                  (``NearestNeighbors(n_jobs)`` per label + ``KDTree.query_radius`` over
                  all rows: what ``_compute_mi_cd`` does per feature) and NPEET's ``micd``
                  (a different estimator of the same quantity: its numbers are not compared).
                  ``matmul`` is the roofline of one full distance pass: ``numpy.matmul``
                  of every 1024-row tile of Z against all of Z (2·N²·D flops, float32);
                  matmul / softent is then softent's rate as a fraction of this machine's
                  float32 matmul rate, counting 2·N²·D flops for it (the issue's measure;
                  softent screens each unordered pair once, N²·D flops, so it can pass 1).
- ``sklearn-classif`` scikit-learn's per-feature ``mutual_info_classif(Z, L,
                  random_state=0)``: softent.compat.sklearn (the same values to ~1e-13)
                  vs scikit-learn itself with ``n_jobs`` = the threads.
- ``KSG-joint``   I(Z; Y) by KSG-1 with Z [N, D] and Y = Z[:, :8] + noise [N, 8], max-norm:
                  softent vs scikit-learn's trees applied jointly (NearestNeighbors
                  chebyshev on [Z, Y], KDTree query_radius in each space).

The NumPy brute force decides on float32 GEMM distances (a pair within rounding of a radius
may count differently): its value agrees with softent's to ~1e-3 nats, not to the bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import digamma

from benchmarks._harness import data, defaults, env


@dataclass(frozen=True)
class Task:
    kind: str
    candidates: tuple[str, ...]  # in table order; "softent" first: the reference of the ratios


TASKS = {
    "Ross-joint": Task("ross", ("softent", "matmul", "numpy", "sklearn-trees", "npeet")),
    "KSG-joint": Task("ksg", ("softent", "sklearn-trees", "npeet")),
    "sklearn-classif": Task("sklearn", ("softent", "sklearn")),
}
LABELS = {
    "softent": "softent.knn",
    "numpy": "NumPy chunked-GEMM brute force",
    "sklearn-trees": "scikit-learn NearestNeighbors + KDTree, joint",
    "npeet": "NPEET micd / mi (micd is not Ross: value not compared)",
    "matmul": "numpy.matmul f32, 1024-row tiles x all rows (roofline)",
    "sklearn": "scikit-learn mutual_info_classif (n_jobs = threads)",
}
ROOFLINE = "matmul"
NEEDS = {"sklearn-trees": "sklearn", "npeet": "npeet", "sklearn": "sklearn"}
THREAD_IMPORTS: tuple[str, ...] = ()
K = 3

SIZES = {
    "quick": "N=2000, D=64 and 768, 10 labels",
    "issue": "the issue's sizes: N=10^4, D=64 and D=768, 10 labels",
    "scale": "the issue's scale target: N=10^5, D=768, 10 labels (softent and matmul)",
}
GRIDS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "quick": [
        ("Ross-joint", (2000, 64, 10)),
        ("Ross-joint", (2000, 768, 10)),
        ("KSG-joint", (2000, 64, 8)),
        ("sklearn-classif", (2000, 64, 10)),
    ],
    "issue": [
        ("Ross-joint", (10_000, 64, 10)),
        ("Ross-joint", (10_000, 768, 10)),
        ("KSG-joint", (10_000, 64, 8)),
        ("sklearn-classif", (10_000, 64, 10)),
    ],
    "scale": [("Ross-joint", (100_000, 768, 10))],
}


_grid_plan = defaults.grid_plan(TASKS, GRIDS)


def plan(sizes: str) -> defaults.Plan:
    """(task, (N, D, B), candidates) of a --sizes choice; at scale softent and matmul only."""
    if sizes == "scale":
        return [(t, s, ("softent", "matmul")) for t, s in GRIDS[sizes]]
    return _grid_plan(sizes)


add_arguments = defaults.add_arguments
options = defaults.options


# ----------------------------------------------------------------------------- data
@dataclass
class Inputs:
    task: str
    z: np.ndarray
    y: np.ndarray  # labels [N] (Ross) or continuous [N, b] (KSG)
    threads: int = env.THREADS

    def head(self, rows: int) -> Inputs:
        return Inputs(self.task, self.z[:rows], self.y[:rows], self.threads)

    def describe(self) -> dict[str, Any]:
        return {}


def write_data(folder: Path, n: int, d: int, seed: int, tasks: set[str]) -> None:
    """Nothing to write: every worker draws its seeded data."""


def load_inputs(spec: dict) -> Inputs:
    n, d, b = spec["size"]
    if TASKS[spec["task"]].kind in ("ross", "sklearn"):
        z, labels = data.clustered(n, d, b, spec["seed"])
        return Inputs(spec["task"], z, labels, spec["threads"])
    z, _ = data.clustered(n, d, 2, spec["seed"])
    rng = np.random.default_rng([0x45C, spec["seed"]])
    y = (z[:, :b] + rng.standard_normal((n, b)).astype(np.float32)).astype(np.float32)
    return Inputs(spec["task"], z, y, spec["threads"])


# ----------------------------------------------------------------------------- candidates
def _sq_norms(a: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, a, dtype=np.float64).astype(a.dtype)


def numpy_kth(z: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    """Distance to the k-th nearest other row, by float32 GEMM blocks."""
    n = z.shape[0]
    sq = _sq_norms(z)
    out = np.empty(n)
    for i in range(0, n, block):
        d2 = sq[i : i + block, None] + sq[None, :] - 2 * (z[i : i + block] @ z.T)
        rows = np.arange(i, min(i + block, n))
        d2[rows - i, rows] = np.inf
        part = np.partition(d2, k - 1, axis=1)[:, k - 1]
        out[i : i + block] = np.sqrt(np.maximum(part, 0))
    return out


def numpy_counts(z: np.ndarray, radius: np.ndarray, block: int = 1024) -> np.ndarray:
    """Rows strictly within radius[i] of row i (self included), by float32 GEMM blocks. The
    radius shrinks by 1e-4 (relative, squared): the k-th neighbour that set it must not
    count, yet its GEMM distance here may round below the one that set it."""
    n = z.shape[0]
    sq = _sq_norms(z)
    r2 = (radius * radius * (1 - 1e-4)).astype(np.float32)
    out = np.empty(n, dtype=np.int64)
    for i in range(0, n, block):
        d2 = sq[i : i + block, None] + sq[None, :] - 2 * (z[i : i + block] @ z.T)
        out[i : i + block] = (d2 < r2[i : i + block, None]).sum(axis=1)
        rows = np.arange(i, min(i + block, n))
        out[i : i + block] += d2[rows - i, rows] >= r2[i : i + block]  # self always counts
    return out


class Matmul:
    """The roofline: ``numpy.matmul`` of each 1024-row tile of z against all of z into a
    preallocated block (2·N²·D flops in all, the GEMM of one full distance pass)."""

    def __init__(self, z: np.ndarray, block: int = 1024) -> None:
        self.z, self.zt, self.block = z, z.T, block
        self.out = np.empty((min(block, z.shape[0]), z.shape[0]), dtype=z.dtype)

    def __call__(self) -> None:
        n = self.z.shape[0]
        for i in range(0, n, self.block):
            rows = min(self.block, n - i)
            np.matmul(self.z[i : i + rows], self.zt, out=self.out[:rows])


def numpy_ross(z: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Ross 2014 joint over z's columns (labels with one row left out), brute force."""
    values, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    del values
    keep = counts[inverse] > 1
    z, inverse = z[keep], inverse[keep]
    radius = np.empty(z.shape[0])
    k_of = np.empty(z.shape[0])
    for label in np.unique(inverse):
        rows = np.flatnonzero(inverse == label)
        kl = min(k, rows.size - 1)
        radius[rows] = numpy_kth(np.ascontiguousarray(z[rows]), kl)
        k_of[rows] = kl
    m = numpy_counts(z, radius)
    n = z.shape[0]
    return float(
        digamma(n) + digamma(k_of).mean() - digamma(counts[inverse]).mean() - digamma(m).mean()
    )


def sklearn_ross(z: np.ndarray, labels: np.ndarray, k: int, threads: int) -> float:
    """scikit-learn's _compute_mi_cd steps on all columns at once (its public trees)."""
    from sklearn.neighbors import KDTree, NearestNeighbors

    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    keep = counts[inverse] > 1
    z, inverse = z[keep], inverse[keep]
    radius = np.empty(z.shape[0])
    k_of = np.empty(z.shape[0])
    # kd_tree, as scikit-learn's 'auto' picks for its 1-D features: radii and counts from
    # the same tree distances (a brute-force GEMM radius would let the k-th neighbour that
    # set it count about half the time, moving I by ~0.1 nats here)
    z = z.astype(np.float64)
    nn = NearestNeighbors(algorithm="kd_tree", n_jobs=threads)
    for label in np.unique(inverse):
        rows = inverse == label
        kl = min(k, int(rows.sum()) - 1)
        nn.set_params(n_neighbors=kl)
        nn.fit(z[rows])
        radius[rows] = np.nextafter(nn.kneighbors()[0][:, -1], 0)
        k_of[rows] = kl
    m = KDTree(z).query_radius(z, radius, count_only=True)
    n = z.shape[0]
    return float(
        digamma(n) + digamma(k_of).mean() - digamma(counts[inverse]).mean() - digamma(m).mean()
    )


def sklearn_ksg(z: np.ndarray, y: np.ndarray, k: int, threads: int) -> float:
    """scikit-learn's _compute_mi_cc steps on all columns at once."""
    from sklearn.neighbors import KDTree, NearestNeighbors

    zy = np.hstack([z, y]).astype(np.float64)
    nn = NearestNeighbors(
        algorithm="kd_tree", metric="chebyshev", n_neighbors=k, n_jobs=threads
    ).fit(zy)
    radius = np.nextafter(nn.kneighbors()[0][:, -1], 0)
    nx = KDTree(z.astype(np.float64), metric="chebyshev").query_radius(z, radius, count_only=True)
    ny = KDTree(y.astype(np.float64), metric="chebyshev").query_radius(y, radius, count_only=True)
    n = z.shape[0]
    return float(digamma(n) + digamma(k) - digamma(nx).mean() - digamma(ny).mean())


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): ``fn()`` returns the task's number in nats (a 1-tuple)."""
    import softent.knn as sk

    t = x.threads
    ross = TASKS[x.task].kind == "ross"
    if TASKS[x.task].kind == "sklearn":
        if name == "softent":
            from softent.compat import sklearn as compat

            return (
                lambda: tuple(compat.mutual_info_classif(x.z, x.y, random_state=0))
            ), "softent.compat.sklearn.mutual_info_classif (per feature, sorted 1-D kernel)"
        if name == "sklearn":
            from sklearn.feature_selection import mutual_info_classif

            return (
                lambda: tuple(mutual_info_classif(x.z, x.y, random_state=0, n_jobs=t))
            ), f"n_jobs={t}"
    if name == "softent" and ross:
        return (
            lambda: (sk.mutual_information(x.z, x.y, k=K, num_threads=t),)
        ), "softent.knn.mutual_information (Ross, euclidean)"
    if name == "softent":
        return (
            lambda: (sk.mutual_information(x.z, x.y, k=K, num_threads=t),)
        ), "softent.knn.mutual_information (KSG-1, max-norm)"
    if name == "matmul":
        mm = Matmul(x.z)
        return (lambda: (mm(), None)[1]), "np.matmul(z[tile], z.T, out=buf), float32"
    if name == "numpy":
        return (lambda: (numpy_ross(x.z, x.y, K),)), "float32 GEMM blocks of 1024 rows"
    if name == "sklearn-trees" and ross:
        return (lambda: (sklearn_ross(x.z, x.y, K, t),)), f"NearestNeighbors(n_jobs={t})"
    if name == "sklearn-trees":
        return (lambda: (sklearn_ksg(x.z, x.y, K, t),)), f"NearestNeighbors(n_jobs={t})"
    if name == "npeet" and ross:
        from npeet import entropy_estimators as ee

        return (
            lambda: (float(ee.micd(x.z, x.y.reshape(-1, 1), k=K, base=np.e)),)
        ), "micd: H(Z) − Σ p(l) H(Z|l) (KL), not Ross"
    if name == "npeet":
        from npeet import entropy_estimators as ee

        # NPEET's KSG-1 (max-norm, marginal radius ε − 1e-15, 1e-10 noise): same estimator
        return (lambda: (float(ee.mi(x.z, x.y, k=K, base=np.e)),)), "mi: KSG-1, BallTree"
    raise ValueError(f"unknown candidate {name!r}")


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate."""
    pairs = float(n) * n * d
    if cand == "softent":
        return n * d * 4 + (64 << 20), pairs * 2.5e-11
    if cand == "numpy":
        return n * d * 8 + 1024 * n * 8 * 3, pairs * 4e-11
    if task == "sklearn-classif":
        return n * d * 32, n * d * (3e-5 if cand == "sklearn" else 1e-6)
    if cand == "matmul":
        return 1024 * n * 4, pairs * 1.5e-11
    if cand == "npeet":
        return n * d * 16, pairs * 5e-10
    return n * d * 16, pairs * 3e-10


def targets(rows: list[dict]) -> list[str]:
    """PASS/MISS lines of the issue's targets, from whichever rows were measured."""
    out = []

    def line(ok: bool, text: str) -> None:
        out.append(f"{'PASS' if ok else 'MISS'}  {text}")

    for r in rows:
        ratio = r.get("ratio")
        if ratio is None:
            continue
        size = f"N={r['n']:,} D={r['d']}"
        if r["candidate"] == "matmul":
            line(
                1 / ratio >= 0.5,
                f"{r['task']} {size}: softent at {1 / ratio:.2f} x the float32 matmul rate "
                "(2·N²·D flops / time; >= 0.5)",
            )
            continue
        if r["n"] < 10_000:
            continue
        goal = {
            ("Ross-joint", "numpy"): 3,
            ("Ross-joint", "npeet"): 10,
            ("sklearn-classif", "sklearn"): 10,
        }.get((r["task"], r["candidate"]), 10 if r["candidate"] == "npeet" else None)
        if goal is None:
            continue
        line(
            ratio >= goal,
            f"{r['task']} {size}: {LABELS[r['candidate']]} / softent = {ratio:.3g} (>= {goal})",
        )
    for r in rows:
        if r["candidate"] == "softent" and r["n"] >= 100_000 and r.get("time_s"):
            extra = r.get("extra_mib")
            line(
                r["time_s"] < 300 and (extra is None or extra < 256),
                f"{r['task']} N={r['n']:,} D={r['d']}: {r['time_s']:.0f} s (< 300), "
                f"extra peak memory {extra if extra is None else round(extra)} MiB (< 256)",
            )
    return out
