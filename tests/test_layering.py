"""The import structure of tempo_py: no cycles between files, and dependencies point one way.

Imports are read with ``ast`` from every file under tempo_py/, at module level and inside
functions (a function-level import is still a dependency). ``from pkg import name`` counts as an
import of ``pkg.name`` when that is a module, else of ``pkg``; ``import a.b.c`` counts as an import
of ``a.b.c`` (the packages it passes through are not counted: their ``__init__`` files only
re-export). The rules are the ones written down in docs/architecture.md ("Layering").

- Imports under ``if TYPE_CHECKING:`` count, in the cycle check and in the direction rules: they
  never run, so they cannot break import order, but two files that need each other's types are
  still one design knotted in two files (issue 10 counted ``querier/search.py`` <->
  ``search_merge.py`` through a type-only import). Reports mark them "type only".
- An import of a tempo_py module that does not exist is attributed to its nearest existing parent
  (mypy reports the missing module itself).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tempo_py"

# Which top-level areas of tempo_py (a subpackage or a top-level module) each area may import.
# An area may always import itself. Reading down the table is reading up the layers.
ALLOWED: dict[str, frozenset[str]] = {
    # floor: no tempo_py imports at all
    "model": frozenset(),
    "push": frozenset(),
    "tenant": frozenset(),
    "faults": frozenset(),
    "background": frozenset(),
    "metrics": frozenset(),
    "config": frozenset(),
    # core: storage, blocks and TraceQL know nothing of modules, HTTP or config
    "storage": frozenset({"faults", "metrics"}),
    "traceql": frozenset({"model"}),
    "block": frozenset({"model", "storage", "faults", "metrics", "background"}),
    # modules: each stands on the core and the floor, never on another module or on app/cli
    "distributor": frozenset({"model", "push", "tenant", "faults", "metrics"}),
    "ingester": frozenset({"model", "storage", "block", "push", "faults", "metrics"}),
    "compactor": frozenset({"model", "storage", "block", "faults", "metrics", "background"}),
    "querier": frozenset({"model", "storage", "block", "traceql", "tenant", "faults", "metrics"}),
    # sampling: strategies served to clients and tail sampling, on the core like a module
    "sampling": frozenset({"model", "storage", "traceql", "tenant", "metrics"}),
    # what a package user imports in their own tests
    "testing": frozenset({"model", "storage"}),
    # the built-in web UI: static files and the routes that serve them
    "ui": frozenset(),
    # the top: process wiring and the command line
    "app": frozenset(
        {
            "model",
            "push",
            "tenant",
            "faults",
            "metrics",
            "config",
            "storage",
            "traceql",
            "block",
            "distributor",
            "ingester",
            "compactor",
            "querier",
            "sampling",
            "ui",
        }
    ),
    "__init__": frozenset(),  # tempo_py/__init__.py: only ``__version__``, importable from anywhere
}
# the node agent: the distributor's receivers behind its own push, the config machinery for its file
ALLOWED["agent"] = frozenset({"push", "tenant", "config", "distributor"})
ALLOWED["cli"] = ALLOWED["app"] | {"app", "agent"}  # the command line sits on the app and the agent
ANYWHERE = frozenset({"__init__"})

CORE = ("model", "block", "storage", "traceql")
CORE_FORBIDDEN_EXTERNAL = ("aiohttp", "grpc")  # and tempo_py.config, covered by ALLOWED too


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen in one file."""

    importer: str  # dotted module name of the importing file
    target: str  # dotted module name imported (tempo_py modules resolved to a file)
    line: int
    type_only: bool  # under ``if TYPE_CHECKING:``

    def where(self) -> str:
        """``path:line`` of the import."""
        return f"{module_files()[self.importer].relative_to(ROOT)}:{self.line}"


@cache
def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every .py under tempo_py/ (a package is its __init__.py)."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement below ``node``, with whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk_stmt(stmt, True)
            for stmt in child.orelse:
                yield from _walk_stmt(stmt, type_only)
        else:
            yield from _walk(child, type_only)


def _walk_stmt(stmt: ast.stmt, type_only: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        yield stmt, type_only
    else:
        yield from _walk(stmt, type_only)


def _resolve(name: str) -> str:
    """The tempo_py module ``name`` refers to: itself, or its nearest existing parent."""
    mods = module_files()
    while name not in mods and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


@cache
def imports_of(module: str) -> tuple[Import, ...]:
    """Every import in ``module``'s file (external ones keep their dotted name unresolved)."""
    path = module_files()[module]
    return parse_imports(module, path.read_text(), is_package=path.name == "__init__.py")


def parse_imports(module: str, source: str, *, is_package: bool) -> tuple[Import, ...]:
    """The imports in ``source``, the text of ``module``."""
    out: list[Import] = []
    for node, type_only in _walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name) if alias.name.split(".")[0] == "tempo_py" else alias.name
                out.append(Import(module, target, node.lineno, type_only))
            continue
        base = node.module or ""
        if node.level:  # relative: from the importing file's package
            pkg = module.split(".") if is_package else module.split(".")[:-1]
            pkg = pkg[: len(pkg) - (node.level - 1)]
            base = ".".join([*pkg, base] if base else pkg)
        if base.split(".")[0] != "tempo_py":
            out.append(Import(module, base, node.lineno, type_only))
            continue
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            target = sub if sub in module_files() else _resolve(base)
            out.append(Import(module, target, node.lineno, type_only))
    return tuple(out)


