"""Sharded gate runs, the pytest side: a shard run writes its partial at the end of the
session; a merge run checks the partials once collection is done and hands their evidence
to the engine, which decides it like any run (``run/merge.py``, ``run/partial.py``).

A bad merge stops the session with exit status 2 (as an invalid gate file does) and one
line per problem; nothing is decided and no report is written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_modelgate.plugin.session import ModelgateSession
from pytest_modelgate.results.document import dump_json, write_text
from pytest_modelgate.run.merge import combine, merge_problems
from pytest_modelgate.run.partial import (
    PARTIAL_FILE,
    PartialFileError,
    file_sha256,
    partial_document,
    read_partial,
)


def relative(path: Path, rootpath: Path) -> str:
    """A gate file as partials name it: relative to the rootdir, so jobs on other machines
    (other checkout paths) agree."""
    return Path(os.path.relpath(path, rootpath)).as_posix()


def prepare_merge(state: ModelgateSession, rootpath: Path) -> None:
    """Check the partials against each other and the collected gate files; on success the
    engine takes its evidence from them. On any problem: stop, exit status 2."""
    problems: list[str] = []
    partials = []
    for given in state.settings.merge:
        try:
            partials.append(read_partial(given))
        except PartialFileError as exc:
            problems.append(str(exc))
    gates = {relative(path, rootpath): loaded for path, loaded in state.loaded.items()}
    if not problems:
        problems = merge_problems(
            partials,
            {g: loaded.gate for g, loaded in gates.items()},
            {g: loaded.datasets for g, loaded in gates.items()},
            state.settings.models,
        )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        pytest.exit(
            state.redact(f"modelgate merge refused (nothing decided):\n{lines}"), returncode=2
        )
    run = state.run
    for gate, loaded in gates.items():
        for model in state.settings.models:
            if model not in loaded.gate.models:
                continue
            for bench in loaded.gate.benchmarks():
                combined = combine(partials, (gate, bench.name, model))
                if combined is not None:
                    run.merged[(loaded.gate.path, bench.name, model)] = combined
            # results.json describes the model as the shards saw it (a started provider may
            # say more than its spec, e.g. the weights' hash)
            described = partials[0].gates[gate]["models"].get(model)
            if described is not None:
                run.models.described[(loaded.gate.path, model)] = described


def write_partial(state: ModelgateSession, rootpath: Path) -> Path:
    """The shard's partial, into --modelgate-report DIR (settings guarantee one)."""
    settings = state.settings
    assert settings.shard is not None and settings.report_dir is not None
    run = state._run
    results = run.results if run is not None else {}
    gates = {relative(path, rootpath): file_sha256(path) for path in state.loaded}
    described = {}
    if run is not None:
        described = {
            (relative(path, rootpath), model): run.models.describe(loaded, model)
            for path, loaded in state.loaded.items()
            for model in settings.models
            if model in loaded.gate.models
        }
    document = partial_document(
        settings.shard,
        smoke=settings.limit is not None,
        models=settings.models,
        gates=gates,
        described=described,
        results=[(relative(path, rootpath), r) for (path, _, _), r in sorted(results.items())],
    )
    out = settings.report_dir / PARTIAL_FILE
    write_text(out, state.redact(dump_json(document)))
    return out
