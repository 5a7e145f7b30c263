"""Load a gate file and everything it names, at collection: offline, files only.

Parse the YAML, read the datasets, baselines and imported results, resolve scorers and
solvers from the registries; then the cross-file checks of ``config.crossfile``. Every
problem found is raised at once, as one ``GateFileError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate.config import crossfile
from pytest_modelgate.config.parse import parse_gate_file
from pytest_modelgate.config.specs import (
    BenchmarkSpec,
    GateFile,
    GateFileError,
    Problem,
    Vocabulary,
)
from pytest_modelgate.data.datasets import Dataset, DatasetError, FormatAdapter, load_dataset
from pytest_modelgate.data.formats import FORMAT_SOLVERS, calibration_item
from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.models.provider import ProviderFactory
from pytest_modelgate.results.document import load_baseline
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.run.scorer import Scorer, resolve_scorer
from pytest_modelgate.run.solver import Solver


@dataclass
class Registries:
    """Everything extensible, filled by the ``pytest_modelgate_add_*`` hooks."""

    providers: dict[str, ProviderFactory] = field(default_factory=dict)
    scorers: dict[str, Any] = field(default_factory=dict)
    formats: dict[str, FormatAdapter] = field(default_factory=dict)
    ladders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    solvers: dict[str, Solver] = field(default_factory=dict)

    def vocabulary(self) -> Vocabulary:
        return Vocabulary(self.ladders, self.providers, self.scorers, self.formats, self.solvers)


@dataclass
class LoadedGate:
    gate: GateFile
    datasets: dict[str, Dataset]  # benchmark -> its (limited) dataset
    baselines: dict[str, dict[str, Evidence]]  # baseline -> benchmark -> evidence
    scorers: dict[str, Scorer]  # benchmark -> its scorer (bound per run)
    smoke: bool = False
    # model -> benchmark -> candidate evidence imported from a file (provider: static, results:)
    imported: dict[str, dict[str, Evidence | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # for verbose output
    # "baselines.NAME" / "models.NAME" -> benchmark -> which figure of its imported file it
    # took (task, metric, filter or scorer, n): the reports' provenance.
    figures: dict[str, dict[str, Mapping[str, Any]]] = field(default_factory=dict)
    # benchmark -> its judge's calibration: answers graded by people (judge.calibration)
    calibrations: dict[str, Dataset] = field(default_factory=dict)


def solver_name(bench: BenchmarkSpec) -> str:
    return bench.solver or FORMAT_SOLVERS.get(bench.format, "generate")


def load(
    path: Path,
    registries: Registries,
    models: Sequence[str],
    *,
    limit: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedGate:
    """Parse a gate file and everything it names; raise ``GateFileError`` with every problem."""
    gate = parse_gate_file(path, registries.vocabulary(), environ)
    problems: list[Problem] = crossfile.model_problems(gate, models)
    selected = [gate.models[m] for m in models if m in gate.models]
    wanted = {b.name for b in gate.benchmarks()}  # a results file's other tasks are not read
    notes: list[str] = []  # said with -v: what was read, and what was left unread
    figures: dict[str, dict[str, Mapping[str, Any]]] = {}

    baselines: dict[str, dict[str, Evidence]] = {}
    errored: dict[str, set[str]] = {}  # baseline -> benchmarks that errored in its run
    for b in gate.baselines.values():
        if b.results is not None:
            try:
                ignored: list[str] = []
                found = load_baseline(
                    b.results,
                    b.name,
                    b.tasks,
                    wanted,
                    (b.metric, b.filter),
                    ignored,
                    b.inspect_scorer,
                )
                notes += _ignored_note(f"baselines.{b.name}.results", ignored)
                figures[f"baselines.{b.name}"] = _figures(found)
                baselines[b.name] = {k: v for k, v in found.items() if v is not None}
                errored[b.name] = {k for k, v in found.items() if v is None}
            except BaselineFileError as exc:
                problems.append(Problem(b.results_line, f"baselines.{b.name}.results", str(exc)))
        else:
            baselines[b.name] = {
                bench: Evidence(f"{b.name} (published)", s.score, s.n, name=b.name)
                for bench, s in b.scores.items()
            }

    imported: dict[str, dict[str, Evidence | None]] = {}
    readable: dict[str, dict[str, Evidence | None] | None] = {}  # None: reported unreadable
    for spec in selected:
        if spec.results is not None:
            try:
                ignored = []
                imported[spec.name] = load_baseline(
                    spec.results,
                    spec.name,
                    spec.tasks,
                    wanted,
                    (spec.metric, spec.filter),
                    ignored,
                    spec.inspect_scorer,
                )
                notes += _ignored_note(f"models.{spec.name}.results", ignored)
                figures[f"models.{spec.name}"] = _figures(imported[spec.name])
                readable[spec.name] = imported[spec.name]
            except BaselineFileError as exc:
                problems.append(Problem(spec.results_line, f"models.{spec.name}.results", str(exc)))
                imported[spec.name], readable[spec.name] = {}, None

    datasets: dict[str, Dataset] = {}
    calibrations: dict[str, Dataset] = {}
    scorers: dict[str, Scorer] = {}
    for bench in gate.benchmarks():
        key = f"domains.{bench.domain}.benchmarks.{bench.name}"
        problems.extend(crossfile.candidate_problems(bench, selected, readable, key))
        if bench.dataset is not None and bench.dataset.is_file():
            cap = min(x for x in (bench.limit, limit) if x) if (bench.limit or limit) else None
            try:
                datasets[bench.name] = load_dataset(
                    bench.dataset, registries.formats[bench.format], limit=cap
                )
            except DatasetError as exc:
                problems.append(Problem(bench.dataset_line, f"{key}.dataset", str(exc)))
        judge = bench.judge
        if judge is not None and judge.calibration is not None and judge.calibration.is_file():
            problem = _load_calibration(bench, judge.calibration, calibrations)
            if problem:
                where = f"{key}.judge.calibration"
                problems.append(Problem(judge.calibration_line, where, problem))
        try:
            scorers[bench.name] = resolve_scorer(bench.scorer, registries.scorers)
        except LookupError as exc:
            problems.append(Problem(bench.scorer_line or bench.line, f"{key}.scorer", str(exc)))
        scorer = scorers.get(bench.name)
        judged = scorer is not None and scorer.needs_judge
        problems.extend(crossfile.judge_problems(gate, bench, judged, key))
        solver = solver_name(bench)
        if solver not in registries.solvers:
            problems.append(
                Problem(
                    bench.line,
                    f"{key}.solver",
                    f"format {bench.format!r} needs solver {solver!r}, which is not registered",
                )
            )
        for t in bench.thresholds + bench.floors:
            problems.extend(crossfile.reference_problems(t, bench, baselines, errored))
    if problems:
        raise GateFileError(path, problems)
    return LoadedGate(
        gate,
        datasets,
        baselines,
        scorers,
        smoke=limit is not None,
        imported=imported,
        notes=notes,
        figures=figures,
        calibrations=calibrations,
    )


def _load_calibration(
    bench: BenchmarkSpec, path: Path, calibrations: dict[str, Dataset]
) -> str | None:
    """Read a judge's calibration set (never limited: its size is its precision)."""
    try:
        found = load_dataset(path, calibration_item)
    except DatasetError as exc:
        return str(exc)
    golds = [bool(item.metadata["gold"]) for item in found.items]
    if all(golds) or not any(golds):
        return (
            f"{path}: every answer is graded {'C' if golds[0] else 'I'}; sensitivity and "
            "specificity need answers people graded right (C) and answers graded wrong (I)"
        )
    calibrations[bench.name] = found
    return None


def _ignored_note(key: str, ignored: list[str]) -> list[str]:
    if not ignored:
        return []
    return [f"{key}: tasks no benchmark of this gate file asks for, not read: {', '.join(ignored)}"]


def _figures(found: Mapping[str, Evidence | None]) -> dict[str, Mapping[str, Any]]:
    """benchmark -> the figure of the file it took, as the importer describes it."""
    return {
        bench: figure
        for bench, e in sorted(found.items())
        if (figure := getattr(e, "figure", None))
    }
