"""The decision rules of DESIGN §3 (pure: no pytest, no I/O).

A risk threshold is
*crossed*, *cleared* or *inconclusive*; a floor is *met*, *failed* or
*inconclusive*. Tiers aggregate by max: benchmark -> domain -> release.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from pytest_modelgate.config.ladders import Ladder


class Outcome(str, Enum):
    """What the evidence says of one threshold (crossed, cleared) or floor (met, failed).

    A ``str`` so that results.json, pickles between xdist workers and messages carry the
    plain word; ``__str__`` keeps f-strings plain on every Python version."""

    CROSSED = "crossed"
    CLEARED = "cleared"
    MET = "met"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value


def decide_threshold(
    risk_low: float, risk_high: float, risk_value: float, margin: float, decision: str
) -> Outcome:
    """Outcome of a risk threshold, given the interval and point estimate of the *risk
    difference* (positive = riskier than the reference)."""
    if decision == "point":
        return Outcome.CROSSED if risk_value > margin else Outcome.CLEARED
    if risk_low > margin:
        return Outcome.CROSSED
    if risk_high <= margin:
        return Outcome.CLEARED
    return Outcome.INCONCLUSIVE


def decide_floor(low: float, high: float, value: float, margin: float, decision: str) -> Outcome:
    """Outcome of a floor (non-inferiority): score - reference must not fall below -margin."""
    if decision == "point":
        return Outcome.MET if value >= -margin else Outcome.FAILED
    if low >= -margin:
        return Outcome.MET
    if high < -margin:
        return Outcome.FAILED
    return Outcome.INCONCLUSIVE


def counts_as_crossed(outcome: Outcome, inconclusive_policy: str) -> bool:
    """Fail-closed reading: an inconclusive threshold counts as crossed under ``fail``."""
    return outcome == Outcome.CROSSED or (
        outcome == Outcome.INCONCLUSIVE and inconclusive_policy == "fail"
    )


def benchmark_tier(
    ladder: Ladder, outcomes: Sequence[tuple[Outcome, str]], inconclusive_policy: str
) -> str:
    """Highest tier among crossed thresholds; ``outcomes`` holds ``(outcome, tier)`` pairs."""
    return ladder.max(
        tier for outcome, tier in outcomes if counts_as_crossed(outcome, inconclusive_policy)
    )
