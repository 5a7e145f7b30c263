"""Per-pytest-session state, kept in ``config.stash``: settings, registries, the engine run."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .engine import DomainResult, GateRun, LoadedGate, Registries, load
from .schema import GateFileError, Problem
from .settings import Settings


class ModelgateSession:
    def __init__(self, config: Any, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.loaded: dict[Path, LoadedGate] = {}
        self.domains: dict[tuple[Path, str, str], DomainResult] = {}
        self._registries: Registries | None = None
        self._run: GateRun | None = None

    @property
    def registries(self) -> Registries:
        # Filled at the first gate file, after the conftest.py files beside it were loaded.
        if self._registries is None:
            r = Registries()
            hook = self.config.hook
            hook.pytest_modelgate_add_ladders(ladders=r.ladders)
            hook.pytest_modelgate_add_formats(formats=r.formats)
            hook.pytest_modelgate_add_scorers(scorers=r.scorers)
            hook.pytest_modelgate_add_providers(providers=r.providers)
            self._registries = r
        return self._registries

    @property
    def run(self) -> GateRun:
        if self._run is None:
            cache = getattr(self.config, "cache", None)  # absent under -p no:cacheprovider
            work_dir = Path(str(cache.mkdir("modelgate"))) if cache else Path(tempfile.mkdtemp())
            self._run = GateRun(
                self.registries,
                work_dir,
                lambda result: self.config.hook.pytest_modelgate_benchmark_done(result=result),
            )
        return self._run

    def load(self, path: Path) -> LoadedGate:
        if path not in self.loaded:
            loaded = load(path, self.registries, self.settings.models, limit=self.settings.limit)
            self._check_same_ladder(loaded)
            self.loaded[path] = loaded
        return self.loaded[path]

    def _check_same_ladder(self, loaded: LoadedGate) -> None:
        """One run gives one release verdict, so its gate files must rank tiers alike."""
        for other in self.loaded.values():
            if other.gate.policy.ladder != loaded.gate.policy.ladder:
                raise GateFileError(
                    loaded.gate.path,
                    [
                        Problem(
                            None,
                            "policy.ladder",
                            (
                                f"{loaded.gate.policy.ladder.tiers} differs from "
                                f"{other.gate.policy.ladder.tiers} in {other.gate.path}; "
                                "gate files run together must share a ladder"
                            ),
                        )
                    ],
                )

    def domain(self, loaded: LoadedGate, name: str, model: str) -> DomainResult:
        key = (loaded.gate.path, name, model)
        if key not in self.domains:
            self.domains[key] = self.run.domain(loaded, name, model)
        return self.domains[key]

    def close(self) -> None:
        if self._run is not None:
            self._run.close()
