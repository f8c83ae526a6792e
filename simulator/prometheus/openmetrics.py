"""Series written in the OpenMetrics text format, for ``promtool tsdb create-blocks-from openmetrics``.

Each family opens with ``# TYPE`` and ``# HELP`` and holds its series one
after another, each with its samples in time order; ``# EOF`` ends the
text. Timestamps are seconds: simulated time plus ``epoch`` (seconds since
1970), so the samples can be placed at a recent real time. Values are
written with as many digits as it takes to read back the same float.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from simulator.prometheus.labels import METRIC_NAME
from simulator.prometheus.series import MetricFamily

__all__ = ["render_openmetrics", "format_value"]


def format_value(value: float) -> str:
    """A sample value: an integer without a fraction, else the shortest exact decimal; NaN, +Inf, -Inf."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _timestamp(milliseconds: int, epoch_ms: int) -> str:
    total = milliseconds + epoch_ms
    seconds, fraction = divmod(total, 1000)
    return f"{seconds}.{fraction:03d}" if fraction else str(seconds)


def render_openmetrics(families: Iterable[MetricFamily], *, epoch: float = 0.0) -> str:
    """The families as OpenMetrics text, timestamps shifted by ``epoch`` seconds (whole milliseconds)."""
    epoch_ms = int(round(epoch * 1000))
    lines: list[str] = []
    for family in families:
        if not family.series:
            continue
        lines.append(f"# TYPE {family.name} {family.type}")
        lines.append(f"# HELP {family.name} {_escape(family.help)}")
        for series in family.series:
            labels = ",".join(f'{name}="{_escape(value)}"' for name, value in series.labels if name != METRIC_NAME)
            head = f"{series.name}{{{labels}}}" if labels else series.name
            lines.extend(f"{head} {format_value(float(value))} {_timestamp(int(stamp), epoch_ms)}"
                         for stamp, value in zip(series.timestamps, series.values, strict=True))
    lines.append("# EOF")
    return "\n".join(lines) + "\n"
