"""The package's layering (docs/design.md §1): no import circles among softent's modules, and
the core imports no optional dependency. The circle finder is the project's own (the
shared tool it mirrors lives outside the repository): every `import` and
`from ... import` naming a module of the package counts, lazy ones inside functions too.

And the tests' side of it: tests use softent's public API only (a refactor of internals
must not break them), enforced by an AST scan of every test file.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import softent

PACKAGE = Path(softent.__file__).parent
TESTS = Path(__file__).parent


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


# ----------------------------------------------------------------------------- tests use the public API

#: test files and folders (relative to tests/) allowed to reach into softent's privates
PRIVATE_ACCESS_ALLOWED = {
    "test_build.py": "tests the build itself: the compiled _core module (its stub, the one "
    "call site of the kernel module, a build without CUDA)",
    "test_architecture.py": "plants private access in source strings to test the scanner",
    "reference": "the plain reference implementations, not tests of softent",
}
#: private attributes of other libraries that tests may read (torch's module hooks)
FOREIGN_PRIVATE_ATTRIBUTES = frozenset(
    {"_forward_hooks", "_forward_pre_hooks", "_exit"}
)  # os._exit
#: builtins and monkeypatch methods whose second argument names an attribute
_ATTRIBUTE_CALLS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
#: a dotted softent path with a private segment, in any string (scripts run by a test,
#: monkeypatch targets, importlib.import_module arguments)
_PRIVATE_PATH = re.compile(r"\bsoftent(\.\w+)*\._\w")


def _private(segment: str) -> bool:
    """A name that is private: one leading underscore, not a dunder."""
    return segment.startswith("_") and not (segment.startswith("__") and segment.endswith("__"))


def private_access(source: str) -> list[tuple[int, str]]:
    """(line, what) for every place ``source`` reaches into softent's privates: an import of
    a softent module or name with a ``_``-prefixed segment, an ``._name`` attribute access
    (dunders and :data:`FOREIGN_PRIVATE_ATTRIBUTES` aside), a private attribute named by a
    string to getattr/setattr/hasattr/delattr (monkeypatch's too), and a private softent
    path spelled in a string."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "softent" and any(map(_private, parts)):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if parts[0] == "softent":
                for alias in node.names:
                    if any(map(_private, [*parts, alias.name])):
                        found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif isinstance(node, ast.Attribute):
            if _private(node.attr) and node.attr not in FOREIGN_PRIVATE_ATTRIBUTES:
                found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            args = node.args
            if (
                name in _ATTRIBUTE_CALLS
                and len(args) >= 2
                and not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str))
                and isinstance(args[1], ast.Constant)
                and isinstance(args[1].value, str)
                and _private(args[1].value)
                and args[1].value not in FOREIGN_PRIVATE_ATTRIBUTES
            ):
                found.append((node.lineno, f"{name}(..., {args[1].value!r})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _PRIVATE_PATH.search(node.value)
            if match:
                found.append((node.lineno, f"string {match.group(0)!r}..."))
    return sorted(found)


def test_the_scanner_sees_private_access():
    planted = textwrap.dedent("""
        import softent._core
        import softent.soft._state_io as io
        from softent import _progress
        from softent.soft._kernel import accumulate
        from softent.soft.calibration import _hankel_log_correction
        acc._total
        getattr(acc, "_sets")
        monkeypatch.setattr(acc, "_seeds", None)
        script = "import softent.soft._state_io"
        monkeypatch.setattr("softent._progress.progress_bar", None)
    """)
    assert [line for line, _ in private_access(planted)] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    clean = textwrap.dedent("""
        import softent
        import softent.torch as st
        from softent.soft.calibration import log_bessel_i_scaled
        from softent.torch.distributed import SumLayout
        model._forward_hooks, model._forward_pre_hooks, acc.__dict__, cls.__name__
        getattr(softent, "entropy"), setattr(obj, "__doc__", "x"), hasattr(bar, "n")
        monkeypatch.setattr(os, "replace", boom)
        text = "softent.soft.calibration: _private words in prose are fine"
        def _helper(): pass
    """)
    assert private_access(clean) == []


def test_tests_use_the_public_api_only():
    """Tests reach softent through its public API (refactors of internals must not break
    them); allowed exceptions: PRIVATE_ACCESS_ALLOWED (with the reason), and torch's own
    private module hooks."""
    files = [
        p
        for p in sorted(TESTS.rglob("*.py"))
        if p.relative_to(TESTS).parts[0] not in PRIVATE_ACCESS_ALLOWED
    ]
    names = {p.relative_to(TESTS).as_posix() for p in files}
    assert {"soft/test_streaming.py", "torch_api/test_distributed.py", "cases.py"} <= names
    bad = [
        f"{p.relative_to(TESTS).as_posix()}:{line}: {what}"
        for p in files
        for line, what in private_access(p.read_text(encoding="utf-8"))
    ]
    assert bad == [], "tests reach into softent's privates:\n" + "\n".join(bad)
