"""The PID family: shared-exclusion PID (SxPID) of softent.pid against dit's ``PID_SX`` and
the reference ``sxpid`` package (what nninfo calls), on :mod:`benchmarks._harness`.

Tasks (each compares candidates computing the same atoms, nats, in softent's lattice order):

- ``SX-pmf``   SxPID of a seeded random pmf with full support over n sources and a target,
               every variable with B values; the table's (N, D, B) = (outcomes B^(n+1),
               n, B). Candidates: ``softent.pid.decompose(pmf)``, dit
               ``PID_SX(dist, [[0], ..., [n-1]], [n])`` (``get_pi`` of every node),
               ``sxpid.SxPID.pid(pdf_dict, pointwise=False, n_threads=1)``.
- ``SX-layer`` nninfo's analysis of a quantised layer: seeded tanh activations of n neurons
               (labels 0..B-1, noise giving ~30,000 distinct outcomes for n = 5 at N =
               60,000, as MNIST's in the issue), 8 levels; the table's (N, D, B) = (samples,
               n neurons, labels). Candidates: ``softent.pid.layer_complexity`` (quantise,
               count, decompose: the whole call) and ``sxpid`` on the pmf nninfo builds (a
               ``Counter`` of the level tuples; only ``SxPID.pid`` is timed).

The peers cost far more than the issue's sizes allow on a benchmark machine (dit: 11 s for
n = 3 with binary variables, 222 s with ternary; sxpid: ~0.7 s per outcome at n = 5 for
small pmfs, more for large ones, since each outcome scans every outcome once per node), so
their rows at those sizes are skipped by estimate and **extrapolated** instead:

    python -m benchmarks.pid extrapolate --python /path/to/peers/bin/python [--json F]

times sxpid's per-outcome work (``compute_i_cap_plus`` + ``compute_i_cap_minus`` of a few
outcomes of the full pmf: every outcome does the same work) and multiplies by the number
of outcomes, and fits dit's time over the sizes it can finish; both printed labelled as
extrapolations.

The reference ``sxpid`` (github.com/Abzinger/SxPID, not on PyPI) ships its Möbius
matrices as ``sxpid/moebius.pkl``, which may be missing from a copy of the repository (it
is large); ``python -m benchmarks.pid sxpid-moebius sxpid/lattices.pkl sxpid/moebius.pkl``
rebuilds it (the inverse of its zeta matrix over the antichains of ``lattices.pkl``, in
that file's order), then ``pip install --no-deps ./SxPID prettytable tqdm``.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import pickle
import sys
import time
from collections import Counter
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


TASKS = {
    "SX-pmf": Task("pmf", ("softent", "dit", "sxpid")),
    "SX-layer": Task("layer", ("softent", "sxpid")),
}
LABELS = {
    "softent": "softent",
    "dit": "dit PID_SX",
    "sxpid": "sxpid SxPID.pid (nninfo's)",
}
ROOFLINE = None
NEEDS = {"dit": "dit", "sxpid": "sxpid"}
THREAD_IMPORTS: tuple[str, ...] = ()

#: quantisation levels of the layer task (nninfo's paper: 8)
LEVELS = 8
#: the layer task's activation noise: ~30,000 distinct outcomes for 5 neurons at N = 60,000
NOISE = 1.0

SIZES = {
    "quick": "n=3 binary pmf (all peers), n=3 alphabet 8 (4096 outcomes), 4- and 5-neuron layers at N=60,000",
    "issue": "quick, plus n=3 ternary (dit ~4 min: raise --peer-max-s) and n=4, 5 alphabet-4 pmfs",
}
GRIDS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "quick": [
        ("SX-pmf", (16, 3, 2)),
        ("SX-pmf", (4096, 3, 8)),
        ("SX-layer", (60_000, 4, 10)),
        ("SX-layer", (60_000, 5, 10)),
    ],
    "issue": [
        ("SX-pmf", (16, 3, 2)),
        ("SX-pmf", (81, 3, 3)),
        ("SX-pmf", (4096, 3, 8)),
        ("SX-pmf", (1024, 4, 4)),
        ("SX-layer", (60_000, 4, 10)),
        ("SX-layer", (60_000, 5, 10)),
    ],
}


plan = defaults.grid_plan(TASKS, GRIDS)
add_arguments = defaults.add_arguments
options = defaults.options


# ----------------------------------------------------------------------------- data


def random_pmf(n: int, alphabet: int, seed: int = 0) -> np.ndarray:
    """A seeded pmf with full support, n sources + a target of ``alphabet`` values each:
    an array with n + 1 axes (Dirichlet(1) masses)."""
    rng = np.random.default_rng([0x51D, seed, n, alphabet])
    return rng.dirichlet(np.ones(alphabet ** (n + 1))).reshape((alphabet,) * (n + 1))


@functools.lru_cache(maxsize=4)
def layer_data(n_samples: int, n_neurons: int, n_labels: int, seed: int = 0) -> tuple:
    """nninfo-like tanh activations [N, n] (float32) of a layer whose neurons depend on
    labels [N] in 0..n_labels-1: tanh(W[label] + noise)."""
    rng = np.random.default_rng([0x1A7E, seed])
    labels = rng.integers(0, n_labels, n_samples)
    w = rng.normal(0.0, 1.0, (n_labels, 5))[:, :n_neurons]
    z = np.tanh(w[labels] + rng.normal(0.0, NOISE, (n_samples, 5))[:, :n_neurons])
    return z.astype(np.float32), labels


def layer_codes(z: np.ndarray) -> np.ndarray:
    """The level indices of nninfo's Q3 quantiser (8 levels on (-1, 1)), as int64."""
    scale = 2.0 / (LEVELS - 1)
    return np.rint((z.astype(np.float64) + 1.0) / scale).astype(np.int64)


