"""The discrete family: plug-in and bias-corrected MI of integer codes, on :mod:`benchmarks._harness`.

Sizes are (N, Kx, Ky) in the table's (N, D, B) columns: N samples, x in 0..Kx-1, y in
0..Ky-1 (y = x + noise mod Ky, so the MI is far from 0). For ``MI-matrix`` D is the number
of columns m of a quantised layer (each with 8 levels) and B the number of label values.

Tasks (each compares candidates computing the same number on the same seeded data):

- ``MI-plugin``  I(X;Y) plug-in, nats: softent.discrete.estimate.mutual_information vs a
                 NumPy ``bincount`` formula (written here: joint codes x*Ky+y, one bincount,
                 marginals by sums, H by xlogy), scikit-learn ``mutual_info_score``, and,
                 where importable, pyitlib ``information_mutual``, infomeasure
                 ``mutual_information(approach="discrete")`` and dit (``dit.shannon``
                 on the empirical distribution).
- ``MI-corrected`` every bias-corrected estimator of softent on the same data; the ratio
                 is estimator time / plug-in time (target: within 2x).
- ``MI-matrix``  I(X_j; Y) for every column j of an [N, m] layer against a label: softent's
                 one-pass mutual_information_matrix vs a loop of scikit-learn's
                 ``mutual_info_score`` and a loop of the NumPy formula.
- ``MI-sparse``  plug-in MI of alphabets Kx = Ky = 10**6 (10**12 joint cells): softent's
                 sparse path vs a NumPy ``np.unique`` formula; peak memory is the point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import defaults, env


@dataclass(frozen=True)
class Task:
    kind: str
    candidates: tuple[str, ...]  # in table order; "softent" first: the reference of the ratios


CORRECTED = ("miller_madow", "jackknife", "grassberger", "chao_shen", "nsb", "james_stein")
TASKS = {
    "MI-plugin": Task("pair", ("softent", "numpy", "sklearn", "pyitlib", "infomeasure", "dit")),
    "MI-corrected": Task("pair", ("softent", *(f"softent-{e}" for e in CORRECTED))),
    "MI-matrix": Task("matrix", ("softent", "sklearn-loop", "numpy-loop")),
    "MI-sparse": Task("pair", ("softent", "numpy-unique")),
}
LABELS = {
    "softent": "softent",
    "numpy": "NumPy bincount formula",
    "numpy-unique": "NumPy np.unique formula",
    "numpy-loop": "loop of the NumPy formula",
    "sklearn": "sklearn mutual_info_score",
    "sklearn-loop": "loop of sklearn mutual_info_score",
    "pyitlib": "pyitlib information_mutual",
    "infomeasure": "infomeasure discrete MI",
    "dit": "dit shannon MI",
    **{f"softent-{e}": f"softent {e}" for e in CORRECTED},
}
ROOFLINE = "numpy"
#: candidate -> the optional module it imports
NEEDS = {
    "sklearn": "sklearn",
    "sklearn-loop": "sklearn",
    "pyitlib": "pyitlib",
    "infomeasure": "infomeasure",
    "dit": "dit",
}

#: no peer of this family runs on torch: the workers pin only the BLAS/OpenMP variables
THREAD_IMPORTS: tuple[str, ...] = ()

SIZES = {
    "quick": "N=10^5: 100x100 plug-in/corrected, 200 columns x 10 labels, sparse 10^5 x 10^5",
    "issue": "the issue's sizes: N=10^6 1000x1000, 1000 columns at N=10^5, 10^6 x 10^6 sparse",
}
GRIDS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "quick": [
        ("MI-plugin", (100_000, 100, 100)),
        ("MI-corrected", (100_000, 100, 100)),
        ("MI-matrix", (100_000, 200, 10)),
        ("MI-sparse", (100_000, 100_000, 100_000)),
    ],
    "issue": [
        ("MI-plugin", (1_000_000, 1000, 1000)),
        ("MI-corrected", (1_000_000, 1000, 1000)),
        ("MI-matrix", (100_000, 1000, 10)),
        ("MI-sparse", (1_000_000, 1_000_000, 1_000_000)),
    ],
}


plan = defaults.grid_plan(TASKS, GRIDS)
add_arguments = defaults.add_arguments
options = defaults.options


# ----------------------------------------------------------------------------- data


def pair_data(n: int, kx: int, ky: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in 0..kx-1, y = (x + noise) mod ky with noise in 0..max(ky // 20, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, kx, n, dtype=np.int64)
    y = (x + rng.integers(0, max(ky // 20, 1) + 1, n)) % ky
    return x, y.astype(np.int64)


def matrix_data(n: int, m: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A quantised layer [n, m] (8 levels, int64) whose columns depend on labels in 0..k-1."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n, dtype=np.int64)
    strength = rng.uniform(0, 1, m)
    noise = rng.integers(0, 8, (n, m))
    keep = rng.uniform(0, 1, (n, m)) < strength
    layer = np.where(keep, (labels[:, None] * 3) % 8, noise)
    return layer.astype(np.int64), labels


@dataclass
class Inputs:
    task: str
    x: np.ndarray
    y: np.ndarray
    threads: int = env.THREADS
    extra: dict = field(default_factory=dict)

    def head(self, rows: int) -> Inputs:
        return Inputs(self.task, self.x[:rows], self.y[:rows], self.threads)

    def describe(self) -> dict[str, Any]:
        return {}


def write_data(folder: Path, n: int, d: int, seed: int, tasks: set[str]) -> None:
    """Nothing to write: every worker draws its seeded data (cheap next to the timings)."""


def load_inputs(spec: dict) -> Inputs:
    n, d, b = spec["size"]
    if TASKS[spec["task"]].kind == "matrix":
        x, y = matrix_data(n, d, b, spec["seed"])
    else:
        x, y = pair_data(n, d, b, spec["seed"])
    return Inputs(spec["task"], x, y, spec["threads"])


# ----------------------------------------------------------------------------- candidates


def numpy_mi(x: np.ndarray, y: np.ndarray) -> float:
    """Plug-in I(X;Y) in nats from one bincount of the joint codes (x, y >= 0 ints)."""
    kx, ky = int(x.max()) + 1, int(y.max()) + 1
    joint = np.bincount(x * ky + y, minlength=kx * ky).astype(np.float64)
    n = joint.sum()

    def h(c: np.ndarray) -> float:
        c = c[c > 0]
        return math.log(n) - float((c * np.log(c)).sum()) / n

    t = joint.reshape(kx, ky)
    return h(t.sum(1)) + h(t.sum(0)) - h(joint)


def numpy_unique_mi(x: np.ndarray, y: np.ndarray) -> float:
    """Plug-in I(X;Y) from np.unique counts (alphabets of any size: sorts, O(N) memory)."""
    n = x.shape[0]

    def h(codes: np.ndarray) -> float:
        c = np.unique(codes, return_counts=True)[1].astype(np.float64)
        return math.log(n) - float((c * np.log(c)).sum()) / n

    return h(x) + h(y) - h(x * (int(y.max()) + 1) + y)


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): ``fn()`` returns the task's number(s) in nats."""
    from softent.discrete import estimate

    t = x.threads
    if name == "softent" and TASKS[x.task].kind == "matrix":
        return (
            lambda: tuple(estimate.mutual_information_matrix(x.x, x.y, num_threads=t))
        ), "softent.discrete.estimate.mutual_information_matrix"
    if name == "softent":
        return (
            lambda: (estimate.mutual_information(x.x, x.y, num_threads=t),)
        ), "softent.discrete.estimate.mutual_information"
    if name.startswith("softent-"):
        est = name.split("-", 1)[1]
        return (
            lambda: (estimate.mutual_information(x.x, x.y, estimator=est, num_threads=t),)
        ), f"estimator={est!r}"
    if name == "numpy":
        return (lambda: (numpy_mi(x.x, x.y),)), "np.bincount of x*Ky+y, float64 xlogy"
    if name == "numpy-unique":
        return (lambda: (numpy_unique_mi(x.x, x.y),)), "np.unique counts of x, y, x*Ky+y"
    if name == "sklearn":
        from sklearn.metrics import mutual_info_score

        return (lambda: (mutual_info_score(x.x, x.y),)), "sklearn.metrics.mutual_info_score"
    if name == "sklearn-loop":
        from sklearn.metrics import mutual_info_score

        cols = [np.ascontiguousarray(x.x[:, j]) for j in range(x.x.shape[1])]
        return (
            lambda: tuple(mutual_info_score(c, x.y) for c in cols)
        ), "[mutual_info_score(layer[:, j], y) for j in range(m)]"
    if name == "numpy-loop":
        cols = [np.ascontiguousarray(x.x[:, j]) for j in range(x.x.shape[1])]
        return (lambda: tuple(numpy_mi(c, x.y) for c in cols)), "[numpy_mi(layer[:, j], y) ...]"
    if name == "pyitlib":
        from pyitlib import discrete_random_variable as drv

        return (lambda: (float(drv.information_mutual(x.x, x.y, base=math.e)),)), "ML, nats"
    if name == "infomeasure":
        import infomeasure as im

        return (
            lambda: (float(im.mutual_information(x.x, x.y, approach="discrete", base="e")),)
        ), 'approach="discrete", base="e"'
    if name == "dit":
        import dit

        def run() -> tuple[float]:
            words, counts = np.unique(np.stack([x.x, x.y], 1), axis=0, return_counts=True)
            d = dit.Distribution([tuple(w) for w in words.tolist()], counts / counts.sum())
            d.set_base("e")
            return (float(dit.shannon.mutual_information(d, [0], [1])),)

        return run, "dit.Distribution of the (x, y) pairs + shannon.mutual_information"
    raise ValueError(f"unknown candidate {name!r}")


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate (to skip hopeless ones)."""
    if TASKS[task].kind == "matrix":
        per_col = {"softent": 1e-9, "sklearn-loop": 8e-8, "numpy-loop": 2e-8}
        return n * 8 * 4, n * d * per_col.get(cand, 1e-8)
    cells = d * b
    if cand == "numpy":
        return cells * 8 * 3 + n * 8, n * 2e-8 + cells * 2e-8
    if cand == "numpy-unique":
        return n * 8 * 6, n * 2.5e-7
    if cand == "dit":
        return n * 8 * 8 + cells * 200, n * 6e-6
    if cand in ("pyitlib", "infomeasure", "sklearn"):
        return n * 8 * 8 + min(cells, 4 * n) * 8 * 4, n * 1.5e-6
    return min(cells * 8 * 4, n * 8 * 8), n * 2e-8 + min(cells, n) * 2e-8


def targets(rows: list[dict]) -> list[str]:
    """PASS/MISS lines of the issue's targets, from whichever rows were measured."""

    def find(task: str, cand: str) -> dict | None:
        for r in rows:
            if (r["task"], r["candidate"]) == (task, cand) and r["n"] >= 100_000:
                return r
        return None

    out = []
    for task, cand, goal, what in (
        ("MI-plugin", "sklearn", 10, "plug-in MI: sklearn mutual_info_score / softent"),
        ("MI-plugin", "numpy", 1, "plug-in MI: NumPy bincount formula / softent"),
        ("MI-matrix", "sklearn-loop", 20, "MI matrix: loop of mutual_info_score / softent"),
    ):
        r = find(task, cand)
        if r is not None and r.get("ratio") is not None:
            ok = r["ratio"] >= goal
            size = f"N={r['n']:,} ({r['d']:,} x {r['b']:,})"
            out.append(f"{'PASS' if ok else 'MISS'}  {what}, {size}: {r['ratio']:.3g} (>= {goal})")
    for e in CORRECTED:
        r = find("MI-corrected", f"softent-{e}")
        if r is not None and r.get("ratio") is not None:
            ok = r["ratio"] <= 2
            out.append(
                f"{'PASS' if ok else 'MISS'}  {e} MI / plug-in MI time: {r['ratio']:.3g} (<= 2)"
            )
    return out
