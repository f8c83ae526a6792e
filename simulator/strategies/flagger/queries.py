"""Flagger's queries: its builtin Istio metrics, and the variables of a MetricTemplate's query.

**Builtin metrics.** Flagger installed with its default mesh provider,
Istio, measures the canary's workload (its Deployment, ``targetRef.name``)
on the destination side over the metric's ``interval``:

* ``request-success-rate``: the percentage of requests answered with
  anything but a 5xx;
* ``request-duration``: the 99th percentile of the request duration, in
  milliseconds.

:data:`BUILTIN_QUERIES` holds both as PromQL over Istio's
``istio_requests_total`` and ``istio_request_duration_milliseconds_bucket``,
the queries Flagger's Istio observer runs (see
``docs/gitbook/usage/metrics.md`` and ``pkg/metrics/observers/istio.go``
upstream), with the same variables as a MetricTemplate.

**Variables.** Flagger renders a query as a Go template whose functions
are the Canary's ``name``, ``namespace``, ``target`` (``targetRef.name``),
``service`` (``service.name``, else the target), ``ingress``
(``ingressRef.name``, else the target), ``route`` (``routeRef.name``, else
the target), ``interval`` (the metric's, as written; default ``1m``) and
``variables`` (the metric's ``templateVariables``, read as
``{{ variables.KEY }}``). :func:`render_query` substitutes actions of those
forms, with Go's ``{{-``/``-}}`` trimming of the white space beside them.
A name that is no such function, or a key missing from the variables,
makes Flagger's rendering fail, and with it every check of the metric: the
:class:`RenderFailure` says why. Any other template construct (pipelines,
``if``, ``range``, comments) is beyond this substitution and raises
:class:`UnsupportedTemplate`, a :class:`~simulator.errors.ScenarioError`.

``interval`` is written back as Go writes a duration (``1m``, ``30s``,
``1m30s``): the same window in PromQL as the text of the manifest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.errors import ScenarioError

__all__ = ["BUILTIN_QUERIES", "TemplateModel", "RenderFailure", "UnsupportedTemplate", "render_query"]

_SELECTOR = ('reporter="destination", destination_workload_namespace="{{ namespace }}", '
             'destination_workload=~"{{ target }}"')

BUILTIN_QUERIES: Mapping[str, str] = {
    "request-success-rate": (
        f'sum(rate(istio_requests_total{{{_SELECTOR}, response_code!~"5.*"}}[{{{{ interval }}}}]))'
        f" / sum(rate(istio_requests_total{{{_SELECTOR}}}[{{{{ interval }}}}])) * 100"
    ),
    "request-duration": (
        "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket"
        f"{{{_SELECTOR}}}[{{{{ interval }}}}])) by (le))"
    ),
}
"""Flagger's builtin metrics on Istio, as query templates (see the module's notes)."""

_ACTION = re.compile(r"\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}", re.DOTALL)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VARIABLE = re.compile(r"^variables\.([A-Za-z0-9_]+)$")


class UnsupportedTemplate(ScenarioError):
    """A query template uses a Go template construct beyond the substitution of Flagger's variables."""


class RenderFailure(Exception):
    """Flagger's rendering of a query fails (an unknown function or variable); the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateModel:
    """The values of a query's variables (see the module's notes); ``interval`` as PromQL writes it."""

    name: str
    namespace: str
    target: str
    service: str
    ingress: str
    route: str
    interval: str
    variables: Mapping[str, str] = field(default_factory=dict)

    def functions(self) -> dict[str, str]:
        """The template's functions that return text, by name."""
        return {"name": self.name, "namespace": self.namespace, "target": self.target, "service": self.service,
                "ingress": self.ingress, "route": self.route, "interval": self.interval}


def _value(action: str, model: TemplateModel, where: str) -> str:
    functions = model.functions()
    variable = _VARIABLE.match(action)
    if variable is not None:
        key = variable.group(1)
        if key not in model.variables:
            raise RenderFailure(f"map has no entry for key {key!r} (templateVariables: "
                                f"{', '.join(sorted(model.variables)) or 'none'})")
        return model.variables[key]
    if _IDENTIFIER.match(action):
        if action in functions:
            return functions[action]
        if action == "variables":
            raise RenderFailure("variables is a map; expected {{ variables.KEY }}")
        raise RenderFailure(f'function "{action}" not defined')
    raise UnsupportedTemplate(f"{where}: the query's template action {{{{ {action} }}}} is not simulated; expected "
                              f"{{{{ NAME }}}} for one of {', '.join(functions)}, or {{{{ variables.KEY }}}}")


def render_query(template: str, model: TemplateModel, *, where: str = "query") -> str:
    """``template`` with its variables substituted; :class:`RenderFailure` or :class:`UnsupportedTemplate`."""
    parts: list[str] = []
    position = 0
    for match in _ACTION.finditer(template):
        before = template[position:match.start()]
        if match.group(1):
            before = before.rstrip(" \t\r\n")
        parts.append(before)
        parts.append(_value(match.group(2), model, where))
        position = match.end()
        if match.group(3):
            while position < len(template) and template[position] in " \t\r\n":
                position += 1
    rest = template[position:]
    if "{{" in rest or "}}" in rest:
        raise UnsupportedTemplate(f"{where}: the query has an unclosed or stray '{{{{' / '}}}}'; expected "
                                  "{{ NAME }} actions")
    parts.append(rest)
    return "".join(parts)
