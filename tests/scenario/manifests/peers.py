"""The peers' manifests kept as test data, and ways to write variants of them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import REPO

PEERS = REPO / "tests" / "data" / "peers"
ARGO = PEERS / "argo-canary-steps.yaml"
FLAGGER = PEERS / "flagger-stepweights.yaml"


def documents(path: Path) -> list[Any]:
    """The documents of a manifest file, as parsed (a fresh copy each time)."""
    return copy.deepcopy([document for document in yaml.safe_load_all(path.read_text()) if document is not None])


def write(path: Path, docs: list[Any]) -> Path:
    """``docs`` as a multi-document YAML file at ``path``."""
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path
