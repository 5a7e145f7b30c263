"""Gate files, schema version 1 (DESIGN §3): parse, validate, and build typed specs.

Pure: no pytest import, no network. Every problem is reported with the file,
the line and the dotted key, plus what would be valid; all problems of a file
are reported at once. Names of providers, scorers, formats and ladders come
from the caller (the plugin's registries) so extensions validate like built-ins.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate.config.ladders import DECISIONS, INCONCLUSIVE_POLICIES, Ladder
from pytest_modelgate.config.source import (
    LineDict,
    LineList,
    YAMLSourceError,
    expand_env,
    load_yaml,
)

SCHEMA_VERSION = 1
ECOSYSTEM = "ecosystem"
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


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
    confidence: float = 0.95
    decision: str = "interval"
    inconclusive: str = "fail"
    budget: Mapping[str, float] = field(default_factory=dict)  # for the whole run
    sampling: str = "fixed"  # or "sequential": stop once every threshold is decided
    multiplicity: str = "none"  # or "holm": crossed claims of a gate file survive Holm


@dataclass(frozen=True)
class ModelSpec:
    name: str
    provider: str
    model: str | None = None
    base_url: str | None = None
    replicas: tuple[str, ...] = ()  # more base URLs serving the same model (base_url: [a, b])
    api_key_env: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 3
    deadline_s: float | None = None  # one answer's whole time, retries included
    scores: Mapping[str, AggregateScore] = field(default_factory=dict)
    results: Path | None = (
        None  # static: scores imported from a results file (ours, Inspect, lm-eval)
    )
    tasks: Mapping[str, str] = field(default_factory=dict)  # benchmark -> task name in that file
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
    line: int = 0
    results_line: int = 0


@dataclass(frozen=True)
class ThresholdSpec:
    """A risk threshold (``above:``) or a floor (``at_least:``)."""

    id: str
    kind: str  # "risk" | "floor"
    reference: float | str  # a number, "ecosystem" or a baseline name
    margin: float = 0.0
    tier: str | None = None  # risk thresholds only
    line: int = 0
    key: str = ""  # dotted path, for messages


@dataclass(frozen=True)
class JudgeSpec:
    """A model that grades answers (``scorer: judge``, ``refusal``, ``format: honesty``)."""

    model: str  # a models: entry
    rubric: str | None = None  # template; None: the scorer's own
    regrade: int = 0  # items graded twice to report the judge's agreement with itself
    regrade_model: str | None = None  # a second judge for the regrade; None: same, next seed
    line: int = 0


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    domain: str
    dataset: Path | None
    format: str
    scorer: str
    limit: int | None = None
    epochs: int = 1
    higher_is_safer: bool = False
    max_error_rate: float = 0.0  # share of items that may go unanswered (then excluded)
    budget: Mapping[str, float] = field(default_factory=dict)
    sampling: str | None = None  # None: the policy's
    params: Mapping[str, Any] = field(default_factory=dict)  # over the model's, for this one
    metric: str = "mean"  # or "pass_at_k": unbiased pass@k per item over its epochs
    k: int | None = None
    solver: str | None = None  # None: the format's own (generate for most)
    judge: JudgeSpec | None = None
    agent: Mapping[str, float] = field(default_factory=dict)  # ReAct loop limits
    sandbox: Mapping[str, float] = field(default_factory=dict)  # code execution limits
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


_MISSING = object()


class _Reader:
    """Walks the parsed YAML, converting values and recording problems."""

    def __init__(self, base: Path, environ: Mapping[str, str] | None) -> None:
        self.base = base
        self.environ = environ
        self.problems: list[Problem] = []

    def problem(self, line: int | None, key: str, message: str) -> None:
        self.problems.append(Problem(line, key, message))

    @staticmethod
    def line_of(container: Any, key: Any) -> int | None:
        if isinstance(container, LineDict):
            return container.key_lines.get(key, container.line)
        if isinstance(container, LineList) and isinstance(key, int):
            return container.item_lines[key]
        return None

    def mapping(
        self,
        value: Any,
        line: int | None,
        key: str,
        allowed: Collection[str],
        required: Collection[str] = (),
    ) -> LineDict | None:
        if not isinstance(value, dict):
            self.problem(line, key, f"expected a mapping, got {_kind(value)}")
            return None
        for name in value:
            if name not in allowed:
                hint = _UNKNOWN_KEY_HINTS.get(name, f"valid keys: {', '.join(sorted(allowed))}")
                self.problem(self.line_of(value, name), _join(key, name), f"unknown key; {hint}")
        for name in required:
            if name not in value:
                self.problem(
                    getattr(value, "line", line), _join(key, name), "required key is missing"
                )
        return value  # type: ignore[return-value]

    def get(
        self,
        m: LineDict,
        name: str,
        key: str,
        kind: str,
        default: Any = _MISSING,
        choices: Collection[str] | None = None,
    ) -> Any:
        """Typed read of ``m[name]``; records a problem and returns ``default`` when invalid."""
        if name not in m:
            return None if default is _MISSING else default
        value, line, full = m[name], self.line_of(m, name), _join(key, name)
        if isinstance(value, str):
            try:
                value = expand_env(value, self.environ)
            except KeyError as missing:
                self.problem(
                    line,
                    full,
                    f"environment variable ${{{missing.args[0]}}} is not set "
                    "and has no default; write ${VAR:-default} or set it",
                )
                return None if default is _MISSING else default
        ok = {
            "str": isinstance(value, str) and value != "",
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value),
            "mapping": isinstance(value, dict),
        }[kind]
        if not ok:
            self.problem(line, full, f"expected {_KIND_WORDS[kind]}, got {_kind(value)}")
            return None if default is _MISSING else default
        if choices is not None and value not in choices:
            self.problem(
                line, full, f"{value!r} is not valid; valid: {', '.join(map(str, choices))}"
            )
            return None if default is _MISSING else default
        return value

    def path(self, m: LineDict, name: str, key: str) -> Path | None:
        value = self.get(m, name, key, "str")
        return (self.base / value) if value else None


_KIND_WORDS = {
    "str": "a non-empty string",
    "bool": "true or false",
    "int": "an integer",
    "number": "a number",
    "mapping": "a mapping",
}
_UNKNOWN_KEY_HINTS = {
    "api_key": "never write a key in a gate file: put it in an environment variable "
    "and name the variable in api_key_env",
}

_TOP_KEYS = ("version", "description", "policy", "models", "baselines", "domains")
_POLICY_KEYS = (
    "ladder",
    "allowed",
    "confidence",
    "decision",
    "inconclusive",
    "sampling",
    "multiplicity",
    "budget",
)
SAMPLING_MODES = ("fixed", "sequential")
MULTIPLICITY = ("none", "holm")
_MODEL_KEYS = (
    "provider",
    "model",
    "base_url",
    "api_key_env",
    "params",
    "concurrency",
    "timeout_s",
    "max_retries",
    "deadline_s",
    "rate_limit",
    "prices",
    "scores",
    "results",
    "tasks",
    "options",
)
# Small mappings of positive numbers: key -> (must be an integer, may be zero)
_BUDGET_KEYS = {"max_calls": (True, False), "max_tokens": (True, False), "max_cost": (False, False)}
_RATE_LIMIT_KEYS = {"requests_per_minute": (False, False), "tokens_per_minute": (False, False)}
_PRICE_KEYS = {"input_per_mtok": (False, True), "output_per_mtok": (False, True)}
_BASELINE_KEYS = ("results", "scores", "source", "tasks")
_BENCHMARK_KEYS = (
    "dataset",
    "format",
    "scorer",
    "limit",
    "epochs",
    "higher_is_safer",
    "max_error_rate",
    "budget",
    "sampling",
    "params",
    "metric",
    "k",
    "solver",
    "judge",
    "agent",
    "sandbox",
    "description",
    "thresholds",
    "floors",
)
METRICS = ("mean", "pass_at_k")
_JUDGE_KEYS = ("model", "rubric", "regrade", "regrade_model")
RUBRIC_FIELDS = ("question", "answer", "target", "proposition")
_AGENT_KEYS = {"max_turns": (True, False), "observation_chars": (True, False)}
_SANDBOX_KEYS = {
    "timeout_s": (False, False),
    "cpu_s": (False, False),
    "memory_mb": (True, False),
    "max_processes": (True, False),
    "max_file_mb": (True, False),
}
_THRESHOLD_KEYS = ("id", "above", "margin", "tier")
_FLOOR_KEYS = ("id", "at_least", "margin")


def _join(prefix: str, name: Any) -> str:
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else str(name)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        LineDict: "a mapping",
        list: "a list",
        LineList: "a list",
        str: f"the string {value!r}",
        bool: f"{value}".lower(),
    }.get(type(value), repr(value))


def parse_gate_file(
    path: Path, vocabulary: Vocabulary, environ: Mapping[str, str] | None = None
) -> GateFile:
    """Parse and validate one gate file; raise ``GateFileError`` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GateFileError(path, [Problem(None, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise GateFileError(path, [Problem(None, "", "not UTF-8 text; save it as UTF-8")]) from None
    try:
        data = load_yaml(text)
    except YAMLSourceError as exc:
        raise GateFileError(path, [Problem(exc.line, "", exc.message)]) from None
    reader = _Reader(path.parent, environ)
    _report_duplicates(reader, data, "")
    gate = _read_gate(reader, path, data, vocabulary)
    if reader.problems or gate is None:
        raise GateFileError(path, reader.problems or [Problem(None, "", "empty gate file")])
    return gate


def _report_duplicates(r: _Reader, value: Any, key: str) -> None:
    if isinstance(value, LineDict):
        for name, line, first in value.duplicates:
            r.problem(
                line,
                _join(key, name),
                f"duplicate key (first on line {first}); "
                "the second would silently replace the first",
            )
        for name, child in value.items():
            _report_duplicates(r, child, _join(key, name))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _report_duplicates(r, child, _join(key, i))


def _read_gate(r: _Reader, path: Path, data: Any, vocab: Vocabulary) -> GateFile | None:
    top = r.mapping(data, 1, "", _TOP_KEYS, required=("version", "policy", "models", "domains"))
    if top is None:
        return None
    version = top.get("version")
    if "version" in top and (isinstance(version, bool) or version != SCHEMA_VERSION):
        r.problem(
            r.line_of(top, "version"),
            "version",
            f"unsupported schema version {top['version']!r}; valid: {SCHEMA_VERSION}",
        )
    if not all(k in top for k in ("policy", "models", "domains")):
        return None  # reported as missing required keys; the rest would only repeat it
    if not _names_are_strings(r, top):
        return None
    policy = _read_policy(r, top["policy"], r.line_of(top, "policy"), vocab)
    models = _read_models(r, top["models"], r.line_of(top, "models"), vocab)
    raw_baselines = top.get("baselines", LineDict())
    baselines = _read_baselines(r, raw_baselines, r.line_of(top, "baselines"))
    declared = set(raw_baselines) if isinstance(raw_baselines, dict) else set()
    domains = _read_domains(r, top["domains"], r.line_of(top, "domains"), vocab, policy, declared)
    if policy is None or models is None or domains is None:
        return None
    return GateFile(
        path,
        policy,
        models,
        baselines,
        domains,
        description=r.get(top, "description", "", "str"),
        models_line=r.line_of(top, "models") or 0,
    )


def _names_are_strings(r: _Reader, top: LineDict) -> bool:
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


def _read_policy(r: _Reader, raw: Any, line: int | None, vocab: Vocabulary) -> Policy | None:
    m = r.mapping(raw, line, "policy", _POLICY_KEYS, required=("ladder", "allowed"))
    if m is None or "ladder" not in m:
        return None
    ladder = _read_ladder(r, m, vocab)
    allowed = r.get(m, "allowed", "policy", "str")
    confidence = r.get(m, "confidence", "policy", "number", 0.95)
    if confidence is not None and not 0 < confidence < 1:
        r.problem(
            r.line_of(m, "confidence"),
            "policy.confidence",
            f"{confidence} is outside (0, 1); e.g. 0.95",
        )
    decision = r.get(m, "decision", "policy", "str", "interval", DECISIONS)
    inconclusive = r.get(m, "inconclusive", "policy", "str", "fail", INCONCLUSIVE_POLICIES)
    if ladder is None or allowed is None:
        return None
    if allowed not in ladder.tiers:
        r.problem(
            r.line_of(m, "allowed"),
            "policy.allowed",
            f"{allowed!r} is not a tier of ladder {ladder.name}; valid: {', '.join(ladder.tiers)}",
        )
        return None
    budget = _read_amounts(r, m, "budget", "policy", _BUDGET_KEYS)
    sampling = r.get(m, "sampling", "policy", "str", "fixed", SAMPLING_MODES)
    multiplicity = r.get(m, "multiplicity", "policy", "str", "none", MULTIPLICITY)
    return Policy(
        ladder,
        allowed,
        confidence,
        decision,
        inconclusive,
        budget,
        sampling or "fixed",
        multiplicity or "none",
    )


def _read_ladder(r: _Reader, m: LineDict, vocab: Vocabulary) -> Ladder | None:
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
    r: _Reader, raw: Any, line: int | None, vocab: Vocabulary
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
        s = r.mapping(spec, r.line_of(m, name), key, _MODEL_KEYS, required=("provider",))
        if s is None or "provider" not in s:
            continue
        provider = r.get(s, "provider", key, "str", choices=sorted(vocab.providers))
        api_key_env = r.get(s, "api_key_env", key, "str")
        if api_key_env is not None and not _ENV_NAME.match(api_key_env):
            r.problem(
                r.line_of(s, "api_key_env"),
                f"{key}.api_key_env",
                "must be the NAME of an environment variable (upper case, e.g. "
                "OPENAI_API_KEY), never the key itself",
            )
            api_key_env = None
        concurrency = r.get(s, "concurrency", key, "int", 8)
        if concurrency is not None and concurrency < 1:
            r.problem(r.line_of(s, "concurrency"), f"{key}.concurrency", "must be at least 1")
        timeout_s = r.get(s, "timeout_s", key, "number", 60.0)
        if timeout_s is not None and timeout_s <= 0:
            r.problem(r.line_of(s, "timeout_s"), f"{key}.timeout_s", "must be positive")
        max_retries = r.get(s, "max_retries", key, "int", 3)
        if max_retries is not None and max_retries < 0:
            r.problem(r.line_of(s, "max_retries"), f"{key}.max_retries", "must be 0 or more")
        deadline_s = r.get(s, "deadline_s", key, "number")
        if deadline_s is not None and deadline_s <= 0:
            r.problem(r.line_of(s, "deadline_s"), f"{key}.deadline_s", "must be positive")
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
        elif results is not None and "scores" in s:
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
            model=r.get(s, "model", key, "str"),
            base_url=urls[0] if urls else None,
            replicas=tuple(urls[1:]),
            api_key_env=api_key_env,
            params=_expand_tree(
                r, r.get(s, "params", key, "mapping", {}), f"{key}.params", r.line_of(s, "params")
            ),
            concurrency=concurrency or 8,
            timeout_s=timeout_s or 60.0,
            max_retries=3 if max_retries is None else max_retries,
            deadline_s=deadline_s if deadline_s and deadline_s > 0 else None,
            scores=_read_scores(r, s, key),
            results=results,
            tasks=_read_tasks(r, s, key),
            options=r.get(s, "options", key, "mapping", {}),
            rate_limit=_read_amounts(r, s, "rate_limit", key, _RATE_LIMIT_KEYS),
            prices=_read_amounts(r, s, "prices", key, _PRICE_KEYS),
            line=r.line_of(m, name) or 0,
            scores_line=r.line_of(s, "scores") or 0,
            results_line=r.line_of(s, "results") or 0,
        )
    return models


def _expand_tree(r: _Reader, value: Any, key: str, line: int | None) -> Any:
    """Expand ${VAR} in nested string values (e.g. params) and drop line bookkeeping."""
    if isinstance(value, dict):
        return {k: _expand_tree(r, v, _join(key, k), r.line_of(value, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_tree(r, v, _join(key, i), r.line_of(value, i)) for i, v in enumerate(value)]
    if isinstance(value, str):
        try:
            return expand_env(value, r.environ)
        except KeyError as missing:
            r.problem(
                line,
                key,
                f"environment variable ${{{missing.args[0]}}} is not set "
                "and has no default; write ${VAR:-default} or set it",
            )
    return value


def _read_urls(r: _Reader, s: LineDict, key: str) -> list[str]:
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
        return [
            _expand_tree(r, u, f"{key}.base_url[{i}]", r.line_of(raw, i)) for i, u in enumerate(raw)
        ]
    url = r.get(s, "base_url", key, "str")
    return [url] if url else []


def _read_amounts(
    r: _Reader, parent: LineDict, name: str, key: str, allowed: Mapping[str, tuple[bool, bool]]
) -> dict[str, float]:
    """A mapping of positive numbers such as ``budget: {max_calls: 5000, max_cost: 20}``."""
    raw = r.get(parent, name, key, "mapping")
    if not raw:
        return {}
    mkey = f"{key}.{name}"
    m = r.mapping(raw, r.line_of(parent, name), mkey, tuple(allowed))
    out = {}
    for field_name, (integer, zero_ok) in allowed.items():
        value = r.get(m, field_name, mkey, "int" if integer else "number") if m else None
        if value is None:
            continue
        if value < 0 or (value == 0 and not zero_ok):
            r.problem(
                r.line_of(m, field_name),
                f"{mkey}.{field_name}",
                f"{value} must be {'0 or more' if zero_ok else 'positive'}",
            )
            continue
        out[field_name] = value
    return out


def _read_scores(r: _Reader, parent: LineDict, key: str) -> dict[str, AggregateScore]:
    raw = r.get(parent, "scores", key, "mapping", {})
    scores = {}
    for bench, entry in raw.items():
        bkey = f"{key}.scores.{bench}"
        e = r.mapping(entry, r.line_of(raw, bench), bkey, ("score", "n"), required=("score", "n"))
        if e is None:
            continue
        score = r.get(e, "score", bkey, "number")
        n = r.get(e, "n", bkey, "int")
        if score is not None and not 0 <= score <= 1:
            r.problem(
                r.line_of(e, "score"),
                f"{bkey}.score",
                f"{score} is outside [0, 1]; write proportions (0.705, not 70.5)",
            )
            continue
        if n is not None and n < 1:
            r.problem(r.line_of(e, "n"), f"{bkey}.n", "must be at least 1")
            continue
        if score is not None and n is not None:
            scores[bench] = AggregateScore(float(score), n)
    return scores


def _read_tasks(r: _Reader, parent: LineDict, key: str) -> dict[str, str]:
    """``tasks: {benchmark: task}``: where an imported file names a benchmark differently."""
    raw = r.get(parent, "tasks", key, "mapping", {})
    tasks = {}
    for bench in raw:
        task = r.get(raw, bench, f"{key}.tasks", "str")
        if task is not None:
            tasks[str(bench)] = task
    return tasks


def _read_baselines(r: _Reader, raw: Any, line: int | None) -> dict[str, BaselineSpec]:
    if not isinstance(raw, dict):
        r.problem(line, "baselines", f"expected a mapping of baseline names, got {_kind(raw)}")
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
        s = r.mapping(spec, r.line_of(raw, name), key, _BASELINE_KEYS)
        if s is None:
            continue
        if ("results" in s) == ("scores" in s):
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
            r.get(s, "source", key, "str"),
            _read_tasks(r, s, key),
            line=s.line,
            results_line=r.line_of(s, "results") or 0,
        )
    return baselines


def _read_domains(
    r: _Reader,
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
    domains, seen = [], {}
    for dname, draw in raw.items():
        dkey = f"domains.{dname}"
        d = r.mapping(
            draw,
            r.line_of(raw, dname),
            dkey,
            ("benchmarks", "description"),
            required=("benchmarks",),
        )
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
    r: _Reader,
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
    needs = ("format", "scorer") if isinstance(raw, dict) and "dataset" in raw else ()
    b = r.mapping(raw, line, key, _BENCHMARK_KEYS, required=needs)
    if b is None:
        return None
    dataset = r.path(b, "dataset", key)
    if dataset is not None and not dataset.is_file():
        r.problem(r.line_of(b, "dataset"), f"{key}.dataset", f"file not found: {dataset}")
    limit = r.get(b, "limit", key, "int")
    if limit is not None and limit < 1:
        r.problem(r.line_of(b, "limit"), f"{key}.limit", "must be at least 1")
    epochs = r.get(b, "epochs", key, "int", 1)
    if epochs is not None and epochs < 1:
        r.problem(r.line_of(b, "epochs"), f"{key}.epochs", "must be at least 1")
    max_error_rate = r.get(b, "max_error_rate", key, "number", 0.0)
    if max_error_rate is not None and not 0 <= max_error_rate < 1:
        r.problem(
            r.line_of(b, "max_error_rate"),
            f"{key}.max_error_rate",
            f"{max_error_rate} is outside [0, 1); e.g. 0.02 tolerates 2% unanswerable items",
        )
    metric = r.get(b, "metric", key, "str", "mean", METRICS) or "mean"
    k = r.get(b, "k", key, "int")
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
        format=r.get(b, "format", key, "str", "mcq", sorted(vocab.formats)),
        scorer=r.get(b, "scorer", key, "str", "choice", _scorer_choices(b, vocab)),
        limit=limit,
        epochs=epochs or 1,
        higher_is_safer=r.get(b, "higher_is_safer", key, "bool", False),
        max_error_rate=float(max_error_rate or 0.0),
        budget=_read_amounts(r, b, "budget", key, _BUDGET_KEYS),
        sampling=r.get(b, "sampling", key, "str", None, SAMPLING_MODES),
        params=_expand_tree(
            r, r.get(b, "params", key, "mapping", {}), f"{key}.params", r.line_of(b, "params")
        ),
        metric=metric,
        k=k,
        solver=r.get(b, "solver", key, "str", None, sorted(vocab.solvers)),
        judge=_read_judge(r, b, key),
        agent=_read_amounts(r, b, "agent", key, _AGENT_KEYS),
        sandbox=_read_amounts(r, b, "sandbox", key, _SANDBOX_KEYS),
        description=r.get(b, "description", key, "str"),
        thresholds=thresholds,
        floors=floors,
        line=line or 0,
        dataset_line=r.line_of(b, "dataset") or 0,
        scorer_line=r.line_of(b, "scorer") or 0,
    )


def _read_judge(r: _Reader, b: LineDict, key: str) -> JudgeSpec | None:
    if "judge" not in b:
        return None
    jkey = f"{key}.judge"
    j = r.mapping(b["judge"], r.line_of(b, "judge"), jkey, _JUDGE_KEYS, required=("model",))
    if j is None or "model" not in j:
        return None
    rubric = r.get(j, "rubric", jkey, "str")
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
    regrade = r.get(j, "regrade", jkey, "int", 0)
    if regrade is not None and regrade < 0:
        r.problem(r.line_of(j, "regrade"), f"{jkey}.regrade", "must be 0 or more")
    model = r.get(j, "model", jkey, "str")
    if model is None:
        return None
    return JudgeSpec(
        model,
        rubric,
        max(regrade or 0, 0),
        r.get(j, "regrade_model", jkey, "str"),
        line=r.line_of(b, "judge") or 0,
    )


def _scorer_choices(b: LineDict, vocab: Vocabulary) -> Collection[str] | None:
    # "package.module:function" names a scorer by import path; it is resolved at run time.
    scorer = b.get("scorer")
    return None if isinstance(scorer, str) and ":" in scorer else sorted(vocab.scorers)


def _read_limits(
    r: _Reader,
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
    if not isinstance(raw, list):
        r.problem(r.line_of(b, which), key, f"expected a list, got {_kind(raw)}")
        return ()
    risk = which == "thresholds"
    ref_key = "above" if risk else "at_least"
    out = []
    for i, entry in enumerate(raw):
        ikey = _join(key, i)
        e = r.mapping(
            entry,
            raw.item_lines[i],
            ikey,
            _THRESHOLD_KEYS if risk else _FLOOR_KEYS,
            required=(ref_key, "tier") if risk else (ref_key,),
        )
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
                f"expected a number, '{ECOSYSTEM}' or a baseline name, got {_kind(ref)}",
            )
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
        margin = r.get(e, "margin", ikey, "number", 0.0)
        if margin is not None and margin < 0:
            r.problem(
                r.line_of(e, "margin"),
                f"{ikey}.margin",
                f"{margin} is negative; a margin is a tolerance >= 0",
            )
            continue
        tier = r.get(e, "tier", ikey, "str") if risk else None
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
        tid = r.get(e, "id", ikey, "str") or _default_id(ref_key, ref)
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
