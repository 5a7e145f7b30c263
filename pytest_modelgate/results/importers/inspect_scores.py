"""Per-item scores of an Inspect log: one value per sample id, its epochs reduced.

Inspect scores every epoch of a sample and reduces them per sample with the task's epoch
reducer(s) (``Epochs(3, ["mean", "max"])``); its metrics are then computed over the reduced
values. We pair per sample id, never per epoch, so we reduce the same way: from the samples
with the reducer the chosen score names (the ones Inspect ships that are plain functions of
the values), else from the log's own ``reductions`` (every reducer: at_least_k, pass_at_k,
custom ones).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.results.importers import mean, proportion

# Inspect's CORRECT / INCORRECT / PARTIAL / NOANSWER, as its value_to_float reads them.
LETTER_SCORES = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}

# Reducers we can apply to a sample's epochs ourselves (inspect_ai/scorer/_reducer).
REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "mean": mean,
    "max": max,
    "min": min,
    "median": statistics.median,
}


def from_samples(
    path: Path, samples: Sequence[Any], scorer: str, score: str, reducer: str | None
) -> tuple[dict[str, float], int] | None:
    """{sample id: its epochs reduced}, and the number of epochs; None when the reducer is
    not one we apply ourselves (the caller then reads the log's reductions)."""
    reduce = REDUCERS.get(reducer or "mean")
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
        if not isinstance(scores, dict) or not isinstance(scores.get(scorer), dict):
            have = ", ".join(scores) if isinstance(scores, dict) and scores else "none"
            raise BaselineFileError(
                path, f"{where}.scores", f"no score {scorer!r} (scores here: {have})"
            )
        per_epoch = values.setdefault(str(sid), {})
        if epoch in per_epoch:
            raise BaselineFileError(path, where, "appears twice")
        key = f"{where}.scores.{scorer}.value"
        per_epoch[epoch] = value(path, key, scores[scorer].get("value"), scorer, score)
    epochs = {len(v) for v in values.values()}
    if len(epochs) > 1:
        short = min(values, key=lambda k: len(values[k]))
        raise BaselineFileError(
            path,
            "samples",
            f"items have different numbers of epochs ({min(epochs)} to {max(epochs)}; "
            f"e.g. {short!r} has {len(values[short])}): the log is incomplete",
        )
    count = epochs.pop() if epochs else 0
    if reduce is None and count > 1:
        return None
    return {sid: float((reduce or mean)(list(v.values()))) for sid, v in values.items()}, count


def from_reductions(
    path: Path, reductions: Any, scorer: str, score: str, reducer: str | None
) -> dict[str, float] | None:
    """The log's own per-sample reduction of ``scorer`` by ``reducer`` (None: the log's
    only one, as logs written before several reducers were possible hold)."""
    if not isinstance(reductions, list):
        return None
    mine = [r for r in reductions if isinstance(r, dict) and r.get("scorer") == scorer]
    if reducer is not None:
        mine = [r for r in mine if r.get("reducer") in (reducer, None)]
    if len(mine) != 1 or not isinstance(mine[0].get("samples"), list):
        return None
    items: dict[str, float] = {}
    for i, reduced in enumerate(mine[0]["samples"]):
        key = f"reductions[{scorer}].samples[{i}]"
        sid = reduced.get("sample_id") if isinstance(reduced, dict) else None
        if not isinstance(sid, (str, int)) or isinstance(sid, bool) or str(sid) in items:
            raise BaselineFileError(path, f"{key}.sample_id", f"expected a unique id, got {sid!r}")
        items[str(sid)] = value(path, f"{key}.value", reduced.get("value"), scorer, score)
    return items or None


def value(path: Path, key: str, raw: Any, scorer: str = "", score: str = "") -> float:
    """One score value as a number in [0, 1]. A scorer whose value is a dict yields one score
    per key (Inspect names them for the keys): ``score`` picks it."""
    if isinstance(raw, dict) and score != scorer and score in raw:
        return value(path, f"{key}.{score}", raw[score])
    if isinstance(raw, str):
        if raw in LETTER_SCORES:
            return LETTER_SCORES[raw]
        raise BaselineFileError(
            path, key, f"expected C, I, P, N or a number in [0, 1], got {raw!r}"
        )
    if isinstance(raw, (dict, list)):
        raise BaselineFileError(
            path, key, "a score with several values; import a log whose score has one value"
        )
    if isinstance(raw, float) and math.isnan(raw):
        raise BaselineFileError(
            path,
            key,
            "unscored (NaN): Inspect leaves such samples out of its metrics, which would "
            "compare different items; rescore the log (inspect score) and import it",
        )
    return proportion(path, key, raw)


def agrees(items: Mapping[str, float], reported: float) -> bool:
    return abs(mean(list(items.values())) - reported) <= 1e-6
