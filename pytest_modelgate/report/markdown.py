"""summary.md: the verdict in one line, then per domain a table and a Mermaid chart
(GitHub-flavoured Markdown; GitHub renders ```mermaid blocks as diagrams)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.report import (
    ModelReport,
    evaluation_notes,
    exclusion_notes,
    rows,
    source_notes,
    spend_line,
    verdict_line,
)
from pytest_modelgate.report.charts import BenchmarkChart, domain_charts

_HEAD = (
    "| benchmark | threshold | score [CI] | n | reference | method | difference [CI] "
    "| outcome | tier | verdict |\n|---|---|---|---|---|---|---|---|---|---|"
)


_FIELDS = (
    "benchmark",
    "threshold",
    "score",
    "n",
    "reference",
    "method",
    "diff",
    "outcome",
    "tier",
    "verdict",
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(reports: Sequence[ModelReport]) -> str:
    parts = []
    for report in reports:
        parts.append(f"## {verdict_line(report)}\n")
        if report.results.get("smoke"):
            parts.append(
                "> Smoke run (--modelgate-limit): a subset of items; not a release verdict.\n"
            )
        confidence = report.results.get("confidence") or 0.95
        charts = domain_charts(report)
        charted = False
        by_domain: dict[str, list] = {}
        for row in rows(report):
            by_domain.setdefault(row.domain, []).append(row)
        for domain, domain_rows in by_domain.items():
            d = report.domain_of(domain)
            state = (
                f"tier **{d.tier}**, allowed {d.allowed}, {'passed' if d.passed else 'FAILED'}"
                if d
                else "incomplete"
            )
            parts.append(f"### {domain}: {state}\n\n{_HEAD}")
            for r in domain_rows:
                parts.append("| " + " | ".join(_cell(x) for x in r.cells(*_FIELDS)) + " |")
            parts.append("")
            chart = mermaid_chart(domain, charts.get(domain, []), confidence)
            if chart:
                parts.append(chart)
                charted = True
        if charted:
            parts.append(_caption(confidence))
        for note in exclusion_notes(report):
            parts.append(f"- excluded: {note}")
        parts.extend(f"- {note}" for note in evaluation_notes(report))
        parts.append(f"- {spend_line(report)}")
        parts.extend(f"- {what} **{name}**: {text}" for what, name, text in source_notes(report))
        parts.append("")
        parts.append(
            f"Intervals at {confidence:.0%} confidence; decision: "
            f"{report.results.get('decision')}; multiple comparisons: "
            f"{report.results.get('multiplicity', 'none')}. Methods: paired = same items as the "
            "baseline; unpaired = against a published aggregate; absolute = against a "
            "fixed number; point = point estimates only (weaker).\n"
        )
    return "\n".join(parts)


# Mermaid has no interval chart. A gantt chart is one: each task is a bar from a start to
# an end on a linear axis, and a milestone is a diamond at one point. Scores become
# milliseconds since the epoch (0.636 -> 636 ms) and the axis prints them back as
# seconds.milliseconds ("%s.%L" -> 0.636), so bars and diamonds sit at their exact values.
# (xychart-beta only has bars from zero and lines between categories: no intervals.)
_SCALE = 1000
_UNSAFE = re.compile(r"[:;#%`\r\n]+")  # a colon starts a task's data; ; # %% are syntax


def _label(text: str) -> str:
    return _UNSAFE.sub(" ", text).strip() or "-"


def _at(value: float) -> int:
    return min(_SCALE, max(0, round(value * _SCALE)))


def mermaid_chart(domain: str, charts: Sequence[BenchmarkChart], confidence: float) -> str:
    """A ```mermaid gantt block: per benchmark the candidate's score interval (a bar) and
    per threshold its reference and decision line (diamonds; ``crit``, red, when it failed).
    Empty when no benchmark of the domain has a score to draw."""
    drawn = [c for c in charts if c.score is not None and not c.error]
    if not drawn:
        return ""
    lines = [
        "```mermaid",
        "gantt",
        f"    title {_label(domain)} - candidate score with {confidence:.0%} interval "
        "vs references and decision lines",
        "    dateFormat x",
        "    axisFormat %s.%L",
        "    todayMarker off",
        # The axis spans what is drawn; a bar over the whole range keeps every chart on
        # the same 0-1 scale, so a narrow zoom cannot make small differences look large.
        "    section scale",
        "    scores run from 0 to 1 :done, 0, 1000",
    ]
    for c in drawn:
        score = c.score
        assert score is not None
        lines.append(f"    section {_label(c.name)}")
        lines.append(
            f"    {_label(f'score {score.value:.3f} [{score.low:.3f}, {score.high:.3f}]')}"
            f" :active, {_at(score.low)}, {_at(score.high)}"
        )
        for m in c.marks:
            tag = "crit, milestone" if m.verdict == Verdict.FAILED else "milestone"
            outcome = m.outcome if m.kind == "floor" else f"{m.outcome}, tier {m.tier}"
            if m.margin:
                sign = "-" if m.fails_below else "+"
                lines.append(
                    f"    {_label(f'{m.threshold} reference {m.name} {m.value:.3f}')}"
                    f" :milestone, {_at(m.value)}, {_at(m.value)}"
                )
                text = (
                    f"{m.threshold} line {m.line:.3f} = reference {sign} margin {m.margin:.3f}"
                    f" - {outcome}"
                )
            else:
                text = f"{m.threshold} vs {m.name} {m.value:.3f} - {outcome}"
            lines.append(f"    {_label(text)} :{tag}, {_at(m.line)}, {_at(m.line)}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def _caption(confidence: float) -> str:
    return (
        f"<sub>Charts. Bars: the candidate's score with its {confidence:.0%} interval. "
        "Diamonds: each threshold's reference and decision line (reference ± margin), red "
        "where the gate failed. The decision is taken on the interval of the difference "
        "(column *difference [CI]*), which also counts the reference's own uncertainty: a "
        "bar that overlaps a diamond is not by itself a crossed threshold.</sub>\n"
    )
