"""lm-evaluation-harness outputs as baseline evidence.

``results_<date>.json`` (lm_eval/loggers/evaluation_tracker.py): fields read are
``results.<task>."<metric>,<filter>"``, ``n-samples.<task>.effective`` and ``groups`` /
``group_subtasks`` (a group mixes tasks; it is not one). Alone it gives an aggregate:
unpaired. ``samples_<task>_<date>.jsonl`` (``--log_samples``): per line ``doc``,
``doc_id``, ``filter`` and the metric's value. A results file reads the samples files
written beside it in the same run (same date), so one path gives per-item evidence.

The metric is ``acc`` (multiple choice) or else ``exact_match`` (generate_until), on the
``none`` filter or else the first one the task lists; the source string names both.

Item ids: ``item_id(doc)``, as our datasets derive them (the row's ``id``, else a hash of
the row), so a sample pairs with the same row of the gate's JSONL. lm-eval's ``doc_id`` is
only the row's position: used when the samples carry no ``doc``, and flagged so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.data.datasets import item_id
from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.results.importers import (
    by_benchmark,
    count,
    imported,
    mapping,
    per_item_evidence,
    proportion,
)

METRICS = ("acc", "exact_match")
_DATE = r"\d{4}-\d\d-\d\dT[\d.\-]+"  # lm-eval's date_id: isoformat with ':' as '-'


def is_lm_eval_results(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("results"), dict)
        and any(k in data for k in ("n-samples", "configs", "versions", "lm_eval_version"))
    )


def load_lm_eval_results(
    path: Path,
    data: Mapping[str, Any],
    name: str,
    tasks: Mapping[str, str] | None,
    wanted: Collection[str] | None = None,
    measure: tuple[str | None, str | None] = (None, None),
    ignored: list[str] | None = None,
) -> dict[str, Evidence]:
    results = data["results"]
    listed, subtasks = data.get("groups"), data.get("group_subtasks")
    groups = set(listed if isinstance(listed, dict) else ()) | {
        g for g, tasks_in in (subtasks if isinstance(subtasks, dict) else {}).items() if tasks_in
    }
    # Without tasks: every task, groups skipped; with tasks, a group named is an error.
    available = list(results) if tasks else [t for t in results if t not in groups]

    def build(task: str) -> Evidence:
        key = f"results.{task}"
        if task in groups:
            raise BaselineFileError(
                path, key, "a group, whose score mixes several tasks; map the benchmark to one task"
            )
        metric, filt, value = _aggregate(path, key, mapping(path, key, results[task]), *measure)
        rows = _samples_for(path, data, task)
        if rows is None:
            n = _effective_n(path, data, task)
            return imported(
                f"{name} (lm-eval results, aggregate {_label(metric, filt)}, {path.name})",
                value,
                n,
                None,
                name,
                {"task": task, "metric": metric, "filter": filt, "n": n, "items": "aggregate"},
            )
        where, lines = rows
        evidence = _per_item(where, lines, name, task, metric, filt)
        # The samples count the items themselves; a file that also records n must agree.
        n = _effective_n(path, data, task) if _has_n(data, task) else evidence.n
        if evidence.n != n or abs(evidence.score - value) > 1e-6:
            raise BaselineFileError(
                where,
                "",
                f"{evidence.n} items averaging {evidence.score:.6f} do not match {path.name} "
                f"(n={n}, {metric}={value}): the files come from different runs",
            )
        return evidence

    return by_benchmark(path, available, build, tasks, lambda t: f"results.{t}", wanted, ignored)


def load_lm_eval_samples(
    path: Path,
    raw: bytes,
    name: str,
    tasks: Mapping[str, str] | None,
    measure: tuple[str | None, str | None] = (None, None),
) -> dict[str, Evidence]:
    task = task_of_samples_file(path)
    evidence = _per_item(path, samples_rows(path, raw), name, task, *measure)
    return by_benchmark(path, [task], lambda _: evidence, tasks, lambda _: "task (file name)")


def task_of_samples_file(path: Path) -> str:
    """``samples_<task>_<date>.jsonl`` (or ``.json``) -> task; any other name -> the name
    without its suffix."""
    stem = re.sub(r"\.jsonl?$", "", path.name)
    found = re.fullmatch(rf"samples_(.+)_{_DATE}", stem)
    if found:
        return found.group(1)
    return stem.removeprefix("samples_") or stem


def _aggregate(
    path: Path, key: str, entry: Mapping[str, Any], metric: str | None, filt: str | None
) -> tuple[str, str, float]:
    """(metric, filter, value): the ones asked for (``metric:``, ``filter:``), else the task's
    primary metric (acc, else exact_match) on the "none" filter, else its first."""
    # "metric,filter" since lm-eval 0.4; plain "metric" (no filter: "none") in 0.3-era files.
    figures = [
        k.split(",", 1) if "," in k else [k, "none"]
        for k in entry
        if not k.split(",")[0].endswith("_stderr") and _is_figure(k, entry[k])
    ]
    have = sorted({m for m, _ in figures})
    for candidate in [metric] if metric else METRICS:
        filters = [f for m, f in figures if m == candidate]
        if not filters:
            continue
        if filt and filt not in filters:
            raise BaselineFileError(
                path,
                key,
                f"no filter {filt!r} for {candidate} (filters here: {', '.join(filters)})",
            )
        chosen = filt or ("none" if "none" in filters else filters[0])
        field = f"{candidate},{chosen}" if f"{candidate},{chosen}" in entry else candidate
        value = proportion(path, f"{key}.{field}", entry[field])
        return candidate, chosen, value
    wanted = repr(metric) if metric else " or ".join(METRICS)
    raise BaselineFileError(
        path, key, f"no {wanted} metric (metrics here: {', '.join(have) or 'none'})"
    )


def _is_figure(key: str, value: Any) -> bool:
    """A metric's value, not a name, alias or sample count."""
    if "," in key:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and key != "sample_len"


