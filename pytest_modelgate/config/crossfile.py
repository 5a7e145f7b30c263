"""Checks that span a gate file's parts and the files it names (pure: the caller loads them).

Each function returns ``Problem``s with the line and dotted key to blame, so one collection
error lists everything wrong at once. What was loaded comes in as plain facts: which
benchmarks a baseline or an imported results file covers, which baseline runs errored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pytest_modelgate.config.keys import ECOSYSTEM
from pytest_modelgate.config.specs import BenchmarkSpec, GateFile, ModelSpec, Problem, ThresholdSpec


def model_problems(gate: GateFile, models: Sequence[str]) -> list[Problem]:
    """The models chosen with --modelgate-model exist; their published scores name benchmarks."""
    problems = [
        Problem(
            gate.models_line or None,
            "models",
            f"no model named {name!r} (--modelgate-model); valid: {', '.join(gate.models)}",
        )
        for name in models
        if name not in gate.models
    ]
    names = {b.name for b in gate.benchmarks()}
    for spec in (gate.models[m] for m in models if m in gate.models):
        for unknown in sorted(set(spec.scores) - names):
            problems.append(
                Problem(
                    spec.scores_line or spec.line,
                    f"models.{spec.name}.scores.{unknown}",
                    f"no benchmark named {unknown!r} in this gate "
                    f"file; valid: {', '.join(sorted(names))}",
                )
            )
    return problems


def candidate_problems(
    bench: BenchmarkSpec,
    selected: Sequence[ModelSpec],
    imported: Mapping[str, Mapping[str, object] | None],
    key: str,
) -> list[Problem]:
    """Every candidate can be scored on this benchmark: from its imported results file
    (``imported``: model -> benchmark -> result, None where unusable; None for the whole file
    when it could not be read, already reported), its published scores, or a dataset."""
    problems = []
    for spec in selected:
        if spec.name in imported:
            found = imported[spec.name]
            if found is not None and found.get(bench.name) is None:
                problems.append(
                    Problem(
                        spec.results_line,
                        f"models.{spec.name}.results",
                        f"the imported results have no usable result for benchmark "
                        f"{bench.name!r} (map it with tasks: {{{bench.name}: TASK}})",
                    )
                )
        elif spec.provider == "static" and bench.name not in spec.scores:
            problems.append(
                Problem(
                    spec.scores_line or spec.line,
                    f"models.{spec.name}.scores",
                    f"the static model has no score for benchmark {bench.name!r}",
                )
            )
    if bench.dataset is None and any(spec.provider != "static" for spec in selected):
        problems.append(
            Problem(
                bench.line,
                f"{key}.dataset",
                "required key is missing (only a static candidate can do without a dataset)",
            )
        )
    return problems


def judge_problems(
    gate: GateFile, bench: BenchmarkSpec, needs_judge: bool, key: str
) -> list[Problem]:
    """A scorer that grades with a judge has one, and the judge is a model that answers."""
    if bench.judge is None:
        if needs_judge:
            return [
                Problem(
                    bench.scorer_line or bench.line,
                    f"{key}.judge",
                    f"scorer {bench.scorer!r} grades with a judge model; add "
                    "judge: {model: NAME} naming one of models:",
                )
            ]
        return []
    problems = []
    for field_name in ("model", "regrade_model"):
        name = getattr(bench.judge, field_name)
        if name is not None and name not in gate.models:
            problems.append(
                Problem(
                    bench.judge.line,
                    f"{key}.judge.{field_name}",
                    f"no model named {name!r}; valid: {', '.join(gate.models)}",
                )
            )
        elif name is not None and gate.models[name].provider == "static":
            problems.append(
                Problem(
                    bench.judge.line,
                    f"{key}.judge.{field_name}",
                    f"a judge must answer: {name!r} is static",
                )
            )
    return problems


def reference_problems(
    t: ThresholdSpec,
    bench: BenchmarkSpec,
    covered: Mapping[str, Collection[str]],
    errored: Mapping[str, Collection[str]],
) -> list[Problem]:
    """The threshold's reference exists. ``covered``: baseline -> benchmarks it has a result
    for; ``errored``: baseline -> benchmarks whose recorded run errored."""
    if not isinstance(t.reference, str):
        return []
    # A baseline whose run of this benchmark errored would silently drop out of the
    # ecosystem (lowering a floor's bar): refuse it instead.
    needed = covered if t.reference == ECOSYSTEM else [t.reference]
    broken = [name for name in needed if bench.name in errored.get(name, ())]
    if broken:
        return [
            Problem(
                t.line,
                t.key,
                f"baseline {broken[0]!r} recorded an error for {bench.name!r}, so it is no "
                "evidence; record the baseline again (or remove it)",
            )
        ]
    if t.reference == ECOSYSTEM:
        if not any(bench.name in benchmarks for benchmarks in covered.values()):
            return [
                Problem(
                    t.line,
                    t.key,
                    f"threshold {t.id!r} compares with the ecosystem, but "
                    f"no baseline has a result for {bench.name!r}",
                )
            ]
        return []
    if t.reference in covered and bench.name not in covered[t.reference]:
        return [
            Problem(
                t.line,
                t.key,
                f"threshold {t.id!r} needs baseline {t.reference!r}, which "
                f"has no result for {bench.name!r}",
            )
        ]
    return []
