"""The merge: the partials of N shard runs, checked to belong together, combined into the
evidence an unsharded run would have gathered; ``GateRun`` then decides it as usual.

Fail closed: partials from different gate files, datasets, model specs or plugin versions,
a missing or duplicated shard, a smoke partial, or a benchmark a shard did not report are
each refused with a line naming what differs or is missing. Nothing is decided from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_modelgate import __version__
from pytest_modelgate.config.specs import BenchmarkSpec, GateFile, Problem
from pytest_modelgate.data.datasets import Dataset
from pytest_modelgate.data.sharding import shard_of
from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.models.calls import widen
from pytest_modelgate.run.evaluation import EvaluationError, Tally
from pytest_modelgate.run.partial import Partial, file_sha256, tally_from

Key = tuple[str, str, str]  # (gate file relative to the rootdir, benchmark, model)


def sharding_problems(gate: GateFile) -> list[Problem]:
    """What a sharded run cannot do honestly, refused at collection (docs/decisions.md)."""
    problems = []
    for bench in gate.benchmarks():
        key = f"domains.{bench.domain}.benchmarks.{bench.name}"
        if (bench.sampling or gate.policy.sampling) == "sequential":
            problems.append(
                Problem(
                    bench.line,
                    f"{key}.sampling" if bench.sampling else "policy.sampling",
                    "sequential sampling cannot be sharded: its early stop looks at one "
                    "growing sample in one order, which N shards do not share; shard with "
                    "sampling: fixed, or run this gate file unsharded",
                )
            )
        if bench.judge is not None and bench.judge.regrade:
            problems.append(
                Problem(
                    bench.judge.line or bench.line,
                    f"{key}.judge.regrade",
                    "a regrade samples from every graded item, which no shard sees; "
                    "shard without regrade, or run this gate file unsharded",
                )
            )
        if bench.judge is not None and bench.judge.calibration:
            problems.append(
                Problem(
                    bench.judge.calibration_line or bench.judge.line or bench.line,
                    f"{key}.judge.calibration",
                    "the judge's calibration is graded once per run and does not travel in "
                    "a shard's partial; run this gate file unsharded",
                )
            )
    return problems


@dataclass(frozen=True)
class Combined:
    """One benchmark's evidence from every shard, in the unsharded run's terms."""

    items: Mapping[str, float]
    tally: Tally
    error: str | None = None
    first_error: str | None = None
    judge: dict[str, Any] | None = None
    transcripts: dict[str, list[Any]] = field(default_factory=dict)
    sandbox: dict[str, Any] | None = None

    def evidence(self, bench: BenchmarkSpec, dataset: Dataset, name: str) -> Evidence:
        """The evidence over all items, as ``GateRun._gather`` builds it (dataset order, so
        the mean's float sum is the unsharded run's to the last bit); raises what its
        evaluation would have raised."""
        n = len(dataset.items)
        if self.error:
            raise EvaluationError(self.error, Tally())
        errors = self.tally.errors
        if errors and errors / n > bench.max_error_rate:
            raise EvaluationError(
                f"{errors} of {n} items could not be answered ({errors / n:.1%} > "
                f"max_error_rate {bench.max_error_rate:.1%}); first error: {self.first_error}",
                Tally(),
            )
        scores = {i.id: float(self.items[i.id]) for i in dataset.items if i.id in self.items}
        if not scores:
            raise EvaluationError(
                f"none of the {n} items evaluated so far could be scored "
                f"({self.tally.abstained} left out by the scorer)",
                Tally(),
            )
        clusters = {item.id: item.cluster for item in dataset.items}
        return Evidence(name, sum(scores.values()) / len(scores), len(scores), scores, clusters)


def merge_problems(
    partials: Sequence[Partial],
    gates: Mapping[str, GateFile],
    datasets: Mapping[str, Mapping[str, Dataset]],
    models: Sequence[str],
) -> list[str]:
    """Why these partials cannot be decided together; empty when they can. ``gates`` and
    ``datasets`` are what this merge run collected, keyed by gate file (relative)."""
    if not partials:
        return ["no partials given"]
    problems = _set_problems(partials, models)
    for gate, spec in gates.items():
        sha = file_sha256(spec.path)
        for p in partials:
            if gate not in p.gates:
                problems.append(f"{p.label} did not run {gate}, which this merge collected")
            elif p.gates[gate].get("sha256") != sha:
                problems.append(
                    f"{gate} differs: {p.label} ran sha256 {str(p.gates[gate].get('sha256'))[:12]}"
                    f", this merge reads {sha[:12]}"
                )
        for model in models:
            described = {
                p.label: p.gates.get(gate, {}).get("models", {}).get(model) for p in partials
            }
            if len({repr(d) for d in described.values()}) > 1:
                shown = "; ".join(f"{label}: {d}" for label, d in described.items())
                problems.append(f"model {model} of {gate} differs between shards: {shown}")
            for bench in spec.benchmarks():
                problems += _benchmark_problems(
                    partials, (gate, bench.name, model), datasets[gate].get(bench.name)
                )
    for p in partials:
        for gate in sorted(set(p.gates) - set(gates)):
            problems.append(f"{p.label} ran {gate}, which this merge did not collect")
    return problems


def _set_problems(partials: Sequence[Partial], models: Sequence[str]) -> list[str]:
    problems = []
    versions = {p.version for p in partials} | {__version__}
    if len(versions) > 1:
        problems.append(
            "plugin versions differ: "
            + ", ".join(f"{p.label} {p.version}" for p in partials)
            + f"; this merge runs {__version__}"
        )
    problems += [
        f"{p.label} is a smoke run (--modelgate-limit): a subset of items is never merged "
        "into a release verdict"
        for p in partials
        if p.smoke
    ]
    counts = sorted({p.shard[1] for p in partials})
    if len(counts) > 1:
        problems.append("shard counts differ: " + ", ".join(p.label for p in partials))
        return problems
    (n,) = counts
    seen: dict[int, list[Partial]] = {}
    for p in partials:
        seen.setdefault(p.shard[0], []).append(p)
    for k in range(1, n + 1):
        if k not in seen:
            problems.append(f"shard {k}/{n} is missing (given: {_given(seen, n)})")
        elif len(seen[k]) > 1:
            paths = ", ".join(str(p.path) for p in seen[k])
            problems.append(f"shard {k}/{n} is given {len(seen[k])} times: {paths}")
    for p in partials:
        if tuple(p.models) != tuple(models):
            problems.append(
                f"{p.label} gated models {', '.join(p.models)}; this merge gates "
                f"{', '.join(models)} (--modelgate-model)"
            )
    return problems


def _given(seen: Mapping[int, Sequence[Partial]], n: int) -> str:
    return ", ".join(f"{k}/{n}" for k in sorted(seen)) or "none"


def _benchmark_problems(
    partials: Sequence[Partial], key: Key, dataset: Dataset | None
) -> list[str]:
    gate, bench, model = key
    where = f"{gate}::{bench}[{model}]"
    entries = {p.label: p.results.get(key) for p in partials}
    problems = [
        f"{label} has no results for {where} (deselected, or the run was interrupted)"
        for label, e in entries.items()
        if e is None
    ]
    present = [(p, e) for p in partials if (e := p.results.get(key)) is not None]
    if len({bool(e.get("evaluated")) for _, e in present}) > 1:
        problems.append(f"{where}: some shards evaluated it, others imported its figures")
    if not any(e.get("evaluated") for _, e in present):
        return problems
    judges = {p.label: (e.get("judge") or {}).get("model") for p, e in present}
    if len({repr(j) for j in judges.values()}) > 1:
        shown = "; ".join(f"{label}: {j}" for label, j in judges.items())
        problems.append(f"{where}: the judge differs between shards: {shown}")
    expected = dataset.sha256 if dataset else None
    for p, e in present:
        if e.get("dataset_sha256") != expected:
            problems.append(
                f"{where}: dataset sha256 differs: {p.label} read "
                f"{str(e.get('dataset_sha256'))[:12]}, this merge reads {str(expected)[:12]}"
            )
            continue
        stray = [i for i in e["items"] if shard_of(bench, i, p.shard[1]) != p.shard[0]]
        if stray:
            problems.append(
                f"{where}: {p.label} holds {len(stray)} items of other shards (e.g. {stray[0]!r})"
            )
    return problems


def combine(partials: Sequence[Partial], key: Key) -> Combined | None:
    """The shards' evidence for ``key`` (checked by ``merge_problems``); None when its
    figures were imported or published (the merge reads them from the gate file)."""
    entries = [(p, p.results[key]) for p in sorted(partials, key=lambda p: p.shard)]
    if not entries[0][1].get("evaluated"):
        return None
    items: dict[str, float] = {}
    tally = Tally()
    transcripts: dict[str, list[Any]] = {}
    for _, e in entries:
        items.update(e["items"])
        tally += tally_from(e["tally"])
        transcripts.update(e.get("transcripts") or {})
    errors = [f"shard {p.shard[0]}/{p.shard[1]}: {e['error']}" for p, e in entries if e["error"]]
    first = next((e["first_error"] for _, e in entries if e.get("first_error")), None)
    judges = [e["judge"] for _, e in entries if e.get("judge")]
    sandboxes = [e["sandbox"] for _, e in entries if e.get("sandbox")]
    return Combined(
        items,
        tally,
        "; ".join(errors) or None,
        first,
        combine_judges(judges) if judges else None,
        transcripts,
        # Shards may run on runners with different containment: report the weakest.
        max(sandboxes, key=lambda s: sum("NOT" in c for c in s["containment"]))
        if sandboxes
        else None,
    )


def combine_judges(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One judge record from the shards' (``Judge.record``); regrade is refused when sharded."""
    usage: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    verdicts: dict[str, Any] = {}
    rubrics: dict[str, str] = {}
    span = None
    for r in records:
        for name, value in r["usage"].items():
            usage[name] = usage.get(name, 0) + value
        for name, value in r["outcomes"].items():
            outcomes[name] = outcomes.get(name, 0) + value
        verdicts.update(r["verdicts"])
        rubrics.update(r["rubrics"])
        span = widen(span, tuple(r["cached_recorded"]) if r["cached_recorded"] else None)
    # Keys that every shard reports alike (the model, the judge-error note) pass through.
    return {
        **records[0],
        "calls": sum(r["calls"] for r in records),
        "cached": sum(r["cached"] for r in records),
        "usage": usage,
        "cost": round(sum(r["cost"] for r in records), 6),
        "cached_recorded": list(span) if span else None,
        "cache_refetched": sum(r.get("cache_refetched", 0) for r in records),
        "server_change": next(
            (r["server_change"] for r in records if r.get("server_change")), None
        ),
        "rubrics": dict(sorted(rubrics.items())),
        "verdicts": dict(sorted(verdicts.items())),
        "agreement": None,
        "outcomes": dict(sorted(outcomes.items())),
    }
