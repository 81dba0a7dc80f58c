"""The ratio table (one row per task, size and candidate) and the ``--json`` document.

A row is a dict: ``task, n, d, b, candidate`` and, where measured, ``time_s`` (median),
``ratio`` (candidate time / softent time of the same task and size: > 1, softent is
faster), ``extra_mib`` (peak extra memory), ``rel_diff`` (largest difference of its
values from softent's, relative to softent's first value), ``note``, ``skipped``,
``error``, ``single_run``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

HEAD = ("task", "N", "D", "B", "candidate", "time s", "x softent", "extra MiB", "max rel diff")
RIGHT = {1, 2, 3, 5, 6, 7, 8}


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.3g}" if t < 100 else f"{t:.0f}"


def rel_diff(a: list[float] | None, b: list[float] | None) -> float | None:
    """Largest |a_i - b_i| / |a_0| over the values both have (NaN: not computed)."""
    if not a or not b:
        return None
    diffs = [
        abs(x - y) / max(abs(a[0]), 1e-12)
        for x, y in zip(a, b, strict=False)
        if not (math.isnan(x) or math.isnan(y))
    ]
    return max(diffs) if diffs else None


def print_table(
    rows: list[dict], labels: dict[str, str], roofline: str | None = None, out: TextIO | None = None
) -> None:
    """Aligned rows; ``labels`` names the candidates; the ``roofline`` candidate's ratio
    also shows softent / roofline."""
    out = out or sys.stdout
    lines = [(*HEAD, "note")]
    for r in rows:
        ratio = r.get("ratio")
        rtxt = "-" if ratio is None else (f"{ratio:.3g}" if ratio < 100 else f"{ratio:.0f}")
        if r["candidate"] == roofline and ratio:
            rtxt += f" (softent/{roofline} {1 / ratio:.2f})"
        mem, diff = r.get("extra_mib"), r.get("rel_diff")
        note = r.get("skipped") or r.get("error") or r.get("note") or ""
        if r.get("single_run"):
            note = ("1 run; " + note).strip("; ")
        lines.append(
            (
                r["task"],
                f"{r['n']:,}",
                str(r["d"]),
                str(r["b"]),
                labels.get(r["candidate"], r["candidate"]),
                fmt_time(r.get("time_s")),
                rtxt,
                "-" if mem is None else f"{mem:.0f}",
                "-" if diff is None else f"{diff:.1e}",
                note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEAD))]
    for i, line in enumerate(lines):
        cells = [
            c.rjust(w) if j in RIGHT else c.ljust(w)
            for j, (c, w) in enumerate(zip(line, widths, strict=False))
        ]
        print("  ".join(cells) + "  " + line[-1], file=out)
        if i == 0:
            print("-" * (sum(widths) + 2 * len(widths) + 4), file=out)
    out.flush()


def write_json(path: Path, settings: dict[str, Any], rows: list[dict], targets: list[str]) -> None:
    """``{"settings", "rows", "targets"}``, the machine-readable form of one run."""
    path.write_text(json.dumps({"settings": settings, "rows": rows, "targets": targets}, indent=1))
