"""Every Python example of the README and of the documentation site runs as written, and
the values their comments claim hold.

Which blocks run: every fenced block whose info string is ``python`` (or ``py``) in
README.md and in any docs/**/*.md (a glob: pages added later are picked up). The blocks
of one page run in order in one namespace, as a reader would paste them into one session,
in a temporary working folder (files a block writes land there). HTML comments on the
lines directly above a fence mark it (they do not show on the rendered page):

- ``<!-- requires: torch, matplotlib -->``: needs these importable modules; when one is
  missing the block, and every later block of its page, is skipped (a later block may use
  what this one made).
- ``<!-- docs-test: skip REASON -->``: intentionally not runnable (it needs a cluster, a
  model you train for hours, ...); REASON is required and such blocks must stay few.

A block whose run raises, or warns (pytest runs with filterwarnings=error), fails; the
traceback's line numbers are those of the Markdown file. The values the comments of the
family pages state are asserted by the ``test_*_claims`` tests at the end, on the
namespace the page's blocks left.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\n]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>requires|docs-test)\s*:\s*(?P<body>.*?)\s*-->\s*$")
# a line that is a marker comment (a marker quoted in text, e.g. in `code`, is not one)
ANY_MARKER = re.compile(r"^\s*<!--\s*(requires|docs-test)\b")
PYTHON = {"python", "py"}


@dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository root
    line: int  # 1-based line of the block's first code line
    code: str
    requires: tuple[str, ...] = ()
    skip: str | None = None  # the reason, for a block marked not runnable

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def parse(path: Path) -> tuple[list[Block], list[str]]:
    """The Python blocks of a Markdown file, and the problems with its markers."""
    return parse_text(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())


def parse_text(text: str, rel: str) -> tuple[list[Block], list[str]]:
    lines = text.splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    used_markers: set[int] = set()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].strip()
        start = i + 1
        j = start
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        if j == len(lines):
            problems.append(f"{rel}:{i + 1}: a fence that is never closed")
        language = info.split()[0].lower() if info else ""
        if language in PYTHON:
            requires: tuple[str, ...] = ()
            skip = None
            k = i - 1  # the marker comments sit directly above the fence, one per line
            while k >= 0 and MARKER.match(lines[k]):
                mk = MARKER.match(lines[k])
                used_markers.add(k)
                if mk["kind"] == "requires":
                    requires += tuple(s.strip() for s in mk["body"].split(",") if s.strip())
                elif mk["body"].startswith("skip") and mk["body"][4:].strip():
                    skip = mk["body"][4:].strip()
                else:
                    problems.append(
                        f"{rel}:{k + 1}: '<!-- docs-test: {mk['body']} -->' is not "
                        "'<!-- docs-test: skip REASON -->'"
                    )
                k -= 1
            code = "\n".join(line.removeprefix(indent) for line in lines[start:j])
            blocks.append(Block(rel, start + 1, code, requires, skip))
        i = j + 1
    for n, line in enumerate(lines):
        if ANY_MARKER.match(line) and n not in used_markers:
            problems.append(
                f"{rel}:{n + 1}: a docs-test marker must be a comment of its own, directly "
                f"above a python fence: {line.strip()!r}"
            )
    return blocks, problems


PARSED = {page: parse(page) for page in PAGES}
BLOCKS = [b for blocks, _ in PARSED.values() for b in blocks]


def missing_modules(block: Block) -> list[str]:
    return [m for m in block.requires if importlib.util.find_spec(m) is None]


@dataclass
class PageRun:
    """The state of one page's session: its namespace and how far it got."""

    folder: Path
    namespace: dict[str, Any] = field(default_factory=dict)
    done: int = 0  # blocks run (or skipped) so far
    stopped: str | None = None  # why later blocks cannot run


RUNS: dict[str, PageRun] = {}


def run_block(block: Block) -> None:
    """Run ``block`` in its page's namespace (pads the code so that tracebacks name the
    Markdown file and its line numbers)."""
    code = "\n" * (block.line - 1) + block.code + "\n"
    # running the documentation's own code is the point of this test
    exec(compile(code, str(ROOT / block.page), "exec"), RUNS[block.page].namespace)  # noqa: S102
    if "matplotlib.pyplot" in sys.modules:  # more than 20 open figures would warn
        sys.modules["matplotlib.pyplot"].close("all")


