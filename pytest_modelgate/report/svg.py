"""The inline SVG chart of report.html: one row per threshold; the score panel on the left,
the difference panel (where the decision is taken) on the right."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.report.charts import (
    BAD,
    GOOD,
    BenchmarkChart,
    ReferenceMark,
    difference_extent,
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


_W, _ROW, _TOP, _BOTTOM = 1120, 30, 34, 30
_LABEL_X = 8
_SX, _SW = 250, 380  # score panel: x of 0.0, width up to 1.0
_DX, _DW = 690, 260  # difference panel
_OX = 970  # outcome text
_COLOR = {GOOD: "#1e7b34", BAD: "#c62828", "undecided": "#c77700"}
_CANDIDATE = "#1f5fbf"


def svg_chart(charts: Sequence[BenchmarkChart], confidence: float) -> str:
    rows_: list[tuple[BenchmarkChart, ReferenceMark | None, bool]] = []
    for c in charts:
        marks: list[ReferenceMark | None] = list(c.marks) or [None]
        rows_ += [(c, m, i == 0) for i, m in enumerate(marks)]
    height = _TOP + _ROW * len(rows_) + _BOTTOM
    extent = difference_extent(charts)

    def sx(v: float) -> float:
        return _SX + _SW * min(1.0, max(0.0, v))

    def dx(v: float) -> float:
        return _DX + _DW * (min(extent, max(-extent, v)) + extent) / (2 * extent)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {height}" '
        f'width="100%" role="img" font-size="12" '
        f'aria-label="scores and differences with {confidence:.0%} intervals">',
        f'<text x="{_SX}" y="14" class="head">score, {confidence:.0%} interval</text>',
        f'<text x="{_DX}" y="14" class="head">difference candidate − reference</text>',
        f'<text x="{_OX}" y="14" class="head">outcome</text>',
    ]
    bottom = _TOP + _ROW * len(rows_)
    for tick in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        x = sx(tick)
        out.append(f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" class="tick">{tick:.1f}</text>')
    for tick in (-extent, -extent / 2, 0.0, extent / 2, extent):
        x = dx(tick)
        klass = "zero" if tick == 0 else "grid"
        out.append(
            f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{bottom}" class="{klass}"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" class="tick">{tick:+.2f}</text>')
    for i, (c, m, first) in enumerate(rows_):
        y = _TOP + _ROW * i + _ROW / 2
        if first and i:  # a rule between benchmarks
            top = y - _ROW / 2
            out.append(f'<line x1="0" y1="{top:.1f}" x2="{_W}" y2="{top:.1f}" class="sep"/>')
        out.append(_row_svg(c, m, first, y, sx, dx))
    out.append("</svg>")
    return "".join(out)


def _row_svg(
    c: BenchmarkChart,
    m: ReferenceMark | None,
    first: bool,
    y: float,
    sx: Callable[[float], float],
    dx: Callable[[float], float],
) -> str:
    label = f"<tspan class='bench'>{_e(c.name)}</tspan> " if first else ""
    label += _e(m.threshold) if m else ""
    out = [f"<g><title>{_e(m.message if m else c.error or c.name)}</title>"]
    out.append(f'<text x="{_LABEL_X}" y="{y + 4:.1f}">{label}</text>')
    if c.score is None or m is None:
        why = "ERROR: could not be evaluated (fail closed)" if c.error else "no thresholds"
        out.append(f'<text x="{_SX}" y="{y + 4:.1f}" class="bad">{_e(why)}</text></g>')
        return "".join(out)
    s = c.score
    color = _COLOR[m.side]
    out.append(
        f'<rect x="{sx(s.low):.1f}" y="{y - 4:.1f}" width="{max(1.0, sx(s.high) - sx(s.low)):.1f}" '
        f'height="8" rx="2" fill="{_CANDIDATE}" fill-opacity="0.35" stroke="{_CANDIDATE}"/>'
        f'<circle cx="{sx(s.value):.1f}" cy="{y:.1f}" r="3.5" fill="{_CANDIDATE}"/>'
    )
    rx = sx(m.value)
    out.append(
        f'<path d="M{rx:.1f} {y - 7:.1f} l6 7 l-6 7 l-6 -7 z" fill="#444"/>'
        f'<line x1="{sx(m.line):.1f}" y1="{y - 12:.1f}" x2="{sx(m.line):.1f}" y2="{y + 12:.1f}" '
        f'stroke="{color}" stroke-width="2" stroke-dasharray="4 3"/>'
    )
    d = m.diff
    # Shade the side of the line where the gate fails: right for a risk threshold, left
    # for a floor or when higher is safer (the same flip the decision makes).
    edge = _DX if m.fails_below else _DX + _DW
    x0, x1 = sorted((dx(m.diff_line), edge))
    out.append(
        f'<rect x="{x0:.1f}" y="{y - 13:.1f}" width="{x1 - x0:.1f}" height="26" '
        f'fill="{_COLOR[BAD]}" fill-opacity="0.07"/>'
    )
    out.append(
        f'<line x1="{dx(m.diff_line):.1f}" y1="{y - 12:.1f}" x2="{dx(m.diff_line):.1f}" '
        f'y2="{y + 12:.1f}" stroke="{color}" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<rect x="{dx(d.low):.1f}" y="{y - 4:.1f}" width="{max(1.0, dx(d.high) - dx(d.low)):.1f}" '
        f'height="8" rx="2" fill="{color}" fill-opacity="0.35" stroke="{color}"/>'
        f'<circle cx="{dx(d.value):.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
    )
    verdict = "" if m.verdict == Verdict.PASSED else f" · {m.verdict}"
    out.append(
        f'<text x="{_OX}" y="{y + 4:.1f}" class="outcome {m.side}">'
        f"{_e(m.outcome)}{_e(verdict)}</text></g>"
    )
    return "".join(out)
