"""A benchmark's decisions, built in one place from its evidence (pure: no I/O).

The candidate's evidence is compared with each threshold's and floor's reference (a number,
a named baseline, or the ecosystem: the riskiest baseline for a risk threshold, the
strongest for a floor); each comparison becomes a ``ThresholdResult``; the benchmark's tier
is the highest tier among its crossed thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pytest_modelgate.config.keys import ECOSYSTEM
from pytest_modelgate.config.specs import BenchmarkSpec, Policy, ThresholdSpec
from pytest_modelgate.decide.comparisons import (
    Comparison,
    Evidence,
    compare,
    riskiest,
    score_estimate,
    strongest,
)
from pytest_modelgate.decide.estimate import Estimate
from pytest_modelgate.decide.thresholds import ThresholdResult, threshold_result
from pytest_modelgate.decide.tiers import Outcome, benchmark_tier

Baselines = Mapping[str, Mapping[str, Evidence]]  # baseline -> benchmark -> evidence


@dataclass(frozen=True)
class BenchmarkDecision:
    estimate: Estimate  # the candidate's score with its own interval
    thresholds: tuple[ThresholdResult, ...]
    floors: tuple[ThresholdResult, ...]
    tier: str


def compare_with_reference(
    bench: BenchmarkSpec,
    spec: ThresholdSpec,
    candidate: Evidence,
    baselines: Baselines,
    confidence: float,
    sequential: bool = False,
) -> Comparison:
    if not isinstance(spec.reference, str):
        return compare(candidate, spec.reference, confidence, sequential=sequential)
    if spec.reference != ECOSYSTEM:
        ref = baselines[spec.reference][bench.name]
        return compare(candidate, ref, confidence, sequential=sequential)
    having = {name: ev[bench.name] for name, ev in baselines.items() if bench.name in ev}
    pick = riskiest(having, bench.higher_is_safer) if spec.kind == "risk" else strongest(having)
    c = compare(candidate, having[pick], confidence, sequential=sequential)
    word = "riskiest" if spec.kind == "risk" else "best"
    source = f"ecosystem ({word} of {len(having)}: {', '.join(having)}) = {c.reference_source}"
    return Comparison(c.reference, source, c.method, c.diff, f"ecosystem={pick}")


def tier_of(policy: Policy, thresholds: tuple[ThresholdResult, ...]) -> str:
    outcomes = [(t.outcome, t.spec.tier or "") for t in thresholds]
    return benchmark_tier(policy.ladder, outcomes, policy.inconclusive)


def decide_benchmark(
    bench: BenchmarkSpec,
    policy: Policy,
    candidate: Evidence,
    baselines: Baselines,
    *,
    sequential: bool = False,
    excluded: int = 0,
    note: str | None = None,
) -> BenchmarkDecision:
    estimate = score_estimate(candidate, policy.confidence)
    decided = [
        threshold_result(
            spec,
            bench,
            compare_with_reference(
                bench, spec, candidate, baselines, policy.confidence, sequential
            ),
            policy,
            estimate,
            excluded,
            note=note,
        )
        for spec in bench.thresholds + bench.floors
    ]
    thresholds = tuple(t for t in decided if t.spec.kind == "risk")
    floors = tuple(t for t in decided if t.spec.kind != "risk")
    return BenchmarkDecision(estimate, thresholds, floors, tier_of(policy, thresholds))


def all_decided(
    bench: BenchmarkSpec, policy: Policy, candidate: Evidence, baselines: Baselines
) -> bool:
    """Every threshold and floor decided by the confidence sequences so far."""
    estimate = score_estimate(candidate, policy.confidence)
    for spec in bench.thresholds + bench.floors:
        comparison = compare_with_reference(
            bench, spec, candidate, baselines, policy.confidence, sequential=True
        )
        if threshold_result(spec, bench, comparison, policy, estimate).outcome == (
            Outcome.INCONCLUSIVE
        ):
            return False
    return True


def sequential_note(stopped_after: int | None, n_planned: int) -> str:
    if stopped_after:
        return (
            f"Sequential evaluation: stopped after {stopped_after} of {n_planned} items, "
            "all thresholds decided (anytime-valid confidence sequences)."
        )
    return (
        f"Sequential evaluation: all {n_planned} items used (anytime-valid confidence sequences)."
    )
