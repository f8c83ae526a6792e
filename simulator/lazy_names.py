"""Public names of a package imported on first use (PEP 562).

A package's ``__init__`` names its public names and the modules that define
them; :func:`lazy_names` returns the ``__getattr__`` and ``__dir__`` that
import each module when one of its names is first read. So ``import
simulator`` (and ``rollout-sim --help``) pays for numba, scipy, pandas and
matplotlib only once something needs them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, namespace: dict[str, Any], origins: Mapping[str, str],
               public: list[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose globals are ``namespace``.

    ``origins`` maps each lazily imported name to the module that defines it;
    ``public`` is the package's ``__all__``. A name read once is kept in
    ``namespace``, so later reads do not come back here.
    """

    def __getattr__(name: str) -> Any:
        origin = origins.get(name)
        if origin is None:
            raise AttributeError(f"module '{package}' has no attribute {name!r}")
        value = getattr(importlib.import_module(origin), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
