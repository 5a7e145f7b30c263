"""``--modelgate-plan``: what a run would cost and what it could resolve, before querying.

The minimum detectable difference assumes p = 0.5 (the widest binomial case),
and for paired comparisons a between-model correlation of 0.5 unless the
baseline's items say otherwise; it is a planning figure, not a result.
"""

from __future__ import annotations

import math

from .comparisons import Evidence, riskiest, strongest
from .engine import LoadedGate
from .schema import ECOSYSTEM, BenchmarkSpec, ThresholdSpec
from .stats import minimum_detectable_difference

ASSUMED_P = 0.5
ASSUMED_RHO = 0.5


def planned_se(n: int, reference: Evidence | None) -> tuple[str, float]:
    var = ASSUMED_P * (1 - ASSUMED_P)
    if reference is None:
        return "absolute", math.sqrt(var / n)
    if reference.items is not None:
        return "paired", math.sqrt(2 * var * (1 - ASSUMED_RHO) / n)
    ref_var = reference.score * (1 - reference.score)
    return "unpaired", math.sqrt(var / n + ref_var / reference.n)


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


def render_plan(loaded: list[LoadedGate], models: tuple[str, ...]) -> list[str]:
    lines, total_calls = ["modelgate plan (nothing is queried):"], 0
    for g in loaded:
        confidence = g.gate.policy.confidence
        for model in models:
            static = g.gate.models[model].provider == "static"
            for bench in g.gate.benchmarks():
                dataset = g.datasets.get(bench.name)
                n = (
                    g.gate.models[model].scores[bench.name].n
                    if static
                    else len(dataset.items)
                    if dataset
                    else 0
                )
                calls = 0 if static else n * bench.epochs
                total_calls += calls
                lines.append(
                    f"{g.gate.path.name}::{bench.domain}::{bench.name}[{model}]: n={n}, "
                    f"epochs={bench.epochs}, model calls={calls}"
                )
                for t in bench.thresholds + bench.floors:
                    method, se = planned_se(max(n, 1), _reference(g, bench, t))
                    mdd = minimum_detectable_difference(se, confidence)
                    warn = _resolution_note(mdd, t.margin)
                    lines.append(
                        f"    {t.id}: {method}, margin {t.margin:.3f}, minimum detectable "
                        f"difference {mdd:.3f} ({confidence:.0%}, 80% power){warn}"
                    )
    lines.append(f"total model calls: {total_calls}")
    return lines
