"""The gate run: one pytest session's evaluations, each benchmark run and decided once.

No pytest import: the plugin loads gate files at collection (``run.loading``) and calls
``benchmark`` / ``domain`` from items (this is where models are queried). Results and
errors are memoized, so every item of a benchmark shares one run. What to decide is
``decide``'s; this module gathers the evidence and builds each record once.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate.config.specs import BenchmarkSpec
from pytest_modelgate.data.datasets import Dataset, Item
from pytest_modelgate.data.sharding import Shard, shard_items
from pytest_modelgate.decide.benchmark import (
    all_decided,
    compare_with_reference,
    decide_benchmark,
    sequential_note,
    tier_of,
)
from pytest_modelgate.decide.comparisons import ComparisonError, Evidence, score_estimate
from pytest_modelgate.decide.judge_error import describe
from pytest_modelgate.decide.thresholds import Verdict, demoted, threshold_result
from pytest_modelgate.decide.tiers import Outcome
from pytest_modelgate.models.calls import AnswerLog, AnswerStore, ModelCaller
from pytest_modelgate.models.provider import (
    Provider,
    ProviderError,
)
from pytest_modelgate.run.evaluation import Evaluation, EvaluationError, Tally, evaluate
from pytest_modelgate.run.judging import Judge
from pytest_modelgate.run.loading import LoadedGate, Registries, solver_name
from pytest_modelgate.run.merge import Combined
from pytest_modelgate.run.pool import ModelPool
from pytest_modelgate.run.progress import Progress
from pytest_modelgate.run.records import BenchmarkResult, DomainResult
from pytest_modelgate.run.scorer import ScoringContext
from pytest_modelgate.run.scorers.judged import calibration_of, grade_calibration

# Sequential sampling: batches of at least this many items, about this many batches in all.
# More, smaller looks stop sooner (the simulation study: 2-3 points fewer items) at no cost
# to validity; each look is a few milliseconds of arithmetic.
SEQUENTIAL_MIN_BATCH = 10
SEQUENTIAL_BATCHES = 40


@dataclass
class _Gathered:
    """What evaluating a benchmark's candidate yielded, before any decision."""

    evidence: Evidence | None = None
    n_planned: int = 0
    tally: Tally = dataclasses.field(default_factory=Tally)
    sequential: bool = False
    stopped_after: int | None = None
    judge: dict[str, Any] | None = None
    transcripts: dict[str, list[Any]] = dataclasses.field(default_factory=dict)
    sandbox: dict[str, Any] | None = None
    evaluated: bool = False  # the model was asked (not imported or published figures)
    first_error: str | None = None