def run_page_up_to(page: str, index: int, tmp_path_factory, monkeypatch) -> None:
    """Run the blocks of ``page`` before ``index`` and then that one (each once per session)."""
    if page not in RUNS:
        folder = tmp_path_factory.mktemp(re.sub(r"\W", "_", page))
        RUNS[page] = PageRun(folder, {"__name__": "__docs_example__"})
    state = RUNS[page]
    monkeypatch.chdir(state.folder)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # plots render to files, never to a window
    blocks = [b for b in BLOCKS if b.page == page]
    while state.done <= index:
        block = blocks[state.done]
        state.done += 1
        if state.stopped is not None:
            pytest.skip(state.stopped)
        if block.skip is not None:
            if state.done - 1 == index:
                pytest.skip(f"marked not runnable: {block.skip}")
            continue
        missing = missing_modules(block)
        if missing:
            state.stopped = f"the block at {block.id} needs {', '.join(missing)}"
            pytest.skip(state.stopped)
        try:
            run_block(block)
        except BaseException:
            state.stopped = f"the block at {block.id} failed"
            raise


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_every_python_block_of_the_docs_runs(block, tmp_path_factory, monkeypatch):
    index = [b for b in BLOCKS if b.page == block.page].index(block)
    run_page_up_to(block.page, index, tmp_path_factory, monkeypatch)


def page_namespace(page: str, tmp_path_factory, monkeypatch) -> dict[str, Any]:
    """The namespace after every block of ``page`` ran (running those not yet run)."""
    count = sum(b.page == page for b in BLOCKS)
    assert count, f"{page} has no python block"
    run_page_up_to(page, count - 1, tmp_path_factory, monkeypatch)
    return RUNS[page].namespace


def test_the_markers_are_well_formed():
    problems = [p for _, found in PARSED.values() for p in found]
    assert not problems, "\n".join(problems)


def test_the_examples_are_collected_from_the_readme_and_every_docs_page():
    pages = {b.page for b in BLOCKS}
    assert "README.md" in pages
    for family in ("soft", "discrete", "knn", "pid", "torch"):
        assert f"docs/{family}.md" in pages
    # nested pages count too (docs/coming-from/...)
    assert any(p.startswith("docs/coming-from/") for p in pages)


def test_blocks_marked_not_runnable_are_few():
    skipped = [b.id for b in BLOCKS if b.skip is not None]
    assert len(skipped) <= max(3, len(BLOCKS) // 10), skipped


def test_the_parser_reads_markers_fences_and_indented_blocks():
    text = (
        "<!-- requires: torch -->\n\nsome text\n\n```python\nx = 1\n```\n"
        "<!-- docs-test: maybe -->\n```python\ny = 2\n```\n"
        "<!-- requires: torch, matplotlib -->\n<!-- docs-test: skip needs a GPU cluster -->\n"
        "- a list item:\n\n    ```py\n    w = 3\n    ```\n"
        "<!-- requires: scipy -->\n````python title=\"t.py\"\nv = '```'\n````\n"
        "```bash\nsoftent --help\n```\n"
    )
    blocks, problems = parse_text(text, "docs/probe.md")
    assert [b.code for b in blocks] == ["x = 1", "y = 2", "w = 3", "v = '```'"]
    assert [b.line for b in blocks] == [6, 10, 17, 21]
    assert blocks[3].requires == ("scipy",)
    assert blocks[0].requires == ()  # the comment is not directly above the fence
    # the markers above the list item are not directly above its fence either
    assert blocks[2].requires == ()
    assert blocks[2].skip is None
    assert len(problems) == 4, problems


def test_the_readmes_links_point_at_files_of_the_repository():
    # the site's own links are checked by `mkdocs build --strict`; the README is not a page
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links to the docs pages"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing


# A path into the 'shared' folder the project was developed next to (its peers document,
# its design notes, its tools): the repository must hold every fact its tests, docs and
# comments rely on (docs/peers.md, docs/design.md).
OUTSIDE = re.compile(
    r"(?:\.\./)+shared/|\bshared/(?:PEERS|DESIGN|tools)\b|\bPEERS\.md\b|(?<!docs/)\bDESIGN\.md\b"
)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".json", ".pyi"}


