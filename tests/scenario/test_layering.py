"""The scenario layer is the bottom layer: it imports no engine, and its modules import no circle."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

SCENARIO_PACKAGE = REPO / "simulator" / "scenario"
UPPER_LAYERS = (
    "simulator.world", "simulator.driver", "simulator.experiment", "simulator.report", "simulator.strategies",
    "simulator.analysis", "simulator.check", "simulator.cli",
)
HEAVY = ("scipy", "numba", "numpy", "pandas", "simpy", "matplotlib")


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (lazy imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_scenario_module_imports_an_upper_layer_or_a_numeric_library() -> None:
    offenders = {
        path.name: sorted(name for name in imports_of(path) if name.startswith(UPPER_LAYERS + HEAVY))
        for path in SCENARIO_PACKAGE.glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_scenario_modules_import_no_circle() -> None:
    graph = {
        f"simulator.scenario.{path.stem}": {
            name for name in imports_of(path) if name.startswith("simulator.scenario.")
        }
        for path in SCENARIO_PACKAGE.glob("*.py") if path.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, f"import circle: {' -> '.join((*trail, module))}"
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*trail, module))
        done.add(module)

    for module in graph:
        visit(module, ())
    assert "simulator.scenario.loader" not in graph["simulator.scenario.model"]


def test_loading_a_scenario_loads_no_engine() -> None:
    # The package's own __init__ is skipped, so that only what simulator.scenario needs is imported.
    code = f"""
import json, sys, types
package = types.ModuleType("simulator")
package.__path__ = [{str(REPO / "simulator")!r}]
sys.modules["simulator"] = package
from simulator.scenario import load_scenario
load_scenario({str(REPO / "scenarios" / "seed-guide-strategies.yaml")!r})
print(json.dumps(sorted(sys.modules)))
"""
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert [name for name in loaded if name.split(".")[0] in HEAVY or name.startswith(UPPER_LAYERS)] == []
    assert "simulator.scenario.model" in loaded
