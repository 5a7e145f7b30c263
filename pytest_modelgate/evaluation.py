"""Run one benchmark against one model: query every (item, epoch), score the answers.

Bounded concurrency with a thread pool sized to the model's ``concurrency``
(HTTP waits release the GIL). Fail closed: the first item that cannot be
answered or scored stops the run and the benchmark errors; a partial score is
never reported as a result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from .datasets import Item
from .providers import Provider, ProviderError


@dataclass
class Evaluation:
    item_scores: dict[str, float]  # per item, averaged over epochs
    calls: int
    usage: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class EvaluationError(RuntimeError):
    """The benchmark could not be evaluated completely; carries the calls it made."""

    def __init__(self, message: str, calls: int) -> None:
        super().__init__(message)
        self.calls = calls


def epoch_params(params: Mapping[str, Any], epoch: int, epochs: int) -> dict[str, Any]:
    """Distinct seeds per epoch, so repeated samples are not copies of one another."""
    out = dict(params)
    if epochs > 1:
        out["seed"] = int(out.get("seed", 0)) + epoch
    return out


def evaluate(
    provider: Provider,
    items: Sequence[Item],
    scorer: Callable[[str, Item], float],
    params: Mapping[str, Any],
    *,
    epochs: int = 1,
    concurrency: int = 8,
) -> Evaluation:
    started = time.perf_counter()
    scores: dict[str, list[float]] = {item.id: [0.0] * epochs for item in items}
    usage: dict[str, int] = {}
    lock = threading.Lock()
    calls = 0
    stop = threading.Event()
    per_epoch = [epoch_params(params, e, epochs) for e in range(epochs)]

    def run(item: Item, epoch: int) -> None:
        nonlocal calls
        if stop.is_set():
            return
        completion = provider.complete(item.messages, per_epoch[epoch])
        with lock:
            calls += 1
            for key, value in completion.usage.items():
                usage[key] = usage.get(key, 0) + value
        try:
            value = scorer(completion.text, item)
        except Exception as exc:  # a user's scorer is arbitrary code: report, never pass
            raise EvaluationError(
                f"scorer failed on item {item.id!r}: {type(exc).__name__}: {exc}", calls
            ) from exc
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise EvaluationError(
                f"scorer returned {value!r} for item {item.id!r}; scores are numbers in [0, 1]",
                calls,
            )
        scores[item.id][epoch] = float(value)

    tasks = [(item, epoch) for epoch in range(epochs) for item in items]
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tasks)))) as pool:
        futures = [pool.submit(run, item, epoch) for item, epoch in tasks]
        wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f.done() and f.exception()), None)
        if failed is not None:
            stop.set()
            for future in futures:
                future.cancel()
            exc = failed.exception()
            message = (
                str(exc)
                if isinstance(exc, (ProviderError, EvaluationError))
                else f"{type(exc).__name__}: {exc}"
            )
            raise EvaluationError(message, calls)
    return Evaluation(
        {i: sum(s) / epochs for i, s in scores.items()},
        calls,
        usage,
        time.perf_counter() - started,
    )