def _has_n(data: Mapping[str, Any], task: str) -> bool:
    counts = data.get("n-samples")
    return isinstance(counts, dict) and task in counts


def _effective_n(path: Path, data: Mapping[str, Any], task: str) -> int:
    key = f"n-samples.{task}.effective"
    counts = data.get("n-samples")
    entry = counts.get(task) if isinstance(counts, dict) else None
    if not isinstance(entry, dict) or "effective" not in entry:
        raise BaselineFileError(
            path,
            key,
            "missing: lm-eval records the item count only since 0.4.3 (0.3-era files have "
            "none); without it no interval can be computed: give the figure under scores: "
            "{score, n} instead, or the samples file written beside it",
        )
    return count(path, key, entry["effective"])


def _samples_for(
    path: Path, data: Mapping[str, Any], task: str
) -> tuple[Path, list[tuple[str, Any]]] | None:
    """The task's samples: inside the results (Python API) or in the file written beside it."""
    inline = data.get("samples")
    if isinstance(inline, dict) and task in inline:
        rows = inline[task]
        if not isinstance(rows, list):
            raise BaselineFileError(path, f"samples.{task}", "expected a list of samples")
        return path, [(f"{path}: samples.{task}[{i}]", row) for i, row in enumerate(rows)]
    date = re.search(rf"_({_DATE})$", path.stem)
    if date is None:
        return None
    for candidate in {task, re.sub(r"\W", "_", task)}:  # lm-eval sanitizes names for files
        # JSON Lines since lm-eval 0.4.3; one JSON array before.
        for suffix in (".jsonl", ".json"):
            beside = path.with_name(f"samples_{candidate}_{date.group(1)}{suffix}")
            if beside.is_file():
                try:
                    raw = beside.read_bytes()
                except OSError as exc:
                    raise BaselineFileError(beside, "", f"cannot read: {exc.strerror}") from None
                return beside, samples_rows(beside, raw)
    return None


