"""Scorers: grade one answer in [0, 1], built by name.

A plain scorer is ``score(answer: str, item: Item) -> float``. A scorer that needs the
benchmark's context - its judge model, its sandbox limits, the solver's whole sample -
is an object with ``bind(context) -> score(sample, item) -> float | None`` (None: this
item cannot be scored, e.g. the model holds no belief to lie against; it is excluded
and counted). Built-ins register through the same ``pytest_modelgate_add_scorers`` hook
as a user's ``conftest.py``; a gate file may also name ``package.module:function``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.run.judging import Judge

Scorer = Callable[[str, Item], float]


@dataclass(frozen=True)
class ScoringContext:
    judge: Judge | None = None  # the benchmark's judge: {model: ...}, started
    rubric: str | None = None  # the gate file's judge.rubric, replacing the scorer's own
    sandbox: Mapping[str, float] = field(default_factory=dict)  # the benchmark's limits


def needs_judge(scorer: Any) -> bool:
    return bool(getattr(scorer, "needs_judge", False))


def bind_scorer(scorer: Any, context: ScoringContext) -> Callable[[Any, Item], float | None]:
    """One calling convention for the evaluation: ``score(sample, item)``."""
    if hasattr(scorer, "bind"):
        return scorer.bind(context)
    return lambda sample, item: scorer(sample.text, item)


def resolve_scorer(name: str, registry: Mapping[str, Any]) -> Any:
    """A registered scorer, or one imported from ``package.module:function``."""
    if name in registry:
        return registry[name]
    module_name, _, attr = name.partition(":")
    if not attr:
        raise LookupError(
            f"unknown scorer {name!r}; valid: {', '.join(sorted(registry))}, "
            "or package.module:function"
        )
    try:
        scorer = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # any import failure of user code is a bad gate file, not a crash
        raise LookupError(f"cannot import scorer {name!r}: {type(exc).__name__}: {exc}") from None
    if not callable(scorer) and not hasattr(scorer, "bind"):
        raise LookupError(f"scorer {name!r} is not callable")
    return scorer
