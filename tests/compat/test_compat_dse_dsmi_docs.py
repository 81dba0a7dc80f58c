"""docs/coming-from/dse-dsmi.md: every ```python block runs as written and its assertions
hold (blocks starting ``# needs dse-dsmi`` only where dse-dsmi is installed)."""

from __future__ import annotations

import importlib.util
import re
import runpy
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "coming-from" / "dse-dsmi.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_each_block_runs(i, tmp_path, capsys):
    code = BLOCKS[i]
    if code.startswith("# needs dse-dsmi") and importlib.util.find_spec("dse_dsmi") is None:
        pytest.skip("dse-dsmi is not installed")
    script = tmp_path / f"block{i}.py"
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script))
