"""The gate engine: load gate files with their data, evaluate each benchmark once per
session, and decide thresholds, floors, and benchmark and domain tiers.

No pytest import: the plugin calls ``load`` at collection (offline: files only)
and ``benchmark`` / ``domain`` from items (this is where models are queried).
Results and errors are memoized, so every item of a benchmark shares one run.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate.config.keys import ECOSYSTEM
from pytest_modelgate.config.parse import parse_gate_file
from pytest_modelgate.config.specs import (
    BenchmarkSpec,
    GateFile,
    GateFileError,
    ModelSpec,
    Problem,
    ThresholdSpec,
    Vocabulary,
)
from pytest_modelgate.data.datasets import Dataset, DatasetError, FormatAdapter, Item, load_dataset
from pytest_modelgate.data.formats import FORMAT_SOLVERS
from pytest_modelgate.decide import stats
from pytest_modelgate.decide.comparisons import (
    Comparison,
    ComparisonError,
    Evidence,
    compare,
    riskiest,
    score_estimate,
    strongest,
)
from pytest_modelgate.decide.thresholds import (
    FAILED_VERDICT,
    PASSED,
    WARNED,
    ThresholdResult,
    explain,
    judge,
)
from pytest_modelgate.decide.tiers import CROSSED, INCONCLUSIVE, benchmark_tier
from pytest_modelgate.models.calls import AnswerLog, AnswerStore, ModelCaller
from pytest_modelgate.models.provider import (
    Provider,
    ProviderContext,
    ProviderError,
    ProviderFactory,
    describe_spec,
)
from pytest_modelgate.models.spending import Budget, RateLimiter
from pytest_modelgate.results.document import load_baseline
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.run.evaluation import Evaluation, EvaluationError, evaluate
from pytest_modelgate.run.judging import Judge
from pytest_modelgate.run.progress import Progress
from pytest_modelgate.run.scorer import ScoringContext, bind_scorer, needs_judge, resolve_scorer
from pytest_modelgate.run.solver import Solver

# Sequential sampling: batches of at least this many items, about this many batches in all.
# More, smaller looks stop sooner (the simulation study: 2-3 points fewer items) at no cost
# to validity; each look is a few milliseconds of arithmetic.
SEQUENTIAL_MIN_BATCH = 10
SEQUENTIAL_BATCHES = 40


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
    scorers: dict[str, Any]  # benchmark -> scorer, as registered (bound per run)
    smoke: bool = False
    # benchmark -> candidate evidence imported from a file (provider: static, results:)
    imported: dict[str, dict[str, Evidence | None]] = field(default_factory=dict)


@dataclass
class BenchmarkResult:
    spec: BenchmarkSpec
    model: str
    n_planned: int
    dataset_sha256: str | None = None
    evidence: Evidence | None = None
    estimate: stats.Estimate | None = None
    thresholds: list[ThresholdResult] = field(default_factory=list)
    floors: list[ThresholdResult] = field(default_factory=list)
    tier: str | None = None
    calls: int = 0
    cached: int = 0
    errors: int = 0
    error: str | None = None
    seconds: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)  # summed API usage fields (tokens)
    usage_estimated: bool = False  # some answers had no usage fields: tokens estimated
    sequential: bool = False  # sampling: sequential
    stopped_after: int | None = None  # items used when a sequential run stopped early
    cost: float | None = None  # from the model's prices; None when it has none
    samples: int = 0  # (item, epoch) answers scored
    refusals: int = 0  # of those, answers that read as refusals
    abstained: int = 0  # items the scorer could not score (e.g. no belief), excluded
    judge: dict[str, Any] | None = None  # Judge.record(): identity, rubric hashes, verdicts
    transcripts: dict[str, list[Any]] = field(default_factory=dict)  # multi-call solvers
    sandbox: dict[str, Any] | None = None  # limits and the containment model code ran under

    def decision(self, threshold_id: str) -> ThresholdResult:
        return next(t for t in self.thresholds + self.floors if t.spec.id == threshold_id)


@dataclass
class DomainResult:
    name: str
    model: str
    tier: str | None
    allowed: str
    passed: bool
    benchmarks: list[BenchmarkResult]
    errors: list[str]


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
    problems: list[Problem] = []
    for name in models:
        if name not in gate.models:
            problems.append(
                Problem(
                    gate.models_line or None,
                    "models",
                    f"no model named {name!r} (--modelgate-model); valid: {', '.join(gate.models)}",
                )
            )
    selected = [gate.models[m] for m in models if m in gate.models]
    names = {b.name for b in gate.benchmarks()}
    for spec in selected:
        for unknown in sorted(set(spec.scores) - names):
            problems.append(
                Problem(
                    spec.scores_line or spec.line,
                    f"models.{spec.name}.scores.{unknown}",
                    f"no benchmark named {unknown!r} in this gate "
                    f"file; valid: {', '.join(sorted(names))}",
                )
            )

    baselines: dict[str, dict[str, Evidence]] = {}
    errored: dict[str, set[str]] = {}  # baseline -> benchmarks that errored in its run
    for b in gate.baselines.values():
        if b.results is not None:
            try:
                found = load_baseline(b.results, b.name, b.tasks)
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
    for spec in selected:
        if spec.results is not None:
            try:
                imported[spec.name] = load_baseline(spec.results, spec.name, spec.tasks)
            except BaselineFileError as exc:
                problems.append(Problem(spec.results_line, f"models.{spec.name}.results", str(exc)))
                imported[spec.name] = {}
    datasets, scorers = {}, {}
    for bench in gate.benchmarks():
        key = f"domains.{bench.domain}.benchmarks.{bench.name}"
        for spec in selected:
            if spec.name in imported:
                if imported[spec.name] and imported[spec.name].get(bench.name) is None:
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
        if bench.dataset is None:
            if any(spec.provider != "static" for spec in selected):
                problems.append(
                    Problem(
                        bench.line,
                        f"{key}.dataset",
                        "required key is missing "
                        "(only a static candidate can do without a dataset)",
                    )
                )
        elif bench.dataset.is_file():
            cap = min(x for x in (bench.limit, limit) if x) if (bench.limit or limit) else None
            try:
                datasets[bench.name] = load_dataset(
                    bench.dataset, registries.formats[bench.format], limit=cap
                )
            except DatasetError as exc:
                problems.append(Problem(bench.dataset_line, f"{key}.dataset", str(exc)))
        try:
            scorers[bench.name] = resolve_scorer(bench.scorer, registries.scorers)
        except LookupError as exc:
            problems.append(Problem(bench.scorer_line or bench.line, f"{key}.scorer", str(exc)))
        problems.extend(_judge_problems(gate, bench, scorers.get(bench.name), key))
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
            problems.extend(_reference_problems(t, bench, baselines, errored))
    if problems:
        raise GateFileError(path, problems)
    return LoadedGate(
        gate, datasets, baselines, scorers, smoke=limit is not None, imported=imported
    )


def solver_name(bench: BenchmarkSpec) -> str:
    return bench.solver or FORMAT_SOLVERS.get(bench.format, "generate")


def _judge_problems(gate: GateFile, bench: BenchmarkSpec, scorer: Any, key: str) -> list[Problem]:
    if bench.judge is None:
        if scorer is not None and needs_judge(scorer):
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


def _reference_problems(
    t: ThresholdSpec,
    bench: BenchmarkSpec,
    baselines: Mapping[str, Mapping[str, Evidence]],
    errored: Mapping[str, set[str]],
) -> list[Problem]:
    if not isinstance(t.reference, str):
        return []
    # A baseline whose run of this benchmark errored would silently drop out of the
    # ecosystem (lowering a floor's bar): refuse it instead.
    needed = baselines if t.reference == ECOSYSTEM else [t.reference]
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
        if not any(bench.name in ev for ev in baselines.values()):
            return [
                Problem(
                    t.line,
                    t.key,
                    f"threshold {t.id!r} compares with the ecosystem, but "
                    f"no baseline has a result for {bench.name!r}",
                )
            ]
        return []
    if t.reference in baselines and bench.name not in baselines[t.reference]:
        return [
            Problem(
                t.line,
                t.key,
                f"threshold {t.id!r} needs baseline {t.reference!r}, which "
                f"has no result for {bench.name!r}",
            )
        ]
    return []


class GateRun:
    """One pytest session's evaluations: providers started once, benchmarks run once."""

    def __init__(
        self,
        registries: Registries,
        work_dir: Path,
        on_benchmark_done: Callable[[BenchmarkResult], Any] | None = None,
        cache: AnswerStore | None = None,
        recorder: AnswerLog | None = None,
    ) -> None:
        self.registries = registries
        self.context = ProviderContext(work_dir)
        self.on_benchmark_done = on_benchmark_done
        self.cache = cache
        self.recorder = recorder
        self._limiters: dict[tuple[Path, str], RateLimiter] = {}
        self.described: dict[tuple[Path, str], dict[str, Any]] = {}  # sent by xdist workers
        # Set by the plugin: makes a live progress display for (benchmark label, answers).
        self.progress: Callable[[str, int], Progress] | None = None
        self._run_budgets: dict[Path, Budget | None] = {}  # policy.budget, one per gate file
        self._lock = threading.RLock()
        self._providers: dict[tuple[Path, str], Provider | ProviderError] = {}
        self.results: dict[tuple[Path, str, str], BenchmarkResult] = {}

    def provider(self, loaded: LoadedGate, model: str) -> Provider:
        key = (loaded.gate.path, model)
        with self._lock:
            if key not in self._providers:
                spec = loaded.gate.models[model]
                try:
                    self._providers[key] = self.registries.providers[spec.provider](
                        spec, self.context
                    )
                except ProviderError as exc:
                    self._providers[key] = exc  # remembered: every gate of this model errors alike
            found = self._providers[key]
        if isinstance(found, ProviderError):
            raise found
        return found

    def describe(self, loaded: LoadedGate, model: str) -> dict[str, Any]:
        """The model as results.json records it; never starts a provider to find out."""
        if (loaded.gate.path, model) in self.described:
            return self.described[(loaded.gate.path, model)]
        found = self._providers.get((loaded.gate.path, model))
        if found is None or isinstance(found, ProviderError):
            return describe_spec(loaded.gate.models[model])
        return found.describe()

    def benchmark(self, loaded: LoadedGate, name: str, model: str) -> BenchmarkResult:
        key = (loaded.gate.path, name, model)
        with self._lock:
            if key not in self.results:
                # Holm weighs every claim of the gate file together: evaluate them all first.
                holm = loaded.gate.policy.multiplicity == "holm"
                names = [b.name for b in loaded.gate.benchmarks()] if holm else [name]
                done = []
                for each in names:
                    k = (loaded.gate.path, each, model)
                    if k not in self.results:
                        self.results[k] = self._run(loaded, each, model)
                        done.append(self.results[k])
                if holm:
                    self._apply_holm(loaded, model)
                for result in done:
                    if self.on_benchmark_done is not None:
                        self.on_benchmark_done(result)
            return self.results[key]

    def _apply_holm(self, loaded: LoadedGate, model: str) -> None:
        """Holm step-down over the gate file's risk thresholds: a crossed claim stands only
        when its interval clears the margin at the level Holm allows at its step (nested
        intervals make this the same as Holm on p-values); the others become inconclusive."""
        from pytest_modelgate.decide.sequential import holm_adjusted_confidence

        policy = loaded.gate.policy
        results = [
            self.results[(loaded.gate.path, b.name, model)] for b in loaded.gate.benchmarks()
        ]
        results = [r for r in results if r.error is None and r.evidence is not None]
        m = sum(len(r.thresholds) for r in results)
        open_claims = [
            (r, i) for r in results for i, t in enumerate(r.thresholds) if t.outcome == CROSSED
        ]
        confirmed = 0
        while open_claims:
            level = holm_adjusted_confidence(confirmed + 1, m, policy.confidence)
            strict = dataclasses.replace(policy, confidence=level)
            standing = []
            for r, i in open_claims:
                spec = r.thresholds[i].spec
                c = self._compare(loaded, r.spec, spec, r.evidence, r.sequential, level)
                if judge(spec, r.spec, c, strict, r.estimate).outcome == CROSSED:
                    standing.append((r, i))
            if not standing:
                break
            confirmed += len(standing)
            open_claims = [claim for claim in open_claims if claim not in standing]
        note = (
            f"Holm correction across {m} risk thresholds of this gate file "
            "(policy.multiplicity: holm): this crossing did not survive it."
        )
        for r, i in open_claims:
            t = r.thresholds[i]
            message = explain(
                t.spec,
                t.comparison,
                INCONCLUSIVE,
                t.mdd,
                r.spec,
                policy,
                r.estimate,
                r.errors,
                note,
            )
            verdict = t.verdict
            if verdict == FAILED_VERDICT:  # as any inconclusive threshold above allowed
                verdict = {"fail": FAILED_VERDICT, "warn": WARNED, "pass": PASSED}[
                    policy.inconclusive
                ]
            r.thresholds[i] = dataclasses.replace(
                t, outcome=INCONCLUSIVE, verdict=verdict, message=message
            )
        for r in results:
            r.tier = benchmark_tier(
                policy.ladder,
                [(t.outcome, t.spec.tier or "") for t in r.thresholds],
                policy.inconclusive,
            )

    def domain(self, loaded: LoadedGate, name: str, model: str) -> DomainResult:
        policy = loaded.gate.policy
        spec = next(d for d in loaded.gate.domains if d.name == name)
        results = [self.benchmark(loaded, b.name, model) for b in spec.benchmarks]
        errors = [f"{r.spec.name}: {r.error}" for r in results if r.error]
        tier = None if errors else policy.ladder.max(r.tier for r in results if r.tier)
        floors_failed = any(f.verdict == FAILED_VERDICT for r in results for f in r.floors)
        passed = (
            not errors and not floors_failed and not policy.ladder.exceeds(tier, policy.allowed)
        )  # type: ignore[arg-type]
        return DomainResult(name, model, tier, policy.allowed, passed, results, errors)

    def _run(self, loaded: LoadedGate, name: str, model: str) -> BenchmarkResult:
        bench = next(b for b in loaded.gate.benchmarks() if b.name == name)
        dataset = loaded.datasets.get(name)
        result = BenchmarkResult(
            bench, model, len(dataset.items) if dataset else 0, dataset.sha256 if dataset else None
        )
        try:
            provider = self.provider(loaded, model)
            result.evidence = self._candidate_evidence(loaded, bench, dataset, provider, result)
            self._decide(loaded, bench, result)
        except (ProviderError, EvaluationError, ComparisonError, ValueError) as exc:
            # ValueError: the statistics refuse data they cannot honestly summarize
            # (e.g. one item with a graded score); the benchmark errors, once.
            result.error = str(exc)
            result.errors = max(result.errors, 1)
        return result

    def _candidate_evidence(
        self,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        dataset: Dataset | None,
        provider: Provider,
        result: BenchmarkResult,
    ) -> Evidence:
        name = provider.spec.name
        if name in loaded.imported:
            found = loaded.imported[name][bench.name]
            assert found is not None  # load() refuses a benchmark the file does not have
            result.n_planned = found.n
            return found
        if provider.aggregate_scores is not None:
            s = provider.aggregate_scores[bench.name]
            result.n_planned = s.n
            return Evidence(f"{name} (published)", s.score, s.n)
        assert dataset is not None  # load() guarantees a dataset for non-static models
        items = list(dataset.items)
        sequential = (bench.sampling or loaded.gate.policy.sampling) == "sequential"
        if sequential:
            # Random order (seeded, so reruns ask the same items and hit the cache), in
            # batches; anytime-valid confidence sequences make stopping early honest.
            random.Random(0).shuffle(items)
        size = len(items)
        if sequential:
            size = max(SEQUENTIAL_MIN_BATCH, -(-len(items) // SEQUENTIAL_BATCHES))
        label, total = f"{bench.name}[{name}]", len(items) * bench.epochs
        grader = self._judge(loaded, bench)
        result.sandbox = _sandbox_record(bench)
        progress = self.progress(label, total) if self.progress else None
        scores: dict[str, float] = {}
        clusters = {item.id: item.cluster for item in items}
        try:
            for start in range(0, len(items), size):
                batch = items[start : start + size]
                run = self._evaluate_batch(loaded, bench, provider, batch, result, progress, grader)
                scores.update(run.item_scores)
                if not scores:  # e.g. no item where the model holds a belief: no evidence
                    raise EvaluationError(
                        f"none of the {len(batch)} items evaluated so far could be scored "
                        f"({result.abstained} left out by the scorer)",
                        0,
                    )
                # The horizon (all items) is fixed before the first look, so the confidence
                # sequences can be tuned to it and stay anytime-valid.
                evidence = Evidence(
                    name,
                    sum(scores.values()) / len(scores),
                    len(scores),
                    dict(scores),
                    clusters,
                    horizon=len(items) if sequential else None,
                )
                more = start + size < len(items)
                if sequential and more and self._all_decided(loaded, bench, evidence):
                    result.stopped_after = len(scores) + result.errors
                    break
        finally:
            if progress is not None:
                progress.finish()
        if grader is not None:
            grader.run_regrade()
            result.judge = grader.record()  # plain data: results travel between xdist workers
        result.sequential = sequential
        return evidence

    def _evaluate_batch(
        self,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        provider: Provider,
        batch: list[Item],
        result: BenchmarkResult,
        progress: Progress | None,
        grader: Judge | None = None,
    ) -> Evaluation:
        """Evaluate some items and add their calls, usage and cost to ``result``."""
        # Progress counts the whole benchmark, not just this batch.
        before = (
            result.calls + result.cached + result.errors,
            result.calls,
            result.cached,
            result.errors,
        )

        def on_answer(done: int, calls: int, cached: int, errors: int) -> None:
            assert progress is not None
            progress.update(
                before[0] + done, before[1] + calls, before[2] + cached, before[3] + errors
            )

        rubric = bench.judge.rubric if bench.judge else None
        context = ScoringContext(grader, rubric, bench.sandbox)
        params = {**provider.spec.params, **bench.params}
        try:
            run = evaluate(
                provider,
                batch,
                bind_scorer(loaded.scorers[bench.name], context),
                params,
                solver=self.registries.solvers[solver_name(bench)],
                options={"agent": bench.agent, "sandbox": bench.sandbox, "params": params},
                epochs=bench.epochs,
                metric=bench.metric,
                k=bench.k,
                concurrency=provider.spec.concurrency,
                max_error_rate=bench.max_error_rate,
                cache=self.cache,
                limiter=self._limiter(loaded, provider.spec),
                budgets=self._budgets(loaded, bench),
                prices=provider.spec.prices,
                recorder=self.recorder,
                on_answer=on_answer if progress else None,
            )
        except EvaluationError as exc:
            result.calls += exc.calls
            result.cached += exc.cached
            result.errors += exc.errors
            raise
        result.calls += run.calls
        result.cached += run.cached
        result.errors += run.errors
        result.seconds += run.seconds
        result.samples += run.samples
        result.refusals += run.refusals
        result.abstained += run.abstained
        result.transcripts.update(run.transcripts)
        for key, value in run.usage.items():
            result.usage[key] = result.usage.get(key, 0) + value
        result.usage_estimated = result.usage_estimated or run.usage_estimated
        if provider.spec.prices:
            result.cost = (result.cost or 0.0) + run.cost
        return run

    def _judge(self, loaded: LoadedGate, bench: BenchmarkSpec) -> Judge | None:
        """The benchmark's judge, calling through the run's cache and budgets."""
        spec = bench.judge
        if spec is None:
            return None
        callers: dict[str, ModelCaller] = {}

        def asker(model: str, seed_offset: int) -> Any:
            provider = self.provider(loaded, model)
            if model not in callers:
                callers[model] = ModelCaller(
                    provider,
                    cache=self.cache,
                    limiter=self._limiter(loaded, provider.spec),
                    budgets=self._budgets(loaded, bench),
                    prices=provider.spec.prices,
                    recorder=self.recorder,
                )
            params = dict(provider.spec.params)
            if seed_offset:
                params["seed"] = int(params.get("seed", 0)) + seed_offset
            return lambda messages: callers[model].ask(messages, params)

        ask = asker(spec.model, 0)
        regrade = None
        if spec.regrade:
            # A second judge, or the same one with another seed (then only its own noise).
            regrade = asker(spec.regrade_model or spec.model, 0 if spec.regrade_model else 1)
        identity = self.provider(loaded, spec.model).describe()
        second = self.describe(loaded, spec.regrade_model or spec.model)
        return Judge(ask, identity, spec.regrade, regrade, second, list(callers.values()))

    def _all_decided(self, loaded: LoadedGate, bench: BenchmarkSpec, evidence: Evidence) -> bool:
        """Every threshold and floor decided by the confidence sequences so far."""
        policy = loaded.gate.policy
        estimate = score_estimate(evidence, policy.confidence)
        for spec in bench.thresholds + bench.floors:
            comparison = self._compare(loaded, bench, spec, evidence, sequential=True)
            if judge(spec, bench, comparison, policy, estimate).outcome == INCONCLUSIVE:
                return False
        return True

    def _limiter(self, loaded: LoadedGate, spec: ModelSpec) -> RateLimiter | None:
        """One limiter per model, shared by every benchmark (and thread) that queries it."""
        if not spec.rate_limit:
            return None
        key = (loaded.gate.path, spec.name)
        if key not in self._limiters:
            self._limiters[key] = RateLimiter(**spec.rate_limit)
        return self._limiters[key]

    def _budgets(self, loaded: LoadedGate, bench: BenchmarkSpec) -> list[Budget]:
        path = loaded.gate.path
        if path not in self._run_budgets:
            self._run_budgets[path] = Budget.from_spec("policy.budget", loaded.gate.policy.budget)
        key = f"domains.{bench.domain}.benchmarks.{bench.name}.budget"
        return [b for b in (self._run_budgets[path], Budget.from_spec(key, bench.budget)) if b]

    def _decide(self, loaded: LoadedGate, bench: BenchmarkSpec, result: BenchmarkResult) -> None:
        policy, candidate = loaded.gate.policy, result.evidence
        assert candidate is not None
        result.estimate = score_estimate(candidate, policy.confidence)
        note = None
        if result.sequential:
            n_all = result.n_planned
            note = (
                f"Sequential evaluation: stopped after {result.stopped_after} of {n_all} items, "
                "all thresholds decided (anytime-valid confidence sequences)."
                if result.stopped_after
                else f"Sequential evaluation: all {n_all} items used (anytime-valid confidence "
                "sequences)."
            )
        for spec in bench.thresholds + bench.floors:
            comparison = self._compare(loaded, bench, spec, candidate, result.sequential)
            decided = judge(
                spec, bench, comparison, policy, result.estimate, result.errors, note=note
            )
            (result.thresholds if spec.kind == "risk" else result.floors).append(decided)
        result.tier = benchmark_tier(
            policy.ladder,
            [(t.outcome, t.spec.tier or "") for t in result.thresholds],
            policy.inconclusive,
        )

    def _compare(
        self,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        spec: ThresholdSpec,
        candidate: Evidence,
        sequential: bool = False,
        confidence: float | None = None,
    ) -> Comparison:
        confidence = confidence or loaded.gate.policy.confidence
        seq = sequential
        if not isinstance(spec.reference, str):
            return compare(candidate, spec.reference, confidence, sequential=seq)
        if spec.reference != ECOSYSTEM:
            ref = loaded.baselines[spec.reference][bench.name]
            return compare(candidate, ref, confidence, sequential=seq)
        having = {name: ev[bench.name] for name, ev in loaded.baselines.items() if bench.name in ev}
        pick = riskiest(having, bench.higher_is_safer) if spec.kind == "risk" else strongest(having)
        c = compare(candidate, having[pick], confidence, sequential=seq)
        word = "riskiest" if spec.kind == "risk" else "best"
        source = f"ecosystem ({word} of {len(having)}: {', '.join(having)}) = {c.reference_source}"
        return Comparison(c.reference, source, c.method, c.diff, f"ecosystem={pick}")

    def close(self) -> None:
        for provider in self._providers.values():
            if not isinstance(provider, ProviderError):
                provider.close()
        for service in self.context.services.values():
            service.close()


def _sandbox_record(bench: BenchmarkSpec) -> dict[str, Any] | None:
    """What model-written code runs under, for the report: limits and containment."""
    if solver_name(bench) != "react" and bench.scorer != "code":
        return None
    from pytest_modelgate.run.sandbox import Limits, available_containment

    limits = dataclasses.asdict(Limits.from_options(bench.sandbox))
    return {"limits": limits, "containment": available_containment().describe()}


def domain_failed_message(result: DomainResult) -> str:
    if result.errors:
        return (
            f"domain {result.name}: no tier can be given, benchmarks errored (fail closed): "
            + "; ".join(result.errors)
        )
    tiers = ", ".join(f"{b.spec.name}={b.tier}" for b in result.benchmarks)
    failed = []
    for b in result.benchmarks:
        for t in b.thresholds + b.floors:
            if t.verdict == FAILED_VERDICT:
                note = (
                    "; counted as crossed: policy.inconclusive is fail"
                    if (t.outcome == "inconclusive" and t.spec.kind == "risk")
                    else ""
                )
                failed.append(f"{b.spec.name}::{t.spec.id} ({t.outcome}{note})")
    if result.tier == result.allowed:
        head = f"domain {result.name} is at tier {result.tier} (allowed), but a floor failed"
    else:
        head = (
            f"domain {result.name} is at tier {result.tier}, "
            f"above the allowed tier {result.allowed}"
        )
    return f"{head}. Benchmark tiers: {tiers}. Failed gates: {', '.join(failed)}."
