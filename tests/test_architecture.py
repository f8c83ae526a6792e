"""Imports run one way: no circles, and no import from a lower layer to a higher one.

Every ``import`` and ``from ... import`` in the package counts, at module
level, inside functions and under ``TYPE_CHECKING`` alike. The layers, from
the top (see docs/architecture.md)::

    simulator (package API) > cli > check > report > experiment > driver > lifecycle > export
    > strategies, drift_monitor > analysis, world > scenario > leaf modules

A module may import from its own layer or from any lower one. Layers on one
rank (strategies and drift_monitor; analysis and world) do not import each
other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

LEAVES = {"errors", "events", "units", "commands", "observations", "random_streams", "result", "files", "lazy_names",
          "renamed"}
"""Leaf modules: anyone may use them; they import no other layer."""

RANKS = {
    "leaf": 0,
    "prometheus": 0.5,
    "scenario": 1,
    "world": 2,
    "analysis": 2,
    "strategies": 3,
    "drift_monitor": 3,
    "export": 3.5,
    "lifecycle": 4,
    "driver": 5,
    "experiment": 6,
    "report": 7,
    "check": 8,
    "cli": 9,
    "__init__": 10,
}


def layer_of(module: str) -> str:
    """The layer of ``simulator.x.y``: its first component below the package (leaf modules grouped)."""
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else "__init__"
    return "leaf" if first in LEAVES else first


def module_name(path: Path, package: Path) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, package: Path) -> set[str]:
    """Modules of the package that ``path`` imports (resolving relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path, package)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = own.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.add(base)
            # ``from simulator.world import world`` imports the submodule simulator.world.world
            found.update(f"{base}.{alias.name}" for alias in node.names)
    known = {module_name(p, package) for p in package.rglob("*.py")}
    return {name for name in found if name in known and name != own}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """``{module: modules of the package it imports}`` for every module of ``package``."""
    return {module_name(path, package): imports_of(path, package) for path in sorted(package.rglob("*.py"))}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer to a higher one, or across layers of one rank."""
    wrong = []
    for module, imported in graph.items():
        mine = layer_of(module)
        for target in sorted(imported):
            theirs = layer_of(target)  # the package itself (``from simulator import run``) is the top layer
            if theirs == mine:
                continue
            if RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    return wrong


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Package ``__init__`` modules re-export their children; an import of a package is not a circle of files."""
    packages = {name for name in graph if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()}
    return {module: {t for t in targets if t not in packages} for module, targets in graph.items()
            if module not in packages}


def test_every_layer_is_known() -> None:
    assert {layer_of(module) for module in import_graph()} <= set(RANKS)


def test_no_import_runs_up_a_layer() -> None:
    assert upward_imports(import_graph()) == []


def test_no_import_circles() -> None:
    assert circles(_without_packages(import_graph())) == []


def test_the_walker_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    """The checks fail on a package whose lower layer imports a higher one, however hidden the import."""
    package = tmp_path / "simulator"
    (package / "world").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "world" / "__init__.py").write_text("")
    (package / "driver.py").write_text("from simulator.world import world\n")
    (package / "world" / "world.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from simulator import driver\n"
        "def f():\n    from simulator.driver import run\n"
    )
    graph = import_graph(package)
    assert upward_imports(graph) == ["simulator.world.world (world) imports simulator (__init__)",
                                     "simulator.world.world (world) imports simulator.driver (driver)"]
    assert circles(graph) == [["simulator.driver", "simulator.world.world"]]


@pytest.mark.parametrize("module", ["simulator.scenario", "simulator.world", "simulator.strategies"])
def test_lower_layers_import_nothing_above_them(module: str) -> None:
    graph = import_graph()
    mine = RANKS[layer_of(module)]
    above = {target for name, targets in graph.items() if name.startswith(module) for target in targets
             if RANKS[layer_of(target)] > mine}
    assert above == set()
