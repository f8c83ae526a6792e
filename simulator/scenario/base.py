"""The base of every scenario model: frozen, strict, with "did you mean" on typos."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

__all__ = ["StrictModel", "CamelModel", "suggest"]


def suggest(word: str, choices: list[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {choice.lower(): choice for choice in choices}
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f" (did you mean '{close[0]}'?)" if close else ""


class StrictModel(BaseModel):
    """Frozen model that rejects unknown keys with a one-line hint."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known: dict[str, None] = {}
        for name, field in cls.model_fields.items():
            if field.alias:
                known[field.alias] = None
            known[name] = None
        for key in data:
            if key not in known:
                preferred = [field.alias or name for name, field in cls.model_fields.items()]
                raise ValueError(
                    f"unknown key '{key}'{suggest(str(key), list(known))}; "
                    f"expected one of: {', '.join(preferred)}"
                )
        return data


class CamelModel(StrictModel):
    """A model whose keys are written in camelCase (as in the seed guide's JSON) or snake_case."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, alias_generator=to_camel)
