"""Read a gate file's domains and benchmarks, with their thresholds and floors (see parse.py)."""

from __future__ import annotations

import math
import string
from collections.abc import Collection
from typing import Any

from pytest_modelgate.config.benchmark_keys import (
    AGENT,
    BENCHMARK,
    DOMAIN,
    FLOOR,
    JUDGE,
    RUBRIC_FIELDS,
    SANDBOX,
    THRESHOLD,
)
from pytest_modelgate.config.keys import BUDGET, ECOSYSTEM
from pytest_modelgate.config.reader import Reader, join, kind_of
from pytest_modelgate.config.source import LineDict, LineList
from pytest_modelgate.config.specs import (
    BenchmarkSpec,
    DomainSpec,
    JudgeSpec,
    Policy,
    ThresholdSpec,
    Vocabulary,
)


def read_domains(
    r: Reader,
    raw: Any,
    line: int | None,
    vocab: Vocabulary,
    policy: Policy | None,
    baselines: set[str],
) -> tuple[DomainSpec, ...] | None:
    if not isinstance(raw, dict) or not raw:
        r.problem(
            line,
            "domains",
            "declare at least one domain with benchmarks, e.g. cybersecurity: {benchmarks: {...}}",
        )
        return None
    domains: list[DomainSpec] = []
    seen: dict[str, str] = {}
    for dname, draw in raw.items():
        dkey = f"domains.{dname}"
        d = r.section(draw, r.line_of(raw, dname), dkey, DOMAIN)
        if d is None or "benchmarks" not in d:
            continue
        braw = d["benchmarks"]
        if not isinstance(braw, dict) or not braw:
            r.problem(
                r.line_of(d, "benchmarks"), f"{dkey}.benchmarks", "declare at least one benchmark"
            )
            continue
        benches = []
        for bname, bspec in braw.items():
            bkey = f"{dkey}.benchmarks.{bname}"
            if bname in seen:
                r.problem(
                    r.line_of(braw, bname),
                    bkey,
                    f"duplicate benchmark name (also in "
                    f"domain {seen[bname]}); benchmark names are unique in a gate file",
                )
                continue
            seen[bname] = dname
            bench = _read_benchmark(
                r, bname, dname, bspec, r.line_of(braw, bname), bkey, vocab, policy, baselines
            )
            if bench is not None:
                benches.append(bench)
        domains.append(DomainSpec(dname, tuple(benches), line=r.line_of(raw, dname) or 0))
    return tuple(domains)


