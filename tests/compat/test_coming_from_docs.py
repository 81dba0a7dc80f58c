"""Every code block of docs/coming-from/*.md runs (the blocks of a page in order, in one
namespace). A block preceded by ``<!-- requires: module -->`` runs only where that
optional package imports (the peers are not test dependencies); the others must run in the
test environment.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "coming-from"
PAGES = ("nam-entropy.md", "soft-entropy.md", "scikit-learn.md")
BLOCK = re.compile(
    r"(?:<!-- requires: (?P<needs>[\w.]+) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL
)


def blocks(page: str) -> list[tuple[str | None, str]]:
    return [(m["needs"], m["code"]) for m in BLOCK.finditer((DOCS / page).read_text())]


def test_every_page_has_code_and_marks_its_optional_blocks():
    for page in PAGES:
        found = blocks(page)
        assert any(needs is None for needs, _ in found), page
        assert (DOCS / page).read_text().count("```python") == len(found), page


@pytest.mark.parametrize("page", PAGES)
def test_the_code_blocks_run(page, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    namespace: dict = {"__name__": f"docs_{page}"}
    ran = 0
    for needs, code in blocks(page):
        if needs is not None and importlib.util.find_spec(needs) is None:
            continue
        exec(compile(code, f"{page} block {ran}", "exec"), namespace)  # noqa: S102 (our docs)
        ran += 1
    assert ran >= 1
    capsys.readouterr()  # their prints are for readers
