"""Show that two revisions give the same ``run --json`` for every bundled scenario, apart from added fields.

    python scripts/same_runs.py BASE_REVISION [--seeds 1-5] [--scenarios scenarios/*.yaml]

BASE_REVISION is exported with ``git archive`` into a temporary directory and
run from there (``python -m simulator.cli run FILE --seed N --json``); the
working tree is run as it is. For each scenario and seed the two documents
are compared key by key: a key of the base that is missing or has another
value is a difference; a key only the working tree has is an added field and
is ignored. Exit status 0 when nothing differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def differences(base: Any, head: Any, path: str = "") -> list[str]:
    """Where ``head`` departs from ``base``; keys only ``head`` has are not differences."""
    if isinstance(base, dict):
        if not isinstance(head, dict):
            return [f"{path}: a mapping became {type(head).__name__}"]
        found = []
        for key, value in base.items():
            if key not in head:
                found.append(f"{path}.{key}: missing")
            else:
                found += differences(value, head[key], f"{path}.{key}")
        return found
    if isinstance(base, list):
        if not isinstance(head, list) or len(base) != len(head):
            return [f"{path}: {len(base)} items became {len(head) if isinstance(head, list) else head!r}"]
        return [line for i, (a, b) in enumerate(zip(base, head, strict=True))
                for line in differences(a, b, f"{path}[{i}]")]
    return [] if base == head else [f"{path}: {base!r} -> {head!r}"]


def run_json(source: Path, scenario: Path, seed: int) -> dict[str, Any]:
    """``run --json`` of ``scenario`` on ``seed`` with the package found in ``source``."""
    environment = {**os.environ, "PYTHONPATH": str(source)}
    completed = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "run", str(scenario), "--seed", str(seed), "--json"],
        cwd=source, env=environment, capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"{source}: {scenario.name} seed {seed} failed: {completed.stderr.strip()}")
    return json.loads(completed.stdout)


def export(revision: str, target: Path) -> None:
    """The tree of ``revision`` unpacked into ``target``."""
    archive = subprocess.run(["git", "archive", revision], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the revision to compare with (e.g. main~3 or a commit)")
    parser.add_argument("--seeds", default="1-5", help="a seed or a range, e.g. 1-5")
    parser.add_argument("--scenarios", nargs="*", help="scenario files (default: scenarios/*.yaml)")
    args = parser.parse_args()
    files = [Path(f).resolve() for f in args.scenarios or []] or sorted((REPO / "scenarios").glob("*.yaml"))
    differing = 0
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        export(args.base, base)
        for scenario in files:
            for seed in seeds(args.seeds):
                found = differences(run_json(base, scenario, seed), run_json(REPO, scenario, seed))
                status = "same" if not found else f"{len(found)} differences"
                print(f"{scenario.name} seed {seed}: {status}")
                for line in found[:10]:
                    print(f"    {line}")
                differing += bool(found)
    print(f"{differing} of {len(files) * len(seeds(args.seeds))} runs differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
