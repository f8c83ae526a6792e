"""The model registry of the simulated world: stages and aliases of versions.

As in an MLflow-style registry (seed 004): a version is in ``staging``,
``production`` or ``archived`` (or has no stage yet), and the aliases
``champion`` (production) and ``challenger`` (the version being rolled out)
point at versions. Promoting a version moves it to production and archives
the one it replaces; rejecting a candidate archives it. Every change is
returned as a line for the event log.
"""

from __future__ import annotations

__all__ = ["ModelRegistry", "STAGES"]

STAGES = ("none", "staging", "production", "archived")


class ModelRegistry:
    """Stages, aliases and production history of a run's versions."""

    def __init__(self, versions: list[str], production: str, candidate: str | None) -> None:
        self.stages = {version: "none" for version in versions}
        self.aliases: dict[str, str] = {}
        self.history: list[str] = []
        self._set_production(production)
        if candidate is not None:
            self.stages[candidate] = "staging"
            self.aliases["challenger"] = candidate

    @property
    def production(self) -> str:
        """The version in production (the champion)."""
        return self.history[-1]

    def previous_production(self) -> str | None:
        """The production version before the current one, if any."""
        return self.history[-2] if len(self.history) >= 2 else None

    def _set_production(self, version: str) -> None:
        self.stages[version] = "production"
        self.aliases["champion"] = version
        if self.aliases.get("challenger") == version:
            del self.aliases["challenger"]
        self.history.append(version)

    def register(self, version: str) -> str:
        """Register a newly produced version in staging as the challenger."""
        self.stages[version] = "staging"
        self.aliases["challenger"] = version
        return f"{version} registered -> staging (challenger)"

    def promote(self, version: str) -> str:
        """Move ``version`` to production (champion) and archive the version it replaces."""
        replaced = self.production
        if replaced == version:
            return f"{version} stays in production"
        self.stages[replaced] = "archived"
        self._set_production(version)
        return f"{version} -> production (champion); {replaced} -> archived"

    def reject(self, version: str) -> str:
        """Archive a candidate that was not promoted."""
        self.stages[version] = "archived"
        if self.aliases.get("challenger") == version:
            del self.aliases["challenger"]
        return f"{version} -> archived (not promoted); {self.production} stays in production (champion)"

    def snapshot(self) -> dict[str, object]:
        """Stages, aliases and production history, JSON-ready."""
        return {"stages": dict(self.stages), "aliases": dict(self.aliases), "production_history": list(self.history)}
