"""The experiment layer computes and stores; it never imports the report layer, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = ROOT / "simulator" / "experiment"
FORBIDDEN = "simulator.report"


def _imported_modules(path: Path, package: list[str]) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path`` (a module of ``package``), at any depth, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _is_report(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


def test_the_walker_sees_imports_inside_functions(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def draw():\n    from simulator.report.plots import plot_timelines\n"
                      "    import simulator.report\n    from .. import report\n")
    modules = [module for _, module in _imported_modules(sample, ["simulator", "experiment"])]
    assert "simulator.report.plots" in modules and "simulator.report" in modules
    assert sum(_is_report(module) for module in modules) >= 3


def test_experiment_never_imports_report() -> None:
    files = sorted(EXPERIMENT.rglob("*.py"))
    assert files, EXPERIMENT
    offending = [f"{path.relative_to(ROOT)}:{line}: {module}"
                 for path in files
                 for line, module in _imported_modules(path, list(path.parent.relative_to(ROOT).parts))
                 if _is_report(module)]
    assert not offending, "simulator.experiment imports simulator.report:\n" + "\n".join(offending)
