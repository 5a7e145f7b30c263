"""Reports of a gate run: assembled once per candidate model, rendered by the modules
beside this one (terminal table, results.json, summary.md, junit.xml)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate.config.ladders import Ladder
from pytest_modelgate.decide.judge_error import describe
from pytest_modelgate.decide.thresholds import Verdict
from pytest_modelgate.decide.tiers import Outcome
from pytest_modelgate.models.calls import widen
from pytest_modelgate.results.document import (
    build_results,
    figure_line,
    file_provenance,
    iso_span,
    provenance_line,
)
from pytest_modelgate.run.engine import GateRun
from pytest_modelgate.run.loading import LoadedGate
from pytest_modelgate.run.records import BenchmarkResult, DomainResult


@dataclass
class ModelReport:
    model: str
    ladder: Ladder
    benchmarks: dict[str, BenchmarkResult]
    domains: dict[str, DomainResult]
    complete: bool  # every declared benchmark was evaluated (not deselected)
    release: dict[str, Any]
    results: dict[str, Any]  # the results.json document
    # benchmark -> the group the human reports list it under: its domain's name, or
    # "FILE::domain" where gate files run together share that domain name.
    groups: dict[str, str] = field(default_factory=dict)
    group_domains: dict[str, str] = field(default_factory=dict)  # group -> key in domains

    def group(self, benchmark: str) -> str:
        return self.groups.get(benchmark) or self.benchmarks[benchmark].spec.domain

    def domain_of(self, group: str) -> DomainResult | None:
        """The group's domain result; None when not every benchmark of it ran."""
        return self.domains.get(self.group_domains.get(group, group))


def assemble(
    run: GateRun, loaded: list[LoadedGate], models: tuple[str, ...], smoke: bool
) -> list[ModelReport]:
    reports = []
    for model in models:
        # Ordered by path, so reports do not depend on which xdist worker finished first.
        gates = sorted((g for g in loaded if model in g.gate.models), key=lambda g: g.gate.path)
        if not gates:
            continue
        benchmarks: dict[str, BenchmarkResult] = {}
        domains: dict[str, DomainResult] = {}
        group_of = _domain_groups(gates)
        groups: dict[str, str] = {}
        group_domains: dict[str, str] = {}
        complete = True
        for g in gates:
            for bench in g.gate.benchmarks():
                result = run.results.get((g.gate.path, bench.name, model))
                if result is None:
                    complete = False
                    continue
                key = (
                    bench.name
                    if bench.name not in benchmarks
                    else f"{g.gate.path.stem}/{bench.name}"
                )
                benchmarks[key] = result
                groups[key] = group_of[(g.gate.path, bench.domain)]
            for d in g.gate.domains:
                if all((g.gate.path, b.name, model) in run.results for b in d.benchmarks):
                    key = d.name if d.name not in domains else f"{g.gate.path.stem}/{d.name}"
                    domains[key] = run.domain(g, d.name, model)  # memoized: no new queries
                    group_domains[group_of[(g.gate.path, d.name)]] = key
        policy = gates[0].gate.policy
        ladder = policy.ladder
        allowed = min((g.gate.policy.allowed for g in gates), key=ladder.rank)
        failed = any(
            t.verdict == Verdict.FAILED
            for b in benchmarks.values()
            for t in b.thresholds + b.floors
        )
        errored = any(b.error for b in benchmarks.values())
        tier = (
            None
            if errored or not domains
            else ladder.max(d.tier for d in domains.values() if d.tier)
        )
        passed = (
            complete
            and not smoke  # a subset of items is a smoke test, never a release verdict
            and not errored
            and not failed
            and all(d.passed for d in domains.values())
            and tier is not None
            and not ladder.exceeds(tier, allowed)
        )
        release = {"tier": tier, "allowed": allowed, "passed": passed, "complete": complete}
        candidate = run.models.describe(gates[0], model)
        imported = gates[0].gate.models[model].results
        if imported is not None:  # where the candidate's figures come from
            candidate["results_file"] = {
                **file_provenance(imported),
                "figures": _figures(gates, f"models.{model}"),
            }
        results = build_results(
            candidate=candidate,
            release=release,
            domains={
                n: {"tier": d.tier, "allowed": d.allowed, "passed": d.passed, "errors": d.errors}
                for n, d in domains.items()
            },
            benchmarks=benchmarks,
            smoke=smoke,
            confidence=policy.confidence,
            decision=policy.decision,
            multiplicity=policy.multiplicity,
            baselines={
                name: {
                    "source": b.source,
                    "results": str(b.results) if b.results else None,
                    **(
                        {
                            "provenance": {
                                **file_provenance(b.results),
                                "figures": _figures([g], f"baselines.{name}"),
                            }
                        }
                        if b.results
                        else {}
                    ),
                }
                for g in gates
                for name, b in g.gate.baselines.items()
            },
        )
        reports.append(
            ModelReport(
                model,
                ladder,
                benchmarks,
                domains,
                complete,
                release,
                results,
                groups,
                group_domains,
            )
        )
    return reports


