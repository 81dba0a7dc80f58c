"""How long ``import softent`` takes, in fresh interpreters (issue 14: at most 0.5 s).

    python -m benchmarks.import_time [--runs 7] [--top 8] [--json]

Each run is a new ``python -X importtime -c "import softent"`` (nothing cached in the
process; the OS file cache is warm after the first run, which is not counted). Prints the
median and the range of the total, the median wall time of the subprocess, the
modules with the largest cumulative import time in the median run, and whether SciPy's
heavy subpackages were imported (they should load only when first used). Not a test: a
timing depends on the machine and its load, so the load average is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PROBE = (
    "import sys, softent; "
    "print('SCIPY', ','.join(sorted(m for m in sys.modules "
    "if m in ('scipy.optimize', 'scipy.special', 'scipy.integrate', 'scipy.linalg'))))"
)


def one_run() -> tuple[float, float, list[tuple[str, float]], str]:
    """(importtime total s, subprocess wall s, [(module, cumulative s)], heavy scipy modules)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "python"), *filter(None, [env.get("PYTHONPATH")])]
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - t0
    # the -X importtime format: "import time: self [us] | cumulative [us] | name"
    parsed = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            _, cum, name = (p.strip() for p in line.split("|"))
            parsed.append((name.strip(), int(cum) / 1e6))
    total = next(c for n, c in reversed(parsed) if n == "softent")
    heavy = proc.stdout.strip().removeprefix("SCIPY").strip()
    return total, wall, parsed, heavy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.import_time", description=__doc__)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    one_run()  # warm the OS file cache
    runs = [one_run() for _ in range(max(1, args.runs))]
    totals = [r[0] for r in runs]
    median = statistics.median(totals)
    mid = min(runs, key=lambda r: abs(r[0] - median))
    top = sorted(
        ((n, c) for n, c in mid[2] if n.startswith(("softent", "scipy", "numpy", "torch"))),
        key=lambda x: -x[1],
    )[: args.top]
    doc = {
        "runs": len(runs),
        "import_s_median": median,
        "import_s_min": min(totals),
        "import_s_max": max(totals),
        "wall_s_median": statistics.median(r[1] for r in runs),
        "heavy_scipy_imported": mid[3] or None,
        "top_cumulative_s": dict(top),
        "load_average": os.getloadavg(),
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    print(
        f"import softent: median {median:.3f} s (min {min(totals):.3f}, max {max(totals):.3f}) "
        f"over {len(runs)} fresh interpreters; subprocess wall {doc['wall_s_median']:.3f} s"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in doc['load_average'])}")
    print(f"heavy SciPy subpackages imported: {doc['heavy_scipy_imported'] or 'none'}")
    for name, cum in top:
        print(f"  {cum:7.3f} s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
