"""One model's calls, with everything a run promises around each: the response cache,
budgets, the rate limiter, the recorder, and the usage and cost they add up to.

The candidate's solver and a judge's grading both call through a ``ModelCaller``,
so a judge's answers are cached, budgeted and counted like the candidate's.

Cached answers are served only while the server is still the one that gave them. Where it
says who it is (``Completion.server``: the served model id, ``system_fingerprint``), the
first cached answer a run would serve is asked again instead: the server's answer says who
it is now. From then on a cached answer recorded from another identity is asked again too
(``refetched``, and ``server_change`` says from what to what, for the report).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pytest_modelgate.models.provider import Completion, Provider, request_key
from pytest_modelgate.models.spending import (
    Budget,
    RateLimiter,
    cost_of,
    estimate_tokens,
    usage_tokens,
)


class AnswerStore(Protocol):
    """The response cache as evaluation sees it (``cache.ResponseCache``)."""

    def get(self, key: str) -> Completion | None: ...

    def put(self, key: str, completion: Completion, *, replace: bool = False) -> None: ...


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


class ServerWitness:
    """Who a deployment's server says it is this run, once a live answer said; shared by the
    callers of one model, so one answer per model and run is asked again to find out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one thread asks; the others wait for its answer
        self.known = False
        self.server: str | None = None

    def saw(self, server: str | None) -> None:
        if not self.known:  # the first live answer of the run speaks for it
            self.server, self.known = server, True


def epoch_params(params: Mapping[str, Any], epoch: int, epochs: int) -> dict[str, Any]:
    """Distinct seeds per epoch, so repeated samples are not copies of one another."""
    out = dict(params)
    if epochs > 1:
        out["seed"] = int(out.get("seed", 0)) + epoch
    return out


class ModelCaller:
    """Thread-safe: the evaluation's worker threads share one per model."""

    def __init__(
        self,
        provider: Provider,
        *,
        cache: AnswerStore | None = None,
        limiter: RateLimiter | None = None,
        budgets: Sequence[Budget] = (),
        prices: Mapping[str, float] | None = None,
        recorder: AnswerLog | None = None,
        witness: ServerWitness | None = None,
    ) -> None:
        self.provider = provider
        self.witness = witness or ServerWitness()
        # The cache key names the model as the provider describes it (e.g. the local GGUF file).
        described = provider.describe()
        self.identity = (
            described.get("provider", provider.spec.provider),
            described.get("model", provider.spec.model),
        )
        # Cached answers belong to the deployment that gave them: the same model name at
        # another base URL (a new release candidate, say) is asked, never served old answers.
        self.deployment: str | None = described.get("base_url")
        # A replay answers from its own file; caching it would hide a newer recording.
        self.cache = cache if getattr(provider, "cacheable", True) else None
        self.limiter, self.budgets, self.prices, self.recorder = limiter, budgets, prices, recorder
        self._lock = threading.Lock()
        self.calls = 0  # answers requested from the model
        self.cached = 0  # answers taken from the cache instead
        self.usage: dict[str, int] = {}
        self.usage_estimated = False  # some answers came without usage fields
        self.cost = 0.0
        self.recorded: tuple[float, float] | None = None  # oldest and newest cached answer
        self.refetched = 0  # cached answers not served: recorded from another server identity
        self.server_change: tuple[str | None, str | None] | None = None  # (recorded, now)

    def ask(self, messages: Sequence[Mapping[str, str]], params: Mapping[str, Any]) -> Completion:
        # The key (a canonical JSON dump and a hash) is only worth making for the cache.
        key = (
            request_key(*self.identity, params, messages, deployment=self.deployment)
            if self.cache is not None
            else ""
        )
        hit = self.cache.get(key) if self.cache is not None else None
        witness = self.witness
        if hit is not None and hit.server is not None and not witness.known:
            with witness.lock:
                if not witness.known:  # this answer is asked again: who answers now?
                    completion = self._call(messages, params, key, stale=hit)
                    return self._recorded(messages, params, completion)
        if hit is not None and witness.known and hit.server != witness.server:
            completion = self._call(messages, params, key, stale=hit)
        elif hit is not None:
            with self._lock:
                self.cached += 1
                if hit.recorded is not None:
                    self.recorded = widen(self.recorded, (hit.recorded, hit.recorded))
            completion = hit
        else:
            completion = self._call(messages, params, key)
        return self._recorded(messages, params, completion)

    def _recorded(
        self,
        messages: Sequence[Mapping[str, str]],
        params: Mapping[str, Any],
        completion: Completion,
    ) -> Completion:
        if self.recorder is not None:  # cache hits too: the recording is always complete
            self.recorder.record(*self.identity, params, messages, completion)
        return completion

    def _call(
        self,
        messages: Sequence[Mapping[str, str]],
        params: Mapping[str, Any],
        key: str,
        stale: Completion | None = None,
    ) -> Completion:
        """Ask the model; ``stale``: the cached answer this one replaces (and checks)."""
        for budget in self.budgets:
            budget.reserve_call()  # stops before a call the budget cannot pay for
        guess = sum(estimate_tokens(messages)) + int(params.get("max_tokens", 0))
        if self.limiter is not None:
            self.limiter.acquire(guess)
        completion = self.provider.complete(messages, params)
        self.witness.saw(completion.server)
        with self._lock:
            if stale is not None and stale.server != completion.server:
                self.refetched += 1
                self.server_change = self.server_change or (stale.server, completion.server)
        if self.cache is not None:
            # Committed now: a killed run keeps this answer.
            self.cache.put(key, completion, replace=stale is not None)
        reported = usage_tokens(completion.usage)
        prompt, output = reported or estimate_tokens(messages, completion.text)
        cost = cost_of(prompt, output, self.prices) if self.prices else 0.0
        for budget in self.budgets:
            budget.charge(prompt + output, cost)
        if self.limiter is not None:
            self.limiter.settle(guess, prompt + output)
        with self._lock:
            self.calls += 1
            self.usage_estimated = self.usage_estimated or reported is None
            self.cost += cost
            for name, value in completion.usage.items():
                self.usage[name] = self.usage.get(name, 0) + value
            if reported is None:
                self.usage["prompt_tokens"] = self.usage.get("prompt_tokens", 0) + prompt
                self.usage["completion_tokens"] = self.usage.get("completion_tokens", 0) + output
        return completion


def widen(
    span: tuple[float, float] | None, other: tuple[float, float] | None
) -> tuple[float, float] | None:
    """The smallest (oldest, newest) span holding both."""
    if span is None or other is None:
        return span or other
    return (min(span[0], other[0]), max(span[1], other[1]))
