"""Parse and validate one gate file (DESIGN §3) into a typed ``GateFile``.

Pure: no pytest import, no network. Every problem is reported with the file, the line and
the dotted key, plus what would be valid; all problems of a file are reported at once. Which
keys exist, their types, defaults and ranges come from the declarations (``keys.py``); names
of providers, scorers, formats and ladders come from the caller's registries, so extensions
validate like built-ins. Domains and benchmarks are read in ``parse_benchmarks.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_modelgate.config.keys import (
    BASELINE,
    BUDGET,
    ECOSYSTEM,
    POLICY,
    SCHEMA_VERSION,
    SCORES,
    TOP,
)
from pytest_modelgate.config.ladders import Ladder
from pytest_modelgate.config.limits import GATE_FILE_MAX_BYTES, TooLarge, read_at_most
from pytest_modelgate.config.model_keys import MODEL, PRICES, RATE_LIMIT
from pytest_modelgate.config.parse_benchmarks import read_domains
from pytest_modelgate.config.reader import Reader, join, kind_of
from pytest_modelgate.config.source import LineDict, YAMLSourceError, load_yaml
from pytest_modelgate.config.specs import (
    AggregateScore,
    BaselineSpec,
    GateFile,
    GateFileError,
    ModelSpec,
    Policy,
    Problem,
    Vocabulary,
)


def parse_gate_file(
    path: Path, vocabulary: Vocabulary, environ: Mapping[str, str] | None = None
) -> GateFile:
    """Parse and validate one gate file; raise ``GateFileError`` listing every problem."""
    path = Path(path)
    try:
        text = read_at_most(path, GATE_FILE_MAX_BYTES).decode("utf-8")
    except OSError as exc:
        raise GateFileError(path, [Problem(None, "", f"cannot read: {exc.strerror}")]) from None
    except TooLarge as exc:
        raise GateFileError(
            path,
            [
                Problem(
                    None,
                    "",
                    f"refused: {exc} for a gate file; a gate file is a policy, not data: keep "
                    "items in datasets and scores in results files, or split it into several "
                    "gate files",
                )
            ],
        ) from None
    except UnicodeDecodeError:
        raise GateFileError(path, [Problem(None, "", "not UTF-8 text; save it as UTF-8")]) from None
    try:
        data = load_yaml(text)
    except YAMLSourceError as exc:
        raise GateFileError(path, [Problem(exc.line, "", exc.message)]) from None
    reader = Reader(path.parent, environ)
    _report_duplicates(reader, data, "")
    gate = _read_gate(reader, path, data, vocabulary)
    if reader.problems or gate is None:
        raise GateFileError(path, reader.problems or [Problem(None, "", "empty gate file")])
    return gate


def _report_duplicates(r: Reader, value: Any, key: str) -> None:
    if isinstance(value, LineDict):
        for name, line, first in value.duplicates:
            r.problem(
                line,
                join(key, name),
                f"duplicate key (first on line {first}); "
                "the second would silently replace the first",
            )
        for name, child in value.items():
            _report_duplicates(r, child, join(key, name))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _report_duplicates(r, child, join(key, i))


def _read_gate(r: Reader, path: Path, data: Any, vocab: Vocabulary) -> GateFile | None:
    top = r.section(data, 1, "", TOP)
    if top is None:
        return None
    version = top.get("version")
    if "version" in top and (isinstance(version, bool) or version != SCHEMA_VERSION):
        r.problem(
            r.line_of(top, "version"),
            "version",
            f"unsupported schema version {top['version']!r}; valid: {SCHEMA_VERSION}",
        )
    if not all(k in top for k in TOP.required if k != "version"):
        return None  # reported as missing required keys; the rest would only repeat it
    if not _names_are_strings(r, top):
        return None
    policy = _read_policy(r, top["policy"], r.line_of(top, "policy"), vocab)
    models = _read_models(r, top["models"], r.line_of(top, "models"), vocab)
    raw_baselines = top.get("baselines", LineDict())
    baselines = _read_baselines(r, raw_baselines, r.line_of(top, "baselines"))
    declared = set(raw_baselines) if isinstance(raw_baselines, dict) else set()
    domains = read_domains(r, top["domains"], r.line_of(top, "domains"), vocab, policy, declared)
    if policy is None or models is None or domains is None:
        return None
    return GateFile(
        path,
        policy,
        models,
        baselines,
        domains,
        description=r.value(top, TOP["description"], ""),
        models_line=r.line_of(top, "models") or 0,
    )


def _names_are_strings(r: Reader, top: LineDict) -> bool:
    """Names become node ids and report keys: ``2025:`` or ``yes:`` must be quoted."""
    ok = True
    groups = [
        ("models", top.get("models")),
        ("baselines", top.get("baselines")),
        ("domains", top.get("domains")),
    ]
    domains = top.get("domains")
    if isinstance(domains, dict):
        groups += [
            (f"domains.{d}.benchmarks", v.get("benchmarks"))
            for d, v in domains.items()
            if isinstance(v, dict)
        ]
    for key, group in groups:
        if not isinstance(group, dict):
            continue
        for name in group:
            if not isinstance(name, str):
                r.problem(
                    r.line_of(group, name),
                    f"{key}.{name}",
                    f"names must be strings; "
                    f'YAML read {name!r} as {type(name).__name__}: quote it, e.g. "{name}"',
                )
                ok = False
    return ok


def _read_policy(r: Reader, raw: Any, line: int | None, vocab: Vocabulary) -> Policy | None:
    m = r.section(raw, line, "policy", POLICY)
    if m is None or "ladder" not in m:
        return None
    ladder = _read_ladder(r, m, vocab)
    allowed = r.value(m, POLICY["allowed"], "policy")
    confidence = r.value(m, POLICY["confidence"], "policy")
    decision = r.value(m, POLICY["decision"], "policy")
    inconclusive = r.value(m, POLICY["inconclusive"], "policy")
    if ladder is None or allowed is None:
        return None
    if allowed not in ladder.tiers:
        r.problem(
            r.line_of(m, "allowed"),
            "policy.allowed",
            f"{allowed!r} is not a tier of ladder {ladder.name}; valid: {', '.join(ladder.tiers)}",
        )
        return None
    return Policy(
        ladder,
        allowed,
        confidence,
        decision,
        inconclusive,
        r.amounts(m, "budget", "policy", BUDGET),
        r.value(m, POLICY["sampling"], "policy") or POLICY["sampling"].default,
        r.value(m, POLICY["multiplicity"], "policy") or POLICY["multiplicity"].default,
    )


def _read_ladder(r: Reader, m: LineDict, vocab: Vocabulary) -> Ladder | None:
    raw, line = m["ladder"], r.line_of(m, "ladder")
    if isinstance(raw, str):
        if raw not in vocab.ladders:
            r.problem(
                line,
                "policy.ladder",
                f"unknown ladder {raw!r}; valid: "
                f"{', '.join(vocab.ladders)}, or an inline list of tiers, lowest first",
            )
            return None
        return Ladder(raw, tuple(vocab.ladders[raw]))
    if (
        not isinstance(raw, list)
        or len(raw) < 2
        or not all(isinstance(t, str) and t for t in raw)
        or len(set(raw)) != len(raw)
    ):
        r.problem(
            line,
            "policy.ladder",
            "an inline ladder is a list of at least two distinct "
            "tier names, lowest first, e.g. [moderate, high, critical]",
        )
        return None
    return Ladder("inline", tuple(raw))


def _read_models(
    r: Reader, raw: Any, line: int | None, vocab: Vocabulary
) -> dict[str, ModelSpec] | None:
    if not isinstance(raw, dict) or not raw:
        r.problem(
            line, "models", "declare at least one model, e.g. candidate: {provider: openai, ...}"
        )
        return None
    m = raw
    models = {}
    for name, spec in m.items():
        key = f"models.{name}"
        s = r.section(spec, r.line_of(m, name), key, MODEL)
        if s is None or "provider" not in s:
            continue
        provider = r.value(s, MODEL["provider"], key, sorted(vocab.providers))
        api_key_env = r.value(s, MODEL["api_key_env"], key)
        if api_key_env is not None and not re.match(MODEL["api_key_env"].pattern, api_key_env):
            r.problem(
                r.line_of(s, "api_key_env"),
                f"{key}.api_key_env",
                "must be the NAME of an environment variable (upper case, e.g. "
                "OPENAI_API_KEY), never the key itself",
            )
            api_key_env = None
        # Out-of-range values are reported (the file fails) and still read, as before.
        concurrency = r.value(s, MODEL["concurrency"], key)
        timeout_s = r.value(s, MODEL["timeout_s"], key)
        max_retries = r.value(s, MODEL["max_retries"], key)
        deadline_s = r.value(s, MODEL["deadline_s"], key)
        if provider is None:
            continue
        urls = _read_urls(r, s, key)
        results = r.path(s, "results", key)
        if results is not None and provider != "static":
            r.problem(
                r.line_of(s, "results"),
                f"{key}.results",
                "imported results need provider: static (the model is not queried)",
            )
        elif results is not None and all(k in s for k in MODEL.at_most_one):
            r.problem(
                r.line_of(s, "results"),
                f"{key}.results",
                "give one of scores: or results:, not both",
            )
        elif results is not None and not results.is_file():
            r.problem(r.line_of(s, "results"), f"{key}.results", f"file not found: {results}")
        models[name] = ModelSpec(
            name=name,
            provider=provider,
            model=r.value(s, MODEL["model"], key),
            base_url=urls[0] if urls else None,
            replicas=tuple(urls[1:]),
            api_key_env=api_key_env,
            params=r.expand_tree(
                r.value(s, MODEL["params"], key), f"{key}.params", r.line_of(s, "params")
            ),
            concurrency=concurrency or MODEL["concurrency"].default,
            timeout_s=timeout_s or MODEL["timeout_s"].default,
            max_retries=MODEL["max_retries"].default if max_retries is None else max_retries,
            deadline_s=deadline_s if deadline_s and deadline_s > 0 else None,
            scores=_read_scores(r, s, key),
            results=results,
            tasks=_read_tasks(r, s, key),
            metric=r.value(s, MODEL["metric"], key),
            filter=r.value(s, MODEL["filter"], key),
            inspect_scorer=r.value(s, MODEL["inspect_scorer"], key),
            options=r.value(s, MODEL["options"], key),
            rate_limit=r.amounts(s, "rate_limit", key, RATE_LIMIT),
            prices=r.amounts(s, "prices", key, PRICES),
            line=r.line_of(m, name) or 0,
            scores_line=r.line_of(s, "scores") or 0,
            results_line=r.line_of(s, "results") or 0,
        )
    return models


def _read_urls(r: Reader, s: LineDict, key: str) -> list[str]:
    """``base_url``: one URL, or a list of replicas serving the same model."""
    raw = s.get("base_url")
    if isinstance(raw, list):
        if not raw or not all(isinstance(u, str) and u for u in raw):
            r.problem(
                r.line_of(s, "base_url"),
                f"{key}.base_url",
                "expected a URL or a non-empty list of URLs (replicas of one model)",
            )
            return []
        urls: list[tuple[str, int | None, int | None]] = [
            (r.expand_tree(u, f"{key}.base_url[{i}]", r.line_of(raw, i)), r.line_of(raw, i), i)
            for i, u in enumerate(raw)
        ]
    else:
        url = r.get(s, "base_url", key, "str")
        urls = [(url, r.line_of(s, "base_url"), None)] if url else []
    return [u for u, line, i in urls if _is_http(r, u, line, join(f"{key}.base_url", i))]


def _is_http(r: Reader, url: str, line: int | None, key: str) -> bool:
    """Only HTTP reaches a model: ``file://`` or ``gopher://`` is refused before any request."""
    if re.match(MODEL["base_url"].pattern, url):
        return True
    scheme, sep, rest = url.partition("://")
    # Quote no more than the scheme or the host: the rest may hold a password or a token.
    found = f"a {scheme}:// URL" if sep else f"{url.rpartition('@')[2].partition('/')[0]!r}"
    r.problem(line, key, f"{found} is not an HTTP API; valid: http://… or https://…")
    return False


