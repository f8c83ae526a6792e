"""Writing a set of files into a directory without leaving any of them half-written.

Every file is first written into a staging directory beside the target (on
the same file system, so a rename is atomic); only when all of them are
complete is each one moved over its old version with :func:`os.replace`.
If anything raises on the way, the target is left as it was and the staging
directory is removed. Results directories of ``run --out``, ``compare`` and
``sweep`` (their data and their rendered report) are all written this way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["staged_files"]


@contextmanager
def staged_files(target: str | Path) -> Iterator[Path]:
    """Yield a staging directory; on a normal exit move every file in it into ``target``.

    ``target`` (and its parents) is created if missing; files already in it
    that were not staged are kept. Only plain files may be staged, no
    subdirectories. On an exception nothing reaches ``target``.

    >>> with staged_files("results") as staging:  # doctest: +SKIP
    ...     (staging / "summary.json").write_text("{}")
    """
    directory = Path(target)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        yield staging
        items = sorted(staging.iterdir())
        nested = [item.name for item in items if item.is_dir()]
        if nested:
            raise ValueError(f"staged directories {nested}; expected only files")
        directory.mkdir(parents=True, exist_ok=True)
        for item in items:
            os.replace(item, directory / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