def samples_rows(path: Path, raw: bytes) -> list[tuple[str, Any]]:
    """(where, row) per sample of a samples file: JSON Lines, or a JSON array (lm-eval before
    0.4.3); ``where`` is ``path:line`` or ``path: [index]`` for errors."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BaselineFileError(path, "", "not UTF-8 text") from None
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise BaselineFileError(path, "", f"not a valid JSON array: {exc}") from None
        return [(f"{path}: [{i}]", row) for i, row in enumerate(rows)]
    return _jsonl(path, text)


def _jsonl(path: Path, text: str) -> list[tuple[str, Any]]:
    """(where, row) per line; ``where`` is ``path:line`` for errors."""
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append((f"{path}:{lineno}", json.loads(line)))
            except ValueError as exc:
                raise BaselineFileError(f"{path}:{lineno}", "", f"not valid JSON: {exc}") from None
    return rows


def _per_item(
    path: Path,
    rows: Sequence[tuple[str, Any]],
    name: str,
    task: str,
    metric: str | None = None,
    filt: str | None = None,
) -> Evidence:
    if not rows:
        raise BaselineFileError(path, "", "no samples: log them with lm-eval --log_samples")
    for where, row in rows:
        if not isinstance(row, dict):
            raise BaselineFileError(where, "", "expected a JSON object per sample")
    filters = list(dict.fromkeys(row.get("filter", "none") for _, row in rows))
    if filt and filt not in filters:  # asked for (or the results file's): never another one
        raise BaselineFileError(
            path, "filter", f"no samples for filter {filt!r} (filters here: {', '.join(filters)})"
        )
    used: str = filt or ("none" if "none" in filters else filters[0])
    chosen = [(where, row) for where, row in rows if row.get("filter", "none") == used]
    found = next((m for m in ([metric] if metric else METRICS) if m in chosen[0][1]), None)
    if found is None:
        listed = chosen[0][1].get("metrics") or []
        wanted = repr(metric) if metric else " or ".join(METRICS)
        raise BaselineFileError(
            chosen[0][0],
            "",
            f"no {wanted} metric (metrics here: {', '.join(map(str, listed)) or 'none'})",
        )
    metric = found
    with_doc = [isinstance(row.get("doc"), dict) for _, row in chosen]
    by_doc_id = not any(with_doc)
    if not by_doc_id and not all(with_doc):
        where = chosen[with_doc.index(False)][0]
        raise BaselineFileError(where, "doc", "missing here but present on other lines")
    items: dict[str, float] = {}
    first: dict[str, tuple[str, Any]] = {}  # item id -> where and doc_id of its first sample
    values: list[float] = []
    repeated: tuple[str, str] | None = None  # a document that two samples share
    for where, row in chosen:
        iid = _doc_id(where, row) if by_doc_id else item_id(row["doc"])
        value = proportion(where, metric, row.get(metric))
        values.append(value)
        if iid in first:
            if by_doc_id or row.get("doc_id") == first[iid][1]:
                raise BaselineFileError(where, "doc", f"the same sample as {first[iid][0]} again")
            repeated = repeated or (first[iid][0], where)
            continue
        first[iid] = (where, row.get("doc_id"))
        items[iid] = value
    label = _label(metric, used)
    figure = {"task": task, "metric": metric, "filter": used}
    if repeated:
        # The dataset holds a document twice: no id tells the two apart, so pairing them with
        # the gate's rows would be a guess. Totals only, and every report says why.
        why = f"the document at {repeated[0]} appears again at {repeated[1]}"
        return imported(
            f"{name} (lm-eval samples, aggregate {label} over {len(values)} samples; pairing "
            f"off: {why}; {path.name})",
            sum(values) / len(values),
            len(values),
            None,
            name,
            {**figure, "n": len(values), "items": "aggregate", "pairing_off": why},
        )
    how = ", ids from doc_id (line order)" if by_doc_id else ""
    if by_doc_id:
        figure["ids"] = "doc_id (line order)"
    return per_item_evidence(
        f"{name} (lm-eval samples, per-item {label}{how}, {path.name})", items, name, figure
    )


def _doc_id(where: str, row: Mapping[str, Any]) -> str:
    doc_id = row.get("doc_id")
    if not isinstance(doc_id, int) or isinstance(doc_id, bool):
        raise BaselineFileError(
            where, "doc_id", f"expected doc or an integer doc_id, got {doc_id!r}"
        )
    return str(doc_id)


def _label(metric: str, filt: str) -> str:
    return metric if filt == "none" else f"{metric} ({filt} filter)"
