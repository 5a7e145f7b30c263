"""The built-in providers, scorers, formats, ladders and reporters, registered through the
public hooks."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_modelgate.config.ladders import BUILTIN_LADDERS
from pytest_modelgate.data.formats import BUILTIN_FORMATS
from pytest_modelgate.report.writer import ReportWriter, builtin_reporters
from pytest_modelgate.run.scorers import BUILTIN_SCORERS


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_providers(providers: dict[str, Any]) -> None:
    from pytest_modelgate.models.providers import builtin_providers

    providers.update(builtin_providers())


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_scorers(scorers: dict[str, Any]) -> None:
    scorers.update(BUILTIN_SCORERS)


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_formats(formats: dict[str, Any]) -> None:
    formats.update(BUILTIN_FORMATS)


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_solvers(solvers: dict[str, Any]) -> None:
    from pytest_modelgate.run.solvers import builtin_solvers

    solvers.update(builtin_solvers())


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_ladders(ladders: dict[str, tuple[str, ...]]) -> None:
    ladders.update(BUILTIN_LADDERS)


@pytest.hookimpl(tryfirst=True)
def pytest_modelgate_add_reporters(reporters: dict[str, ReportWriter]) -> None:
    reporters.update(builtin_reporters())
