"""Reading manifest files into documents: multi-document YAML, JSON, a directory of them.

A file is UTF-8 text of at most
:data:`~simulator.scenario.limits.MAX_FILE_BYTES` bytes. A ``.json`` file
holds one document; any other file is YAML and may hold several, separated
by ``---``; empty documents are skipped. A ``kind: List`` document (as
``kubectl get -o yaml`` writes) stands for each of its ``items``. A
directory stands for every ``.yaml``, ``.yml`` and ``.json`` file directly
in it, in the order of their names. Each document is checked for depth,
size and finite numbers (:func:`~simulator.scenario.raw_data.check_raw_data`)
before anything else reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import ScenarioError
from simulator.scenario.limits import MAX_FILE_BYTES
from simulator.scenario.raw_data import check_raw_data
from simulator.scenario.validation_errors import one_line

__all__ = ["Document", "read_documents", "looks_like_manifests", "MANIFEST_SUFFIXES"]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
"""Files of a directory that are read as manifests."""


@dataclass(frozen=True)
class Document:
    """One document of a manifest file, as parsed (not yet validated)."""

    file: str
    """The file, as it is named in messages."""
    number: int
    """1-based position of the document in its file (empty documents count)."""
    data: Any
    item: int | None = None
    """Position in the ``items`` of a ``kind: List`` document, else ``None``."""

    @property
    def place(self) -> str:
        """``document 2`` or ``document 2, items[0]``: where it is in its file."""
        where = f"document {self.number}"
        return where if self.item is None else f"{where}, items[{self.item}]"


def _read_text(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError("file not found; expected a manifest file or a directory of them",
                            file=str(file)) from None
    except OSError as error:
        raise ScenarioError(f"cannot read the file ({error.strerror})", file=str(file)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; expected manifests of a few "
                            "kilobytes", file=str(file))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                            "expected YAML or JSON encoded as UTF-8", file=str(file)) from None


def _parse(file: Path, text: str) -> list[Any]:
    """The documents of ``text`` (``None`` for an empty one)."""
    is_json = file.suffix.lower() == ".json"
    try:
        if is_json:
            return [json.loads(text)]
        return list(yaml.safe_load_all(text))
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        detail = one_line(" ".join(str(error).split()))
        raise ScenarioError(f"not valid {'JSON' if is_json else 'YAML'}: {detail}", file=str(file)) from None
    except RecursionError:
        raise ScenarioError("nested too deeply; expected Kubernetes manifests", file=str(file)) from None


def _documents_of_file(file: Path) -> list[Document]:
    shown = str(file)
    documents: list[Document] = []
    for number, data in enumerate(_parse(file, _read_text(file)), start=1):
        if data is None:
            continue
        check_raw_data(data, file=shown)
        if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
            documents += [Document(shown, number, item, index) for index, item in enumerate(data["items"])]
        else:
            documents.append(Document(shown, number, data))
    return documents


def _files_of(directory: Path) -> list[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError as error:
        raise ScenarioError(f"cannot read the directory ({error.strerror})", file=str(directory)) from None
    return [entry for entry in entries if entry.is_file() and entry.suffix.lower() in MANIFEST_SUFFIXES]


def read_documents(path: str | Path) -> tuple[list[Document], list[ScenarioError]]:
    """The documents of the file or directory at ``path``, and a problem for each file that could not be read."""
    target = Path(path)
    if target.is_dir():
        files = _files_of(target)
        if not files:
            return [], [ScenarioError("no .yaml, .yml or .json files in the directory; expected manifests",
                                      file=str(target))]
    else:
        files = [target]
    documents: list[Document] = []
    problems: list[ScenarioError] = []
    for file in files:
        try:
            documents += _documents_of_file(file)
        except ScenarioError as error:
            problems.append(error)
    return documents, problems


def looks_like_manifests(path: str | Path) -> bool:
    """Whether ``path`` holds Kubernetes manifests (documents with ``apiVersion`` and ``kind``), not a scenario.

    A directory does when one of its files does. Only the first non-empty
    document of a file is looked at; a file that cannot be read or parsed
    does not (the scenario reader then says why).
    """
    target = Path(path)
    if target.is_dir():
        try:
            return any(looks_like_manifests(file) for file in _files_of(target))
        except ScenarioError:
            return False
    try:
        text = _read_text(target)
        if target.suffix.lower() == ".json":
            first = json.loads(text)
        else:
            first = next((document for document in yaml.safe_load_all(text) if document is not None), None)
    except (ScenarioError, yaml.YAMLError, json.JSONDecodeError, RecursionError, ValueError):
        return False
    return isinstance(first, dict) and "apiVersion" in first and "kind" in first
