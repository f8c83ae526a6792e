"""The notebooks in notebooks/: committed without outputs, written against the public API, and run from top to
bottom with their figures shown inline.

Executing them is slow (a kernel, a compare and two sweeps); reading them is not.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest

import simulator
import simulator.report
from tests.helpers import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
IMAGES = ("image/png", "image/svg+xml")
PUBLIC = {"simulator": set(simulator.__all__), "simulator.report": set(simulator.report.__all__)}


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _python(cell: dict[str, Any]) -> str:
    """A code cell's source without its IPython magics and shell escapes (``%matplotlib inline``, ``!ls``)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in _source(cell).splitlines())


def _simulator_imports(source: str) -> list[tuple[str, str | None]]:
    """``(module, name)`` for every import from the package in ``source`` (name ``None`` for ``import module``)."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "simulator":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "simulator"]
    return found


def _shown(output: dict[str, Any]) -> dict[str, Any]:
    return output.get("data", {}) if output["output_type"] in ("display_data", "execute_result") else {}


def test_there_are_notebooks() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "01-quick-start.ipynb", "02-comparing-strategies.ipynb", "03-tuning-canary-with-a-sweep.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs_and_uses_only_the_public_api(path: Path) -> None:
    notebook = json.loads(path.read_text())
    cells = _code_cells(notebook)
    assert cells
    with_outputs = [index for index, cell in enumerate(cells) if cell.get("outputs")]
    counted = [index for index, cell in enumerate(cells) if cell.get("execution_count") is not None]
    assert with_outputs == [] and counted == [], f"{path.name}: clear the outputs before committing"
    imports = [found for cell in cells for found in _simulator_imports(_python(cell))]
    assert imports, f"{path.name} imports nothing from simulator"
    private = [f"{module}.{name}" if name else module for module, name in imports
               if module not in PUBLIC or (name is not None and name not in PUBLIC[module])]
    assert private == [], f"{path.name} uses names outside simulator.__all__ and simulator.report.__all__"


def test_the_public_api_check_tells_a_private_import() -> None:
    cell = {"source": "%matplotlib inline\nfrom simulator.report.plots import plot_timelines\nimport simulator.driver"}
    assert _simulator_imports(_python(cell)) == [("simulator.report.plots", "plot_timelines"),
                                                 ("simulator.driver", None)]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_shows_its_figures(path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    # The kernel imports this checkout, whatever version of the package is installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                                      resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    errors = [f"{output['ename']}: {output['evalue']}" for output in outputs if output["output_type"] == "error"]
    assert errors == [], f"{path.name} raised"
    # A figure that reaches the page as its text only ("<Figure size 640x480 with 1 Axes>") was not drawn:
    # the kernel has no inline display for it.
    undrawn = [_shown(output)["text/plain"] for output in outputs
               if str(_shown(output).get("text/plain", "")).startswith("<Figure size")
               and not any(kind in _shown(output) for kind in IMAGES)]
    assert undrawn == [], f"{path.name} shows figures as text"
    images = [output for output in outputs if any(kind in _shown(output) for kind in IMAGES)]
    assert images, f"{path.name} shows no figure"
