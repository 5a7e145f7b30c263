"""``--modelgate-plan``: what a run would cost and what it could resolve, before querying.

The minimum detectable difference assumes the reference's score for the candidate
(p = 0.5, the widest case, against a number) and, for paired comparisons, the
between-model correlation seen between two baselines with per-item results on the
same benchmark, else 0.5. It is a planning figure, not a result. For a paired comparison it
is never below the interval's own floor: the half-width the decision's interval has when the
candidate answers every item exactly as the reference does. Near scores of 0 or 1 at small n
the normal approximation misses that floor badly (both at 1.0 on 12 items: 0.08 by the
normal formula, while Newcombe's interval is +-0.30), and a margin inside it can never clear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_modelgate.config.keys import ECOSYSTEM
from pytest_modelgate.config.specs import BenchmarkSpec, ThresholdSpec
from pytest_modelgate.data.datasets import Item
from pytest_modelgate.decide.comparisons import Evidence, riskiest, strongest
from pytest_modelgate.decide.judge_error import NOT_ACCOUNTED, calibration_items_needed
from pytest_modelgate.decide.stats import minimum_detectable_difference, paired_difference
from pytest_modelgate.run.loading import LoadedGate, solver_name
from pytest_modelgate.run.solver import DEFAULT_MAX_TURNS

ASSUMED_P = 0.5
ASSUMED_RHO = 0.5
HONESTY_SCORERS = ("honesty", "normalized_honesty")


def planned_se(n: int, reference: Evidence | None, rho: float = ASSUMED_RHO) -> tuple[str, float]:
    if reference is None:
        return "absolute", math.sqrt(ASSUMED_P * (1 - ASSUMED_P) / n)
    var = max(reference.score * (1 - reference.score), 0.01)  # a candidate near the reference
    if reference.items is not None:
        return "paired", math.sqrt(2 * var * (1 - rho) / n)
    return "unpaired", math.sqrt(var / n + var / reference.n)


def interval_floor(n: int, reference: Evidence | None, confidence: float) -> float:
    """The paired interval's half-width when the candidate matches the reference on every item
    (the reference's score, rounded to n items): no result at this n can be decided closer."""
    if reference is None or reference.items is None or n < 1:
        return 0.0
    right = round(reference.score * n)
    same = [1.0] * right + [0.0] * (n - right)
    return paired_difference(same, same, confidence).high


def between_model_correlation(loaded: LoadedGate, bench: BenchmarkSpec) -> float | None:
    """Pearson correlation of two baselines' per-item scores on this benchmark, if any."""
    per_item = [
        items
        for ev in loaded.baselines.values()
        if bench.name in ev and (items := ev[bench.name].items)
    ]
    if len(per_item) < 2:
        return None
    a, b = per_item[0], per_item[1]
    common = [i for i in a if i in b]
    if len(common) < 10:
        return None
    xs, ys = [a[i] for i in common], [b[i] for i in common]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None  # a constant baseline says nothing about correlation
    return max(0.0, min(0.99, sxy / math.sqrt(sxx * syy)))


def _reference(loaded: LoadedGate, bench: BenchmarkSpec, t: ThresholdSpec) -> Evidence | None:
    if not isinstance(t.reference, str):
        return None
    if t.reference != ECOSYSTEM:
        return loaded.baselines[t.reference][bench.name]
    having = {name: ev[bench.name] for name, ev in loaded.baselines.items() if bench.name in ev}
    pick = riskiest(having, bench.higher_is_safer) if t.kind == "risk" else strongest(having)
    return having[pick]


def _resolution_note(mdd: float, margin: float) -> str:
    if margin == 0:
        return "  (no margin: decided once the true difference is about this far from it)"
    if mdd > margin:
        return "  <- cannot resolve the margin with this n: add items or epochs, or widen it"
    return ""


def planned_calls(bench: BenchmarkSpec, items: Sequence[Item]) -> int:
    """Model calls a full run makes, judges included; for agents an upper bound (every
    attempt uses every turn)."""
    if solver_name(bench) == "react":
        per_item = [int(bench.agent.get("max_turns", DEFAULT_MAX_TURNS))] * len(items)
    else:
        per_item = [1 + len(item.metadata.get("belief_prompts", ())) for item in items]
    asked = sum(per_item) * bench.epochs
    graded = 0
    if bench.judge is not None:
        # A judge reads every answer; honesty's reads the belief answers too.
        graded = asked if bench.scorer in HONESTY_SCORERS else len(items) * bench.epochs
        graded += min(bench.judge.regrade, len(items)) * graded // max(len(items), 1)
    return asked + graded


def judge_error_line(g: LoadedGate, bench: BenchmarkSpec) -> str | None:
    """A judged benchmark's line on the judge's error: its calibration, or what one needs."""
    if bench.judge is None or bench.scorer != "judge":
        return None
    found = g.calibrations.get(bench.name)
    if found is not None:
        return (
            f"    judge error: corrected from {len(found.items)} calibration items graded by "
            f"people ({len(found.items)} judge calls)"
        )
    confidence = g.gate.policy.confidence
    needs = ", ".join(
        f"margin {t.margin:g}: {calibration_items_needed(t.margin, confidence)}"
        for t in bench.thresholds + bench.floors
        if 0 < t.margin < 1
    )
    return (
        f"    {NOT_ACCOUNTED} (no judge.calibration); answers graded by people needed to "
        f"keep the judge's error within the margin, for a judge 90% right both ways "
        f"(half graded right, half wrong): {needs or 'margin 0.05: '}"
        + ("" if needs else str(calibration_items_needed(0.05, confidence)))
    )


@dataclass(frozen=True)
class PlannedThreshold:
    gate: str
    bench: BenchmarkSpec
    model: str
    n: int
    calls: int
    threshold: ThresholdSpec
    method: str
    mdd: float
    rho_note: str


def planned(loaded: list[LoadedGate], models: tuple[str, ...]) -> list[PlannedThreshold]:
    out = []
    for g in loaded:
        confidence = g.gate.policy.confidence
        for model in models:
            spec = g.gate.models[model]
            for bench in g.gate.benchmarks():
                dataset = g.datasets.get(bench.name)
                if model in g.imported:
                    found = g.imported[model].get(bench.name)
                    n, calls = (found.n if found else 0), 0
                elif spec.provider == "static":
                    n, calls = spec.scores[bench.name].n, 0
                else:
                    n = len(dataset.items) if dataset else 0
                    calls = planned_calls(bench, dataset.items if dataset else ())
                    if bench.name in g.calibrations:  # the judge grades each calibration answer
                        calls += len(g.calibrations[bench.name].items)
                rho = between_model_correlation(g, bench)
                note = f", correlation {rho:.2f} from the baselines" if rho is not None else ""
                for t in bench.thresholds + bench.floors:
                    reference = _reference(g, bench, t)
                    method, se = planned_se(
                        max(n, 1), reference, ASSUMED_RHO if rho is None else rho
                    )
                    mdd = max(
                        minimum_detectable_difference(se, confidence),
                        interval_floor(n, reference, confidence),
                    )
                    out.append(
                        PlannedThreshold(
                            g.gate.path.name,
                            bench,
                            model,
                            n,
                            calls,
                            t,
                            method,
                            mdd,
                            note if method == "paired" else "",
                        )
                    )
    return out


def render_plan(loaded: list[LoadedGate], models: tuple[str, ...]) -> list[str]:
    lines, total_calls, seen = ["modelgate plan (nothing is queried):"], 0, set()
    confidence = {g.gate.path.name: g.gate.policy.confidence for g in loaded}
    gates = {g.gate.path.name: g for g in loaded}
    for p in planned(loaded, models):
        head = f"{p.gate}::{p.bench.domain}::{p.bench.name}[{p.model}]"
        if head not in seen:
            seen.add(head)
            total_calls += p.calls
            lines.append(f"{head}: n={p.n}, epochs={p.bench.epochs}, model calls={p.calls}")
            judged = judge_error_line(gates[p.gate], p.bench)
            if judged:
                lines.append(judged)
        lines.append(
            f"    {p.threshold.id}: {p.method}{p.rho_note}, margin {p.threshold.margin:.3f}, "
            f"minimum detectable difference {p.mdd:.3f} ({confidence[p.gate]:.0%}, 80% power)"
            f"{_resolution_note(p.mdd, p.threshold.margin)}"
        )
    lines.append(f"total model calls: {total_calls}")
    return lines


def resolution_warnings(loaded: list[LoadedGate], models: tuple[str, ...]) -> list[str]:
    """For a normal run: thresholds whose margin is finer than their n can resolve."""
    return [
        f"{p.gate}::{p.bench.domain}::{p.bench.name}::{p.threshold.id}[{p.model}]: n={p.n} "
        f"gives a minimum detectable difference of {p.mdd:.3f} > margin "
        f"{p.threshold.margin:.3f}; expect INCONCLUSIVE unless the true difference is far "
        "from the margin: add items or epochs, or widen the margin"
        for p in planned(loaded, models)
        if 0 < p.threshold.margin < p.mdd
    ]
