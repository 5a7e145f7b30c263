"""What a report writer is: a file name in ``--modelgate-report DIR`` and a function from
the assembled reports to the file's text. The four built-ins are writers like any other,
registered through ``pytest_modelgate_add_reporters``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pytest_modelgate.report import ModelReport
from pytest_modelgate.report.html import render_html
from pytest_modelgate.report.junit import render_junit
from pytest_modelgate.report.markdown import render_markdown
from pytest_modelgate.results.document import dump_json


@runtime_checkable
class ReportWriter(Protocol):
    """Writes ``filename`` with ``render(reports)``: one ``ModelReport`` per candidate model.
    ``per_model``: instead one file per model, ``stem.MODEL.suffix`` when several ran."""

    @property
    def filename(self) -> str: ...

    @property
    def per_model(self) -> bool: ...

    def render(self, reports: Sequence[ModelReport]) -> str: ...


@dataclass(frozen=True)
class Reporter:
    """A ``ReportWriter`` from a file name and a render function."""

    filename: str
    render: Callable[[Sequence[ModelReport]], str]
    per_model: bool = False


def render_results_json(reports: Sequence[ModelReport]) -> str:
    """results.json of the one model in ``reports`` (a per-model writer)."""
    (report,) = reports
    return dump_json(report.results)


def builtin_reporters() -> dict[str, ReportWriter]:
    return {
        "results": Reporter("results.json", render_results_json, per_model=True),
        "summary": Reporter("summary.md", render_markdown),
        "junit": Reporter("junit.xml", render_junit),
        "html": Reporter("report.html", render_html),
    }


def output_files(writer: ReportWriter, reports: Sequence[ModelReport]) -> dict[str, str]:
    """File name -> text of what ``writer`` writes for ``reports``."""
    if not writer.per_model or len(reports) == 1:
        return {writer.filename: writer.render(reports)}
    stem, dot, suffix = writer.filename.rpartition(".")
    return {
        (f"{stem}.{r.model}.{suffix}" if dot else f"{writer.filename}.{r.model}"): writer.render(
            [r]
        )
        for r in reports
    }


def written_files(writer: ReportWriter, out: Path) -> list[Path]:
    """The files in ``out`` that ``writer`` may have written (in any run, for any models)."""
    if not writer.per_model:
        return [out / writer.filename]
    stem, _, suffix = writer.filename.rpartition(".")
    return sorted(out.glob(f"{stem}*.{suffix}" if stem else f"{writer.filename}*"))
