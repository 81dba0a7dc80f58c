"""``softent analyze`` on a memory-mapped float32 .npy: wall time and peak memory above the map.

The file (N x D float32, 10 labels) is written once per session; ``softent analyze`` runs
in a fresh process while a sampler reads its ``RssAnon`` (memory that is not the mapped
file) every 10 ms; the peak is reported in ``extra_info`` and must stay within the
issue's 256 MB bound. Sizes: N=20k, D=64 for the CI smoke run; N=1M, D=768 (a 3 GB file)
with ``SOFTENT_BENCH_FULL=1``.

    SOFTENT_BENCH_FULL=1 python -m pytest benchmarks/test_bench_analyze.py --benchmark-only
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks._harness.env import size

N, D = size((20_000, 64), (1_000_000, 768))
LIMIT_BYTES = 256 << 20


@pytest.fixture(scope="module")
def activation_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("analyze")
    path, labels = folder / "acts.npy", folder / "y.npy"
    z = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(N, D))
    rng = np.random.default_rng(0)
    means = rng.standard_normal((10, D)).astype(np.float32)
    y = rng.integers(0, 10, N)
    for a in range(0, N, 65_536):  # written in chunks: never N x D in memory
        b = min(N, a + 65_536)
        z[a:b] = means[y[a:b]] + rng.standard_normal((b - a, D), dtype=np.float32)
    z.flush()
    del z
    np.save(labels, y)
    return path, labels


def rss_anon(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def run_analyze(path: Path, labels: Path, out: Path) -> dict:
    """Run the CLI in a fresh process; (seconds, peak RssAnon bytes)."""
    cmd = [
        sys.executable,
        "-m",
        "softent.cli",
        "analyze",
        str(path),
        "--labels",
        f"y={labels}",
        "--out",
        str(out),
        "--no-plots",
        "--no-progress",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, rss_anon(proc.pid))
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = proc.communicate()
    stop.set()
    sampler.join()
    assert proc.returncode == 0, stderr
    return {"seconds": time.perf_counter() - t0, "peak_anon_bytes": peak, "stdout": stdout}


def test_analyze_npy_bounded_memory(benchmark, activation_file, tmp_path):
    path, labels = activation_file
    benchmark.group = f"softent analyze, {N} x {D} float32 .npy, 10 labels"
    result = benchmark.pedantic(run_analyze, args=(path, labels, tmp_path), rounds=1, iterations=1)
    benchmark.extra_info.update(
        seconds=result["seconds"],
        peak_anon_mib=result["peak_anon_bytes"] / 2**20,
        file_mib=path.stat().st_size / 2**20,
    )
    assert (tmp_path / "report.json").exists()
    # memory above the map (the interpreter, numpy, the chunk, the histograms)
    assert 0 < result["peak_anon_bytes"] <= LIMIT_BYTES, result["peak_anon_bytes"] / 2**20
