"""results.json, schema version 1 (DESIGN §6): written by every run, read back as a baseline.

Pure: no pytest. The keys listed in DESIGN §6 are a contract other tools rely
on; add keys freely, never rename or drop one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_modelgate import __version__
from pytest_modelgate.data.datasets import LFS_ADVICE, LFS_POINTER
from pytest_modelgate.decide.comparisons import Evidence
from pytest_modelgate.results.errors import BaselineFileError

RESULTS_SCHEMA = 1


def _rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def iso_span(span: Sequence[float] | None) -> list[str] | None:
    """(oldest, newest) epoch seconds as ISO-8601 UTC times, to the second."""
    if not span:
        return None
    return [datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") for t in span]


def benchmark_entry(result: Any) -> dict[str, Any]:
    """The §6 entry of one benchmark, from an ``run.records.BenchmarkResult``."""
    est = result.estimate
    entry: dict[str, Any] = {
        "domain": result.spec.domain,
        "dataset_sha256": result.dataset_sha256,
        "n": est.n if est else result.n_planned,
        "score": _rounded(est.value) if est else None,
        "ci": [_rounded(est.low), _rounded(est.high)] if est else None,
        "interval_method": est.method if est else None,
        "epochs": result.spec.epochs,
        "metric": result.spec.metric,
        "k": result.spec.k,
        "samples": result.tally.samples,
        "refusals": result.tally.refusals,
        "abstained": result.tally.abstained,
        "sampling": "sequential" if result.sequential else "fixed",
        "items_available": result.n_planned,
        "stopped_after": result.stopped_after,
        "higher_is_safer": result.spec.higher_is_safer,
        "calls": result.tally.calls,
        "usage": dict(result.tally.usage),
        "usage_estimated": result.tally.usage_estimated,
        "cost": None if result.tally.cost is None else round(result.tally.cost, 6),
        "cached": result.tally.cached,
        "cached_recorded": iso_span(result.tally.recorded),  # when the cached answers came
        # cached answers not served: the server now says it is another (model id, fingerprint)
        "cache_refetched": result.tally.refetched,
        "server_change": list(result.tally.server_change) if result.tally.server_change else None,
        "errors": result.tally.errors,
        "tier": result.tier,
        "error": result.error,
        "thresholds": [threshold_entry(t) for t in result.thresholds],
        "floors": [threshold_entry(t) for t in result.floors],
        "items": dict(result.evidence.items) if result.evidence and result.evidence.items else {},
    }
    if result.spec.params:
        entry["params"] = dict(result.spec.params)  # over the candidate's, for this benchmark
    if result.judge is not None:
        recorded = iso_span(result.judge.get("cached_recorded"))
        entry["judge"] = {**result.judge, "cached_recorded": recorded}
    if result.sandbox is not None:
        entry["sandbox"] = result.sandbox
    if result.transcripts:
        entry["transcripts"] = result.transcripts
    return entry


def threshold_entry(t: Any) -> dict[str, Any]:
    c = t.comparison
    return {
        "id": t.spec.id,
        "kind": t.spec.kind,
        "reference": _rounded(c.reference) if c else None,
        "reference_source": c.reference_source if c else None,
        "method": t.method,
        "interval_method": c.diff.method if c else None,
        "margin": t.spec.margin,
        "outcome": t.outcome,
        "tier": t.spec.tier,
        "diff": _rounded(c.diff.value) if c else None,
        "diff_ci": [_rounded(c.diff.low), _rounded(c.diff.high)] if c else None,
        "minimum_detectable_difference": _rounded(t.mdd),
        "verdict": t.verdict,
    }


def build_results(
    *,
    candidate: Mapping[str, Any],
    release: Mapping[str, Any],
    domains: Mapping[str, Mapping[str, Any]],
    benchmarks: Mapping[str, Any],
    smoke: bool,
    confidence: float,
    decision: str,
    multiplicity: str = "none",
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "schema": RESULTS_SCHEMA,
        "modelgate_version": __version__,
        "smoke": smoke,
        "confidence": confidence,
        "decision": decision,
        "multiplicity": multiplicity,
        "candidate": dict(candidate),
        "release": dict(release),
        "domains": {name: dict(d) for name, d in domains.items()},
        "baselines": {name: dict(b) for name, b in (baselines or {}).items()},
        "benchmarks": {name: benchmark_entry(b) for name, b in benchmarks.items()},
    }


def dump_json(data: Mapping[str, Any]) -> str:
    # default=str: YAML may hand us dates in params; allow_nan=False: always valid JSON.
    return json.dumps(data, indent=2, default=str, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # readers never see half a file


def file_provenance(path: Path) -> dict[str, Any]:
    """Where imported figures come from: the file (relative to the working directory when
    inside it), its sha256, and the tool (and version) that wrote it, as far as the file says.
    Never raises: a file that cannot be read says so."""
    shown = os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else str(path)
    info: dict[str, Any] = {"file": shown, "sha256": None, "tool": None, "tool_version": None}
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return {**info, "error": exc.strerror}
    info["sha256"] = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"PK\x03\x04"):  # an .eval archive
        from pytest_modelgate.results.importers.eval_archive import inspect_version

        return {**info, "tool": "inspect", "tool_version": inspect_version(Path(path), raw)}
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError:  # JSON Lines: lm-eval samples
        return {**info, "tool": "lm-eval"} if Path(path).suffix == ".jsonl" else info
    if isinstance(data, dict) and data.get("schema") == RESULTS_SCHEMA:
        return {**info, "tool": "pytest-modelgate", "tool_version": data.get("modelgate_version")}
    if isinstance(data, dict) and isinstance(data.get("eval"), dict):
        packages = data["eval"].get("packages")
        version = packages.get("inspect_ai") if isinstance(packages, dict) else None
        return {**info, "tool": "inspect", "tool_version": version}
    if isinstance(data, dict) and "results" in data:
        return {**info, "tool": "lm-eval", "tool_version": data.get("lm_eval_version")}
    if isinstance(data, list):
        return {**info, "tool": "lm-eval"}
    return info


def provenance_line(info: Mapping[str, Any]) -> str:
    """``file x.json, sha256 0123456789ab, lm-eval 0.4.13`` for the reports."""
    parts = [f"file {info['file']}"]
    if info.get("sha256"):
        parts.append(f"sha256 {info['sha256'][:12]}")
    if info.get("tool"):
        parts.append(" ".join(str(x) for x in (info["tool"], info.get("tool_version")) if x))
    return ", ".join(parts)


def figure_line(benchmark: str, figure: Mapping[str, Any]) -> str:
    """``toy_mcq: task toy_colors, scorer includes (mean of 3 epochs), metric accuracy, n 4,
    per item``: which of a file's figures a benchmark took, defaults included."""
    parts = [f"task {figure.get('task', benchmark)}"]
    if figure.get("scorer"):
        scorer = f"scorer {figure['scorer']}"
        how = (
            [f"{figure.get('reducer') or 'mean'} of {figure['epochs']} epochs"]
            if (figure.get("epochs") or 1) > 1
            else []
        )
        others = [s for s in figure.get("scorers", ()) if s != figure["scorer"]]
        if others:
            how.append(f"the log also has {', '.join(others)}")
        parts.append(f"{scorer} ({'; '.join(how)})" if how else scorer)
    if figure.get("metric"):
        parts.append(f"metric {figure['metric']}")
    if figure.get("filter"):
        parts.append(f"filter {figure['filter']}")
    parts.append(f"n {figure.get('n')}")
    items = "per item" if figure.get("items") == "per-item" else "totals only (unpaired)"
    if figure.get("pairing_off"):
        items += f", pairing off: {figure['pairing_off']}"
    if figure.get("ids"):
        items += f", ids from {figure['ids']}"
    if figure.get("schema"):
        items += f", {figure['schema']} log schema"
    parts.append(items)
    return f"{benchmark}: {', '.join(parts)}"


