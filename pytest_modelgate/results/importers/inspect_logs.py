"""Inspect eval logs (``.eval`` archives, ``.json`` EvalLog files) as baseline evidence.

One log is one task. Fields read: ``status``, ``invalidated``, ``error.message``,
``eval.task``, ``eval.config.epochs``; ``results.total_samples``, ``completed_samples``,
``headline.score`` and ``scores[].{name, scored_samples, metrics.<metric>.value}``; per
sample ``id``, ``epoch``, ``error.message`` and ``scores.<score>.value``;
``reductions[].{scorer, reducer, samples[].{sample_id, value}}``.

With samples the evidence is per item: the item id is ``str(sample.id)`` (what our datasets'
``id`` field gives, so the comparison is paired) and its score the mean over its epochs.
Without samples (``log_samples=False``) the log still keeps each item's epochs reduced
(``reductions``, by the mean): per item too. Failing that it is the aggregate ``accuracy``
(or ``mean``) of the headline score over ``scored_samples`` items: unpaired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.results.importers import (
    by_benchmark,
    count,
    mapping,
    mean,
    per_item_evidence,
    proportion,
    task_name,
)

# Inspect's CORRECT / INCORRECT / PARTIAL / NOANSWER, as its value_to_float reads them.
LETTER_SCORES = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
AGGREGATE_METRICS = ("accuracy", "mean")


def is_inspect_log(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("eval"), dict)
        and "status" in data
        and "version" in data
    )


def load_inspect_log(
    path: Path, log: Mapping[str, Any], name: str, tasks: Mapping[str, str] | None
) -> dict[str, Evidence]:
    _check_finished(path, log)
    spec = mapping(path, "eval", log.get("eval"))
    task = spec.get("task")
    if not isinstance(task, str) or not task:
        raise BaselineFileError(path, "eval.task", f"expected the task's name, got {task!r}")
    evidence = _evidence(path, log, spec, name)
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


def _evidence(path: Path, log: Mapping[str, Any], spec: Mapping[str, Any], name: str) -> Evidence:
    samples = log.get("samples") or []
    if not isinstance(samples, list):
        raise BaselineFileError(path, "samples", "expected a list of samples")
    results = log.get("results")
    score = _score_name(path, results, samples)
    if samples:
        items, epochs = _per_item(path, samples, score)
        how = f"mean of {epochs} epochs, " if epochs > 1 else ""
        return per_item_evidence(
            f"{name} (Inspect log, per-item {score}, {how}{path.name})", items, name
        )
    results = mapping(path, "results", results)
    _check_complete(path, results)
    reduced = _reduced(path, log.get("reductions"), score)
    if reduced:
        return per_item_evidence(
            f"{name} (Inspect log, per-item {score} from its epoch reductions, {path.name})",
            reduced,
            name,
        )
    return _aggregate(path, results, spec, score, name)


def _score_name(path: Path, results: Any, samples: Sequence[Any]) -> str:
    """The score the log leads with: Inspect's headline, else its first scorer's."""
    if isinstance(results, dict):
        headline = results.get("headline")
        if isinstance(headline, dict) and isinstance(headline.get("score"), str):
            return headline["score"]
        scores = results.get("scores")
        if isinstance(scores, list) and scores and isinstance(scores[0], dict):
            if isinstance(scores[0].get("name"), str):
                return scores[0]["name"]
    first = samples[0] if samples and isinstance(samples[0], dict) else {}
    if isinstance(first.get("scores"), dict) and first["scores"]:
        return next(iter(first["scores"]))
    raise BaselineFileError(path, "results.scores", "the log has no scores")


def _per_item(path: Path, samples: Sequence[Any], score: str) -> tuple[dict[str, float], int]:
    values: dict[str, dict[int, float]] = {}
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict):
            raise BaselineFileError(path, f"samples[{i}]", "expected a sample object")
        sid, epoch = sample.get("id"), sample.get("epoch", 1)
        if not isinstance(sid, (str, int)) or isinstance(sid, bool) or sid == "":
            raise BaselineFileError(path, f"samples[{i}].id", f"expected an id, got {sid!r}")
        where = f"samples[id={sid}, epoch={epoch}]"
        if sample.get("error"):
            error = sample["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise BaselineFileError(
                path,
                f"{where}.error",
                f"the sample errored ({message}); an errored sample is no evidence: "
                "retry it (inspect eval-retry) and import the completed log",
            )
        scores = sample.get("scores")
        if not isinstance(scores, dict) or not isinstance(scores.get(score), dict):
            have = ", ".join(scores) if isinstance(scores, dict) and scores else "none"
            raise BaselineFileError(
                path, f"{where}.scores", f"no score {score!r} (scores here: {have})"
            )
        per_epoch = values.setdefault(str(sid), {})
        if epoch in per_epoch:
            raise BaselineFileError(path, where, "appears twice")
        per_epoch[epoch] = _value(path, f"{where}.scores.{score}.value", scores[score].get("value"))
    epochs = {len(v) for v in values.values()}
    if len(epochs) > 1:
        short = min(values, key=lambda k: len(values[k]))
        raise BaselineFileError(
            path,
            "samples",
            f"items have different numbers of epochs ({min(epochs)} to {max(epochs)}; "
            f"e.g. {short!r} has {len(values[short])}): the log is incomplete",
        )
    return {sid: mean(list(v.values())) for sid, v in values.items()}, epochs.pop()


def _value(path: Path, key: str, value: Any) -> float:
    if isinstance(value, str):
        if value in LETTER_SCORES:
            return LETTER_SCORES[value]
        raise BaselineFileError(
            path, key, f"expected C, I, P, N or a number in [0, 1], got {value!r}"
        )
    if isinstance(value, (dict, list)):
        raise BaselineFileError(
            path, key, "a score with several values; import a log whose score has one value"
        )
    return proportion(path, key, value)


def _check_complete(path: Path, results: Mapping[str, Any]) -> None:
    total, completed = results.get("total_samples"), results.get("completed_samples")
    count(path, "results.completed_samples", completed)
    if completed != total:
        raise BaselineFileError(
            path,
            "results.completed_samples",
            f"{completed} of {total} samples completed: the scores leave the failed ones "
            "out, so they are no evidence; retry them (inspect eval-retry)",
        )


def _reduced(path: Path, reductions: Any, score: str) -> dict[str, float] | None:
    """Per-item scores a log without samples still keeps: each item's epochs reduced by
    the default reducer (the mean). Any other reducer, or several: None (use the aggregate)."""
    if not isinstance(reductions, list):
        return None
    mine = [
        r
        for r in reductions
        if isinstance(r, dict) and r.get("scorer") == score and r.get("reducer") in (None, "mean")
    ]
    if len(mine) != 1 or not isinstance(mine[0].get("samples"), list):
        return None
    items: dict[str, float] = {}
    for i, reduced in enumerate(mine[0]["samples"]):
        key = f"reductions[{score}].samples[{i}]"
        sid = reduced.get("sample_id") if isinstance(reduced, dict) else None
        if not isinstance(sid, (str, int)) or isinstance(sid, bool) or str(sid) in items:
            raise BaselineFileError(path, f"{key}.sample_id", f"expected a unique id, got {sid!r}")
        items[str(sid)] = _value(path, f"{key}.value", reduced.get("value"))
    return items or None


def _aggregate(
    path: Path, results: Mapping[str, Any], spec: Mapping[str, Any], score: str, name: str
) -> Evidence:
    completed = results["completed_samples"]
    entries = results.get("scores")
    entry = next((e for e in entries or [] if isinstance(e, dict) and e.get("name") == score), None)
    if entry is None:
        raise BaselineFileError(path, "results.scores", f"no score named {score!r}")
    key = f"results.scores[{score}]"
    metrics = mapping(path, f"{key}.metrics", entry.get("metrics"))
    metric = next((m for m in AGGREGATE_METRICS if m in metrics), None)
    if metric is None:
        raise BaselineFileError(
            path,
            f"{key}.metrics",
            f"none of {', '.join(AGGREGATE_METRICS)} (metrics here: {', '.join(metrics)})",
        )
    found = mapping(path, f"{key}.metrics.{metric}", metrics[metric])
    value = proportion(path, f"{key}.metrics.{metric}.value", found.get("value"))
    if "scored_samples" in entry:
        n = count(path, f"{key}.scored_samples", entry["scored_samples"])
    else:  # older logs: completed_samples counts every epoch of every sample
        config = spec.get("config")
        epochs = (config.get("epochs") if isinstance(config, dict) else None) or 1
        n = count(path, "results.completed_samples", completed // epochs)
    return Evidence(
        f"{name} (Inspect log, aggregate {metric} of {score}, {path.name})", value, n, name=name
    )
