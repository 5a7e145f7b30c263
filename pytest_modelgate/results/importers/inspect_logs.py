"""Inspect eval logs (``.eval`` archives, ``.json`` EvalLog files) as baseline evidence.

One log is one task. Fields read: ``status``, ``invalidated``, ``error.message``,
``eval.task``, ``eval.config.epochs``, ``eval.packages.inspect_ai``; ``results.total_samples``,
``completed_samples``, ``headline.{score, metric, reducer}`` and ``scores[].{name, scorer,
reducer, scored_samples, metrics.<metric>.value}``; per sample ``id``, ``epoch``,
``error.message`` and ``scores.<scorer>.value``; ``reductions[].{scorer, reducer,
samples[].{sample_id, value}}``. Older logs (one scorer: ``results.scorer`` +
``results.metrics``, ``samples[].score``) are read as Inspect itself migrates them.

Which figure: the score the gate names (``inspect_scorer:``), else the log's headline, else
its first; with several epoch reducers, the headline's, else the first listed. The metric:
``metric:``, else the headline's, else ``accuracy`` or ``mean``. Those two are the mean of
the per-item scores, so with samples (or the log's reductions) the evidence is per item, the
item id ``str(sample.id)`` (what our datasets' ``id`` gives: paired), each item's epochs
reduced as the log reduced them; the mean must equal the log's own figure. Any other metric
is read as the log's aggregate over ``scored_samples`` items: unpaired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.results.importers import (
    by_benchmark,
    count,
    imported,
    mapping,
    mean,
    proportion,
    task_name,
)
from pytest_modelgate.results.importers import inspect_scores as scores

MEAN_METRICS = ("accuracy", "mean")  # the mean of the item scores: per item is possible


@dataclass(frozen=True)
class Choice:
    """The figure read: score (``results.scores[].name``), scorer, reducer, metric."""

    score: str
    scorer: str
    reducer: str | None
    metric: str | None  # None: a log without results, read per item only
    entry: Mapping[str, Any] | None  # its results.scores entry
    names: tuple[str, ...]  # every score the log has, for the reports and errors


def is_inspect_log(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("eval"), dict)
        and "status" in data
        and "version" in data
    )


def load_inspect_log(
    path: Path,
    log: Mapping[str, Any],
    name: str,
    tasks: Mapping[str, str] | None,
    scorer: str | None = None,
    metric: str | None = None,
) -> dict[str, Evidence]:
    _check_finished(path, log)
    log, older = _current_schema(log)
    spec = mapping(path, "eval", log.get("eval"))
    task = spec.get("task")
    if not isinstance(task, str) or not task:
        raise BaselineFileError(path, "eval.task", f"expected the task's name, got {task!r}")
    samples = log.get("samples") or []
    if not isinstance(samples, list):
        raise BaselineFileError(path, "samples", "expected a list of samples")
    choice = _choose(path, log.get("results"), samples, scorer, metric)
    figure: dict[str, Any] = {"task": task, "scorer": choice.score, "reducer": choice.reducer}
    if len(choice.names) > 1:
        figure["scorers"] = list(choice.names)
    if older:
        figure["schema"] = "older (results.scorer, samples[].score)"
    evidence = _evidence(path, log, spec, samples, choice, name, figure)
    return by_benchmark(path, [task_name(task)], lambda _: evidence, tasks, lambda _: "eval.task")


def _check_finished(path: Path, log: Mapping[str, Any]) -> None:
    status = log.get("status")
    if status != "success":
        error = log.get("error")
        why = f" ({error.get('message')})" if isinstance(error, dict) else ""
        raise BaselineFileError(
            path,
            "status",
            f"the eval ended {status!r}{why}, not 'success'; only a completed eval is evidence",
        )
    if log.get("invalidated"):
        raise BaselineFileError(path, "invalidated", "the log is marked invalid")


def _current_schema(log: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The log in today's shape. Early logs held one scorer: ``results.scorer`` with
    ``results.metrics`` beside it, and ``samples[].score``; Inspect reads them as one entry
    of ``results.scores`` and ``samples[].scores``, named for the scorer."""
    log = dict(log)
    results = log.get("results")
    older = isinstance(results, dict) and "scorer" in results and "scores" not in results
    named = "score"
    if older:
        assert isinstance(results, dict)
        scorer = results["scorer"] if isinstance(results["scorer"], dict) else {}
        named = str(scorer.get("name") or named)
        entry = {**scorer, "scorer": named, "metrics": results.get("metrics") or {}}
        log["results"] = {k: v for k, v in results.items() if k not in ("scorer", "metrics")}
        log["results"]["scores"] = [entry]
    samples = log.get("samples")
    if isinstance(samples, list) and any(isinstance(s, dict) and "score" in s for s in samples):
        older = True
        log["samples"] = [
            {**s, "scores": {named: s["score"]}} if isinstance(s, dict) and "score" in s else s
            for s in samples
        ]
    return log, older


