"""The base of every manifest model: the API's own key names, strict types, every unknown key named.

A manifest model accepts exactly the keys of its upstream Go type, spelled
as the API spells them (``setWeight``, never ``set_weight``), and values of
the type the API server takes (``"10"`` is not an integer, ``yes`` is a
boolean only where YAML 1.1 makes it one). Each unknown key is reported on
its own at its own path, with the closest known key
(:class:`UnknownKey`); :mod:`.problems` turns it into a one-line error.

Objects the simulator reads but does not model (a pod template, a traffic
router's own settings) are :data:`Mapping` or :data:`MappingList`: any
mapping is accepted, its keys are not checked.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from simulator.scenario.base import suggest
from simulator.scenario.manifests.quantities import Items

__all__ = ["ManifestModel", "UnknownKey", "ObjectMeta", "PodMetadata", "Mapping", "MappingList", "Labels",
           "Name", "Text", "ProblemAt", "exactly_one"]


class UnknownKey:
    """Stands in for the value of a key the model does not know; carries the one-line message."""

    def __init__(self, key: object, value: object, known: list[str]) -> None:
        self.key = key
        self.value = value
        self.message = (f"unknown key '{key}'{suggest(str(key), known)}; "
                        f"expected one of: {', '.join(known)}")

    def __repr__(self) -> str:
        return repr(self.value)


class ManifestModel(BaseModel):
    """Frozen, strict model whose keys are the API's camelCase names."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, alias_generator=to_camel,
                              populate_by_name=False)

    @model_validator(mode="before")
    @classmethod
    def _mark_unknown_keys(cls, data: Any) -> Any:
        """Each unknown key keeps its place (pydantic reports it there) with a value that says what was meant."""
        if not isinstance(data, dict):
            return data
        known = [field.alias or name for name, field in cls.model_fields.items()]
        if all(key in known for key in data):
            return data
        return {key: value if key in known else UnknownKey(key, value, known) for key, value in data.items()}


class ProblemAt(ValueError):
    """A model check's problem with one of the model's keys: reported at ``path`` under the model."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def exactly_one(owner: str, present: dict[str, bool]) -> str:
    """The one name of ``present`` that is set, or ``ValueError`` naming them all."""
    chosen = [name for name, is_set in present.items() if is_set]
    if len(chosen) != 1:
        names = ", ".join(present)
        got = ", ".join(chosen) if chosen else "none"
        raise ValueError(f"got {got}; expected exactly one of {names} in {owner}")
    return chosen[0]


_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _object_name(value: str) -> str:
    if len(value) > 253 or not _SUBDOMAIN.match(value):
        raise ValueError("expected a Kubernetes object name: lower-case letters, digits, '-' and '.', "
                         "starting and ending with a letter or digit, at most 253 characters")
    return value


Name = Annotated[str, AfterValidator(_object_name)]
"""The name of a Kubernetes object (an RFC 1123 subdomain)."""

def _non_empty(value: str) -> str:
    if not value:
        raise ValueError("expected a non-empty text")
    return value


Text = Annotated[str, AfterValidator(_non_empty)]
"""Text that is not empty (a name, a path)."""

Mapping = dict[str, Any]
"""Any mapping: accepted as it is, not modelled."""

MappingList = Items[dict[str, Any]]
"""A list of mappings, each accepted as it is."""

Labels = dict[str, str]
"""Labels or annotations: text keys and text values."""


class ObjectMeta(ManifestModel):
    """``metadata`` of an object: its name and namespace are read, the rest is accepted."""

    name: Name
    namespace: Name | None = None
    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
    generate_name: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: Any = None
    deletion_timestamp: Any = None
    deletion_grace_period_seconds: int | None = None
    owner_references: MappingList = ()
    finalizers: Items[str] = ()
    managed_fields: MappingList = ()
    self_link: str | None = None


class PodMetadata(ManifestModel):
    """Labels and annotations put on pods or runs (``canaryMetadata``, ``analysisRunMetadata``, ...)."""

    labels: Labels = Field(default_factory=dict)
    annotations: Labels = Field(default_factory=dict)
