"""pytest-xdist support: one worker per gate file, one verdict assembled by the controller.

All items of a gate file run on one worker (``--dist loadfile``, which groups by file),
so each benchmark is evaluated once and its domain items see all of its results. Each
worker attaches the benchmark results it finished to its test reports; the controller,
which collects nothing itself, rebuilds the run from them and alone writes the reports.
"""

from __future__ import annotations

import base64
import pickle
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_modelgate.plugin.session import ModelgateSession

PAYLOAD = "modelgate_payload"  # the TestReport attribute xdist carries to the controller


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def configure(config: pytest.Config) -> None:
    """Make xdist send all items of one gate file to the same worker."""
    if config.getoption("numprocesses", None) and not is_worker(config):
        config.option.dist = "loadfile"


def pack(state: ModelgateSession, sent: set[Any]) -> str | None:
    """The gate files and benchmark results this worker has not sent yet, or None."""
    if state._run is None:
        return None
    results = {k: v for k, v in state.run.results.items() if k not in sent}
    if not results:
        return None
    sent.update(results)
    gates = {path: state.loaded[path].gate for path, _, _ in results}
    described = {
        (path, model): state.run.models.describe(state.loaded[path], model)
        for path, _, model in results
    }
    figures = {path: state.loaded[path].figures for path in gates}  # imported files' provenance
    # pickle: both ends are this package in one test session, so the data is our own.
    data = (gates, results, described, state.settings.limit, figures)
    return base64.b64encode(pickle.dumps(data)).decode()


def unpack(state: ModelgateSession, payload: str) -> None:
    from pytest_modelgate.config.secrets import gate_secrets
    from pytest_modelgate.run.loading import LoadedGate

    gates, results, described, limit, figures = pickle.loads(base64.b64decode(payload))  # noqa: S301
    for path, gate in gates.items():
        state.loaded.setdefault(path, LoadedGate(gate, {}, {}, {}, smoke=limit is not None))
        state.loaded[path].figures.update(figures[path])
        state.redact.add(gate_secrets(gate))  # the controller writes the reports
    run = state.controller_run()
    run.results.update(results)
    run.models.described.update(described)