def _choose(
    path: Path, results: Any, samples: Sequence[Any], wanted: str | None, metric: str | None
) -> Choice:
    entries = []
    if isinstance(results, dict) and isinstance(results.get("scores"), list):
        entries = [e for e in results["scores"] if isinstance(e, dict) and e.get("name")]
    if not entries:  # no results (or none scored): the samples still say what was scored
        first = samples[0] if samples and isinstance(samples[0], dict) else {}
        names = tuple(first["scores"]) if isinstance(first.get("scores"), dict) else ()
        if not names:
            raise BaselineFileError(path, "results.scores", "the log has no scores")
        score = wanted or names[0]
        if score not in names:
            raise BaselineFileError(
                path, "samples[0].scores", f"no scorer {score!r} (scorers here: {', '.join(names)})"
            )
        if metric and metric not in MEAN_METRICS:
            raise BaselineFileError(
                path, "results", f"no metric {metric!r}: the log has no results, only samples"
            )
        return Choice(score, score, None, metric, None, names)
    names = tuple(dict.fromkeys(str(e["name"]) for e in entries))
    headline = results.get("headline") if isinstance(results, dict) else None
    headline = headline if isinstance(headline, dict) else {}
    if wanted:
        mine = [e for e in entries if e["name"] == wanted] or [
            e for e in entries if e.get("scorer") == wanted
        ]
        if not mine or len({e["name"] for e in mine}) > 1:
            raise BaselineFileError(
                path,
                "results.scores",
                f"no scorer {wanted!r} (scorers here: {', '.join(names)})"
                if not mine
                else f"scorer {wanted!r} gives several scores; name one: "
                f"{', '.join(dict.fromkeys(e['name'] for e in mine))}",
            )
    else:
        mine = [e for e in entries if e["name"] == headline.get("score")] or [
            e for e in entries if e["name"] == entries[0]["name"]
        ]
    leads = mine[0]["name"] == headline.get("score")
    entry = next(
        (e for e in mine if leads and e.get("reducer") == headline.get("reducer")), mine[0]
    )
    key = f"results.scores[{entry['name']}].metrics"
    metrics = mapping(path, key, entry.get("metrics"))
    chosen = metric or (headline.get("metric") if leads else None)
    if chosen is None or (not metric and chosen not in metrics):
        chosen = next((m for m in MEAN_METRICS if m in metrics), None)
        if chosen is None:
            raise BaselineFileError(
                path,
                key,
                f"none of {', '.join(MEAN_METRICS)} (metrics here: {', '.join(metrics)}); "
                "name one with metric:",
            )
    if chosen not in metrics:
        raise BaselineFileError(
            path, key, f"no metric {chosen!r} (metrics here: {', '.join(metrics) or 'none'})"
        )
    scorer = str(entry.get("scorer") or entry["name"])
    return Choice(str(entry["name"]), scorer, entry.get("reducer"), chosen, entry, names)


