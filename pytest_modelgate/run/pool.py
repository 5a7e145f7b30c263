"""The session's models: each provider started once, and the calls made around them.

One provider per (gate file, model), started when a benchmark first needs it and remembered
when it cannot start, so every gate of that model errors alike. Every answer and every
judge's grade goes through a ``ModelCaller`` built here: the response cache, one rate
limiter per model (shared by every benchmark and thread), the gate file's and the
benchmark's budgets, and the recorder.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_modelgate.config.specs import BenchmarkSpec
from pytest_modelgate.models.calls import AnswerLog, AnswerStore, ModelCaller, ServerWitness
from pytest_modelgate.models.provider import (
    Provider,
    ProviderContext,
    ProviderError,
    ProviderFactory,
    describe_spec,
)
from pytest_modelgate.models.spending import Budget, RateLimiter
from pytest_modelgate.run.loading import LoadedGate


class ModelPool:
    def __init__(
        self,
        factories: Mapping[str, ProviderFactory],
        work_dir: Path,
        cache: AnswerStore | None = None,
        recorder: AnswerLog | None = None,
    ) -> None:
        self.factories = factories
        self.context = ProviderContext(work_dir)
        self.cache, self.recorder = cache, recorder
        self.described: dict[tuple[Path, str], dict[str, Any]] = {}  # sent by xdist workers
        self._lock = threading.RLock()
        self._providers: dict[tuple[Path, str], Provider | ProviderError] = {}
        self._limiters: dict[tuple[Path, str], RateLimiter] = {}
        self._run_budgets: dict[Path, Budget | None] = {}  # policy.budget, one per gate file
        self._witnesses: dict[tuple[Path, str], ServerWitness] = {}  # who each server is

    def provider(self, loaded: LoadedGate, model: str) -> Provider:
        key = (loaded.gate.path, model)
        with self._lock:
            if key not in self._providers:
                spec = loaded.gate.models[model]
                try:
                    self._providers[key] = self.factories[spec.provider](spec, self.context)
                except ProviderError as exc:
                    self._providers[key] = exc
            found = self._providers[key]
        if isinstance(found, ProviderError):
            raise found
        return found

    def describe(self, loaded: LoadedGate, model: str) -> dict[str, Any]:
        """The model as results.json records it; never starts a provider to find out."""
        if (loaded.gate.path, model) in self.described:
            return self.described[(loaded.gate.path, model)]
        found = self._providers.get((loaded.gate.path, model))
        if found is None or isinstance(found, ProviderError):
            return describe_spec(loaded.gate.models[model])
        return found.describe()

    def caller(self, loaded: LoadedGate, bench: BenchmarkSpec, provider: Provider) -> ModelCaller:
        path, spec = loaded.gate.path, provider.spec
        with self._lock:
            if spec.rate_limit and (path, spec.name) not in self._limiters:
                self._limiters[(path, spec.name)] = RateLimiter(**spec.rate_limit)
            if path not in self._run_budgets:
                policy_budget = loaded.gate.policy.budget
                self._run_budgets[path] = Budget.from_spec("policy.budget", policy_budget)
            witness = self._witnesses.setdefault((path, spec.name), ServerWitness())
        key = f"domains.{bench.domain}.benchmarks.{bench.name}.budget"
        budgets = [b for b in (self._run_budgets[path], Budget.from_spec(key, bench.budget)) if b]
        return ModelCaller(
            provider,
            cache=self.cache,
            limiter=self._limiters.get((path, spec.name)),
            budgets=budgets,
            prices=spec.prices,
            recorder=self.recorder,
            witness=witness,
        )

    def close(self) -> None:
        for provider in self._providers.values():
            if not isinstance(provider, ProviderError):
                provider.close()
        for service in self.context.services.values():
            service.close()