def nninfo_pdf(codes: np.ndarray, labels: np.ndarray) -> dict:
    """nninfo's ``Binning.get_pdf``: a Counter of the tuples (levels..., label) / N."""
    counts = Counter(map(tuple, np.column_stack([codes, labels]).tolist()))
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def pmf_dict(table: np.ndarray) -> dict:
    return {tuple(int(i) for i in idx): float(table[idx]) for idx in np.ndindex(*table.shape)}


@dataclass
class Inputs:
    task: str
    size: tuple[int, int, int]
    seed: int
    threads: int = env.THREADS
    extra: dict = field(default_factory=dict)

    def head(self, rows: int) -> Inputs:
        if TASKS[self.task].kind == "layer":
            return Inputs(
                self.task, (min(rows, self.size[0]), *self.size[1:]), self.seed, self.threads
            )
        return self

    def describe(self) -> dict[str, Any]:
        return {"outcomes": outcomes(self.task, *self.size, seed=self.seed)}


def outcomes(task: str, n: int, d: int, b: int, seed: int = 0) -> int:
    """Distinct outcomes (sources..., target) of a task's pmf."""
    if TASKS[task].kind == "pmf":
        return b ** (d + 1)
    z, y = layer_data(n, d, b, seed)
    return int(np.unique(np.column_stack([layer_codes(z), y]), axis=0).shape[0])


def write_data(folder: Path, n: int, d: int, seed: int, tasks: set[str]) -> None:
    """Nothing to write: every worker draws its seeded data (cheap next to the timings)."""


def load_inputs(spec: dict) -> Inputs:
    return Inputs(spec["task"], tuple(spec["size"]), spec["seed"], spec["threads"])


# ----------------------------------------------------------------------------- candidates


def _canonical(node: Any, shift: int = 0) -> tuple:
    sets = (tuple(sorted(int(i) + shift for i in a)) for a in node)
    return tuple(sorted(sets, key=lambda a: (len(a), a)))


