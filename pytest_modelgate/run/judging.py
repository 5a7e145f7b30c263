"""A judge: a model that grades answers against a rubric, with verdicts it must state in a
fixed form (``GRADE: C``). An answer off that form is an error, never a guess.

Every verdict is kept with the prompt that produced it, so results.json can record the
judge's identity, the hash of each rubric and every verdict, and a regrade of a sample
(the same prompts asked again, of a second judge or the same one with another seed)
reports how often the judge agrees with itself.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.models.calls import widen
from pytest_modelgate.models.provider import Completion

JudgeAsk = Callable[[Sequence[Mapping[str, str]]], Completion]


class JudgeFormatError(RuntimeError):
    """The judge answered outside the verdict form: the benchmark errors (fail closed)."""


@dataclass(frozen=True)
class Rubric:
    """A template and the verdicts it allows, e.g. ``GRADE: C`` / ``GRADE: I``."""

    name: str
    template: str
    label: str  # "GRADE": the judge ends with "GRADE: <letter>"
    verdicts: Mapping[str, str]  # letter -> meaning

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()

    def parse(self, text: str) -> str:
        """The last ``LABEL: X`` in the answer; the judge may reason before it."""
        letters = "".join(self.verdicts)
        found = re.findall(rf"{re.escape(self.label)}\s*[:=]\s*\**\s*([{letters}])\b", text)
        if not found:
            snippet = text.strip().replace("\n", " ")[:160]
            allowed = " or ".join(f"'{self.label}: {v}'" for v in self.verdicts)
            raise JudgeFormatError(
                f"the judge answered off-format ({snippet!r}); expected {allowed}. Constrain "
                "its output (e.g. a grammar or response_format in its params) or use a "
                "stronger judge"
            )
        return found[-1]


class Judge:
    """Thread-safe: the evaluation's worker threads grade through one judge."""

    def __init__(
        self,
        ask: JudgeAsk,
        identity: Mapping[str, Any],
        regrade: int = 0,
        regrade_ask: JudgeAsk | None = None,
        regrade_identity: Mapping[str, Any] | None = None,
        callers: Sequence[Any] = (),
    ) -> None:
        self.callers = callers  # the judges' ModelCallers: their calls, cache hits, usage
        self.ask, self.identity = ask, dict(identity)
        self.regrade_n, self.regrade_ask = regrade, regrade_ask
        self.regrade_identity = dict(regrade_identity or identity)
        self.rubrics: dict[str, Rubric] = {}
        self.verdicts: dict[str, dict[str, str]] = {}  # item id -> purpose -> letter
        self._prompts: dict[tuple[str, str], tuple[Rubric, str, str]] = {}
        self._lock = threading.Lock()
        self.agreement: dict[str, Any] | None = None

    def grade(self, rubric: Rubric, item_id: str, purpose: str, fields: Mapping[str, str]) -> str:
        """Ask the judge; ``purpose`` names the verdict within the item (e.g. ``belief-1@0``)."""
        prompt = rubric.template.format_map(dict(fields))
        letter = rubric.parse(self.ask([{"role": "user", "content": prompt}]).text)
        with self._lock:
            self.rubrics[rubric.name] = rubric
            self.verdicts.setdefault(item_id, {})[purpose] = letter
            self._prompts[(item_id, purpose)] = (rubric, prompt, letter)
        return letter

    def note(self, item_id: str, purpose: str, value: str) -> None:
        """Record a conclusion drawn from verdicts (e.g. honesty's lie / honest / evasion)."""
        with self._lock:
            self.verdicts.setdefault(item_id, {})[purpose] = value

    def tally(self, prefix: str) -> dict[str, int]:
        """How often each value was noted under purposes starting with ``prefix``."""
        counts: dict[str, int] = {}
        with self._lock:
            for verdicts in self.verdicts.values():
                for purpose, value in verdicts.items():
                    if purpose.startswith(prefix):
                        counts[value] = counts.get(value, 0) + 1
        return dict(sorted(counts.items()))

    def run_regrade(self, seed: int = 0) -> None:
        """Grade ``regrade`` items again and record the share of verdicts that agree."""
        if not self.regrade_n or self.regrade_ask is None or not self._prompts:
            return
        items = sorted({item for item, _ in self._prompts})
        chosen = set(random.Random(seed).sample(items, min(self.regrade_n, len(items))))
        same = total = 0
        for (item, _purpose), (rubric, prompt, letter) in sorted(self._prompts.items()):
            if item in chosen:
                again = rubric.parse(self.regrade_ask([{"role": "user", "content": prompt}]).text)
                same += again == letter
                total += 1
        self.agreement = {
            "items": len(chosen),
            "verdicts": total,
            "agreed": same,
            "rate": same / total if total else None,
            "second_judge": self.regrade_identity,
        }

    def _usage(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for caller in self.callers:
            for name, value in caller.usage.items():
                total[name] = total.get(name, 0) + value
        return total

    def _recorded(self) -> list[float] | None:
        """When the cached answers the judges gave were first received (oldest, newest)."""
        span = None
        for caller in self.callers:
            span = widen(span, caller.recorded)
        return list(span) if span else None

    def record(self) -> dict[str, Any]:
        """The judge as results.json keeps it."""
        return {
            "model": self.identity,
            "calls": sum(c.calls for c in self.callers),
            "cached": sum(c.cached for c in self.callers),
            "usage": self._usage(),
            "cost": round(sum(c.cost for c in self.callers), 6),
            "cached_recorded": self._recorded(),
            "cache_refetched": sum(c.refetched for c in self.callers),
            "server_change": next(
                (list(c.server_change) for c in self.callers if c.server_change), None
            ),
            "rubrics": {name: r.sha256 for name, r in sorted(self.rubrics.items())},
            "verdicts": {
                item: dict(sorted(v.items())) for item, v in sorted(self.verdicts.items())
            },
            "agreement": self.agreement,
            "outcomes": self.tally("outcome@"),  # e.g. honesty: lie / honest / evasion counts
        }
