"""From a comparison to a verdict, and the paragraph that explains it.

Pure: no pytest. Every message states n, the interval, the reference and
where it came from, the method, the margin and the tier against the allowed
tier, so a failed check in a PR can be understood without opening anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from pytest_modelgate.config.specs import BenchmarkSpec, Policy, ThresholdSpec
from pytest_modelgate.decide import stats
from pytest_modelgate.decide.comparisons import POINT, Comparison
from pytest_modelgate.decide.estimate import Estimate
from pytest_modelgate.decide.tiers import Outcome, decide_floor, decide_threshold


class Verdict(str, Enum):
    """What a threshold or floor means for the build, after policy.inconclusive."""

    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"  # inconclusive under policy.inconclusive: warn

    def __str__(self) -> str:
        return self.value


_INCONCLUSIVE_VERDICT = {"fail": Verdict.FAILED, "warn": Verdict.WARNED, "pass": Verdict.PASSED}


@dataclass(frozen=True)
class ThresholdResult:
    spec: ThresholdSpec
    comparison: Comparison
    method: str  # paired | unpaired | absolute | point
    outcome: Outcome  # risk: crossed | cleared | inconclusive; floor: met | failed | inconclusive
    mdd: float  # minimum detectable difference at 80% power
    verdict: Verdict
    message: str


def threshold_result(
    spec: ThresholdSpec,
    bench: BenchmarkSpec,
    comparison: Comparison,
    policy: Policy,
    candidate: Estimate,
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
        bad = outcome == Outcome.CROSSED or outcome == Outcome.INCONCLUSIVE
    else:
        outcome = decide_floor(d.low, d.high, d.value, spec.margin, policy.decision)
        exceeds, bad = True, outcome in (Outcome.FAILED, Outcome.INCONCLUSIVE)
    if not (bad and exceeds):
        verdict = Verdict.PASSED
    elif outcome == Outcome.INCONCLUSIVE:
        verdict = _INCONCLUSIVE_VERDICT[policy.inconclusive]
    else:
        verdict = Verdict.FAILED
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
    outcome: Outcome,
    mdd: float,
    bench: BenchmarkSpec,
    policy: Policy,
    candidate: Estimate,
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
    if outcome == Outcome.INCONCLUSIVE:
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
    elif (
        outcome == Outcome.CROSSED
        and spec.tier
        and policy.ladder.exceeds(spec.tier, policy.allowed)
    ):
        parts.append(
            f"Next: at tier {spec.tier} the model exceeds the allowed tier {policy.allowed}. "
            f"Mitigate and evaluate again, or release only under the safeguards your framework "
            f"requires at {spec.tier}; raising policy.allowed is a policy decision, not a fix."
        )
    elif outcome == Outcome.FAILED:
        parts.append(
            "Next: the model regressed below the reference by more than the margin; find the "
            "regression (compare per-item results with --modelgate-record-baseline) before "
            "release."
        )
    return " ".join(parts)


def demoted(
    t: ThresholdResult,
    bench: BenchmarkSpec,
    policy: Policy,
    candidate: Estimate,
    excluded: int,
    note: str,
) -> ThresholdResult:
    """A crossed threshold that a stricter family-wise test could not confirm: inconclusive,
    with the verdict policy.inconclusive gives, and the note saying why."""
    message = explain(
        t.spec, t.comparison, Outcome.INCONCLUSIVE, t.mdd, bench, policy, candidate, excluded, note
    )
    verdict = (
        _INCONCLUSIVE_VERDICT[policy.inconclusive] if t.verdict == Verdict.FAILED else t.verdict
    )
    return replace(t, outcome=Outcome.INCONCLUSIVE, verdict=verdict, message=message)