def _read_benchmark(
    r: Reader,
    name: str,
    domain: str,
    raw: Any,
    line: int | None,
    key: str,
    vocab: Vocabulary,
    policy: Policy | None,
    baselines: set[str],
) -> BenchmarkSpec | None:
    # A static candidate's benchmark has no dataset, so nothing to format or score.
    needs = BENCHMARK.required_with["dataset"] if isinstance(raw, dict) and "dataset" in raw else ()
    b = r.section(raw, line, key, BENCHMARK, required=needs)
    if b is None:
        return None
    dataset = r.path(b, "dataset", key)
    if dataset is not None and not dataset.is_file():
        r.problem(r.line_of(b, "dataset"), f"{key}.dataset", f"file not found: {dataset}")
    limit = r.value(b, BENCHMARK["limit"], key)
    epochs = r.value(b, BENCHMARK["epochs"], key)
    concurrency = r.value(b, BENCHMARK["concurrency"], key)
    max_error_rate = r.value(b, BENCHMARK["max_error_rate"], key)
    metric = r.value(b, BENCHMARK["metric"], key) or BENCHMARK["metric"].default
    k = r.value(b, BENCHMARK["k"], key)
    if metric == "pass_at_k":
        if k is None and "k" not in b:
            r.problem(b.line, f"{key}.k", "metric: pass_at_k needs k (e.g. k: 10)")
        elif k is not None and not 1 <= k <= (epochs or 1):
            r.problem(
                r.line_of(b, "k"),
                f"{key}.k",
                f"k={k} needs 1 <= k <= epochs ({epochs or 1}); pass@k samples each item "
                "epochs times and estimates the chance that k of them contain a success",
            )
    elif "k" in b:
        r.problem(r.line_of(b, "k"), f"{key}.k", "k is used only with metric: pass_at_k")
    ids: dict[str, int] = {}  # shared: a threshold and a floor become sibling items
    thresholds = _read_limits(r, b, "thresholds", key, policy, baselines, ids)
    floors = _read_limits(r, b, "floors", key, policy, baselines, ids)
    if not thresholds and not floors and not any(p.key.startswith(key) for p in r.problems):
        r.problem(
            line,
            key,
            "a benchmark needs at least one threshold (above:) or floor "
            "(at_least:), otherwise it gates nothing",
        )
    return BenchmarkSpec(
        name=name,
        domain=domain,
        dataset=dataset,
        format=r.value(b, BENCHMARK["format"], key, sorted(vocab.formats)),
        scorer=r.value(b, BENCHMARK["scorer"], key, _scorer_choices(b, vocab)),
        limit=limit,
        epochs=epochs or BENCHMARK["epochs"].default,
        concurrency=concurrency,
        higher_is_safer=r.value(b, BENCHMARK["higher_is_safer"], key),
        max_error_rate=float(max_error_rate or 0.0),
        budget=r.amounts(b, "budget", key, BUDGET),
        sampling=r.value(b, BENCHMARK["sampling"], key),
        params=r.expand_tree(
            r.value(b, BENCHMARK["params"], key), f"{key}.params", r.line_of(b, "params")
        ),
        metric=metric,
        k=k,
        solver=r.value(b, BENCHMARK["solver"], key, sorted(vocab.solvers)),
        judge=_read_judge(r, b, key),
        agent=r.amounts(b, "agent", key, AGENT),
        sandbox=r.amounts(b, "sandbox", key, SANDBOX),
        description=r.value(b, BENCHMARK["description"], key),
        thresholds=thresholds,
        floors=floors,
        line=line or 0,
        dataset_line=r.line_of(b, "dataset") or 0,
        scorer_line=r.line_of(b, "scorer") or 0,
    )


def _read_judge(r: Reader, b: LineDict, key: str) -> JudgeSpec | None:
    if "judge" not in b:
        return None
    jkey = f"{key}.judge"
    j = r.section(b["judge"], r.line_of(b, "judge"), jkey, JUDGE)
    if j is None or "model" not in j:
        return None
    rubric = r.value(j, JUDGE["rubric"], jkey)
    if rubric is not None:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(rubric) if f is not None}
        except ValueError as exc:
            r.problem(r.line_of(j, "rubric"), f"{jkey}.rubric", f"not a valid template: {exc}")
            fields = set()
        unknown = sorted(fields - set(RUBRIC_FIELDS))
        if unknown:
            r.problem(
                r.line_of(j, "rubric"),
                f"{jkey}.rubric",
                f"unknown placeholder {{{unknown[0]}}}; valid: "
                + ", ".join(f"{{{f}}}" for f in RUBRIC_FIELDS)
                + " (write {{ and }} for literal braces)",
            )
    regrade = r.value(j, JUDGE["regrade"], jkey)
    calibration = r.path(j, "calibration", jkey)
    calibration_line = r.line_of(j, "calibration") or 0
    if calibration is not None:
        if b.get("scorer") != "judge":
            r.problem(
                calibration_line,
                f"{jkey}.calibration",
                "calibration corrects a right/wrong grade: it is used only with scorer: judge",
            )
        elif not calibration.is_file():
            r.problem(calibration_line, f"{jkey}.calibration", f"file not found: {calibration}")
    model = r.value(j, JUDGE["model"], jkey)
    if model is None:
        return None
    return JudgeSpec(
        model,
        rubric,
        max(regrade or 0, 0),
        r.value(j, JUDGE["regrade_model"], jkey),
        line=r.line_of(b, "judge") or 0,
        calibration=calibration,
        calibration_line=calibration_line,
    )


