"""Collection: a gate file becomes domains, benchmarks and their threshold items.

Node ids read like the policy:
``gates/frontier.gate.yaml::cybersecurity::cyber-mcq::above-ecosystem[candidate]`` and
``gates/frontier.gate.yaml::cybersecurity[candidate]`` (the domain's tier vs allowed).
Collection parses and validates only; models are queried in ``setup`` of the
first item of a benchmark, so a model that cannot answer shows as an ERROR.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from pytest_modelgate.config.secrets import text_secrets
from pytest_modelgate.config.specs import GateFileError
from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.plugin.session import ModelgateSession
from pytest_modelgate.plugin.stash import SESSION_KEY
from pytest_modelgate.run.loading import LoadedGate

GATE_SUFFIXES = (".gate.yaml", ".gate.yml")


class InconclusiveGateWarning(UserWarning):
    """A gate could not be decided and policy.inconclusive is ``warn``."""


def _state(node: pytest.Node) -> ModelgateSession:
    return node.config.stash[SESSION_KEY]


def _fail(node: pytest.Node, message: str) -> NoReturn:
    """Fail the item; the message (also in pytest's --junitxml) never carries a secret."""
    pytest.fail(_state(node).redact(message), pytrace=False)


def _skip_in_shard(node: pytest.Node) -> None:
    """A shard holds 1/N of the items: its gates are decided by the merge, never here, so
    they neither pass nor fail (and the shard job's exit status is no release verdict)."""
    shard = _state(node).settings.shard
    if shard:
        k, n = shard
        pytest.skip(f"shard {k}/{n}: partial written, decided at merge (--modelgate-merge)")


class GateFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        try:
            loaded = _state(self).load(self.path)
        except GateFileError as exc:
            # A problem may quote an expanded value: redact what this file's text expands.
            _state(self).redact.add(text_secrets(self.path))
            raise self.CollectError(_state(self).redact(f"invalid gate file:\n{exc}")) from None
        for domain in loaded.gate.domains:
            yield DomainNode.from_parent(self, name=domain.name, loaded=loaded)
            for model in _state(self).settings.models:
                yield DomainItem.from_parent(
                    self,
                    name=f"{domain.name}[{model}]",
                    loaded=loaded,
                    domain=domain.name,
                    model=model,
                )


class DomainNode(pytest.Collector):
    def __init__(self, *, loaded: LoadedGate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def collect(self) -> Iterator[pytest.Collector]:
        domain = next(d for d in self.loaded.gate.domains if d.name == self.name)
        for bench in domain.benchmarks:
            yield BenchmarkNode.from_parent(self, name=bench.name, loaded=self.loaded)


class BenchmarkNode(pytest.Collector):
    def __init__(self, *, loaded: LoadedGate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def collect(self) -> Iterator[pytest.Item]:
        bench = next(b for b in self.loaded.gate.benchmarks() if b.name == self.name)
        for spec in bench.thresholds + bench.floors:
            for model in _state(self).settings.models:
                yield ThresholdItem.from_parent(
                    self,
                    name=f"{spec.id}[{model}]",
                    loaded=self.loaded,
                    benchmark=bench.name,
                    threshold=spec.id,
                    model=model,
                    line=spec.line,
                )


class _GateItem(pytest.Item):
    line = 0
    loaded: LoadedGate
    model: str

    def evaluates(self) -> list[str]:
        """The benchmarks this item has evaluated (for the whole run's progress)."""
        raise NotImplementedError

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, self.line - 1 if self.line else None, self.nodeid.split("::", 1)[-1]


class ThresholdItem(_GateItem):
    def __init__(
        self,
        *,
        loaded: LoadedGate,
        benchmark: str,
        threshold: str,
        model: str,
        line: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.loaded, self.benchmark, self.threshold, self.model = (
            loaded,
            benchmark,
            threshold,
            model,
        )
        self.line = line

    def evaluates(self) -> list[str]:
        return [self.benchmark]

    def setup(self) -> None:
        # Querying the model happens here: a model that cannot answer is an ERROR, never a pass.
        result = _state(self).run.benchmark(self.loaded, self.benchmark, self.model)
        if result.error:
            _fail(
                self,
                f"{self.benchmark} [{self.model}] could not be evaluated (fail closed): "
                f"{result.error}. Next: fix the cause and run again; answers already received "
                "are cached, so the rerun asks only for the rest.",
            )
        _skip_in_shard(self)

    def runtest(self) -> None:
        result = _state(self).run.benchmark(self.loaded, self.benchmark, self.model)
        decided = result.decision(self.threshold)
        c = decided.comparison
        for key, value in (
            ("score", result.estimate.value if result.estimate else None),
            ("n", result.estimate.n if result.estimate else None),
            ("reference", c.reference),
            ("reference_source", c.reference_source),
            ("method", decided.method),
            ("outcome", decided.outcome.value),  # plain str: xdist serializes reports
            ("diff_ci", f"[{c.diff.low:.4f}, {c.diff.high:.4f}]"),
            ("tier", decided.spec.tier),
        ):
            redacted = _state(self).redact(value) if isinstance(value, str) else value
            self.user_properties.append((key, redacted))
        if decided.verdict == Verdict.FAILED:
            _fail(self, decided.message)
        if decided.verdict == Verdict.WARNED:
            warnings.warn_explicit(
                InconclusiveGateWarning(_state(self).redact(decided.message)),
                InconclusiveGateWarning,
                str(self.path),
                self.line,
            )


class DomainItem(_GateItem):
    def __init__(self, *, loaded: LoadedGate, domain: str, model: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded, self.domain, self.model = loaded, domain, model
        self.line = next(d.line for d in loaded.gate.domains if d.name == domain)

    def evaluates(self) -> list[str]:
        return [
            b.name for d in self.loaded.gate.domains if d.name == self.domain for b in d.benchmarks
        ]

    def setup(self) -> None:
        if _state(self).settings.shard:
            run = _state(self).run
            benchmarks = [run.benchmark(self.loaded, b, self.model) for b in self.evaluates()]
            errors = [f"{r.spec.name}: {r.error}" for r in benchmarks if r.error]
            if errors:
                _fail(self, f"domain {self.domain}: benchmarks errored: " + "; ".join(errors))
            _skip_in_shard(self)
        result = _state(self).domain(self.loaded, self.domain, self.model)
        if result.errors:
            _fail(self, result.failure_message())

    def runtest(self) -> None:
        result = _state(self).domain(self.loaded, self.domain, self.model)
        self.user_properties += [("tier", result.tier), ("allowed", result.allowed)]
        if not result.passed:
            _fail(self, result.failure_message())