def _evidence(
    path: Path,
    log: Mapping[str, Any],
    spec: Mapping[str, Any],
    samples: Sequence[Any],
    choice: Choice,
    name: str,
    figure: dict[str, Any],
) -> Evidence:
    label, items, how = choice.score, None, ""
    if choice.metric is None or choice.metric in MEAN_METRICS:
        reduced = (
            scores.from_samples(path, samples, choice.scorer, choice.score, choice.reducer)
            if samples
            else None
        )
        if reduced is not None:
            items, epochs = reduced
            how = f", {choice.reducer or 'mean'} of {epochs} epochs" if epochs > 1 else ""
            figure["epochs"] = epochs
        else:
            items = scores.from_reductions(
                path, log.get("reductions"), choice.scorer, choice.score, choice.reducer
            )
            how = f" from its epoch reductions ({choice.reducer or 'mean'})" if items else ""
            if samples and items is None:
                raise BaselineFileError(
                    path,
                    "reductions",
                    f"the log reduces epochs with {choice.reducer!r} and keeps no reductions "
                    f"for {choice.score}; import a log that keeps them (Inspect writes them "
                    "beside the samples)",
                )
    if items:
        if choice.entry is not None:
            _check_agrees(path, choice, items)
        figure.update(metric=choice.metric or "mean", n=len(items), items="per-item")
        return imported(
            f"{name} (Inspect log, per-item {label}{how}, {path.name})",
            mean(list(items.values())),
            len(items),
            items,
            name,
            figure,
        )
    results = mapping(path, "results", log.get("results"))
    _check_complete(path, results)
    assert choice.entry is not None and choice.metric is not None  # results: chosen from them
    key = f"results.scores[{choice.score}]"
    found = mapping(path, f"{key}.metrics.{choice.metric}", choice.entry["metrics"][choice.metric])
    value = proportion(path, f"{key}.metrics.{choice.metric}.value", found.get("value"))
    if choice.entry.get("scored_samples") is not None:
        n = count(path, f"{key}.scored_samples", choice.entry["scored_samples"])
    else:  # older logs: completed_samples counts every epoch of every sample
        config = spec.get("config")
        epochs = (config.get("epochs") if isinstance(config, dict) else None) or 1
        n = count(path, "results.completed_samples", results["completed_samples"] // epochs)
    figure.update(metric=choice.metric, n=n, items="aggregate")
    return imported(
        f"{name} (Inspect log, aggregate {choice.metric} of {label}, {path.name})",
        value,
        n,
        None,
        name,
        figure,
    )


def _check_complete(path: Path, results: Mapping[str, Any]) -> None:
    total, completed = results.get("total_samples"), results.get("completed_samples")
    if completed is None and total is None:
        raise BaselineFileError(
            path,
            "results.completed_samples",
            "missing: this older log records no item count and holds no samples, so no "
            "interval can be computed; import a log written with its samples",
        )
    count(path, "results.completed_samples", completed)
    if completed != total:
        raise BaselineFileError(
            path,
            "results.completed_samples",
            f"{completed} of {total} samples completed: the scores leave the failed ones "
            "out, so they are no evidence; retry them (inspect eval-retry)",
        )


def _check_agrees(path: Path, choice: Choice, items: Mapping[str, float]) -> None:
    """Our reduction of the items must give the log's own figure: else we read it wrongly."""
    assert choice.entry is not None
    found = choice.entry.get("metrics", {}).get(choice.metric or "")
    reported = found.get("value") if isinstance(found, dict) else None
    if isinstance(reported, (int, float)) and not scores.agrees(items, reported):
        raise BaselineFileError(
            path,
            f"results.scores[{choice.score}].metrics.{choice.metric}",
            f"{len(items)} items averaging {mean(list(items.values())):.6f} do not give the "
            f"log's own {choice.metric} {reported}; the samples and results disagree",
        )
