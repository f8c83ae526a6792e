"""``rollout-sim export``: read a scenario, write one of its strategies as manifests, to a file or standard output.

Bad input (the scenario, ``--strategy``, a setting the target cannot carry
out, an output path that cannot be written) raises
:class:`~simulator.errors.ScenarioError` naming the file and the key path;
the command line prints it on one line and exits 2. The text is built whole
before anything is written, and a file is written beside its destination
and then moved into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from simulator.errors import ScenarioError

__all__ = ["run_export", "write_whole"]


def write_whole(path: str, text: str) -> None:
    """Write ``text`` to ``path`` at once: into a file beside it, then moved into place."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    except OSError as error:
        raise ScenarioError(f"cannot write there ({error.strerror or error}); expected a path in a directory that "
                            "exists and can be written", file=path, path="-o") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ScenarioError(f"cannot write there ({error.strerror or error}); expected a file path that can be "
                            "written", file=path, path="-o") from None


def run_export(file: str, target: str, strategy: str | None, output: str | None) -> None:
    """Export strategy ``strategy`` (or the only exportable one) of scenario ``file`` for ``target``."""
    from simulator.export import EXPORT_TARGETS, choose_strategy, export_manifests
    from simulator.scenario import load_scenario

    chosen = next((known for known in EXPORT_TARGETS if known == target), None)
    if chosen is None:
        raise ScenarioError(f"got '{target}'; expected one of: {', '.join(EXPORT_TARGETS)}", path="--to", value=target)
    scenario = load_scenario(file)
    try:
        label = choose_strategy(scenario, chosen, strategy)
        text = export_manifests(scenario, label, chosen, source=file)
    except ScenarioError as error:
        raise error.located(file=file) from None
    if output is None:
        sys.stdout.write(text)
    else:
        write_whole(output, text)
