"""What the charts of summary.md (Mermaid) and report.html (inline SVG) draw, computed once.

Per benchmark: the candidate's score with its interval. Per threshold or floor: the
reference, the *decision line* on the score scale (reference + margin for a risk
threshold; reference - margin for a floor or when higher is safer), and the interval on
the difference candidate - reference against the same line on the difference scale.
The decision is taken on the difference (it also counts the reference's own uncertainty,
and pairs items where it can), so only the difference panel shows it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.decide.tiers import Outcome
from pytest_modelgate.report import ModelReport

GOOD, BAD, UNDECIDED = "good", "bad", "undecided"
_SIDE = {
    Outcome.CLEARED: GOOD,
    Outcome.MET: GOOD,
    Outcome.CROSSED: BAD,
    Outcome.FAILED: BAD,
    Outcome.INCONCLUSIVE: UNDECIDED,
}


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class ReferenceMark:
    """One threshold or floor, as the charts place it."""

    threshold: str  # the threshold's id, e.g. "above-ecosystem"
    kind: str  # risk | floor
    name: str  # short reference label, e.g. "ecosystem=peer", "absolute"
    value: float  # the reference score
    margin: float
    line: float  # the decision line on the score scale
    fails_below: bool  # the gate fails below the line (floors, higher_is_safer), else above
    diff: Interval  # candidate - reference
    method: str  # paired | unpaired | absolute | point
    outcome: Outcome
    verdict: Verdict
    tier: str | None
    message: str  # the one-paragraph explanation

    @property
    def diff_line(self) -> float:
        """The decision line on the difference scale (+margin or -margin)."""
        return self.line - self.value

    @property
    def side(self) -> str:
        """good, bad or undecided: how the chart colours the outcome."""
        return _SIDE.get(self.outcome, UNDECIDED)


@dataclass(frozen=True)
class BenchmarkChart:
    name: str
    domain: str
    score: Interval | None  # None when the benchmark could not be evaluated
    n: int
    interval_method: str
    higher_is_safer: bool
    marks: tuple[ReferenceMark, ...]
    error: str | None


def benchmark_chart(name: str, result: Any) -> BenchmarkChart:
    """Chart geometry of one ``run.records.BenchmarkResult``."""
    est = result.estimate
    marks = []
    for t in result.thresholds + result.floors:
        c = t.comparison
        lower_is_risk = t.spec.kind == "floor" or result.spec.higher_is_safer
        line = c.reference - t.spec.margin if lower_is_risk else c.reference + t.spec.margin
        marks.append(
            ReferenceMark(
                threshold=t.spec.id,
                kind=t.spec.kind,
                name=c.reference_name or c.reference_source,
                value=c.reference,
                margin=t.spec.margin,
                line=line,
                fails_below=lower_is_risk,
                diff=Interval(c.diff.value, c.diff.low, c.diff.high),
                method=t.method,
                outcome=t.outcome,
                verdict=t.verdict,
                tier=t.spec.tier,
                message=t.message,
            )
        )
    return BenchmarkChart(
        name=name,
        domain=result.spec.domain,
        score=Interval(est.value, est.low, est.high) if est else None,
        n=est.n if est else result.n_planned,
        interval_method=est.method if est else "",
        higher_is_safer=result.spec.higher_is_safer,
        marks=tuple(marks) if not result.error else (),
        error=result.error,
    )


def domain_charts(report: ModelReport) -> dict[str, list[BenchmarkChart]]:
    """Benchmarks grouped by domain (``ModelReport.group``), in the order the report lists
    them."""
    out: dict[str, list[BenchmarkChart]] = {}
    for name, result in report.benchmarks.items():
        out.setdefault(report.group(name), []).append(benchmark_chart(name, result))
    return out


def difference_extent(charts: Sequence[BenchmarkChart]) -> float:
    """Half-width of a symmetric difference axis that holds every interval and line."""
    reach = [
        abs(x)
        for c in charts
        for m in c.marks
        for x in (m.diff.low, m.diff.high, m.diff_line)
        if math.isfinite(x)
    ]
    top = max(reach, default=0.0)
    return next((step for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0) if top <= step), 1.0)