def _nodes(n: int) -> tuple:
    from softent.pid import lattice

    return lattice(n).nodes


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): ``fn()`` returns the atoms (nats) in softent's lattice order."""
    n, d, b = x.size
    kind = TASKS[x.task].kind
    if kind == "pmf":
        table = random_pmf(d, b, x.seed)
    else:
        z, y = layer_data(n, d, b, x.seed)
    nodes = _nodes(d)
    if name == "softent":
        import softent.pid as P

        if kind == "pmf":

            def run() -> list[float]:
                res = P.decompose(table, num_threads=x.threads)
                return [res.atoms[k] for k in nodes]

            return run, "softent.pid.decompose(pmf array)"

        def run_layer() -> list[float]:
            res = P.layer_complexity(z, y, levels=LEVELS, limits="tanh", num_threads=x.threads)
            return [res.atoms[k] for k in nodes]

        return (
            run_layer,
            "softent.pid.layer_complexity(acts, labels, levels=8): quantise+count+SxPID",
        )
    if name == "dit":
        import dit
        from dit.pid import PID_SX

        outs = [tuple(int(i) for i in idx) for idx in np.ndindex(*table.shape)]
        dist = dit.Distribution(outs, table.ravel())

        def run_dit() -> list[float]:
            pid = PID_SX(dist, [[i] for i in range(d)], [d])
            got = {_canonical(k, 1): pid.get_pi(k) for k in pid._lattice}
            return [got[k] * math.log(2) for k in nodes]

        return run_dit, "dit.pid.PID_SX(Distribution, sources, target), bits -> nats"
    if name == "sxpid":
        from sxpid import SxPID

        pdf = pmf_dict(table) if kind == "pmf" else nninfo_pdf(layer_codes(z), y)
        sx_pdf = SxPID.PDF.from_dict(pdf)  # nninfo's conversion, outside the timing

        def run_sx() -> list[float]:
            avg = SxPID.pid(sx_pdf, verbose=0, n_threads=1, pointwise=False)
            got = {_canonical(k): v[2] for k, v in avg.items()}
            return [got[k] * math.log(2) for k in nodes]

        return run_sx, "SxPID.pid(PDF, pointwise=False, n_threads=1), bits -> nats"
    raise ValueError(f"unknown candidate {name!r}")


#: lattice sizes (nodes) by n
_L = {1: 1, 2: 4, 3: 18, 4: 166, 5: 7579}


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate (to skip hopeless ones).
    The peers' models are fits of this machine's measurements (module docstring)."""
    k = outcomes(task, n, d, b)
    nodes = _L[d]
    if cand == "softent":
        return 48.0 * k * nodes + 64.0 * n, 2e-7 * k * nodes + 1e-6 * k * 2**d + 1e-7 * n
    if cand == "dit":  # 11 s at 16 outcomes (n = 3), 222 s at 81: ~ K^1.85
        return 4096.0 * k, 11.0 * (k / 16) ** 1.85 * (nodes / 18)
    # sxpid: every outcome evaluates 2 unions per node over all K outcomes
    return 200.0 * k * (d + 1) + 8.0 * nodes * nodes, k * nodes * 2 * (5e-5 + 2e-9 * k * (d + 1))


def targets(rows: list[dict]) -> list[str]:
    """PASS/MISS lines of the issue's speed targets, from whichever rows were measured."""
    out = []
    for r in rows:
        if r["candidate"] != "softent" or r.get("time_s") is None:
            continue
        if r["task"] == "SX-layer" and r["n"] == 60_000 and r["d"] in (4, 5):
            goal = 0.020 if r["d"] == 4 else 1.5
            ok = r["time_s"] <= goal
            out.append(
                f"{'PASS' if ok else 'MISS'}  {r['d']}-neuron layer, 8 levels, {r['b']} labels, "
                f"N=60,000: {r['time_s']:.3g} s (<= {goal:g} s)"
            )
    for r in rows:
        if r["task"] == "SX-pmf" and r["candidate"] == "dit" and r.get("ratio"):
            ok = r["ratio"] >= 1000
            out.append(
                f"{'PASS' if ok else 'MISS'}  SxPID n={r['d']}, alphabet {r['b']}: dit PID_SX / "
                f"softent = {r['ratio']:.3g} (>= 1000; the issue's size, alphabet 8, is "
                "extrapolated: python -m benchmarks.pid extrapolate)"
            )
    return out


# ----------------------------------------------------------------------------- extrapolation