def _domain_groups(gates: list[LoadedGate]) -> dict[tuple[Path, str], str]:
    """(gate file, domain) -> its group: the domain's name, unless another gate file
    declares the same name; then both are told apart by file, "FILE::domain", with FILE
    relative to the folder the files share (so the reports read alike on every machine)."""
    declared: dict[str, set[Path]] = {}
    for g in gates:
        for d in g.gate.domains:
            declared.setdefault(d.name, set()).add(g.gate.path)
    common = Path(os.path.commonpath([g.gate.path.parent for g in gates]))
    return {
        (g.gate.path, d.name): (
            d.name
            if len(declared[d.name]) == 1
            else f"{g.gate.path.relative_to(common).as_posix()}::{d.name}"
        )
        for g in gates
        for d in g.gate.domains
    }


@dataclass(frozen=True)
class Row:
    """One threshold or floor as the tables show it."""

    domain: str  # the benchmark's group (``ModelReport.group``)
    benchmark: str
    threshold: str
    score: str
    n: str
    reference: str
    method: str
    diff: str
    outcome: str
    tier: str
    verdict: str

    def cells(self, *fields: str) -> tuple[str, ...]:
        return tuple(getattr(self, f) for f in fields)


def rows(report: ModelReport) -> list[Row]:
    out = []
    for name, b in report.benchmarks.items():
        est = b.estimate
        score = f"{est.value:.3f} [{est.low:.3f}, {est.high:.3f}]" if est else "—"
        n = str(est.n) if est else str(b.n_planned)
        if b.error:
            out.append(
                Row(
                    report.group(name),
                    name,
                    "(all)",
                    score,
                    n,
                    "—",
                    "—",
                    "—",
                    "ERROR",
                    "—",
                    "error",
                )
            )
            continue
        for t in b.thresholds + b.floors:
            c = t.comparison
            out.append(
                Row(
                    report.group(name),
                    name,
                    t.spec.id,
                    score,
                    n,
                    f"{c.reference:.3f} {c.reference_name}",
                    t.method,
                    f"{c.diff.value:+.3f} [{c.diff.low:+.3f}, {c.diff.high:+.3f}]",
                    t.outcome,
                    _tier_cell(t),
                    t.verdict,
                )
            )
    return out


def _tier_cell(t: Any) -> str:
    """The tier a threshold puts on its benchmark: only when crossed (or undecided)."""
    if t.spec.kind == "floor":
        return "floor"
    return {Outcome.CROSSED: t.spec.tier, Outcome.INCONCLUSIVE: f"{t.spec.tier}?"}.get(
        t.outcome, "-"
    )


def exclusion_notes(report: ModelReport) -> list[str]:
    """One line per benchmark that left out items it could not get answered."""
    return [
        f"{name}: {b.tally.errors} of {b.tally.errors + b.estimate.n} items could not be answered "
        "and "
        f"were excluded (max_error_rate {b.spec.max_error_rate:.1%})"
        for name, b in report.benchmarks.items()
        if b.tally.errors and not b.error and b.estimate is not None
    ]


def evaluation_notes(report: ModelReport) -> list[str]:
    """What a reader needs besides the score: refusals (they depress measured capability),
    pass@k, the judge and its agreement, honesty's outcomes, items the scorer left out."""
    notes = []
    for name, b in report.benchmarks.items():
        if b.error:
            continue
        if b.tally.refusals:
            notes.append(
                f"{name}: {b.tally.refusals} of {b.tally.samples} answers were refusals "
                f"({b.tally.refusals / b.tally.samples:.1%}); refusals lower a capability score"
            )
        if b.spec.metric == "pass_at_k":
            notes.append(
                f"{name}: pass@{b.spec.k} from {b.spec.epochs} attempts per item (unbiased "
                "estimator per item; the item is the unit of every interval)"
            )
        if b.judge:
            j = b.judge
            model = j["model"].get("model") or j["model"].get("name")
            line = f"{name}: graded by judge {model} ({j['calls']} calls, {j['cached']} cached)"
            if j.get("agreement"):
                a = j["agreement"]
                line += (
                    f"; regrade of {a['items']} items agreed on {a['agreed']} of "
                    f"{a['verdicts']} verdicts"
                )
            if b.spec.scorer == "judge":
                line += "; " + (j.get("judge_error") or describe(j.get("calibration")))
            notes.append(line)
            if j.get("outcomes"):
                counts = ", ".join(f"{k} {v}" for k, v in j["outcomes"].items())
                notes.append(f"{name}: honesty outcomes: {counts}")
        if b.sandbox:
            weak = [c for c in b.sandbox["containment"] if "NOT" in c]
            if weak:
                notes.append(
                    f"{name}: model-written code ran with weaker containment: {'; '.join(weak)}"
                )
        if b.tally.abstained:
            notes.append(
                f"{name}: {b.tally.abstained} items could not be scored and were left out "
                "(e.g. no consistent belief to lie against)"
            )
    return notes


