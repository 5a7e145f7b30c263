"""The typed result of reading a gate file (DESIGN §3), and the errors that reading reports.

Defaults come from the key declarations (``keys.py``, ``benchmark_keys.py``), so a default is
written once. Pure data: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate.config.benchmark_keys import BENCHMARK, JUDGE, THRESHOLD
from pytest_modelgate.config.keys import POLICY
from pytest_modelgate.config.ladders import Ladder
from pytest_modelgate.config.model_keys import MODEL


@dataclass(frozen=True)
class Problem:
    line: int | None
    key: str
    message: str

    def render(self, path: Path | str) -> str:
        where = f"{path}:{self.line}" if self.line else f"{path}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class GateFileError(Exception):
    """One or more problems in a gate file (or a file it names)."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(p.render(path) for p in problems))


@dataclass(frozen=True)
class AggregateScore:
    score: float
    n: int


@dataclass(frozen=True)
class Policy:
    ladder: Ladder
    allowed: str
    confidence: float = POLICY["confidence"].default
    decision: str = POLICY["decision"].default
    inconclusive: str = POLICY["inconclusive"].default
    budget: Mapping[str, float] = field(default_factory=dict)  # for the whole run
    sampling: str = POLICY["sampling"].default  # "sequential": stop once all are decided
    multiplicity: str = POLICY["multiplicity"].default  # "holm": crossed claims survive Holm


@dataclass(frozen=True)
class ModelSpec:
    name: str
    provider: str
    model: str | None = None
    base_url: str | None = None
    replicas: tuple[str, ...] = ()  # more base URLs serving the same model (base_url: [a, b])
    api_key_env: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = MODEL["concurrency"].default
    timeout_s: float = MODEL["timeout_s"].default
    max_retries: int = MODEL["max_retries"].default
    deadline_s: float | None = None  # one answer's whole time, retries included
    scores: Mapping[str, AggregateScore] = field(default_factory=dict)
    results: Path | None = None  # static: scores imported from a file (ours, Inspect, lm-eval)
    tasks: Mapping[str, str] = field(default_factory=dict)  # benchmark -> task name in that file
    metric: str | None = None  # lm-eval results: the metric to read (as for a baseline)
    filter: str | None = None  # lm-eval results: the filter to read
    inspect_scorer: str | None = None  # Inspect log: which score to read
    options: Mapping[str, Any] = field(default_factory=dict)
    rate_limit: Mapping[str, float] = field(default_factory=dict)
    prices: Mapping[str, float] = field(default_factory=dict)  # per million tokens
    line: int = 0
    scores_line: int = 0
    results_line: int = 0


@dataclass(frozen=True)
class BaselineSpec:
    name: str
    results: Path | None = None
    scores: Mapping[str, AggregateScore] = field(default_factory=dict)
    source: str | None = None
    tasks: Mapping[str, str] = field(default_factory=dict)  # benchmark -> task name in results
    metric: str | None = None  # lm-eval results: the metric to read; None: acc, else exact_match
    filter: str | None = None  # lm-eval results: the filter to read; None: none, else the first
    inspect_scorer: str | None = None  # Inspect log: which score; None: the headline, else first
    line: int = 0
    results_line: int = 0


@dataclass(frozen=True)
class ThresholdSpec:
    """A risk threshold (``above:``) or a floor (``at_least:``)."""

    id: str
    kind: str  # "risk" | "floor"
    reference: float | str  # a number, "ecosystem" or a baseline name
    margin: float = THRESHOLD["margin"].default
    tier: str | None = None  # risk thresholds only
    line: int = 0
    key: str = ""  # dotted path, for messages


@dataclass(frozen=True)
class JudgeSpec:
    """A model that grades answers (``scorer: judge``, ``refusal``, ``format: honesty``)."""

    model: str  # a models: entry
    rubric: str | None = None  # template; None: the scorer's own
    regrade: int = JUDGE["regrade"].default  # items graded twice: the judge's self-agreement
    regrade_model: str | None = None  # a second judge for the regrade; None: same, next seed
    line: int = 0
    calibration: Path | None = None  # answers graded by people: the judge's own error rates
    calibration_line: int = 0


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    domain: str
    dataset: Path | None
    format: str
    scorer: str
    limit: int | None = None
    epochs: int = BENCHMARK["epochs"].default
    concurrency: int | None = None  # a cap on the model's concurrency, for this benchmark
    higher_is_safer: bool = BENCHMARK["higher_is_safer"].default
    max_error_rate: float = BENCHMARK["max_error_rate"].default  # unanswered share, excluded
    budget: Mapping[str, float] = field(default_factory=dict)
    sampling: str | None = None  # None: the policy's
    params: Mapping[str, Any] = field(default_factory=dict)  # over the model's, for this one
    metric: str = BENCHMARK["metric"].default  # "pass_at_k": unbiased pass@k over epochs
    k: int | None = None
    solver: str | None = None  # None: the format's own (generate for most)
    judge: JudgeSpec | None = None
    agent: Mapping[str, float] = field(default_factory=dict)  # ReAct loop limits
    sandbox: Mapping[str, Any] = field(default_factory=dict)  # code limits, isolation
    description: str | None = None
    thresholds: tuple[ThresholdSpec, ...] = ()
    floors: tuple[ThresholdSpec, ...] = ()
    line: int = 0
    dataset_line: int = 0
    scorer_line: int = 0


@dataclass(frozen=True)
class DomainSpec:
    name: str
    benchmarks: tuple[BenchmarkSpec, ...]
    line: int = 0


@dataclass(frozen=True)
class GateFile:
    path: Path
    policy: Policy
    models: Mapping[str, ModelSpec]
    baselines: Mapping[str, BaselineSpec]
    domains: tuple[DomainSpec, ...]
    description: str | None = None
    models_line: int = 0

    def benchmarks(self) -> list[BenchmarkSpec]:
        return [b for d in self.domains for b in d.benchmarks]


@dataclass(frozen=True)
class Vocabulary:
    """Names the caller's registries know; validation accepts exactly these."""

    ladders: Mapping[str, tuple[str, ...]]
    providers: Collection[str]
    scorers: Collection[str]
    formats: Collection[str]
    solvers: Collection[str] = ("generate",)
