"""No import changes the matplotlib backend (a notebook keeps its inline one); the command line picks Agg itself.

The slow checks run in a fresh interpreter whose backend is set beforehand,
as Jupyter sets it, so nothing imported earlier by the test session counts;
the fast one reads the package's source for the calls that would change it.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import REPO

# Jupyter's inline backend when it is installed, else another non-default one that needs no display.
BACKEND = ("module://matplotlib_inline.backend_inline" if importlib.util.find_spec("matplotlib_inline")
           else "svg")


def _python(code: str, backend: str = BACKEND) -> dict:
    """Run ``code`` in a fresh interpreter on this checkout; it prints one JSON document as its last line."""
    env = {**os.environ, "MPLBACKEND": backend, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _matplotlib_use(node: ast.AST) -> bool:
    """``matplotlib.use(...)``, ``matplotlib.pyplot.switch_backend(...)`` or ``__import__("matplotlib").use(...)``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("use", "switch_backend")):
        return False
    owner = node.func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "__import__":
        return any(isinstance(arg, ast.Constant) and str(arg.value).startswith("matplotlib") for arg in owner.args)
    return "matplotlib" in ast.unparse(owner) or ast.unparse(owner) == "plt"


def _pyplot_import(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name == "matplotlib.pyplot" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.module == "matplotlib.pyplot" or (
            node.module == "matplotlib" and any(alias.name == "pyplot" for alias in node.names))
    return False


def test_only_the_command_line_sets_a_backend_and_nothing_uses_pyplot() -> None:
    package = REPO / "simulator"
    found = {"use": [], "pyplot": []}
    for path in sorted(package.rglob("*.py")):
        source = path.read_text()
        if "matplotlib" not in source and "plt" not in source:
            continue
        for node in ast.walk(ast.parse(source, str(path))):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if _matplotlib_use(node):
                found["use"].append(where)
            if _pyplot_import(node):
                found["pyplot"].append(where)
    assert found["pyplot"] == []
    assert len(found["use"]) == 1 and found["use"][0].startswith("simulator/cli.py:"), found["use"]
    assert _matplotlib_use(ast.parse('matplotlib.use("Agg")').body[0].value)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_importing_and_drawing_keep_the_backend(tmp_path) -> None:
    seen = _python(f"""
        import importlib, json, pkgutil, sys
        import matplotlib
        before = matplotlib.get_backend()
        import simulator
        import simulator.report
        modules = [info.name for info in pkgutil.walk_packages(simulator.report.__path__, "simulator.report.")]
        for name in modules:
            importlib.import_module(name)
        for name in simulator.report.__all__:
            getattr(simulator.report, name)
        imported = matplotlib.get_backend()
        from simulator.report import timeline_figure, write_run_results
        from tests.report.synthetic_runs import SCENARIO_DATA, synthetic_run
        timeline_figure(synthetic_run(), SCENARIO_DATA)
        write_run_results({str(tmp_path / "run")!r}, "synthetic", [synthetic_run()], SCENARIO_DATA)
        print(json.dumps({{"before": before, "imported": imported, "drawn": matplotlib.get_backend(),
                          "modules": modules, "pyplot": "matplotlib.pyplot" in sys.modules}}))
    """)
    assert seen["before"] == seen["imported"] == seen["drawn"] == BACKEND
    assert {"simulator.report.plots", "simulator.report.experiment_plots", "simulator.report.files",
            "simulator.report.html"} <= set(seen["modules"])
    assert not seen["pyplot"], "importing or drawing imported pyplot"
    assert (tmp_path / "run" / "timeline.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_the_command_line_draws_with_agg_and_imports_matplotlib_only_to_draw(tmp_path) -> None:
    # ``run --out`` on a scenario with no strategy: the quickest run that writes a timeline.
    scenario = tmp_path / "plain.yaml"
    scenario.write_text(textwrap.dedent("""
        name: plain
        horizon: 2m
        traffic: {rate: 5}
        service: {replicas: 1}
        versions: {v1: {accuracy: 0.9, latency: {p50: 50ms, p99: 100ms}, error_rate: 0, startup: 0}}
        stable: v1
    """))
    seen = _python(f"""
        import json, sys
        from simulator.cli import main
        main(["validate", {str(scenario)!r}])
        validated = "matplotlib" in sys.modules
        main(["run", {str(scenario)!r}, "--out", {str(tmp_path / "out")!r}])
        import matplotlib
        print(json.dumps({{"validate_imported_matplotlib": validated, "backend": matplotlib.get_backend()}}))
    """, backend="svg")
    assert seen == {"validate_imported_matplotlib": False, "backend": "agg"}
    assert (tmp_path / "out" / "timeline.png").exists()
