"""Tier ladders a gate file may name (pure: no pytest, no I/O).

A ladder is an ordered list of tiers, lowest first; the built-in ones are the
frontier frameworks' (reference/cwm-report.md). They are declarations, so they
live with the gate-file layer; the decision rules that use them are in ``decide``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BUILTIN_LADDERS: dict[str, tuple[str, ...]] = {
    "meta-frontier": ("moderate", "high", "critical"),
    "openai-preparedness": ("below-high", "high", "critical"),
    "anthropic-asl": ("ASL-2", "ASL-3", "ASL-4"),
    "gdm-fsf": ("below-alert", "alert", "ccl"),
}


@dataclass(frozen=True)
class Ladder:
    name: str
    tiers: tuple[str, ...]

    @property
    def lowest(self) -> str:
        return self.tiers[0]

    def rank(self, tier: str) -> int:
        return self.tiers.index(tier)

    def max(self, tiers: Iterable[str]) -> str:
        return max(tiers, key=self.rank, default=self.lowest)

    def exceeds(self, tier: str, allowed: str) -> bool:
        return self.rank(tier) > self.rank(allowed)
