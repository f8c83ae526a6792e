"""What each path of the command line imports: the heavy libraries only where they are used.

scipy.stats takes about 0.7 s to import, pandas 0.3 s, numba 0.15 s and
numpy 0.1 s; ``rollout-sim --help`` and ``validate`` answer in well under
that, and a run pays only for what its scenario uses (no statistics without
a drift monitor or a judge, no pandas for the table it prints). Each check
runs in a fresh interpreter, since this one has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.helpers import SCENARIOS

QUICKSTART = str(SCENARIOS / "quickstart.yaml")


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (whose own output is discarded)."""
    probe = ("import contextlib, io, json, sys\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
             + textwrap.indent(textwrap.dedent(code).strip() + "\n", "    ")
             + "print(json.dumps(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def held(modules: set[str], *names: str) -> list[str]:
    """Which of ``names`` (packages count with their submodules) ``modules`` holds."""
    return sorted(name for name in names if any(module == name or module.startswith(f"{name}.")
                                                 for module in modules))


def test_help_imports_no_scenario_model_and_no_numeric_library() -> None:
    modules = loaded_after("""
        from simulator.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
    """)
    assert held(modules, "pydantic", "yaml", "numpy", "scipy", "pandas", "numba", "simpy", "rich",
                "importlib.metadata", "simulator.scenario") == []


def test_validate_imports_no_numeric_library() -> None:
    modules = loaded_after(f"""
        from simulator.cli import main
        assert main(["validate", {QUICKSTART!r}]) == 0
    """)
    assert held(modules, "numpy", "scipy", "pandas", "numba", "simpy", "matplotlib", "rich") == []
    assert "simulator.scenario.model" in modules  # it did validate
    # Only ``rollout-sim schema`` writes the JSON Schema; only manifests need the manifest models.
    assert held(modules, "simulator.scenario.written_schema", "simulator.scenario.manifests") == []


def test_the_public_run_imports_no_statistics_no_pandas_and_no_manifest_models() -> None:
    modules = loaded_after("import simulator\nsimulator.run")
    assert "simulator.driver" in modules
    assert held(modules, "scipy.stats", "pandas", "matplotlib", "simulator.drift_monitor",
                "simulator.analysis.argo", "simulator.scenario.manifests", "simulator.strategies.argo",
                "simulator.strategies.flagger") == []


def test_a_quickstart_run_imports_no_statistics_and_no_pandas() -> None:
    # A canary without a judge, and no drift monitor: no statistical test runs, and the table needs no pandas.
    modules = loaded_after(f"""
        from simulator.cli import main
        assert main(["run", {QUICKSTART!r}, "--strategy", "canary"]) == 0
    """)
    assert "simulator.world.world" in modules  # it did run
    assert held(modules, "scipy.stats", "pandas", "matplotlib", "simulator.drift_monitor",
                "simulator.experiment", "simulator.analysis.argo", "simulator.scenario.manifests") == []


def test_a_worker_that_runs_a_case_imports_no_pandas_and_no_statistics() -> None:
    # What each spawned process of `compare --jobs N` loads: it runs cases; only the parent compares their rows.
    modules = loaded_after(f"""
        from simulator.experiment.runner import Case, run_case
        from simulator.scenario import load_scenario
        row = run_case(load_scenario({QUICKSTART!r}), Case("immediate", 1))
        assert row["error"] is None and row["requests"] > 0, row["error"]
    """)
    assert held(modules, "pandas", "scipy.stats", "matplotlib", "simulator.experiment.compare") == []


def test_a_drift_test_imports_its_statistics_when_it_runs() -> None:
    """The other side of the checks above: what is imported late is there when it is used."""
    modules = loaded_after("""
        import numpy as np
        from simulator.analysis.drift import ks_test
        assert "scipy.stats" not in sys.modules
        ks_test(np.arange(50.0), np.arange(50.0) + 0.5)
    """)
    assert held(modules, "scipy.stats") == ["scipy.stats"]
