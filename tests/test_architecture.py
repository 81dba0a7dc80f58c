"""The package's layering (DESIGN.md §1): no import circles among softent's modules, and
the core imports no optional dependency. The circle finder is the project's own (the
shared tool it mirrors lives outside the repository): every `import` and
`from ... import` naming a module of the package counts, lazy ones inside functions too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import softent

PACKAGE = Path(softent.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the package modules it imports (compiled modules, with a .pyi, are leaves)."""
    files = {_module_name(p): p for p in root.rglob("*.py")}
    leaves = {_module_name(p) for p in root.rglob("*.pyi")} - set(files)
    graph: dict[str, set[str]] = {}
    for me, path in files.items():
        package = me if path.name == "__init__.py" else me.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                names = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files.keys() | leaves else base
                    for a in node.names
                ]
            else:
                continue
            for name in names:
                if name in leaves:
                    continue
                while name and name not in files:
                    name = name.rpartition(".")[0]
                if name and name != me:
                    found.add(name)
        graph[me] = found
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        u = stack.pop()
                        on_stack.discard(u)
                        comp.add(u)
                        if u == v:
                            break
                    if len(comp) > 1:
                        out.append(comp)
            elif w not in index:
                index[w] = low[w] = len(index)
                stack.append(w)
                on_stack.add(w)
                work.append((w, iter(sorted(graph[w]))))
            elif w in on_stack:
                low[v] = min(low[v], index[w])
    return out


def test_the_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_circles():
    graph = import_graph()
    assert "softent.soft.estimators" in graph  # the walk found the family packages
    assert circles(graph) == []


def test_families_stand_on_the_floor_not_above_it():
    """discrete (the floor) and the shared modules import no family; no family imports
    softent.torch, softent.cli or the package face."""
    graph = import_graph()
    shared = {m for m in graph if m.count(".") == 1 and m.split(".")[1].startswith("_")}
    for module in {m for m in graph if m.startswith("softent.discrete")} | shared:
        assert not {d for d in graph[module] if d.startswith(("softent.soft", "softent.torch"))}, (
            module
        )
    for module in (m for m in graph if m.startswith(("softent.soft", "softent.discrete"))):
        above = {d for d in graph[module] if d.startswith(("softent.torch", "softent.cli"))}
        assert not above, (module, above)
        assert "softent" not in graph[module], module


def test_importing_softent_imports_no_optional_dependency():
    code = (
        "import sys, softent; "
        "bad = [m for m in ('torch', 'matplotlib', 'tqdm', 'pandas', 'sklearn') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