def _figures(gates: Iterable[LoadedGate], owner: str) -> dict[str, Any]:
    """benchmark -> which figure of ``owner``'s imported file it took (task, metric, n, ...)."""
    return {
        bench: dict(figure)
        for g in gates
        for bench, figure in sorted(g.figures.get(owner, {}).items())
    }


def figure_notes(report: ModelReport) -> list[str]:
    """For -v: every imported score, candidate's and baselines', with where it comes from."""
    res = report.results
    owners = [("candidate", report.model, res["candidate"].get("results_file"))]
    owners += [("baseline", n, b.get("provenance")) for n, b in res.get("baselines", {}).items()]
    return [
        f"{what} {name}, {figure_line(bench, figure)} (from {provenance_line(info)})"
        for what, name, info in owners
        if info
        for bench, figure in info.get("figures", {}).items()
    ]


def source_notes(report: ModelReport) -> list[tuple[str, str, str]]:
    """(what, name, where from) for every imported figure: the candidate's results file, and
    each baseline with its source and, for a file, its sha256 and the tool that wrote it."""
    res = report.results
    notes = []
    imported = res["candidate"].get("results_file")
    if imported:
        text = f"imported from {provenance_line(imported)}"
        notes.append(("candidate", report.model, text + _figures_text(imported)))
    for name, b in res.get("baselines", {}).items():
        text = b.get("source") or "no source given"
        if b.get("provenance"):
            text += f" ({provenance_line(b['provenance'])}){_figures_text(b['provenance'])}"
        notes.append(("baseline", name, text))
    return notes


def _figures_text(info: Mapping[str, Any]) -> str:
    figures = info.get("figures") or {}
    return "".join(f"; {figure_line(b, f)}" for b, f in figures.items())


def spend_line(report: ModelReport) -> str:
    """What the run cost: calls, cached answers, tokens and, with prices, money."""
    benches = report.benchmarks.values()
    judges = [b.judge for b in benches if b.judge]
    calls = sum(b.tally.calls for b in benches) + sum(j["calls"] for j in judges)
    cached = sum(b.tally.cached for b in benches) + sum(j["cached"] for j in judges)
    tokens = sum(
        _tokens(u) for u in [*(b.tally.usage for b in benches), *(j["usage"] for j in judges)]
    )
    estimated = (
        " (partly estimated: the API reported no usage)"
        if any(b.tally.usage_estimated for b in benches)
        else ""
    )
    costs = [b.tally.cost for b in benches if b.tally.cost is not None]
    costs += [j["cost"] for j in judges if j.get("cost")]
    cost = f", cost {sum(costs):.4f} (from the models' prices)" if costs else ""
    graded = sum(j["calls"] for j in judges)
    by_judges = f" ({graded} by judges)" if graded else ""
    span = None
    for recorded in [*(b.tally.recorded for b in benches), *(j["cached_recorded"] for j in judges)]:
        span = widen(span, tuple(recorded) if recorded else None)
    when = iso_span(span)
    received = f" (received {when[0]} to {when[1]})" if when else ""
    line = (
        f"Spend: {calls} model calls{by_judges}, {cached} cached answers{received}, "
        f"{tokens} tokens{estimated}{cost}."
    )
    refetched = sum(b.tally.refetched for b in benches)
    refetched += sum(j.get("cache_refetched", 0) for j in judges)
    changes = [b.tally.server_change for b in benches]
    changes += [tuple(j["server_change"]) for j in judges if j.get("server_change")]
    change = next((c for c in changes if c), None)
    if refetched and change:
        was, now = (c or "nothing" for c in change)
        line += (
            f" {refetched} cached answers asked again: recorded when the server said "
            f"{was!r}, it now says {now!r}."
        )
    return line


def _tokens(usage: Mapping[str, int]) -> int:
    return usage.get("total_tokens", 0) or (
        usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
    )


def verdict_line(report: ModelReport) -> str:
    r = report.release
    if report.results.get("smoke"):
        status = "SMOKE (--modelgate-limit: a subset of items; no release verdict)"
    elif not report.complete:
        status = "INCOMPLETE (some gates were not run; no release verdict)"
    elif r["passed"]:
        status = "PASS"
    else:
        status = "FAIL"
    return (
        f"Release gate {status}: model {report.model} is at tier {r['tier'] or 'unknown'}, "
        f"allowed {r['allowed']} (ladder {report.ladder.name})."
    )
