"""Run one benchmark against one model: query every (item, epoch), score the answers.

Bounded concurrency with a thread pool sized to the model's ``concurrency``
(HTTP waits release the GIL). Answers come from the response cache when it has
them and are stored as they arrive, so a killed run resumes where it stopped.

Fail closed: with ``max_error_rate`` 0 (the default) the first item that cannot
be answered stops the run and the benchmark errors. Above 0, items that cannot
be answered are excluded and counted, and the benchmark errors only when their
share exceeds the rate. A scorer that fails is a bug, never tolerated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from .datasets import Item
from .providers import Completion, Provider, ProviderError, request_key
from .spending import (
    Budget,
    BudgetExceeded,
    RateLimiter,
    cost_of,
    estimate_tokens,
    usage_tokens,
)


class AnswerStore(Protocol):
    """The response cache as evaluation sees it (``cache.ResponseCache``)."""

    def get(self, key: str) -> Completion | None: ...

    def put(self, key: str, completion: Completion) -> None: ...


class AnswerLog(Protocol):
    """Where every answer is also written (``providers.replay.ResponseRecorder``)."""

    def record(
        self,
        provider: str,
        model: str | None,
        params: Mapping[str, Any],
        messages: Sequence[Mapping[str, str]],
        completion: Completion,
    ) -> None: ...


@dataclass
class Evaluation:
    item_scores: dict[str, float]  # per answered item, averaged over epochs
    calls: int  # answers requested from the model in this run
    cached: int = 0  # answers taken from the cache instead
    errors: int = 0  # items excluded because they could not be answered
    first_error: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    usage_estimated: bool = False  # some answers came without usage fields
    cost: float = 0.0  # from the model's prices, when given
    seconds: float = 0.0


class EvaluationError(RuntimeError):
    """The benchmark could not be evaluated; carries the calls it made."""

    def __init__(self, message: str, calls: int, cached: int = 0, errors: int = 0) -> None:
        super().__init__(message)
        self.calls, self.cached, self.errors = calls, cached, errors


class ScorerError(RuntimeError):
    """The scorer failed or returned a non-score: a bug, so it is never tolerated."""


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
    max_error_rate: float = 0.0,
    cache: AnswerStore | None = None,
    limiter: RateLimiter | None = None,
    budgets: Sequence[Budget] = (),
    prices: Mapping[str, float] | None = None,
    recorder: AnswerLog | None = None,
    on_answer: Callable[[int, int, int, int], None] | None = None,
) -> Evaluation:
    """``on_answer(done, calls, cached, errors)`` follows progress (called from threads)."""
    started = time.perf_counter()
    # The cache key names the model as the provider describes it (e.g. the local GGUF file).
    described = provider.describe()
    identity = (
        described.get("provider", provider.spec.provider),
        described.get("model", provider.spec.model),
    )
    scores: dict[str, list[float]] = {item.id: [0.0] * epochs for item in items}
    failed: dict[str, str] = {}  # item id -> first error message
    usage: dict[str, int] = {}
    lock = threading.Lock()
    counts: dict[str, Any] = {"calls": 0, "cached": 0, "done": 0, "estimated": False, "cost": 0.0}
    stop = threading.Event()
    per_epoch = [epoch_params(params, e, epochs) for e in range(epochs)]
    # A replay answers from its own file; caching it would hide a newer recording.
    if not getattr(provider, "cacheable", True):
        cache = None

    def answer(item: Item, epoch: int) -> Completion:
        key = request_key(*identity, per_epoch[epoch], item.messages)
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            with lock:
                counts["cached"] += 1
            return hit
        for budget in budgets:
            budget.reserve_call()  # stops before a call the budget cannot pay for
        guess = sum(estimate_tokens(item.messages)) + int(per_epoch[epoch].get("max_tokens", 0))
        if limiter is not None:
            limiter.acquire(guess)
        completion = provider.complete(item.messages, per_epoch[epoch])
        if cache is not None:
            cache.put(key, completion)  # committed now: a killed run keeps this answer
        reported = usage_tokens(completion.usage)
        prompt, output = reported or estimate_tokens(item.messages, completion.text)
        cost = cost_of(prompt, output, prices) if prices else 0.0
        for budget in budgets:
            budget.charge(prompt + output, cost)
        if limiter is not None:
            limiter.settle(guess, prompt + output)
        with lock:
            counts["calls"] += 1
            counts["estimated"] = counts["estimated"] or reported is None
            counts["cost"] += cost
            for name, value in completion.usage.items():
                usage[name] = usage.get(name, 0) + value
            if reported is None:
                usage["prompt_tokens"] = usage.get("prompt_tokens", 0) + prompt
                usage["completion_tokens"] = usage.get("completion_tokens", 0) + output
        return completion

    def run(item: Item, epoch: int) -> None:
        try:
            score(item, epoch)
        finally:
            if on_answer is not None:
                with lock:
                    counts["done"] += 1
                    snapshot = (counts["done"], counts["calls"], counts["cached"], len(failed))
                on_answer(*snapshot)

    def score(item: Item, epoch: int) -> None:
        if stop.is_set():
            return
        try:
            completion = answer(item, epoch)
            if recorder is not None:  # cache hits too: the recording is always complete
                recorder.record(*identity, per_epoch[epoch], item.messages, completion)
        except ProviderError as exc:
            if max_error_rate <= 0:
                raise
            with lock:
                failed.setdefault(item.id, str(exc))
            return
        try:
            value = scorer(completion.text, item)
        except Exception as exc:  # a user's scorer is arbitrary code: report, never pass
            raise ScorerError(
                f"scorer failed on item {item.id!r}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ScorerError(
                f"scorer returned {value!r} for item {item.id!r}; scores are numbers in [0, 1]"
            )
        scores[item.id][epoch] = float(value)

    tasks = [(item, epoch) for epoch in range(epochs) for item in items]
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tasks)))) as pool:
        futures = [pool.submit(run, item, epoch) for item, epoch in tasks]
        wait(futures, return_when=FIRST_EXCEPTION)
        crashed = next((f for f in futures if f.done() and f.exception()), None)
        if crashed is not None:
            stop.set()
            for future in futures:
                future.cancel()
            exc = crashed.exception()
            message = (
                str(exc)
                if isinstance(exc, (ProviderError, ScorerError, BudgetExceeded))
                else f"{type(exc).__name__}: {exc}"
            )
            raise EvaluationError(message, counts["calls"], counts["cached"], 1)
    if failed:
        rate = len(failed) / len(items)
        example = next(iter(failed.values()))
        if rate > max_error_rate:
            raise EvaluationError(
                f"{len(failed)} of {len(items)} items could not be answered ({rate:.1%} > "
                f"max_error_rate {max_error_rate:.1%}); first error: {example}",
                counts["calls"],
                counts["cached"],
                len(failed),
            )
    return Evaluation(
        {i: sum(s) / epochs for i, s in scores.items() if i not in failed},
        counts["calls"],
        counts["cached"],
        len(failed),
        next(iter(failed.values()), None),
        usage,
        counts["estimated"],
        counts["cost"],
        time.perf_counter() - started,
    )
