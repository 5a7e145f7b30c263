"""Run one benchmark against one model: solve every (item, epoch), score the samples.

Bounded concurrency with worker threads, as many as the model's ``concurrency``
(HTTP waits release the GIL). Every model call goes through a ``ModelCaller``
(cache, budgets, rate limit, recorder), so a killed run resumes where it stopped.

Per-item scores combine the item's epochs before any interval is computed: their
mean, or with ``metric: pass_at_k`` the unbiased pass@k estimate (Chen et al. 2021),
so the item, not the sample, is the statistical unit.

Fail closed: with ``max_error_rate`` 0 (the default) the first item that cannot
be answered stops the run and the benchmark errors. Above 0, items that cannot
be answered are excluded and counted, and the benchmark errors only when their
share exceeds the rate. A scorer or solver that fails is a bug, never tolerated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.decide import stats
from pytest_modelgate.models.calls import ModelCaller, epoch_params, widen
from pytest_modelgate.models.provider import ProviderError
from pytest_modelgate.models.spending import BudgetExceeded
from pytest_modelgate.run.scorer import SampleScore
from pytest_modelgate.run.scorers.refusal import is_refusal
from pytest_modelgate.run.solver import Solver, SolverError, generate


@dataclass(frozen=True)
class Tally:
    """What evaluating cost and yielded. Batches and judges add up with ``+``."""

    calls: int = 0  # answers requested from the model
    cached: int = 0  # answers taken from the cache instead
    errors: int = 0  # items excluded because they could not be answered
    seconds: float = 0.0
    samples: int = 0  # (item, epoch) pairs solved
    refusals: int = 0  # of those, answers that read as refusals
    abstained: int = 0  # items the scorer declined to score (e.g. no belief to lie against)
    usage: Mapping[str, int] = field(default_factory=dict)  # summed API usage fields (tokens)
    usage_estimated: bool = False  # some answers came without usage fields
    cost: float | None = None  # from the model's prices; None when it has none
    recorded: tuple[float, float] | None = None  # when the cached answers were first received
    refetched: int = 0  # cached answers asked again: the server's identity had changed
    server_change: tuple[str | None, str | None] | None = None  # (recorded, now), the first seen

    def __add__(self, other: Tally) -> Tally:
        usage = dict(self.usage)
        for key, value in other.usage.items():
            usage[key] = usage.get(key, 0) + value
        costs = [c for c in (self.cost, other.cost) if c is not None]
        return Tally(
            self.calls + other.calls,
            self.cached + other.cached,
            self.errors + other.errors,
            self.seconds + other.seconds,
            self.samples + other.samples,
            self.refusals + other.refusals,
            self.abstained + other.abstained,
            usage,
            self.usage_estimated or other.usage_estimated,
            sum(costs) if costs else None,
            widen(self.recorded, other.recorded),
            self.refetched + other.refetched,
            self.server_change or other.server_change,
        )


@dataclass(frozen=True)
class Evaluation:
    item_scores: dict[str, float]  # per scored item, its epochs combined (mean or pass@k)
    tally: Tally
    first_error: str | None = None
    transcripts: dict[str, list[list[Mapping[str, str]]]] = field(default_factory=dict)


class EvaluationError(RuntimeError):
    """The benchmark could not be evaluated; carries what the attempt cost."""

    def __init__(self, message: str, tally: Tally) -> None:
        super().__init__(message)
        self.tally = tally


class ScorerError(RuntimeError):
    """The scorer failed or returned a non-score: a bug, so it is never tolerated."""


def combine_epochs(values: Sequence[float], metric: str, k: int | None, item_id: str) -> float:
    if metric != "pass_at_k":
        return sum(values) / len(values)
    if len(values) < (k or 1):
        raise ScorerError(f"item {item_id!r} has {len(values)} scored epochs, fewer than k={k}")
    if any(v not in (0.0, 1.0) for v in values):
        raise ScorerError(
            f"metric pass_at_k needs scores of 0 or 1; item {item_id!r} got {sorted(set(values))}"
        )
    return stats.pass_at_k(len(values), int(sum(values)), k or 1)


def evaluate(
    caller: ModelCaller,
    items: Sequence[Item],
    scorer: SampleScore,
    params: Mapping[str, Any],
    *,
    solver: Solver = generate,
    options: Mapping[str, Any] | None = None,
    epochs: int = 1,
    metric: str = "mean",
    k: int | None = None,
    concurrency: int = 8,
    max_error_rate: float = 0.0,
    on_answer: Callable[[int, int, int, int], None] | None = None,
) -> Evaluation:
    """Ask through ``caller`` (a fresh one: its counters become this run's tally).
    ``on_answer(done, calls, cached, errors)`` follows progress (called from threads)."""
    started = time.perf_counter()
    options = options or {}
    scores: dict[str, list[float | None]] = {item.id: [None] * epochs for item in items}
    transcripts: dict[str, list[list[Mapping[str, str]]]] = {}
    failed: dict[str, str] = {}  # item id -> first error message
    lock = threading.Lock()
    counts = {"done": 0, "refusals": 0}
    stop = threading.Event()
    per_epoch = [epoch_params(params, e, epochs) for e in range(epochs)]

    def run(item: Item, epoch: int) -> None:
        try:
            score(item, epoch)
        finally:
            if on_answer is not None:
                with lock:
                    counts["done"] += 1
                    snapshot = (counts["done"], caller.calls, caller.cached, len(failed))
                on_answer(*snapshot)

    def score(item: Item, epoch: int) -> None:
        if stop.is_set():
            return

        def ask(messages: Sequence[Mapping[str, str]], **overrides: Any) -> Any:
            return caller.ask(messages, {**per_epoch[epoch], **overrides})

        try:
            sample = replace(solver(item, ask, {**options, "epoch": epoch}), epoch=epoch)
        except ProviderError as exc:
            if max_error_rate <= 0:
                raise
            with lock:
                failed.setdefault(item.id, str(exc))
            return
        except (SolverError, BudgetExceeded):
            raise
        except Exception as exc:  # a solver is code like a scorer: report, never pass
            raise SolverError(
                f"solver failed on item {item.id!r}: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            value = scorer(sample, item)
        except (ProviderError, BudgetExceeded):
            raise  # a judge that cannot answer is the model failing, not the scorer
        except Exception as exc:  # a user's scorer is arbitrary code: report, never pass
            raise ScorerError(
                f"scorer failed on item {item.id!r}: {type(exc).__name__}: {exc}"
            ) from exc
        if value is not None and (not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0):
            raise ScorerError(
                f"scorer returned {value!r} for item {item.id!r}; scores are numbers in [0, 1]"
            )
        with lock:
            scores[item.id][epoch] = None if value is None else float(value)
            counts["refusals"] += is_refusal(sample.text)
            if sample.transcript:
                transcripts.setdefault(item.id, [[] for _ in range(epochs)])[epoch] = list(
                    sample.transcript
                )

    # Workers pull (item, epoch) pairs from one iterator: no task object per item, so a
    # 100,000-item run (or a re-run answered from the cache) costs little beyond the answers.
    tasks = ((item, epoch) for epoch in range(epochs) for item in items)
    take = threading.Lock()
    crashed: list[BaseException] = []

    def worker() -> None:
        while not stop.is_set():
            with take:
                task = next(tasks, None)
            if task is None:
                return
            try:
                run(*task)
            except BaseException as exc:  # the first failure stops every worker
                with take:
                    crashed.append(exc)
                stop.set()
                return

    workers = max(1, min(concurrency, len(items) * epochs))
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if crashed:
        exc = crashed[0]
        message = (
            str(exc)
            if isinstance(exc, (ProviderError, ScorerError, SolverError, BudgetExceeded))
            else f"{type(exc).__name__}: {exc}"
        )
        raise EvaluationError(message, Tally(caller.calls, caller.cached, 1)) from exc
    if failed:
        rate = len(failed) / len(items)
        example = next(iter(failed.values()))
        if rate > max_error_rate:
            raise EvaluationError(
                f"{len(failed)} of {len(items)} items could not be answered ({rate:.1%} > "
                f"max_error_rate {max_error_rate:.1%}); first error: {example}",
                Tally(caller.calls, caller.cached, len(failed)),
            )
    item_scores, abstained = {}, 0
    for item_id, values in scores.items():
        if item_id in failed:
            continue
        given = [v for v in values if v is not None]
        if not given:
            abstained += 1
            continue
        item_scores[item_id] = combine_epochs(given, metric, k, item_id)
    tally = Tally(
        caller.calls,
        caller.cached,
        len(failed),
        time.perf_counter() - started,
        samples=(len(items) - len(failed)) * epochs,
        refusals=counts["refusals"],
        abstained=abstained,
        usage=caller.usage,
        usage_estimated=caller.usage_estimated,
        cost=caller.cost if caller.prices else None,
        recorded=caller.recorded,
        refetched=caller.refetched,
        server_change=caller.server_change,
    )
    return Evaluation(item_scores, tally, next(iter(failed.values()), None), transcripts)