def internal_graph(include_type_only: bool) -> dict[str, dict[str, Import]]:
    """importer -> {imported tempo_py module -> first such import}; self-imports dropped."""
    graph: dict[str, dict[str, Import]] = {}
    for module in module_files():
        edges = graph.setdefault(module, {})
        for imp in imports_of(module):
            if (
                imp.target in module_files()
                and imp.target != module
                and (include_type_only or not imp.type_only)
            ):
                edges.setdefault(imp.target, imp)
    return graph


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def one_cycle(graph: dict[str, dict[str, Import]], component: list[str]) -> list[Import]:
    """A shortest cycle through the component's first module, as the imports that make it."""
    members = set(component)
    start = component[0]
    came_from: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for v in frontier:
            for w, imp in sorted(graph[v].items()):
                if w not in members:
                    continue
                if w == start:
                    path = [imp]
                    while path[0].importer != start:
                        path.insert(0, came_from[path[0].importer])
                    return path
                if w not in came_from:
                    came_from[w] = imp
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start}")  # unreachable for a real component


def area(module: str) -> str:
    """The top-level area of a tempo_py module: ``tempo_py.block.v1.reader`` -> ``block``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_walker_sees_function_level_relative_and_type_only_imports() -> None:
    src = (
        "from typing import TYPE_CHECKING\n"
        "import tempo_py.block.meta\n"
        "from tempo_py.block import paths, meta as m\n"
        "from tempo_py.storage.base import ObjectStore\n"
        "from . import bloom\n"
        "from .missing_module import thing\n"
        "if TYPE_CHECKING:\n"
        "    from tempo_py.querier.querier import Querier\n"
        "def f() -> None:\n"
        "    from tempo_py.model import ids\n"
    )
    got = {(i.target, i.type_only) for i in parse_imports("tempo_py.block.find", src, is_package=False)}
    assert got == {
        ("typing", False),
        ("tempo_py.block.meta", False),
        ("tempo_py.block.paths", False),
        ("tempo_py.storage.base", False),
        ("tempo_py.block.bloom", False),
        ("tempo_py.block", False),
        ("tempo_py.querier.querier", True),
        ("tempo_py.model.ids", False),
    }


def test_tarjan_finds_a_cycle_and_names_its_imports() -> None:
    def edge(a: str, b: str) -> Import:
        return Import(a, b, 1, False)

    graph = {
        "a": {"b": edge("a", "b")},
        "b": {"c": edge("b", "c")},
        "c": {"a": edge("c", "a"), "d": edge("c", "d")},
        "d": {},
    }
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert [(i.importer, i.target) for i in one_cycle(graph, ["a", "b", "c"])] == [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
    ]


def test_no_import_cycles_between_files() -> None:
    graph = internal_graph(include_type_only=True)
    components = strongly_connected(graph)
    report = []
    for comp in components:
        chain = one_cycle(graph, comp)
        steps = "\n".join(
            f"    {i.importer} -> {i.target}  ({i.where()}{', type only' if i.type_only else ''})"
            for i in chain
        )
        report.append(f"  {len(comp)} modules in a cycle: {', '.join(comp)}\n  e.g.\n{steps}")
    assert not components, "import cycles between tempo_py files:\n" + "\n".join(report)


def test_every_area_has_a_layering_rule() -> None:
    areas = {area(m) for m in module_files()}
    assert areas <= set(ALLOWED), f"add {sorted(areas - set(ALLOWED))} to ALLOWED and docs/architecture.md"


def test_dependencies_point_one_way() -> None:
    bad = [
        f"{imp.where()}: {area(imp.importer)} may not import {area(imp.target)} ({imp.target})"
        for module, edges in internal_graph(include_type_only=True).items()
        for target, imp in edges.items()
        if area(target) != area(module)
        and area(target) not in ALLOWED.get(area(module), frozenset()) | ANYWHERE
    ]
    assert not bad, "imports against the layering rules (docs/architecture.md):\n" + "\n".join(bad)


@pytest.mark.parametrize("core", CORE)
def test_core_knows_nothing_of_http_grpc_or_config(core: str) -> None:
    bad = [
        f"{imp.where()}: imports {imp.target}"
        for module in module_files()
        if area(module) == core
        for imp in imports_of(module)
        if imp.target.split(".")[0] in CORE_FORBIDDEN_EXTERNAL
        or imp.target == "tempo_py.config"
        or imp.target.startswith("tempo_py.config.")
    ]
    assert not bad, f"tempo_py/{core}/ must not import aiohttp, grpc or tempo_py.config:\n" + "\n".join(bad)


def test_only_the_block_layer_imports_an_encoding() -> None:
    """Every reader of blocks goes through ``block/interface.py`` and ``block/encoding.py``."""
    bad = [
        f"{imp.where()}: imports {imp.target}"
        for module in module_files()
        if area(module) != "block"
        for imp in imports_of(module)
        if imp.target.startswith("tempo_py.block.v") and imp.target.split(".")[2][1:].split("_")[0].isdigit()
    ]
    assert not bad, "only tempo_py/block/ may import a versioned encoding (block/v1/...):\n" + "\n".join(bad)
