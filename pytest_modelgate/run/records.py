"""What a gate run produces: one record per (benchmark, model) and per (domain, model).

Built once each, frozen: they travel between xdist workers and into every report. The
paragraph that explains a failed domain lives here, beside the record it explains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_modelgate.config.specs import BenchmarkSpec
from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.decide.estimate import Estimate
from pytest_modelgate.decide.thresholds import ThresholdResult, Verdict
from pytest_modelgate.decide.tiers import Outcome
from pytest_modelgate.run.evaluation import Tally


@dataclass(frozen=True)
class BenchmarkResult:
    spec: BenchmarkSpec
    model: str
    n_planned: int
    dataset_sha256: str | None = None
    evidence: Evidence | None = None
    estimate: Estimate | None = None
    thresholds: tuple[ThresholdResult, ...] = ()
    floors: tuple[ThresholdResult, ...] = ()
    tier: str | None = None
    tally: Tally = field(default_factory=Tally)  # calls, cache hits, errors, time, tokens, cost
    error: str | None = None  # why no decision could be made (fail closed)
    sequential: bool = False  # sampling: sequential
    stopped_after: int | None = None  # items used when a sequential run stopped early
    judge: dict[str, Any] | None = None  # Judge.record(): identity, rubric hashes, verdicts
    transcripts: dict[str, list[Any]] = field(default_factory=dict)  # multi-call solvers
    sandbox: dict[str, Any] | None = None  # limits and the containment model code ran under
    # (K, N): the evidence is shard K of N's items, written as a partial and decided only at
    # the merge (no thresholds, floors or tier here). None: all items, decided.
    shard: tuple[int, int] | None = None
    first_error: str | None = None  # the first item that could not be answered, if any

    def decision(self, threshold_id: str) -> ThresholdResult:
        return next(t for t in self.thresholds + self.floors if t.spec.id == threshold_id)


@dataclass(frozen=True)
class DomainResult:
    name: str
    model: str
    tier: str | None
    allowed: str
    passed: bool
    benchmarks: tuple[BenchmarkResult, ...]
    errors: tuple[str, ...]

    def failure_message(self) -> str:
        """One paragraph: why this domain fails the build."""
        if self.errors:
            return (
                f"domain {self.name}: no tier can be given, benchmarks errored (fail closed): "
                + "; ".join(self.errors)
            )
        tiers = ", ".join(f"{b.spec.name}={b.tier}" for b in self.benchmarks)
        failed = []
        for b in self.benchmarks:
            for t in b.thresholds + b.floors:
                if t.verdict == Verdict.FAILED:
                    note = (
                        "; counted as crossed: policy.inconclusive is fail"
                        if (t.outcome == Outcome.INCONCLUSIVE and t.spec.kind == "risk")
                        else ""
                    )
                    failed.append(f"{b.spec.name}::{t.spec.id} ({t.outcome}{note})")
        if self.tier == self.allowed:
            head = f"domain {self.name} is at tier {self.tier} (allowed), but a floor failed"
        else:
            head = (
                f"domain {self.name} is at tier {self.tier}, above the allowed tier {self.allowed}"
            )
        return f"{head}. Benchmark tiers: {tiers}. Failed gates: {', '.join(failed)}."
