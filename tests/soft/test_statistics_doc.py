"""docs/statistics.md: its worked example runs as pasted and prints the numbers the page
quotes (the page's claims about raw vs null-corrected MI are these numbers)."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"


def test_the_worked_example_runs_and_prints_what_the_page_says(tmp_path):
    text = DOC.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    printed = re.search(r"It prints.*?\n```\n(.*?)```", text, re.DOTALL).group(1).splitlines()
    script = tmp_path / "statistics_example.py"
    script.write_text(code, encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(script))
    lines = out.getvalue().splitlines()
    assert lines[: len(printed)] == printed
    assert "I-E[null]" in out.getvalue()
    assert "I seeds sd" in out.getvalue()
