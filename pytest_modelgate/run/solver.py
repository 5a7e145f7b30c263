"""Solvers: how one item becomes one answer. Most items need one call (``generate``);
an agent loops over tool calls (``react``), an honesty probe asks twice (``honesty``).

``solve(item, ask, options) -> Sample``. ``ask(messages, **params)`` is the model call
with everything a run promises around it - the response cache, budgets, rate limits,
the recorder - so a solver only decides *what* to ask. ``options`` is the benchmark's
``agent:`` and ``sandbox:`` settings. A model failure is a ``ProviderError`` and
propagates; the evaluation decides whether that item may be excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.models.provider import Completion

Message = Mapping[str, str]
DEFAULT_MAX_TURNS = 8  # react: model turns per attempt when the gate's agent: sets none


class Ask(Protocol):
    def __call__(self, messages: Sequence[Message], **params: Any) -> Completion: ...


@dataclass(frozen=True)
class Sample:
    """What a solver produced for one (item, epoch)."""

    text: str  # the answer the scorer grades
    transcript: tuple[Message, ...] = ()  # every message exchanged, when more than one call
    parts: Mapping[str, Any] = field(default_factory=dict)  # solver-specific, for scorers
    epoch: int = 0  # set by the evaluation


Solver = Callable[[Item, Ask, Mapping[str, Any]], Sample]


class SolverError(RuntimeError):
    """The solver itself failed (not the model): a bug or a broken item, never tolerated."""


def generate(item: Item, ask: Ask, options: Mapping[str, Any]) -> Sample:
    return Sample(ask(item.messages).text)
