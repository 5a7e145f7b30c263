"""The scorer contract: grade one sample in [0, 1], built by name.

Every scorer has one shape, ``Scorer``: it declares whether it grades with the benchmark's
judge model (``needs_judge``, checked at collection) and ``bind(context)`` returns
``score(sample, item) -> float | None`` for one benchmark (None: this item cannot be scored,
e.g. the model holds no belief to lie against; it is excluded and counted).

A plain function ``score(answer: str, item: Item) -> float`` - what most extensions are -
becomes a Scorer through ``AnswerScorer`` when it is resolved. Built-ins register through
the same ``pytest_modelgate_add_scorers`` hook as a user's ``conftest.py``; a gate file may
also name ``package.module:function``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.run.judging import Judge
from pytest_modelgate.run.solver import Sample

SampleScore = Callable[[Sample, Item], "float | None"]


@dataclass(frozen=True)
class ScoringContext:
    judge: Judge | None = None  # the benchmark's judge: {model: ...}, started
    rubric: str | None = None  # the gate file's judge.rubric, replacing the scorer's own
    sandbox: Mapping[str, float] = field(default_factory=dict)  # the benchmark's limits


@runtime_checkable
class Scorer(Protocol):
    @property
    def needs_judge(self) -> bool:
        """Grades with the benchmark's ``judge: {model: ...}``, which collection requires."""
        ...

    def bind(self, context: ScoringContext) -> SampleScore: ...


@dataclass(frozen=True)
class AnswerScorer:
    """A plain ``score(answer, item) -> float`` as a ``Scorer``: it grades the answer text."""

    score: Callable[[str, Item], float]
    needs_judge: bool = False

    def __call__(self, answer: str, item: Item) -> float:  # still the function it wraps
        return self.score(answer, item)

    def bind(self, context: ScoringContext) -> SampleScore:
        return lambda sample, item: self.score(sample.text, item)


def as_scorer(found: object, name: str) -> Scorer:
    if isinstance(found, Scorer):
        return found
    if callable(found):
        return AnswerScorer(found)
    raise LookupError(
        f"scorer {name!r} is neither a function score(answer, item) nor an object with "
        "needs_judge and bind(context)"
    )


def resolve_scorer(name: str, registry: Mapping[str, Any]) -> Scorer:
    """A registered scorer, or one imported from ``package.module:function``."""
    if name in registry:
        return as_scorer(registry[name], name)
    module_name, _, attr = name.partition(":")
    if not attr:
        raise LookupError(
            f"unknown scorer {name!r}; valid: {', '.join(sorted(registry))}, "
            "or package.module:function"
        )
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # any import failure of user code is a bad gate file, not a crash
        raise LookupError(f"cannot import scorer {name!r}: {type(exc).__name__}: {exc}") from None
    if not callable(found) and not isinstance(found, Scorer):
        raise LookupError(f"scorer {name!r} is not callable")
    return as_scorer(found, name)