class GateRun:
    """One pytest session's evaluations: providers started once, benchmarks run once."""

    def __init__(
        self,
        registries: Registries,
        work_dir: Path,
        on_benchmark_done: Callable[[BenchmarkResult], Any] | None = None,
        cache: AnswerStore | None = None,
        recorder: AnswerLog | None = None,
        shard: Shard | None = None,
    ) -> None:
        self.registries = registries
        # Shard mode: evaluate shard K of N's items and decide nothing (the merge does).
        self.shard = shard
        # Merge mode: the shards' combined evidence per (gate file, benchmark, model), used
        # instead of asking the model; set by the plugin once the partials were checked.
        self.merged: dict[tuple[Path, str, str], Combined] = {}
        self.models = ModelPool(registries.providers, work_dir, cache, recorder)
        self.on_benchmark_done = on_benchmark_done
        # Set by the plugin: makes a live progress display for (benchmark label, answers).
        self.progress: Callable[[str, int], Progress] | None = None
        self._lock = threading.RLock()
        self.results: dict[tuple[Path, str, str], BenchmarkResult] = {}

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
                        done.append(k)
                if self.shard is not None:
                    return self.results[key]  # nothing decided: no Holm, no benchmark_done
                if holm:
                    self._apply_holm(loaded, model)
                if self.on_benchmark_done is not None:
                    for k in done:
                        self.on_benchmark_done(self.results[k])
            return self.results[key]

    def _apply_holm(self, loaded: LoadedGate, model: str) -> None:
        """Holm step-down over the gate file's risk thresholds: a crossed claim stands only
        when it survives ``holm_survivors``; the others become inconclusive."""
        from pytest_modelgate.decide.multiplicity import holm_survivors

        policy, path = loaded.gate.policy, loaded.gate.path
        keys = [(path, b.name, model) for b in loaded.gate.benchmarks()]
        results = {k: self.results[k] for k in keys if self.results[k].evidence is not None}
        results = {k: r for k, r in results.items() if r.error is None}
        m = sum(len(r.thresholds) for r in results.values())
        claims = [
            (k, i)
            for k, r in results.items()
            for i, t in enumerate(r.thresholds)
            if t.outcome == Outcome.CROSSED
        ]

        def stands(claim: tuple[Any, int], level: float) -> bool:
            r = results[claim[0]]
            spec = r.thresholds[claim[1]].spec
            assert r.evidence is not None and r.estimate is not None
            c = compare_with_reference(
                r.spec,
                spec,
                r.evidence,
                loaded.baselines,
                level,
                r.sequential,
                calibration_of(r.judge),
            )
            strict = dataclasses.replace(policy, confidence=level)
            return threshold_result(spec, r.spec, c, strict, r.estimate).outcome == Outcome.CROSSED

        survivors = holm_survivors(claims, m, policy.confidence, stands)
        note = (
            f"Holm correction across {m} risk thresholds of this gate file "
            "(policy.multiplicity: holm): this crossing did not survive it."
        )
        for key, r in results.items():
            assert r.estimate is not None
            thresholds = tuple(
                t
                if (key, i) not in claims or (key, i) in survivors
                else demoted(t, r.spec, policy, r.estimate, r.tally.errors, note)
                for i, t in enumerate(r.thresholds)
            )
            self.results[key] = dataclasses.replace(
                r, thresholds=thresholds, tier=tier_of(policy, thresholds)
            )

    def domain(self, loaded: LoadedGate, name: str, model: str) -> DomainResult:
        policy = loaded.gate.policy
        spec = next(d for d in loaded.gate.domains if d.name == name)
        results = tuple(self.benchmark(loaded, b.name, model) for b in spec.benchmarks)
        errors = tuple(f"{r.spec.name}: {r.error}" for r in results if r.error)
        tier = None if errors else policy.ladder.max(r.tier for r in results if r.tier)
        floors_failed = any(f.verdict == Verdict.FAILED for r in results for f in r.floors)
        passed = (
            not errors
            and not floors_failed
            and tier is not None
            and not policy.ladder.exceeds(tier, policy.allowed)
        )
        return DomainResult(name, model, tier, policy.allowed, passed, results, errors)

    def _run(self, loaded: LoadedGate, name: str, model: str) -> BenchmarkResult:
        """Evaluate and decide one benchmark; the one place its record is built."""
        bench = next(b for b in loaded.gate.benchmarks() if b.name == name)
        dataset = loaded.datasets.get(name)
        got = _Gathered(n_planned=len(dataset.items) if dataset else 0)
        decision, error = None, None
        combined = self.merged.get((loaded.gate.path, name, model))
        try:
            if combined is not None:
                assert dataset is not None  # the merge checked the partials against it
                self._take_merged(combined, loaded, bench, dataset, model, got)
            else:
                self._gather(loaded, bench, dataset, self.models.provider(loaded, model), got)
            if self.shard is None:  # a shard's evidence is decided at the merge, on all items
                assert got.evidence is not None
                note = sequential_note(got.stopped_after, got.n_planned) if got.sequential else None
                decision = decide_benchmark(
                    bench,
                    loaded.gate.policy,
                    got.evidence,
                    loaded.baselines,
                    sequential=got.sequential,
                    excluded=got.tally.errors,
                    note=note,
                    calibration=calibration_of(got.judge),
                )
                if got.judge is not None and got.judge.get("calibration"):
                    # The score is corrected; what the judge said is kept beside it.
                    seen = score_estimate(got.evidence, loaded.gate.policy.confidence)
                    got.judge["judged_score"] = {"score": seen.value, "ci": [seen.low, seen.high]}
        except (ProviderError, EvaluationError, ComparisonError, ValueError) as exc:
            # ValueError: the statistics refuse data they cannot honestly summarize
            # (e.g. one item with a graded score); the benchmark errors, once.
            error = str(exc)
            if got.tally.errors == 0:
                got.tally += Tally(errors=1)
        return BenchmarkResult(
            bench,
            model,
            got.n_planned,
            dataset_sha256=dataset.sha256 if dataset else None,
            evidence=got.evidence,
            estimate=decision.estimate if decision else None,
            thresholds=decision.thresholds if decision else (),
            floors=decision.floors if decision else (),
            tier=decision.tier if decision else None,
            tally=got.tally,
            error=error,
            sequential=got.sequential,
            stopped_after=got.stopped_after,
            judge=got.judge,
            transcripts=got.transcripts,
            sandbox=got.sandbox,
            shard=self.shard if got.evaluated else None,
            first_error=got.first_error,
        )

    def _take_merged(
        self,
        combined: Combined,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        dataset: Dataset,
        model: str,
        got: _Gathered,
    ) -> None:
        """The shards' evidence (into ``got``), as ``_gather`` would have gathered it."""
        got.evaluated, got.first_error = True, combined.first_error
        got.judge, got.transcripts, got.sandbox = (
            combined.judge,
            combined.transcripts,
            combined.sandbox,
        )
        try:
            got.evidence = combined.evidence(bench, dataset, loaded.gate.models[model].name)
            got.tally = combined.tally
        except EvaluationError:
            t = combined.tally  # what a failed evaluation counts (``evaluate`` raising)
            got.tally = Tally(t.calls, t.cached, t.errors)
            raise

    def _gather(
        self,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        dataset: Dataset | None,
        provider: Provider,
        got: _Gathered,
    ) -> None:
        """The candidate's evidence: imported, published, or evaluated now (into ``got``)."""
        name = provider.spec.name
        if name in loaded.imported:
            found = loaded.imported[name][bench.name]
            assert found is not None  # load() refuses a benchmark the file does not have
            got.n_planned, got.evidence = found.n, found
            return
        if provider.aggregate_scores is not None:
            s = provider.aggregate_scores[bench.name]
            got.n_planned, got.evidence = s.n, Evidence(f"{name} (published)", s.score, s.n)
            return
        assert dataset is not None  # load() guarantees a dataset for non-static models
        got.evaluated = True
        items = list(dataset.items)
        if self.shard is not None:
            items = shard_items(bench.name, items, self.shard)
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
        got.sandbox = _sandbox_record(bench)
        progress = self.progress(label, total) if self.progress else None
        scores: dict[str, float] = {}
        clusters = {item.id: item.cluster for item in items}
        try:
            for start in range(0, len(items), size):
                batch = items[start : start + size]
                run = self._evaluate_batch(loaded, bench, provider, batch, got, progress, grader)
                scores.update(run.item_scores)
                got.first_error = got.first_error or run.first_error
                # A shard's items may all go unscored; the merge asks this of all items.
                if not scores and self.shard is None:  # e.g. no item with a belief: no evidence
                    raise EvaluationError(
                        f"none of the {len(batch)} items evaluated so far could be scored "
                        f"({got.tally.abstained} left out by the scorer)",
                        Tally(),
                    )
                # The horizon (all items) is fixed before the first look, so the confidence
                # sequences can be tuned to it and stay anytime-valid.
                if not scores:
                    continue
                got.evidence = Evidence(
                    name,
                    sum(scores.values()) / len(scores),
                    len(scores),
                    dict(scores),
                    clusters,
                    horizon=len(items) if sequential else None,
                )
                more = start + size < len(items)
                # A calibrated judge's correction is a fixed-n interval: no early stop.
                if (
                    sequential
                    and more
                    and bench.name not in loaded.calibrations
                    and all_decided(bench, loaded.gate.policy, got.evidence, loaded.baselines)
                ):
                    got.stopped_after = len(scores) + got.tally.errors
                    break
        finally:
            if progress is not None:
                progress.finish()
        if grader is not None:
            grader.run_regrade()
            calibration = loaded.calibrations.get(bench.name)
            checked = None
            if calibration is not None:  # after the regrade, which samples the benchmark only
                assert bench.judge is not None  # the gate file allows calibration with a judge
                graded = grade_calibration(grader, bench.judge.rubric, calibration.items)
                checked = {**graded.record(), "dataset_sha256": calibration.sha256}
            got.judge = grader.record()  # plain data: results travel between xdist workers
            got.judge["calibration"] = checked
            if bench.scorer == "judge":
                got.judge["judge_error"] = describe(got.judge["calibration"])
        got.sequential = sequential

    def _evaluate_batch(
        self,
        loaded: LoadedGate,
        bench: BenchmarkSpec,
        provider: Provider,
        batch: list[Item],
        got: _Gathered,
        progress: Progress | None,
        grader: Judge | None = None,
    ) -> Evaluation:
        """Evaluate some items and add what it cost to ``got.tally``."""
        # Progress counts the whole benchmark, not just this batch.
        before = got.tally

        def on_answer(done: int, calls: int, cached: int, errors: int) -> None:
            assert progress is not None
            progress.update(
                before.calls + before.cached + before.errors + done,
                before.calls + calls,
                before.cached + cached,
                before.errors + errors,
            )

        rubric = bench.judge.rubric if bench.judge else None
        context = ScoringContext(grader, rubric, bench.sandbox)
        params = {**provider.spec.params, **bench.params}
        # max_error_rate is a share of all the benchmark's items: a shard excludes the items
        # it cannot get answered and leaves the rate to the merge (0 still stops at once).
        max_error_rate = bench.max_error_rate
        if self.shard is not None and max_error_rate > 0:
            max_error_rate = 1.0
        model_limit = provider.spec.concurrency  # a benchmark may ask for fewer at once
        try:
            run = evaluate(
                self.models.caller(loaded, bench, provider),
                batch,
                loaded.scorers[bench.name].bind(context),
                params,
                solver=self.registries.solvers[solver_name(bench)],
                options={"agent": bench.agent, "sandbox": bench.sandbox, "params": params},
                epochs=bench.epochs,
                metric=bench.metric,
                k=bench.k,
                concurrency=min(model_limit, bench.concurrency or model_limit),
                max_error_rate=max_error_rate,
                on_answer=on_answer if progress else None,
            )
        except EvaluationError as exc:
            got.tally += exc.tally
            raise
        got.tally += run.tally
        got.transcripts.update(run.transcripts)
        return run

    def _judge(self, loaded: LoadedGate, bench: BenchmarkSpec) -> Judge | None:
        """The benchmark's judge, calling through the run's cache and budgets."""
        spec = bench.judge
        if spec is None:
            return None
        callers: dict[str, ModelCaller] = {}

        def asker(model: str, seed_offset: int) -> Any:
            provider = self.models.provider(loaded, model)
            if model not in callers:
                callers[model] = self.models.caller(loaded, bench, provider)
            params = dict(provider.spec.params)
            if seed_offset:
                params["seed"] = int(params.get("seed", 0)) + seed_offset
            return lambda messages: callers[model].ask(messages, params)

        ask = asker(spec.model, 0)
        regrade = None
        if spec.regrade:
            # A second judge, or the same one with another seed (then only its own noise).
            regrade = asker(spec.regrade_model or spec.model, 0 if spec.regrade_model else 1)
        identity = self.models.provider(loaded, spec.model).describe()
        second = self.models.describe(loaded, spec.regrade_model or spec.model)
        return Judge(ask, identity, spec.regrade, regrade, second, list(callers.values()))

    def close(self) -> None:
        self.models.close()


def _sandbox_record(bench: BenchmarkSpec) -> dict[str, Any] | None:
    """What model-written code runs under, for the report: limits and containment."""
    if solver_name(bench) != "react" and bench.scorer != "code":
        return None
    from pytest_modelgate.run.sandbox import (
        Limits,
        SandboxError,
        available_containment,
        require_isolation,
    )

    limits = Limits.from_options(bench.sandbox)
    try:  # fail closed before the first question, not at the first answer's code
        box = available_containment()
        require_isolation(limits, box)
    except SandboxError as exc:
        raise EvaluationError(f"{bench.name}: {exc}", Tally()) from exc
    return {"limits": dataclasses.asdict(limits), "containment": box.describe()}
