"""Start-up time of the command line, against a bare interpreter start measured in the same run.

Run with ``python -m pytest benchmarks -n 0 --benchmark-only``. Each command runs
as a fresh subprocess of the same interpreter, as a user's shell would start
it. The figures that matter are the ratios to ``python -c pass`` and the time
added on top of it (printed and stored in ``extra_info``), not absolute
times: a busy machine slows all three alike.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SCENARIOS

_ROUNDS = 10
_SECONDS: dict[str, float] = {}  # fastest wall time (seconds) of each command, by name


def _console_script() -> str:
    """The ``rollout-sim`` script installed beside this interpreter (not a shell shim in front of it)."""
    beside = Path(sys.executable).with_name("rollout-sim")
    if beside.exists():
        return str(beside)
    found = shutil.which("rollout-sim")
    if found is None:
        pytest.skip("the rollout-sim console script is not installed")
    return found


def _start(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_interpreter_start(benchmark) -> None:
    """``python -c pass``: the baseline every command start is compared with."""
    benchmark.pedantic(_start, args=([sys.executable, "-c", "pass"],), rounds=_ROUNDS, iterations=1,
                       warmup_rounds=1)
    _SECONDS["python"] = benchmark.stats.stats.min
    print(f"\npython -c pass: {_SECONDS['python'] * 1000:.0f} ms")


_COMMANDS = {
    "help": ["--help"],
    "validate": ["validate", str(SCENARIOS / "quickstart.yaml")],
    # One strategy of the quickstart: the imports a run needs, the cached data-plane kernel loaded, and an hour
    # of simulated traffic at 200 requests/s.
    "run": ["run", str(SCENARIOS / "quickstart.yaml"), "--strategy", "canary"],
}


@pytest.mark.parametrize("name", list(_COMMANDS))
def test_cli_start(benchmark, name: str) -> None:
    """``rollout-sim --help``, ``validate`` and a one-strategy ``run``: parse, import what the command needs, answer."""
    arguments = _COMMANDS[name]
    command = [_console_script(), *arguments]
    benchmark.pedantic(_start, args=(command,), rounds=_ROUNDS, iterations=1, warmup_rounds=1)
    seconds = benchmark.stats.stats.min
    _SECONDS[name] = seconds
    benchmark.extra_info["wall_ms"] = round(seconds * 1000)
    text = f"\nrollout-sim {' '.join(arguments[:1])}: {seconds * 1000:.0f} ms"
    if "python" in _SECONDS:
        baseline = _SECONDS["python"]
        benchmark.extra_info["over_python_start"] = round(seconds / baseline, 1)
        benchmark.extra_info["added_ms"] = round((seconds - baseline) * 1000)
        text += f" ({seconds / baseline:.1f}x python -c pass, +{(seconds - baseline) * 1000:.0f} ms)"
    print(text)