def load_baseline(
    path: Path,
    name: str,
    tasks: Mapping[str, str] | None = None,
    wanted: Collection[str] | None = None,
    measure: tuple[str | None, str | None] = (None, None),
    ignored: list[str] | None = None,
    scorer: str | None = None,
) -> dict[str, Evidence | None]:
    """Per-benchmark evidence from a results file: ours (schema 1), an Inspect log (.eval or
    .json) or lm-evaluation-harness output (results_*.json, samples_*.jsonl), told apart by
    content. ``tasks`` maps a benchmark to its name in the file; without it each task counts
    for the benchmark of the same name, and only the ``wanted`` ones (the gate file's
    benchmarks) are read. ``measure`` is the (metric, filter) to read from lm-eval output
    (None: its defaults); for an Inspect log, ``metric`` and ``scorer`` (which of its scores)
    choose. A benchmark that errored in our run maps to None. Tasks of the file that were not
    read are added to ``ignored``. Imported evidence carries ``figure``: what of the file it
    is (task, metric, filter or scorer, n), for the reports."""
    from pytest_modelgate.results.importers import (
        by_benchmark,
        inspect_logs,
        lm_eval,
    )  # only imports pay for them

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BaselineFileError(path, "", f"cannot read: {exc.strerror}") from None
    if raw.startswith(LFS_POINTER):
        raise BaselineFileError(path, "", LFS_ADVICE)
    if raw.startswith(b"PK\x03\x04"):  # a zip: Inspect's .eval
        from pytest_modelgate.results.importers.eval_archive import read_eval_archive

        _only(path, "inspect", measure, scorer)
        log = read_eval_archive(path, raw)
        return dict(inspect_logs.load_inspect_log(path, log, name, tasks, scorer, measure[0]))
    if path.suffix.lower() == ".jsonl" or (
        path.name.startswith("samples_") and path.suffix.lower() == ".json"
    ):
        _only(path, "lm-eval", measure, scorer)
        return dict(lm_eval.load_lm_eval_samples(path, raw, name, tasks, measure))
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError as exc:  # UnicodeDecodeError is one
        raise BaselineFileError(path, "", f"not valid JSON: {exc}") from None
    if lm_eval.is_lm_eval_results(data):
        _only(path, "lm-eval", measure, scorer)
        return dict(lm_eval.load_lm_eval_results(path, data, name, tasks, wanted, measure, ignored))
    if inspect_logs.is_inspect_log(data):
        _only(path, "inspect", measure, scorer)
        return dict(inspect_logs.load_inspect_log(path, data, name, tasks, scorer, measure[0]))
    _only(path, "ours", measure, scorer)
    evidence = _our_results(path, data, name)
    return by_benchmark(
        path, list(evidence), evidence.__getitem__, tasks, "benchmarks.{}".format, wanted, ignored
    )


