"""Hooks other plugins and ``conftest.py`` files implement to extend pytest-modelgate.

Added with ``pytest_addhooks``. The built-in providers, scorers, formats, ladders and
reporters register through these same hooks (``pytest_modelgate.plugin.builtins``), so
an extension is never a second-class citizen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pytest_modelgate.report.writer import ReportWriter
    from pytest_modelgate.run.records import BenchmarkResult

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_modelgate_add_providers(providers: dict[str, Any]) -> None:
    """Add model providers: ``providers["name"] = factory``.

    ``factory(spec: ModelSpec, context: ProviderContext) -> Provider`` is called once
    per model per session; a gate file selects it with ``provider: name``.
    """


@hookspec
def pytest_modelgate_add_scorers(scorers: dict[str, Any]) -> None:
    """Add scorers: ``scorers["name"] = score`` with ``score(answer: str, item: Item) -> float``
    returning a value in [0, 1]; a gate file selects it with ``scorer: name``. A scorer that
    needs the benchmark's judge, sandbox limits or the solver's whole sample is a
    ``pytest_modelgate.run.scorer.Scorer``: it declares ``needs_judge`` and its
    ``bind(context)`` returns ``score(sample, item) -> float | None``."""


@hookspec
def pytest_modelgate_add_formats(formats: dict[str, Any]) -> None:
    """Add dataset formats: ``formats["name"] = adapter`` with
    ``adapter(row: Mapping, item_id: str) -> Item`` (raise ``RowError`` on a bad row)."""


@hookspec
def pytest_modelgate_add_solvers(solvers: dict[str, Any]) -> None:
    """Add solvers: ``solvers["name"] = solve`` with ``solve(item, ask, options) -> Sample``,
    where ``ask(messages, **params) -> Completion`` calls the model (cached and budgeted);
    a gate file selects one with ``solver: name`` (formats ``agent`` and ``honesty`` bring
    ``react`` and ``honesty``; the rest ask once: ``generate``)."""


@hookspec
def pytest_modelgate_add_ladders(ladders: dict[str, tuple[str, ...]]) -> None:
    """Add named tier ladders: ``ladders["name"] = ("lowest", ..., "highest")``."""


@hookspec
def pytest_modelgate_add_reporters(reporters: dict[str, ReportWriter]) -> None:
    """Add report files: ``reporters["name"] = writer``, a ``ReportWriter``
    (``pytest_modelgate.report.writer``), e.g. ``Reporter("verdict.txt", render)`` with
    ``render(reports: Sequence[ModelReport]) -> str``. With ``--modelgate-report DIR`` each
    writer's file is written into DIR at the end of the run. Built-ins: ``results``,
    ``summary``, ``junit``, ``html``; delete a name to skip that file."""


@hookspec
def pytest_modelgate_benchmark_done(result: BenchmarkResult) -> None:
    """Called once per (benchmark, model) after it was evaluated and decided (or errored).
    A shard run (``--modelgate-shard``) decides nothing and does not call it; the merge run
    calls it for every benchmark, with the record decided on all items."""
