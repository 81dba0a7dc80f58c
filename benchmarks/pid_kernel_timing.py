"""Timing of softent.pid.decompose (SxPID) on an nninfo-like quantised layer (a plain
script: no assertions, prints a table).

    PYTHONPATH=python python benchmarks/pid_kernel_timing.py [--repeats 7] [--sources 4 5]

The layer: N = 60,000 samples, 8 levels per neuron (nninfo's binning of tanh activations
into equal-width bins over [-1, 1]), 10 labels. Activations are the tanh of correlated
Gaussians (a random linear map of 16 latent Gaussians plus noise), labels the argmax of a
noisy linear readout of the same latents: realistic numbers of distinct outcomes (about
20,000 at 4 neurons, 35,000 at 5). For each number of sources and threads it reports the
best and median wall time of the whole decompose from samples, and its parts: building the
pmf (as_pmf), the subset marginals (Pmf.subset_masses), and the rest of decompose on that
pmf (the SxPID kernel, the Möbius inversion and the Shannon summaries); and the best CPU
time of the whole decompose (all threads), which on a shared machine is what a call costs
when it does not wait for a core.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from softent import pid


def layer(n: int, samples: int = 60_000, levels: int = 8, labels: int = 10, seed: int = 0):
    """(sources: n arrays [N] of codes 0..levels-1, target [N] labels)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(samples, 16))
    pre = latent @ rng.normal(size=(16, n)) / 4.0 * 1.5 + 0.3 * rng.normal(size=(samples, n))
    act = np.tanh(pre)
    codes = np.clip(np.floor((act + 1) / 2 * levels), 0, levels - 1).astype(np.int64)
    readout = latent @ rng.normal(size=(16, labels)) + 0.5 * rng.normal(size=(samples, labels))
    return [codes[:, i] for i in range(n)], np.argmax(readout, axis=1)


def timed(f, repeats: int, *args, **kwargs) -> tuple[float, float]:
    """(best, median) wall seconds of ``repeats`` calls of f(*args, **kwargs)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def cpu_timed(f, repeats: int, *args, **kwargs) -> float:
    """The best CPU seconds (this process, all its threads) of ``repeats`` calls: on a
    shared machine, what a call costs when it is not waiting for a core."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        f(*args, **kwargs)
        times.append(time.process_time() - t0)
    return min(times)


def masses_from_samples(sources: list, labels: np.ndarray, threads: int) -> None:
    pid.as_pmf(sources, labels).subset_masses(threads)


def row(n: int, sources: list, labels: np.ndarray, threads: int, repeats: int) -> str:
    best, median = timed(pid.decompose, repeats, sources, labels, num_threads=threads)
    cpu = cpu_timed(pid.decompose, repeats, sources, labels, num_threads=threads)
    t_pmf, _ = timed(pid.as_pmf, repeats, sources, labels)
    t_masses, _ = timed(masses_from_samples, repeats, sources, labels, threads)
    p = pid.as_pmf(sources, labels)
    p.subset_masses(threads)
    t_rest, _ = timed(pid.decompose, repeats, p, num_threads=threads)
    return (
        f"{n:>2} {len(p):>6} {threads:>3}  {best * 1e3:>9.1f} / {median * 1e3:>7.1f} ms"
        f"  {cpu * 1e3:>8.1f} ms   {t_pmf * 1e3:.1f}, {max(t_masses - t_pmf, 0.0) * 1e3:.1f}, {t_rest * 1e3:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--sources", type=int, nargs="+", default=[4, 5])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print(
        f"{'n':>2} {'K':>6} {'thr':>3}  {'wall best / median':>22}  {'CPU best':>11}"
        "   parts (wall, best): pmf, masses, rest"
    )
    for n in args.sources:
        sources, labels = layer(n)
        pid.decompose(sources, labels)  # warm: lattice built, pages touched
        repeats = args.repeats if n < 5 else max(2, args.repeats // 2)
        for threads in args.threads:
            print(row(n, sources, labels, threads, repeats), flush=True)


if __name__ == "__main__":
    main()