def test_no_file_points_outside_the_repository():
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (an sdist): nothing to list")
    offenders = []
    for rel in listed:
        path = ROOT / rel
        if path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
            if OUTSIDE.search(line):
                offenders.append(f"{rel}:{n + 1}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# ------------------------------------------------------------------ the pages' claims


def test_the_readme_example_claims(tmp_path_factory, monkeypatch):
    ns = page_namespace("README.md", tmp_path_factory, monkeypatch)
    info = ns["info"]
    assert info.mutual_information == pytest.approx(
        info.entropy - info.conditional_entropy, abs=1e-12
    )
    assert 0 <= info.mutual_information <= math.log2(10)


def test_the_soft_page_claims(tmp_path_factory, monkeypatch):
    ns = page_namespace("docs/soft.md", tmp_path_factory, monkeypatch)
    softent = ns["softent"]
    z, labels, info = ns["z"], ns["labels"], ns["info"]
    assert info.entropy == pytest.approx(softent.entropy(z, base=2), rel=1e-12)
    assert info.mutual_information == pytest.approx(
        softent.mutual_information(z, labels, base=2), rel=1e-12
    )
    acc = ns["acc"]  # the streamed accumulator gives the batch numbers
    assert acc.entropy() == pytest.approx(
        softent.entropy(ns["z_all"], centres=acc.centres, temperature=acc.temperature),
        rel=1e-10,
    )


def test_the_discrete_page_claims(tmp_path_factory, monkeypatch):
    ns = page_namespace("docs/discrete.md", tmp_path_factory, monkeypatch)
    sd, x, y = ns["sd"], ns["x"], ns["y"]
    assert sd.entropy([0.1, 0.5, 0.1, 0.3], base=2) == pytest.approx(1.6855, abs=5e-5)
    assert sd.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    ce = sd.cross_entropy(np.array([[0.1, 0.3, 0.6], [0.2, 0.3, 0.5]]), np.array([1, 2]))
    assert ce == pytest.approx(0.9486, abs=5e-5)
    h2 = -(0.1 * math.log2(0.1) + 0.9 * math.log2(0.9))
    assert ns["bsc"] == pytest.approx(1 - h2, abs=1e-10)
    assert ns["mi"].shape == (64,)
    stream = ns["counts"].information(estimator="jackknife").mutual_information
    assert stream == pytest.approx(
        sd.estimate.mutual_information(x, y, estimator="jackknife"), rel=1e-12
    )


def test_the_pid_page_claims(tmp_path_factory, monkeypatch):
    ns = page_namespace("docs/pid.md", tmp_path_factory, monkeypatch)
    res = ns["res"]
    # XOR from 10,000 samples: the closed forms up to the sample's deviation from uniform
    assert res.atoms[((1,), (2,))] == pytest.approx(math.log2(2 / 3), abs=0.01)
    assert res.atoms[((1, 2),)] == pytest.approx(math.log2(4 / 3), abs=0.01)
    assert res.complexity == pytest.approx(1.415, abs=0.01)
    assert res.mutual_information == pytest.approx(1.0, abs=0.01)
    lp = ns["lp"]
    assert 1.0 <= lp.complexity <= 5.0 or any(v < 0 for v in lp.degree_atoms.values())
    assert sum(lp.atoms.values()) == pytest.approx(lp.mutual_information, abs=1e-9)


def test_the_knn_page_claims(tmp_path_factory, monkeypatch):
    ns = page_namespace("docs/knn.md", tmp_path_factory, monkeypatch)
    assert ns["mi_joint"] == pytest.approx(2.3025, abs=5e-4)
    assert ns["test"].p_value == pytest.approx(1 / 20)
    assert ns["mi_ksg"] == pytest.approx(0.595, abs=5e-4)
    per_feature = ns["per_feature"]
    assert per_feature.shape == (768,)
    assert float(np.sum(per_feature)) == pytest.approx(77.1, abs=0.05)
    assert ns["joint"] == pytest.approx(2.3025, abs=5e-4)
