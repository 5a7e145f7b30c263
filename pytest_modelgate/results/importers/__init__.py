"""Importers: results other tools wrote (Inspect logs, lm-evaluation-harness outputs) as
baseline evidence, so a team that already runs them gates on what it has.

Pure: no pytest. ``results.load_baseline`` tells the kinds of file apart and calls one
module here per tool. What they share lives in this module: which tasks of a file serve
which benchmark, and the checks every imported score passes. Per-item scores keep their
items (paired comparisons); a file with only aggregates gives (score, n), labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.results.errors import BaselineFileError

T = TypeVar("T")


def by_benchmark(
    path: Path | str,
    available: Sequence[str],
    build: Callable[[str], T],
    tasks: Mapping[str, str] | None,
    where: Callable[[str], str],
    wanted: Collection[str] | None = None,
    ignored: list[str] | None = None,
) -> dict[str, T]:
    """``{benchmark: build(task)}``. With ``tasks`` ({benchmark: task in the file}) only
    those tasks are read; without it every task the gate file wants (``wanted``: its
    benchmarks; None: all), under its own name - a task no gate asks for is never read, so
    it cannot refuse the file. ``where(task)`` is the file's key of a task, for the error
    when one is missing. The tasks left unread are added to ``ignored``, for verbose output."""
    if not tasks:
        skipped = [t for t in available if wanted is not None and t not in wanted]
        if ignored is not None:
            ignored.extend(skipped)
        return {t: build(t) for t in available if t not in skipped}
    built: dict[str, T] = {}
    chosen = {}
    for bench, wanted in tasks.items():
        task = find_task(available, wanted)
        if task is None:
            raise BaselineFileError(
                path,
                where(wanted),
                f"no task {wanted!r} (wanted for benchmark {bench!r} by tasks:); "
                f"the file has: {', '.join(available) or '(none)'}",
            )
        if task not in built:
            built[task] = build(task)
        chosen[bench] = built[task]
    return chosen


def task_name(task: str) -> str:
    """A task's short name: Inspect names registry tasks ``package/task``."""
    return task.rsplit("/", 1)[-1]


def find_task(available: Iterable[str], wanted: str) -> str | None:
    available = list(available)
    if wanted in available:
        return wanted
    short = [t for t in available if task_name(t) == task_name(wanted)]
    return short[0] if len(short) == 1 else None


def proportion(path: Path | str, key: str, value: Any) -> float:
    """A score in [0, 1]: every comparison here is of proportions or means of them."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 1:
        raise BaselineFileError(path, key, f"expected a score in [0, 1], got {value!r}")
    return float(value)


def count(path: Path | str, key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BaselineFileError(path, key, f"expected a positive item count, got {value!r}")
    return value


def mapping(path: Path | str, key: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BaselineFileError(path, key, f"expected a mapping, got {_kind(value)}")
    return value


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


@dataclass(frozen=True)
class Imported(Evidence):
    """Evidence read from another tool's file, with which of its figures it is: ``figure``
    holds the task, metric, filter or scorer, n and per-item or aggregate, for the reports."""

    figure: Mapping[str, Any] = field(default_factory=dict)


def imported(
    source: str,
    score: float,
    n: int,
    items: Mapping[str, float] | None,
    name: str,
    figure: Mapping[str, Any],
) -> Imported:
    return Imported(source, score, n, items, name=name, figure=dict(figure))


def per_item_evidence(
    source: str, items: Mapping[str, float], name: str, figure: Mapping[str, Any] | None = None
) -> Evidence:
    """Imported per-item scores: paired comparisons can use them."""
    figure = {**(figure or {}), "n": len(items), "items": "per-item"}
    return imported(source, mean(list(items.values())), len(items), items, name, figure)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
