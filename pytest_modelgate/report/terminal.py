"""The end-of-run table in the terminal: one line per threshold, then the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_modelgate.report import (
    ModelReport,
    evaluation_notes,
    exclusion_notes,
    figure_notes,
    rows,
    spend_line,
    verdict_line,
)

_FIELDS = (
    "domain",
    "benchmark",
    "threshold",
    "score",
    "n",
    "reference",
    "method",
    "outcome",
    "tier",
)
_COLUMNS = (
    "domain",
    "benchmark",
    "threshold",
    "score [CI]",
    "n",
    "reference",
    "method",
    "outcome",
    "tier",
)


def render_terminal(
    reports: Sequence[ModelReport], width: int = 160, verbose: bool = False
) -> list[str]:
    """The table and verdict; ``verbose`` (-v) adds where each imported score comes from."""
    lines = []
    for report in reports:
        table = [_COLUMNS] + [r.cells(*_FIELDS) for r in rows(report)]
        widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
        for row in table:
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()[
                    :width
                ]
            )
        lines.extend(exclusion_notes(report))
        lines.extend(evaluation_notes(report))
        if verbose:
            lines.extend(f"imported: {line}" for line in figure_notes(report))
        lines.append(spend_line(report))
        lines.append(verdict_line(report))
        if report.results.get("decision") == "point":
            lines.append(
                "Decided by point estimates (policy.decision: point), the weaker method: "
                "sampling error is ignored; see the intervals in the report."
            )
    return lines
