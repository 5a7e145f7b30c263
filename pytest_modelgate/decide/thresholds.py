"""From a comparison to a verdict, and the paragraph that explains it.

Pure: no pytest. Every message states n, the interval, the reference and
where it came from, the method, the margin and the tier against the allowed
tier, so a failed check in a PR can be understood without opening anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_modelgate.config.specs import BenchmarkSpec, Policy, ThresholdSpec
from pytest_modelgate.decide import stats
from pytest_modelgate.decide.comparisons import POINT, Comparison
from pytest_modelgate.decide.tiers import (
    CROSSED,
    FAILED,
    INCONCLUSIVE,
    decide_floor,
    decide_threshold,
)

PASSED, FAILED_VERDICT, WARNED = "passed", "failed", "warned"


@dataclass(frozen=True)
class ThresholdResult:
    spec: ThresholdSpec
    comparison: Comparison
    method: str  # paired | unpaired | absolute | point
    outcome: str  # crossed | cleared | inconclusive  (floors: met | failed | inconclusive)
    mdd: float  # minimum detectable difference at 80% power
    verdict: str  # passed | failed | warned
    message: str


def judge(
    spec: ThresholdSpec,
    bench: BenchmarkSpec,
    comparison: Comparison,
    policy: Policy,
    candidate: stats.Estimate,
    excluded: int = 0,
    note: str | None = None,
) -> ThresholdResult:
    d = comparison.diff
    if spec.kind == "risk":
        # Risk difference: positive means riskier than the reference.
        flip = -1.0 if bench.higher_is_safer else 1.0
        low, high = sorted((flip * d.low, flip * d.high))
        outcome = decide_threshold(low, high, flip * d.value, spec.margin, policy.decision)
        exceeds = spec.tier is not None and policy.ladder.exceeds(spec.tier, policy.allowed)
        bad = outcome == CROSSED or outcome == INCONCLUSIVE
    else:
        outcome = decide_floor(d.low, d.high, d.value, spec.margin, policy.decision)
        exceeds, bad = True, outcome in (FAILED, INCONCLUSIVE)
    if not (bad and exceeds):
        verdict = PASSED
    elif outcome == INCONCLUSIVE:
        verdict = {"fail": FAILED_VERDICT, "warn": WARNED, "pass": PASSED}[policy.inconclusive]
    else:
        verdict = FAILED_VERDICT
    method = POINT if policy.decision == "point" else comparison.method
    mdd = stats.minimum_detectable_difference(d.se, policy.confidence)
    message = explain(spec, comparison, outcome, mdd, bench, policy, candidate, excluded, note)
    return ThresholdResult(spec, comparison, method, outcome, mdd, verdict, message)


def _f(x: float) -> str:
    return f"{x:.3f}"


def _signed(x: float) -> str:
    return f"{x:+.3f}"


def _method_label(method: str, interval_method: str) -> str:
    return interval_method if interval_method.startswith(method) else f"{method}, {interval_method}"


def explain(
    spec: ThresholdSpec,
    c: Comparison,
    outcome: str,
    mdd: float,
    bench: BenchmarkSpec,
    policy: Policy,
    candidate: stats.Estimate,
    excluded: int = 0,
    note: str | None = None,
) -> str:
    d = c.diff
    pct = f"{policy.confidence:.0%}"
    parts = [
        f"{bench.name} ({bench.domain}) scored {_f(candidate.value)} "
        f"[{_f(candidate.low)}, {_f(candidate.high)}] "
        f"(n={candidate.n}, {candidate.method}, {pct}).",
        f"Reference {_f(c.reference)}: {c.reference_source}.",
        *([note] if note else []),
        *(
            [
                f"{excluded} item(s) could not be answered and are excluded "
                f"(max_error_rate {bench.max_error_rate:.1%})."
            ]
            if excluded
            else []
        ),
        f"Difference {_signed(d.value)} [{_signed(d.low)}, {_signed(d.high)}] "
        f"({_method_label(c.method, d.method)}, {pct}) against margin {_f(spec.margin)}: "
        f"{outcome.upper()}.",
    ]
    if spec.kind == "risk":
        if bench.higher_is_safer:
            parts.append("Higher is safer here: the risk is scoring below the reference.")
        parts.append(
            f"Threshold tier {spec.tier}; allowed tier {policy.allowed} "
            f"(ladder {policy.ladder.name})."
        )
    else:
        parts.append(f"Floor: the score may fall at most {_f(spec.margin)} below the reference.")
    if policy.decision == "point":
        parts.append(
            "Decision by point estimate (weaker: it ignores sampling error; the interval "
            "above shows what it cannot rule out)."
        )
    parts.append(f"Minimum detectable difference at 80% power: {_f(mdd)}.")
    if outcome == INCONCLUSIVE:
        parts.append(f"Inconclusive counts as {policy.inconclusive!r} (policy.inconclusive).")
        if mdd > spec.margin:
            parts.append(
                f"n={d.n} gives a minimum detectable difference of {_f(mdd)} > margin "
                f"{_f(spec.margin)}: add items or epochs, or widen the margin."
            )
        else:
            parts.append(
                "The true difference is close to the margin: add items or epochs to decide it."
            )
    elif outcome == CROSSED and spec.tier and policy.ladder.exceeds(spec.tier, policy.allowed):
        parts.append(
            f"Next: at tier {spec.tier} the model exceeds the allowed tier {policy.allowed}. "
            f"Mitigate and evaluate again, or release only under the safeguards your framework "
            f"requires at {spec.tier}; raising policy.allowed is a policy decision, not a fix."
        )
    elif outcome == FAILED:
        parts.append(
            "Next: the model regressed below the reference by more than the margin; find the "
            "regression (compare per-item results with --modelgate-record-baseline) before "
            "release."
        )
    return " ".join(parts)