def peer_scaling(spec: dict) -> dict:
    """Worker (``{"call": "benchmarks.pid:peer_scaling"}``): the measurements the
    extrapolations rest on.

    - sxpid on the 4- and 5-neuron layers at N = 60,000: the seconds of
      ``compute_i_cap_plus`` + ``compute_i_cap_minus`` (the whole per-outcome work of
      ``SxPID.pid``) for ``spec["sx_outcomes"]`` outcomes of the full pmf, times K;
    - dit PID_SX, n = 3, alphabet 2 (and 3 when ``spec["dit_max_s"]`` allows): measured
      seconds, a power law in K fitted through them, evaluated at K = 8^4.
    """
    out: dict[str, Any] = {"sxpid": [], "dit": []}
    if spec.get("sxpid", True):
        from sxpid import SxPID

        for d in (4, 5):
            z, y = layer_data(60_000, d, 10, spec["seed"])
            pdf = SxPID.PDF.from_dict(nninfo_pdf(layer_codes(z), y))
            achains = SxPID.load_achains(d)
            plus = [SxPID.get_bool_mask(d, a, False) for a in achains]
            minus = [SxPID.get_bool_mask(d, a, True) for a in achains]
            rows = np.random.default_rng(1).choice(pdf.nRlz, spec["sx_outcomes"], replace=False)
            times = []
            for r in rows:
                t0 = time.perf_counter()
                SxPID.compute_i_cap_plus(pdf, plus, pdf.coords[r])
                SxPID.compute_i_cap_minus(pdf, minus, pdf.coords[r])
                times.append(time.perf_counter() - t0)
            per = float(np.mean(times))
            out["sxpid"].append(
                {
                    "neurons": d,
                    "outcomes": int(pdf.nRlz),
                    "nodes": len(achains),
                    "sampled_outcomes": len(times),
                    "seconds_per_outcome": per,
                    "extrapolated_total_s": per * pdf.nRlz,
                }
            )
    if spec.get("dit", True):
        import dit
        from dit.pid import PID_SX

        for alphabet in (2, 3):
            table = random_pmf(3, alphabet, spec["seed"])
            k = table.size
            if alphabet == 3 and spec["dit_max_s"] < 250:
                break
            outs = [tuple(int(i) for i in idx) for idx in np.ndindex(*table.shape)]
            dist = dit.Distribution(outs, table.ravel())
            t0 = time.perf_counter()
            PID_SX(dist, [[0], [1], [2]], [3])
            out["dit"].append(
                {"alphabet": alphabet, "outcomes": k, "seconds": time.perf_counter() - t0}
            )
    return out