def _read_scores(r: Reader, parent: LineDict, key: str) -> dict[str, AggregateScore]:
    raw = r.get(parent, "scores", key, "mapping", {})
    scores = {}
    for bench, entry in raw.items():
        bkey = f"{key}.scores.{bench}"
        e = r.section(entry, r.line_of(raw, bench), bkey, SCORES)
        if e is None:
            continue
        score = r.get(e, "score", bkey, "number")
        n = r.get(e, "n", bkey, "int")
        if score is not None and not r.in_range(e, SCORES["score"], bkey, score):
            continue
        if n is not None and not r.in_range(e, SCORES["n"], bkey, n):
            continue
        if score is not None and n is not None:
            scores[bench] = AggregateScore(float(score), n)
    return scores


def _read_tasks(r: Reader, parent: LineDict, key: str) -> dict[str, str]:
    """``tasks: {benchmark: task}``: where an imported file names a benchmark differently."""
    raw = r.get(parent, "tasks", key, "mapping", {})
    tasks = {}
    for bench in raw:
        task = r.get(raw, bench, f"{key}.tasks", "str")
        if task is not None:
            tasks[str(bench)] = task
    return tasks


def _read_baselines(r: Reader, raw: Any, line: int | None) -> dict[str, BaselineSpec]:
    if not isinstance(raw, dict):
        r.problem(line, "baselines", f"expected a mapping of baseline names, got {kind_of(raw)}")
        return {}
    baselines = {}
    for name, spec in raw.items():
        key = f"baselines.{name}"
        if name == ECOSYSTEM:
            r.problem(
                r.line_of(raw, name),
                key,
                f"{ECOSYSTEM!r} is reserved (it means the best baseline); choose another name",
            )
            continue
        s = r.section(spec, r.line_of(raw, name), key, BASELINE)
        if s is None:
            continue
        if sum(k in s for k in BASELINE.exactly_one) != 1:
            r.problem(
                s.line,
                key,
                "give exactly one of results: (a results.json with per-item "
                "scores) or scores: ({benchmark: {score, n}})",
            )
            continue
        results = r.path(s, "results", key)
        if results is not None and not results.is_file():
            r.problem(r.line_of(s, "results"), f"{key}.results", f"file not found: {results}")
            continue
        baselines[name] = BaselineSpec(
            name,
            results,
            _read_scores(r, s, key),
            r.value(s, BASELINE["source"], key),
            _read_tasks(r, s, key),
            metric=r.value(s, BASELINE["metric"], key),
            filter=r.value(s, BASELINE["filter"], key),
            inspect_scorer=r.value(s, BASELINE["inspect_scorer"], key),
            line=s.line,
            results_line=r.line_of(s, "results") or 0,
        )
    return baselines
