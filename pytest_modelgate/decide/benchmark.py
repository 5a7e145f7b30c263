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
from pytest_modelgate.decide import judge_error
from pytest_modelgate.decide.comparisons import (
    PAIRED,
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
    calibration: judge_error.Calibration | None = None,
) -> Comparison:
    """``calibration``: the judge's error rates; the difference is then corrected for them
    (fixed-n only: a calibrated benchmark is decided once, on all its items)."""
    if calibration is not None:
        raw = _compare(bench, spec, candidate, baselines, confidence, False)
        return _corrected(raw, candidate, calibration, confidence)
    return _compare(bench, spec, candidate, baselines, confidence, sequential)


def _compare(
    bench: BenchmarkSpec,
    spec: ThresholdSpec,
    candidate: Evidence,
    baselines: Baselines,
    confidence: float,
    sequential: bool,
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


def _corrected(
    c: Comparison, candidate: Evidence, cal: judge_error.Calibration, confidence: float
) -> Comparison:
    """A paired baseline was graded by the same judge: its difference is divided by J. A
    number or a published aggregate is taken as it is: only the candidate is corrected."""
    if c.method == PAIRED:
        diff = judge_error.corrected_paired_difference(c.diff, cal, confidence)
    else:
        own = score_estimate(candidate, confidence)
        fixed = judge_error.corrected_score(own, cal, confidence)
        diff = judge_error.corrected_difference_to(c.diff, own, fixed, c.reference, confidence)
    return Comparison(c.reference, c.reference_source, c.method, diff, c.reference_name)


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
    calibration: judge_error.Calibration | None = None,
) -> BenchmarkDecision:
    """``calibration``: the judge's error rates from answers people graded (a judged
    benchmark); the score and every difference are corrected for them."""
    observed = score_estimate(candidate, policy.confidence)
    estimate = observed
    if calibration is not None:
        estimate = judge_error.corrected_score(observed, calibration, policy.confidence)
    if bench.judge is not None and bench.scorer == "judge":
        judged = judge_note(bench, observed, estimate, calibration)
        note = f"{note} {judged}" if note else judged
    decided = [
        threshold_result(
            spec,
            bench,
            compare_with_reference(
                bench, spec, candidate, baselines, policy.confidence, sequential, calibration
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


def judge_note(
    bench: BenchmarkSpec,
    observed: Estimate,
    corrected: Estimate,
    calibration: judge_error.Calibration | None,
) -> str:
    """The sentence every explanation of a judged score carries about the judge's error."""
    if calibration is None:
        margins = [t.margin for t in bench.thresholds + bench.floors] or [0.05]
        margin = max(min(margins), 0.01)
        need = judge_error.calibration_items_needed(margin, 0.95)
        return (
            f"Graded by a judge: {judge_error.NOT_ACCOUNTED} (no judge.calibration; about "
            f"{need} answers graded by people would keep it within the {margin:g} margin for "
            "a judge 90% right both ways)."
        )
    c = calibration
    return (
        f"Graded by a judge, corrected for its error (Rogan-Gladen, Fieller interval): "
        f"sensitivity {c.sensitivity:.3f} ({c.true_pos}/{c.positives}), specificity "
        f"{c.specificity:.3f} ({c.true_neg}/{c.negatives}) from {c.positives + c.negatives} "
        f"answers graded by people; judged score {observed.value:.3f} "
        f"[{observed.low:.3f}, {observed.high:.3f}] -> corrected {corrected.value:.3f} "
        f"[{corrected.low:.3f}, {corrected.high:.3f}]; a paired baseline's difference is "
        "divided by the judge's Youden index (same judge), a number or published score is "
        "taken as it is."
    )


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
