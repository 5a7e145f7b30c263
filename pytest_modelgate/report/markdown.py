"""summary.md: the verdict in one line, then one table per domain (GitHub-flavoured Markdown)."""

from __future__ import annotations

from . import ModelReport, rows, verdict_line

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


def render_markdown(reports: list[ModelReport]) -> str:
    parts = []
    for report in reports:
        parts.append(f"## {verdict_line(report)}\n")
        if report.results.get("smoke"):
            parts.append(
                "> Smoke run (--modelgate-limit): a subset of items; not a release verdict.\n"
            )
        by_domain: dict[str, list] = {}
        for row in rows(report):
            by_domain.setdefault(row.domain, []).append(row)
        for domain, domain_rows in by_domain.items():
            d = report.domains.get(domain)
            state = (
                f"tier **{d.tier}**, allowed {d.allowed}, {'passed' if d.passed else 'FAILED'}"
                if d
                else "incomplete"
            )
            parts.append(f"### {domain}: {state}\n\n{_HEAD}")
            for r in domain_rows:
                parts.append("| " + " | ".join(_cell(x) for x in r.cells(*_FIELDS)) + " |")
            parts.append("")
        confidence = report.results.get("confidence")
        for name, b in report.results.get("baselines", {}).items():
            parts.append(f"- baseline **{name}**: {b.get('source') or 'no source given'}")
        parts.append("")
        parts.append(
            f"Intervals at {confidence:.0%} confidence; decision: "
            f"{report.results.get('decision')}. Methods: paired = same items as the "
            "baseline; unpaired = against a published aggregate; absolute = against a "
            "fixed number; point = point estimates only (weaker).\n"
        )
    return "\n".join(parts)