def _scorer_choices(b: LineDict, vocab: Vocabulary) -> Collection[str] | None:
    # "package.module:function" names a scorer by import path; it is resolved at run time.
    scorer = b.get("scorer")
    return None if isinstance(scorer, str) and ":" in scorer else sorted(vocab.scorers)


def _read_limits(
    r: Reader,
    b: LineDict,
    which: str,
    bkey: str,
    policy: Policy | None,
    baselines: set[str],
    ids: dict[str, int],
) -> tuple[ThresholdSpec, ...]:
    if which not in b:
        return ()
    raw, key = b[which], f"{bkey}.{which}"
    if not isinstance(raw, LineList):  # the loader makes every YAML list a LineList
        r.problem(r.line_of(b, which), key, f"expected a list, got {kind_of(raw)}")
        return ()
    risk = which == "thresholds"
    section = THRESHOLD if risk else FLOOR
    ref_key = section.required[0]  # above | at_least
    out = []
    for i, entry in enumerate(raw):
        ikey = join(key, i)
        e = r.section(entry, raw.item_lines[i], ikey, section)
        if e is None or ref_key not in e:
            continue
        ref = e[ref_key]
        if (
            isinstance(ref, bool)
            or not isinstance(ref, (int, float, str))
            or (isinstance(ref, float) and not math.isfinite(ref))
        ):
            r.problem(
                r.line_of(e, ref_key),
                f"{ikey}.{ref_key}",
                f"expected a number, '{ECOSYSTEM}' or a baseline name, got {kind_of(ref)}",
            )
            continue
        if not isinstance(ref, str) and not r.in_range(e, section[ref_key], ikey, ref):
            continue
        if isinstance(ref, str) and ref != ECOSYSTEM and ref not in baselines:
            r.problem(
                r.line_of(e, ref_key),
                f"{ikey}.{ref_key}",
                f"unknown baseline {ref!r}; "
                f"valid: a number, {ECOSYSTEM}, "
                f"{', '.join(sorted(baselines)) or '(no baselines declared)'}",
            )
            continue
        if isinstance(ref, str) and ref == ECOSYSTEM and not baselines:
            r.problem(
                r.line_of(e, ref_key),
                f"{ikey}.{ref_key}",
                f"'{ECOSYSTEM}' needs at least one entry under baselines:",
            )
            continue
        margin = r.get(e, "margin", ikey, "number", section["margin"].default)
        if margin is not None and not r.in_range(e, section["margin"], ikey, margin):
            continue
        tier = r.value(e, THRESHOLD["tier"], ikey) if risk else None
        if risk and tier is not None and policy is not None:
            ladder = policy.ladder
            if tier not in ladder.tiers:
                r.problem(
                    r.line_of(e, "tier"),
                    f"{ikey}.tier",
                    f"{tier!r} is not a tier of ladder "
                    f"{ladder.name}; valid: {', '.join(ladder.tiers[1:])}",
                )
                continue
            if tier == ladder.lowest:
                r.problem(
                    r.line_of(e, "tier"),
                    f"{ikey}.tier",
                    f"{tier!r} is the ladder's lowest "
                    f"tier, which every model has; valid: {', '.join(ladder.tiers[1:])}",
                )
                continue
        if risk and tier is None:
            continue
        tid = r.value(e, section["id"], ikey) or _default_id(ref_key, ref)
        if tid in ids:
            r.problem(
                r.line_of(e, "id") or raw.item_lines[i],
                f"{ikey}.id" if "id" in e else ikey,
                f"duplicate id {tid!r} (also line {ids[tid]}); give one of them an explicit id:",
            )
            continue
        ids[tid] = raw.item_lines[i]
        out.append(
            ThresholdSpec(
                tid,
                "risk" if risk else "floor",
                float(ref) if not isinstance(ref, str) else ref,
                float(margin or 0.0),
                tier,
                line=raw.item_lines[i],
                key=f"{ikey}.{ref_key}",
            )
        )
    return tuple(out)


def _default_id(ref_key: str, ref: float | str) -> str:
    word = "above" if ref_key == "above" else "at-least"
    return f"{word}-{ref:g}" if not isinstance(ref, str) else f"{word}-{ref}"
