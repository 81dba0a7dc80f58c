"""The wall time of ``softent demo`` as a user runs it: a fresh process (imports of
softent, torch, scikit-learn and matplotlib included), training, monitoring every layer,
``report.json`` and the three PNGs. The claim in the README and issue 5: < 60 s on 2 cores.

- ``pytest benchmarks/test_bench_demo.py`` (benchmarks enabled) times the full demo
  (60 epochs, B = 100) once and checks it finishes in under 60 s;
- ``pytest benchmarks --benchmark-disable`` (the CI smoke run) runs ``--quick`` only,
  unless ``SOFTENT_BENCH_FULL=1``.

The command: ``softent demo`` when the console script is on PATH next to this
interpreter, else ``python -m softent.cli demo`` (the same code).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks._harness import env

pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

CLAIM_S = 60.0


def demo_command() -> list[str]:
    script = Path(sys.executable).with_name("softent")
    if script.exists():
        return [str(script), "demo"]
    found = shutil.which("softent")
    if found and Path(found).resolve().parent == Path(sys.executable).resolve().parent:
        return [found, "demo"]
    return [sys.executable, "-m", "softent.cli", "demo"]


def test_softent_demo_wall_time(benchmark: Any, tmp_path: Path) -> None:
    full = env.full() or not benchmark.disabled
    cmd = [*demo_command(), "--out", str(tmp_path / "demo"), *([] if full else ["--quick"])]
    walls: list[float] = []

    def run() -> None:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
        walls.append(time.perf_counter() - t0)
        assert proc.returncode == 0, proc.stderr[-2000:]

    if not benchmark.disabled:
        time.sleep(0.3)  # let the previous test's thread pools stop spinning (2 cores)
    benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    doc = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert list(doc["layers"]) == ["act1", "act2", "act3", "out"]
    for name in ("curves.png", "information_plane.png", "occupancy_out.png"):
        assert (tmp_path / "demo" / name).stat().st_size > 10_000
    benchmark.extra_info.update(
        {
            "command": " ".join(cmd),
            "wall_s": walls[-1],
            "epochs": doc["settings"]["epochs"],
            "threads": env.THREADS,
        }
    )
    if full:
        assert doc["settings"]["epochs"] == 60
        assert walls[-1] < CLAIM_S, (
            f"softent demo took {walls[-1]:.1f} s (claim: < {CLAIM_S:.0f} s)"
        )
