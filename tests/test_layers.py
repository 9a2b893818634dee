"""The import picture: ``bot/`` has no import circle and never imports
``adapters/``, so each layer can be changed and tested alone.

Every import counts, including the ones under ``TYPE_CHECKING`` and inside
functions: a lazy import hides a circle from Python, not from the reader.
Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so those
count as imported too. The compiled ``grouping.pyx`` is read for its Python
imports (``cimport`` lines are C declarations, not modules).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYX_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s|import\s+([\w.]+))", re.MULTILINE)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(package: str) -> dict[str, Path]:
    files = [*(ROOT / package).rglob("*.py"), *(ROOT / package).rglob("*.pyx")]
    return {_module_name(f): f for f in files if "tests" not in f.relative_to(ROOT).parts}


def _imported_names(path: Path, module: str) -> set[str]:
    """Module names ``path`` imports, relative imports resolved."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".pyx":
        return {m.group(1) or m.group(2) for m in PYX_IMPORT.finditer(text)}
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _graph(known: dict[str, Path]) -> dict[str, set[str]]:
    """Edges between our own modules (a name that is a module, or the
    packages above it, whose ``__init__`` runs first)."""
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets: set[str] = set()
        for name in _imported_names(path, module):
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in known and candidate != module:
                    targets.add(candidate)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_init(module: str, known: dict[str, Path]) -> bool:
    return known[module].name == "__init__.py"


def test_bot_has_no_import_circle() -> None:
    known = _sources("bot")
    graph = _graph(known)
    # A package's own __init__ importing its submodules is how packages export;
    # a submodule "importing" its package is only Python running that
    # __init__ first. Drop the submodule -> own-ancestor-package edge, keep
    # every other one.
    for module, targets in graph.items():
        graph[module] = {
            t for t in targets if not (_is_package_init(t, known) and module.startswith(t + "."))
        }
    assert _cycles(graph) == []


def test_bot_never_imports_adapters() -> None:
    offenders = {
        module: sorted(n for n in _imported_names(path, module) if n.split(".")[0] == "adapters")
        for module, path in _sources("bot").items()
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_checker_sees_a_circle_and_a_lazy_import(tmp_path: Path) -> None:
    """The walker itself: a function-level import and a relative import are
    both read, and a circle through them is found."""
    source = tmp_path / "handlers.py"
    source.write_text(
        "from . import grammar\ndef f():\n    from bot.core import PolicyWatch\n",
        encoding="utf-8",
    )
    names = _imported_names(source, "bot.commands.handlers")
    assert {"bot.core", "bot.core.PolicyWatch", "bot.commands", "bot.commands.grammar"} <= names
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.a"}, "bot.c": {"bot.a"}}
    assert _cycles(graph) == [["bot.a", "bot.b"]]
