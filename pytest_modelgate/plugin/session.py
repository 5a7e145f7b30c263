"""Per-pytest-session state, kept in ``config.stash``: settings, registries, the engine run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_modelgate.config.secrets import Redactor, environment_secrets, gate_secrets
from pytest_modelgate.config.specs import GateFileError, Problem
from pytest_modelgate.plugin.settings import Settings
from pytest_modelgate.run.engine import GateRun
from pytest_modelgate.run.loading import LoadedGate, Registries, load
from pytest_modelgate.run.merge import sharding_problems
from pytest_modelgate.run.records import DomainResult

if TYPE_CHECKING:
    from pytest_modelgate.models.cache import ResponseCache
    from pytest_modelgate.models.providers.replay import ResponseRecorder
    from pytest_modelgate.run.progress import Progress, RunProgress


class ModelgateSession:
    def __init__(self, config: Any, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.loaded: dict[Path, LoadedGate] = {}
        self.domains: dict[tuple[Path, str, str], DomainResult] = {}
        self._registries: Registries | None = None
        self._run: GateRun | None = None
        self._temp_dirs: list[Path] = []  # work dirs made without pytest's cache; removed at close
        self.cache: ResponseCache | None = None
        self.recorder: ResponseRecorder | None = None
        self.run_progress: RunProgress | None = None  # set by expect(), after collection
        # Every file written and line printed goes through it; gate files add their secrets.
        self.redact = Redactor(environment_secrets())

    @property
    def registries(self) -> Registries:
        # Filled at the first gate file, after the conftest.py files beside it were loaded.
        if self._registries is None:
            r = Registries()
            hook = self.config.hook
            hook.pytest_modelgate_add_ladders(ladders=r.ladders)
            hook.pytest_modelgate_add_formats(formats=r.formats)
            hook.pytest_modelgate_add_scorers(scorers=r.scorers)
            hook.pytest_modelgate_add_solvers(solvers=r.solvers)
            hook.pytest_modelgate_add_providers(providers=r.providers)
            self._registries = r
        return self._registries

    @property
    def run(self) -> GateRun:
        if self._run is None:
            pytest_cache = getattr(self.config, "cache", None)  # absent: -p no:cacheprovider
            work_dir = (
                Path(str(pytest_cache.mkdir("modelgate"))) if pytest_cache else self._temp_dir()
            )
            self._run = GateRun(
                self.registries,
                work_dir,
                lambda result: self.config.hook.pytest_modelgate_benchmark_done(result=result),
                cache=self._open_cache(work_dir if pytest_cache else None),
                recorder=self._open_recorder(),
                shard=self.settings.shard,
            )
            self._run.progress = self._progress_factory()
        return self._run

    def _progress_factory(self) -> Callable[[str, int], Progress] | None:
        """Live progress on this process's terminal; none under -q or on an xdist worker."""
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None or self.config.get_verbosity() < 0 or hasattr(self.config, "workerinput"):
            return None
        from pytest_modelgate.run.progress import Progress

        capture = self.config.pluginmanager.get_plugin("capturemanager")

        def to_terminal(write: Callable[[], None]) -> None:
            # Models are queried during item setup, while pytest captures output.
            if capture is None:
                write()
            else:
                with capture.global_and_fixture_disabled():
                    write()

        def write_line(text: str) -> None:
            prefix = tr.currentfspath
            to_terminal(lambda: tr.write_line(text) if text else tr.write("\n"))
            if isinstance(prefix, Path) and self.config.get_verbosity() <= 0:
                # Put "gates/x.gate.yaml " back, so the next result letters follow it.
                to_terminal(lambda: tr.write(f"{os.path.relpath(prefix, tr.startpath)} "))
                tr.currentfspath = prefix
            else:
                tr.currentfspath = None  # verbose: pytest writes the item's line again

        def rewrite(text: str) -> None:
            to_terminal(lambda: tr.rewrite(text, erase=True))

        def make(label: str, total: int) -> Progress:
            return Progress(
                label,
                total,
                write_line=write_line,
                rewrite=rewrite if tr.isatty else None,
                run=self.run_progress,
            )

        return make

    def expect(self, items: Sequence[Any]) -> None:
        """The benchmarks the collected items will query a model for: with more than one, the
        progress line also tells the whole run's (benchmarks done, time left)."""
        from pytest_modelgate.run.progress import RunProgress

        planned: dict[tuple[Path, str, str], int] = {}
        for item in items:
            if not hasattr(item, "evaluates"):  # not a gate's item
                continue
            loaded, model = item.loaded, item.model
            if loaded.gate.models[model].provider == "static":
                continue  # imported or published figures: no model is asked
            for bench in loaded.gate.benchmarks():
                dataset = loaded.datasets.get(bench.name)
                if bench.name in item.evaluates() and dataset is not None:
                    planned[(loaded.gate.path, bench.name, model)] = (
                        len(dataset.items) * bench.epochs
                    )
        if len(planned) > 1:
            self.run_progress = RunProgress(sum(planned.values()), len(planned))

    def controller_run(self) -> GateRun:
        """The xdist controller's run: it only receives results, it queries nothing."""
        if self._run is None:
            self._run = GateRun(Registries(), self._temp_dir())
        return self._run

    def _temp_dir(self) -> Path:
        self._temp_dirs.append(Path(tempfile.mkdtemp(prefix="modelgate-")))
        return self._temp_dirs[-1]

    def _open_recorder(self) -> ResponseRecorder | None:
        if self.settings.record_responses is None:
            return None
        from pytest_modelgate.models.providers.replay import ResponseRecorder

        self.recorder = ResponseRecorder(self.settings.record_responses, redact=self.redact)
        return self.recorder

    def _open_cache(self, default_dir: Path | None) -> ResponseCache | None:
        """The response cache: --modelgate-cache DIR, else inside pytest's cache dir."""
        directory = self.settings.cache_dir or default_dir
        if self.settings.no_cache or directory is None:
            return None
        from pytest_modelgate.models.cache import ResponseCache, default_cache_path

        directory.mkdir(parents=True, exist_ok=True)
        self.cache = ResponseCache(
            default_cache_path(directory), reuse_sealed=self.settings.cache_reuse
        )
        return self.cache

    def load(self, path: Path) -> LoadedGate:
        if path not in self.loaded:
            loaded = load(path, self.registries, self.settings.models, limit=self.settings.limit)
            self.redact.add(gate_secrets(loaded.gate))
            if self.settings.shard or self.settings.merge:
                problems = sharding_problems(loaded.gate)
                if problems:
                    raise GateFileError(path, problems)
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

    def evaluated_everything(self) -> bool:
        """Every benchmark this process ran was evaluated (none errored)."""
        return self._run is not None and all(r.error is None for r in self._run.results.values())

    def close(self, finished: bool = False) -> None:
        if self.cache is not None and finished:
            self.cache.seal()
        if self._run is not None:
            self._run.close()
        for resource in (self.cache, self.recorder):
            if resource is not None:
                resource.close()
        for path in self._temp_dirs:
            shutil.rmtree(path, ignore_errors=True)
