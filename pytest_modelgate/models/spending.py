"""What model calls may spend: rate limits (per model) and budgets (per run or benchmark).

Pure: no pytest, no I/O. Both are shared by the worker threads of an evaluation,
so every method takes a lock. Token counts come from the API's usage fields; when
a response has none they are estimated (about 4 characters a token) and marked so.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CHARS_PER_TOKEN = 4


def estimate_tokens(messages: Sequence[Mapping[str, str]], text: str = "") -> tuple[int, int]:
    """(prompt, completion) token estimates for an API that reports no usage."""
    prompt = sum(len(m.get("content", "")) for m in messages)
    return -(-prompt // CHARS_PER_TOKEN), -(-len(text) // CHARS_PER_TOKEN)


def usage_tokens(usage: Mapping[str, int]) -> tuple[int, int] | None:
    """(prompt, completion) tokens from OpenAI- or Anthropic-style usage fields."""
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens"))
    if prompt is None or completion is None:
        return None
    return prompt, completion


def cost_of(prompt: int, completion: int, prices: Mapping[str, float]) -> float:
    """Prices are per million tokens: ``{input_per_mtok, output_per_mtok}``."""
    return (
        prompt * prices.get("input_per_mtok", 0.0) + completion * prices.get("output_per_mtok", 0.0)
    ) / 1e6


class _Bucket:
    """A token bucket refilled continuously at ``per_minute / 60`` per second."""

    def __init__(self, per_minute: float, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.capacity = per_minute  # a full minute's worth may burst
        self.level = per_minute
        self.clock = clock
        self.stamp = clock()

    def wait_time(self, amount: float) -> float:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        needed = min(amount, self.capacity) - self.level
        return 0.0 if needed <= 0 else needed / self.rate

    def take(self, amount: float) -> None:
        self.level -= amount  # may go negative: a debt repaid by waiting later


class RateLimiter:
    """``rate_limit: {requests_per_minute, tokens_per_minute}`` for one model, all threads."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._sleep = sleep
        self._requests = _Bucket(requests_per_minute, clock) if requests_per_minute else None
        self._tokens = _Bucket(tokens_per_minute, clock) if tokens_per_minute else None

    def acquire(self, tokens: int) -> None:
        """Block until one request of about ``tokens`` tokens may be sent."""
        while True:
            with self._lock:
                waits = [
                    b.wait_time(n)
                    for b, n in ((self._requests, 1), (self._tokens, tokens))
                    if b is not None
                ]
                if not any(waits):
                    for bucket, n in ((self._requests, 1), (self._tokens, tokens)):
                        if bucket is not None:
                            bucket.take(n)
                    return
            self._sleep(max(waits))

    def settle(self, estimated: int, actual: int) -> None:
        """Charge the difference once the real token count is known."""
        if self._tokens is not None:
            with self._lock:
                self._tokens.take(actual - estimated)


class BudgetExceeded(RuntimeError):
    """A budget ran out: the run stops cleanly before the next call (fail closed)."""


@dataclass
class Budget:
    """``budget: {max_calls, max_tokens, max_cost}``; ``scope`` names where it was set."""

    scope: str
    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    calls: int = 0
    tokens: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_spec(cls, scope: str, spec: Mapping[str, Any] | None) -> Budget | None:
        return cls(scope, **spec) if spec else None

    def reserve_call(self) -> None:
        """Count one call before it is made; refuse it if any limit is already reached."""
        with self._lock:
            spent = [
                f"max_calls {self.max_calls}"
                if self.max_calls and self.calls >= self.max_calls
                else "",
                f"max_tokens {self.max_tokens}"
                if self.max_tokens and self.tokens >= self.max_tokens
                else "",
                f"max_cost {self.max_cost:g}"
                if self.max_cost and self.cost >= self.max_cost
                else "",
            ]
            reached = [s for s in spent if s]
            if reached:
                raise BudgetExceeded(
                    f"budget exhausted ({', '.join(reached)}, {self.scope}) after "
                    f"{self.calls} calls, {self.tokens} tokens, cost {self.cost:.4g}; answers so "
                    "far are cached: raise the budget and run again to continue"
                )
            self.calls += 1

    def charge(self, tokens: int, cost: float) -> None:
        with self._lock:
            self.tokens += tokens
            self.cost += cost