def _only(
    path: Path, kind: str, measure: tuple[str | None, str | None], scorer: str | None
) -> None:
    """A key that chooses among figures this kind of file does not have is a mistake."""
    metric, filt = measure
    if kind == "ours" and (metric or filt or scorer):
        raise BaselineFileError(
            path,
            "",
            "metric:, filter: and inspect_scorer: choose among the figures of an lm-eval file "
            "or an Inspect log; this is a pytest-modelgate results file, one figure per "
            "benchmark",
        )
    if kind == "inspect" and filt:
        raise BaselineFileError(
            path,
            "",
            f"filter: {filt!r} chooses among lm-eval figures; this is an Inspect log "
            "(choose with inspect_scorer: and metric:)",
        )
    if kind == "lm-eval" and scorer:
        raise BaselineFileError(
            path,
            "",
            f"inspect_scorer: {scorer!r} chooses among an Inspect log's scores; this "
            "is lm-eval output (choose with metric: and filter:)",
        )


def _our_results(path: Path, data: Any, name: str) -> dict[str, Evidence | None]:
    from pytest_modelgate.results.importers import imported

    if not isinstance(data, dict) or data.get("schema") != RESULTS_SCHEMA:
        raise BaselineFileError(
            path,
            "schema",
            f"not a pytest-modelgate results file of schema "
            f"{RESULTS_SCHEMA} (record one with --modelgate-record-baseline), nor an Inspect "
            "log (.eval, .json) or lm-evaluation-harness output (results_*.json, samples_*.jsonl)",
        )
    if data.get("smoke"):
        raise BaselineFileError(
            path,
            "smoke",
            "a smoke run (--modelgate-limit) cannot serve as a baseline; record it from a full run",
        )
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, dict):
        raise BaselineFileError(path, "benchmarks", "missing or not a mapping")
    evidence = {}
    for bench, entry in benchmarks.items():
        key = f"benchmarks.{bench}"
        if not isinstance(entry, dict):
            raise BaselineFileError(path, key, "not a mapping")
        if entry.get("error"):
            evidence[bench] = None
            continue
        score, n, items = entry.get("score"), entry.get("n"), entry.get("items") or None
        if not _is_number(score) or not 0 <= score <= 1:
            raise BaselineFileError(
                path, f"{key}.score", f"expected a number in [0, 1], got {score!r}"
            )
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise BaselineFileError(path, f"{key}.n", f"expected a positive integer, got {n!r}")
        if items is not None and (
            not isinstance(items, dict)
            or not all(_is_number(v) and 0 <= v <= 1 for v in items.values())
        ):
            raise BaselineFileError(
                path, f"{key}.items", "expected a mapping of item id to a score in [0, 1]"
            )
        if items is not None and (
            len(items) != n or abs(math.fsum(items.values()) / n - score) > 1e-5
        ):
            raise BaselineFileError(
                path,
                f"{key}.items",
                f"{len(items)} items averaging "
                f"{math.fsum(items.values()) / len(items):.6f} do not match n={n}, score={score}",
            )
        kind = "per-item results" if items else "aggregate"
        figure = {"task": bench, "metric": entry.get("metric"), "n": n}
        evidence[bench] = imported(
            f"{name} ({kind}, {Path(path).name})",
            float(score),
            n,
            {str(k): float(v) for k, v in items.items()} if items else None,
            name,
            {**figure, "items": "per-item" if items else "aggregate"},
        )
    return evidence


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