def _softent_time(task: str, size: tuple[int, int, int], repeat: int = 3) -> float:
    """softent's median seconds on the same input (this interpreter)."""
    fn, _ = candidate("softent", Inputs(task, size, 0))
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def extrapolate(argv: list[str]) -> int:
    """``python -m benchmarks.pid extrapolate``: the peers at the issue's sizes, extrapolated
    from what they finish (see :func:`peer_scaling`), next to softent measured."""
    from benchmarks._harness import workers

    p = argparse.ArgumentParser(prog="python -m benchmarks.pid extrapolate")
    p.add_argument("--python", default=sys.executable, help="the interpreter with dit and sxpid")
    p.add_argument("--sx-outcomes", type=int, default=3, help="sxpid outcomes timed per layer")
    p.add_argument(
        "--dit-max-s", type=float, default=60.0, help="250+: also time dit at alphabet 3"
    )
    p.add_argument("--no-dit", action="store_true")
    p.add_argument("--no-sxpid", action="store_true")
    p.add_argument("--threads", type=int, default=env.THREADS)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    spec = {
        "call": "benchmarks.pid:peer_scaling",
        "threads": args.threads,
        "seed": 0,
        "sx_outcomes": args.sx_outcomes,
        "dit_max_s": args.dit_max_s,
        "dit": not args.no_dit,
        "sxpid": not args.no_sxpid,
    }
    res = workers.run_worker(args.python, spec, timeout=7200)
    if "error" in res:
        print(f"peer worker failed: {res['error']}", file=sys.stderr)
        return 1
    env.pin_threads(args.threads)
    lines = []
    for r in res["sxpid"]:
        mine = _softent_time("SX-layer", (60_000, r["neurons"], 10))
        t = r["extrapolated_total_s"]
        lines.append(
            f"EXTRAPOLATED  sxpid, {r['neurons']}-neuron layer (N=60,000, {r['outcomes']:,} outcomes, "
            f"{r['nodes']} nodes): {r['seconds_per_outcome']:.3g} s/outcome measured on "
            f"{r['sampled_outcomes']} outcomes x {r['outcomes']:,} = {t:,.0f} s ({t / 3600:.2f} CPU-h); "
            f"softent measured {mine:.3g} s -> ratio ~{t / mine:,.0f}x"
        )
        r["softent_s"] = mine
    fit = None
    if res["dit"]:
        ks = np.array([r["outcomes"] for r in res["dit"]], dtype=float)
        ts = np.array([r["seconds"] for r in res["dit"]])
        slope = float(np.polyfit(np.log(ks), np.log(ts), 1)[0]) if len(ks) > 1 else 1.85
        k8 = 8**4
        t8 = float(ts[-1] * (k8 / ks[-1]) ** slope)
        mine = _softent_time("SX-pmf", (k8, 3, 8))
        fit = {"exponent": slope, "fitted_on": res["dit"], "alphabet8_s": t8, "softent_s": mine}
        for r in res["dit"]:
            lines.append(
                f"MEASURED      dit PID_SX, n=3, alphabet {r['alphabet']} ({r['outcomes']} outcomes): "
                f"{r['seconds']:.3g} s"
            )
        how = "fitted" if len(ks) > 1 else "assumed (from 2 and 3 measured earlier)"
        lines.append(
            f"EXTRAPOLATED  dit PID_SX, n=3, alphabet 8 (4,096 outcomes): t ~ K^{slope:.2f} ({how}) "
            f"-> {t8:,.0f} s ({t8 / 3600:.1f} h); softent measured {mine:.3g} s -> ratio ~{t8 / mine:,.0f}x"
        )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"peers": res, "dit_fit": fit, "lines": lines}, indent=1))
        print(f"wrote {args.json}")
    return 0


# ----------------------------------------------------------------------------- sxpid's Möbius file


def _upset(alpha: Any, n: int) -> int:
    """The source masks containing some set of ``alpha`` (1-based sets), as bits."""
    u = 0
    for m in range(1, 1 << n):
        members = {i + 1 for i in range(n) if m >> i & 1}
        if any(set(a) <= members for a in alpha):
            u |= 1 << m
    return u


def sxpid_moebius(lattices_pkl: Path, out: Path) -> None:
    """Rebuild the reference package's ``moebius.pkl`` ({n: [antichains, Möbius matrix]},
    n = 2..5, antichains in ``lattices.pkl``'s order, int8 matrix) as its own
    ``generate_lattices.compute_moebius_inversion`` does — the rounded inverse of the zeta
    matrix forward[α][β] = 1 when β ≼ α — with β ≼ α computed on up-set bitmasks (its
    pure-Python comparison takes hours at n = 5)."""
    with open(lattices_pkl, "rb") as f:
        lattices = pickle.load(f)
    moebius = {}
    for n in sorted(lattices):
        achains = list(lattices[n].keys())
        u = np.array([_upset(a, n) for a in achains], dtype=np.uint64)
        forward = ((u[:, None] & ~u[None, :]) == 0).astype(np.float64)  # U(α) ⊆ U(β)
        inverse = np.around(np.linalg.inv(forward)).astype(np.byte)
        check = inverse.astype(np.float64) @ forward
        if not np.allclose(check, np.eye(len(u))):
            raise RuntimeError(f"the Möbius matrix of n={n} does not invert the zeta matrix")
        moebius[n] = [achains, inverse]
        print(f"n={n}: {len(achains)} antichains", flush=True)
    with open(out, "wb") as f:
        pickle.dump(moebius, f)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["extrapolate"]:
        return extrapolate(argv[1:])
    if argv[:1] == ["sxpid-moebius"] and len(argv) == 3:
        sxpid_moebius(Path(argv[1]), Path(argv[2]))
        return 0
    print(
        "usage: python -m benchmarks.pid extrapolate [--python PY] [--json F]\n"
        "       python -m benchmarks.pid sxpid-moebius LATTICES.pkl OUT.pkl\n"
        "(the table: python -m benchmarks --family pid)",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
