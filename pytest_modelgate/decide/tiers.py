"""The decision rules of DESIGN §3 (pure: no pytest, no I/O).

A risk threshold is
*crossed*, *cleared* or *inconclusive*; a floor is *met*, *failed* or
*inconclusive*. Tiers aggregate by max: benchmark -> domain -> release.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_modelgate.config.ladders import Ladder

CROSSED, CLEARED, INCONCLUSIVE = "crossed", "cleared", "inconclusive"
MET, FAILED = "met", "failed"


def decide_threshold(
    risk_low: float, risk_high: float, risk_value: float, margin: float, decision: str
) -> str:
    """Outcome of a risk threshold, given the interval and point estimate of the *risk
    difference* (positive = riskier than the reference)."""
    if decision == "point":
        return CROSSED if risk_value > margin else CLEARED
    if risk_low > margin:
        return CROSSED
    if risk_high <= margin:
        return CLEARED
    return INCONCLUSIVE


def decide_floor(low: float, high: float, value: float, margin: float, decision: str) -> str:
    """Outcome of a floor (non-inferiority): score - reference must not fall below -margin."""
    if decision == "point":
        return MET if value >= -margin else FAILED
    if low >= -margin:
        return MET
    if high < -margin:
        return FAILED
    return INCONCLUSIVE


def counts_as_crossed(outcome: str, inconclusive_policy: str) -> bool:
    """Fail-closed reading: an inconclusive threshold counts as crossed under ``fail``."""
    return outcome == CROSSED or (outcome == INCONCLUSIVE and inconclusive_policy == "fail")


def benchmark_tier(
    ladder: Ladder, outcomes: Sequence[tuple[str, str]], inconclusive_policy: str
) -> str:
    """Highest tier among crossed thresholds; ``outcomes`` holds ``(outcome, tier)`` pairs."""
    return ladder.max(
        tier for outcome, tier in outcomes if counts_as_crossed(outcome, inconclusive_policy)
    )
