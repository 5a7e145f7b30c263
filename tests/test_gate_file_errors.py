"""Invalid gate files (DESIGN §3, §4): a collection error, exit code 2, that names the file,
the line and the dotted key, and what would be valid; never a traceback, never a silent default.

Every malformation is one small valid gate, ``BASE``, with a few text edits, so each case reads
as "these lines, written wrong, give this message at this line and key". The cases of a table
are written side by side as ``<case>.gate.yaml`` into one project and collected by one
``pytest --modelgate`` session, as a user's repository with several gate files would be; each
case then checks its own file's error. One session per table keeps the file at a few seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import mcq_rows, write_jsonl

GATE = "release.gate.yaml"

# The line numbers in every case refer to this text; keep it stable.
BASE = """\
version: 1
policy:
  ladder: meta-frontier
  allowed: moderate
  confidence: 0.95
models:
  candidate:
    provider: openai
    base_url: http://127.0.0.1:9/v1
    model: toy
    api_key_env: OPENAI_API_KEY
    concurrency: 2
baselines:
  peer:
    scores:
      cyber-mcq: {score: 0.5, n: 100}
domains:
  cybersecurity:
    benchmarks:
      cyber-mcq:
        dataset: data/cyber.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - above: ecosystem
            margin: 0.02
            tier: high
          - above: 0.85
            tier: critical
"""

# Blocks of BASE that cases replace whole.
MODEL_BODY = """\
    provider: openai
    base_url: http://127.0.0.1:9/v1
    model: toy
    api_key_env: OPENAI_API_KEY
    concurrency: 2
"""
STATIC_BODY = """\
    provider: static
    scores:
      cyber-mcq: {score: 0.62, n: 200}
"""
PEER_SCORES = """\
    scores:
      cyber-mcq: {score: 0.5, n: 100}
"""
THRESHOLDS = """\
        thresholds:
          - above: ecosystem
            margin: 0.02
            tier: high
          - above: 0.85
            tier: critical
"""
FIRST_THRESHOLD = """\
          - above: ecosystem
            margin: 0.02
            tier: high
"""
DOMAINS = BASE[BASE.index("domains:") :]
SECOND_DOMAIN = """\
  capability:
    benchmarks:
      cyber-mcq:
        dataset: data/cyber.jsonl
        format: mcq
        scorer: choice
        floors:
          - at_least: 0.1
"""

MODEL = "models.candidate"
BENCH = "domains.cybersecurity.benchmarks.cyber-mcq"
T0, T1 = f"{BENCH}.thresholds[0]", f"{BENCH}.thresholds[1]"
UNSET = "MODELGATE_TEST_SURELY_UNSET"
# A frame of our own package as pytest renders it: ".../pytest_modelgate/engine.py:142: in load".
OWN_FRAME = re.compile(r"pytest_modelgate[/\\][\w/\\]*\.py:\d+")
SECTION = re.compile(r"^_+ ERROR collecting (\S+) _+$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """Edits to ``BASE`` (and files beside it) and the problem expected at ``line``/``key``."""

    edits: tuple[tuple[str, str], ...]
    line: int
    key: str | None
    hint: str
    files: Mapping[str, str | bytes] = field(default_factory=dict)


def case(
    *edits: tuple[str, str],
    line: int,
    key: str | None,
    hint: str,
    files: Mapping[str, str | bytes] | None = None,
) -> Case:
    return Case(edits, line, key, hint, files or {})


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def variant(edits: tuple[tuple[str, str], ...], text: str = BASE) -> str:
    for old, new in edits:
        text = edit(old, new, text)
    return text


def at(line: int, key: str | None, gate: str = GATE) -> str:
    """How a problem's location is rendered: ``<gate>:LINE: KEY: ``."""
    return f"{gate}:{line}: {key}: " if key else f"{gate}:{line}: "


def assert_no_traceback(out: str) -> None:
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    frame = OWN_FRAME.search(out)
    assert frame is None, f"a frame of the package in the output ({frame.group(0)}):\n{out}"


def assert_problem(out: str, line: int, key: str | None, hint: str, gate: str = GATE) -> None:
    """Some problem line of ``out`` is at ``line``/``key`` and contains ``hint``."""
    where = at(line, key, gate)
    found = [text for text in out.splitlines() if where in text]
    assert found, f"no problem reported at {where!r}:\n{out}"
    assert any(hint in text for text in found), f"{hint!r} not said at {where!r}:\n{out}"


_SESSIONS: dict[int, dict[str, str]] = {}


def table_errors(pytester: pytest.Pytester, table: Mapping[str, Case]) -> dict[str, str]:
    """Each case of ``table`` as ``<name>.gate.yaml``, collected by one session (run once per
    table and remembered); returns each file's collection-error section."""
    if id(table) not in _SESSIONS:
        for name, c in table.items():
            (pytester.path / f"{name}.gate.yaml").write_text(variant(c.edits))
            for relpath, content in c.files.items():
                path = pytester.path / relpath
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content if isinstance(content, bytes) else content.encode())
        result = pytester.runpytest("--modelgate")
        out = result.stdout.str() + result.stderr.str()
        assert result.ret == 2, out
        parts = SECTION.split(out)
        _SESSIONS[id(table)] = dict(zip(parts[1::2], parts[2::2], strict=True))
    return _SESSIONS[id(table)]


def check(pytester: pytest.Pytester, table: Mapping[str, Case], name: str) -> str:
    """Case ``name`` of ``table`` is a clean collection error with its expected problem."""
    c, gate = table[name], f"{name}.gate.yaml"
    sections = table_errors(pytester, table)
    assert gate in sections, (
        f"{gate} collected without an error; expected a problem at "
        f"{at(c.line, c.key, gate)!r}\n{variant(c.edits)}"
    )
    section = sections[gate]
    assert_no_traceback(section)
    assert "invalid gate file:" in section, section
    assert_problem(section, c.line, c.key, c.hint, gate)
    return section


def collection_error(pytester: pytest.Pytester, text: str, *args: str) -> str:
    """Write ``text`` as the one gate file, run ``pytest --modelgate``, expect exit code 2."""
    (pytester.path / GATE).write_text(text)
    result = pytester.runpytest("--modelgate", *args)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, out
    assert_no_traceback(out)
    assert "invalid gate file" in out
    return out


@pytest.fixture(autouse=True)
def dataset(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The dataset ``BASE`` names; ``UNSET`` is guaranteed unset."""
    monkeypatch.delenv(UNSET, raising=False)
    return write_jsonl(pytester.path / "data" / "cyber.jsonl", mcq_rows(8, 4))


def test_base_gate_is_valid(pytester: pytest.Pytester) -> None:
    """The base every case derives from collects: each case's error comes from its edits alone."""
    (pytester.path / GATE).write_text(BASE)
    result = pytester.runpytest("--modelgate", "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            f"{GATE}::cybersecurity::cyber-mcq::above-ecosystem[[]candidate[]]",
            f"{GATE}::cybersecurity::cyber-mcq::above-0.85[[]candidate[]]",
            f"{GATE}::cybersecurity[[]candidate[]]",
        ]
    )


# --- the document: YAML, top level, version -------------------------------------------------

DOCUMENT = {
    "yaml-syntax": case(
        ("    model: toy\n", "    model: toy: x\n"),
        line=10,
        key=None,
        hint="invalid YAML: mapping values are not allowed here",
    ),
    "yaml-tab-indent": case(
        ("    model: toy\n", "\tmodel: toy\n"), line=10, key=None, hint="invalid YAML"
    ),
    "yaml-unhashable-key": case(
        ("  confidence: 0.95", "  ? [a, b]\n  : 1"), line=5, key=None, hint="invalid YAML"
    ),
    "empty-file": case((BASE, ""), line=1, key=None, hint="expected a mapping, got nothing"),
    "top-level-list": case(
        (BASE, "- version: 1\n- policy: {}\n"),
        line=1,
        key=None,
        hint="expected a mapping, got a list",
    ),
    "version-missing": case(
        ("version: 1\n", ""), line=1, key="version", hint="required key is missing"
    ),
    "version-2": case(
        ("version: 1", "version: 2"),
        line=1,
        key="version",
        hint="unsupported schema version 2; valid: 1",
    ),
    "version-string": case(
        ("version: 1", "version: '1'"),
        line=1,
        key="version",
        hint="unsupported schema version '1'; valid: 1",
    ),
    "version-true": case(
        ("version: 1", "version: true"), line=1, key="version", hint="unsupported schema version"
    ),
    "unknown-top-level-key": case(
        (BASE, BASE + "thresholds: []\n"),
        line=30,
        key="thresholds",
        hint="unknown key; valid keys: baselines, description, domains, models, policy, version",
    ),
    "duplicate-yaml-key": case(
        ("  confidence: 0.95", "  ladder: gdm-fsf"),
        line=5,
        key="policy.ladder",
        hint="duplicate key",
    ),
}


@pytest.mark.parametrize("name", DOCUMENT)
def test_document_errors(pytester: pytest.Pytester, name: str) -> None:
    """YAML that does not parse, or a document that is not a version-1 gate file."""
    section = check(pytester, DOCUMENT, name)
    if name == "duplicate-yaml-key":
        assert "first on line 3" in section


def test_gate_file_that_is_not_utf8(pytester: pytest.Pytester) -> None:
    """A gate file in another encoding is reported, not a UnicodeDecodeError traceback."""
    (pytester.path / GATE).write_bytes(edit("model: toy", "model: caf\xe9").encode("latin-1"))
    result = pytester.runpytest("--modelgate")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 2, out
    assert_no_traceback(out)
    assert "invalid gate file" in out and "utf-8" in out.lower()


# --- policy ---------------------------------------------------------------------------------

POLICY = {
    "unknown-ladder": case(
        ("ladder: meta-frontier", "ladder: nist"),
        line=3,
        key="policy.ladder",
        hint="unknown ladder 'nist'; valid: meta-frontier, "
        "openai-preparedness, anthropic-asl, gdm-fsf, or an inline "
        "list of tiers, lowest first",
    ),
    "inline-ladder-one-tier": case(
        ("ladder: meta-frontier", "ladder: [moderate]"),
        line=3,
        key="policy.ladder",
        hint="an inline ladder is a list of at least two distinct tier names, lowest first",
    ),
    "inline-ladder-duplicate-tiers": case(
        ("ladder: meta-frontier", "ladder: [moderate, high, high]"),
        line=3,
        key="policy.ladder",
        hint="an inline ladder is a list of at least two distinct tier names",
    ),
    "allowed-not-in-ladder": case(
        ("allowed: moderate", "allowed: severe"),
        line=4,
        key="policy.allowed",
        hint="'severe' is not a tier of ladder meta-frontier; valid: moderate, high, critical",
    ),
    "allowed-not-in-inline-ladder": case(
        ("ladder: meta-frontier", "ladder: [low, high, critical]"),
        ("allowed: moderate", "allowed: medium"),
        line=4,
        key="policy.allowed",
        hint="'medium' is not a tier of ladder inline; valid: low, high, critical",
    ),
    "allowed-missing": case(
        ("  allowed: moderate\n", ""), line=3, key="policy.allowed", hint="required key is missing"
    ),
    "confidence-1.5": case(
        ("confidence: 0.95", "confidence: 1.5"),
        line=5,
        key="policy.confidence",
        hint="1.5 is outside (0, 1); e.g. 0.95",
    ),
    "confidence-0": case(
        ("confidence: 0.95", "confidence: 0"),
        line=5,
        key="policy.confidence",
        hint="0 is outside (0, 1)",
    ),
    "confidence-string": case(
        ("confidence: 0.95", "confidence: high"),
        line=5,
        key="policy.confidence",
        hint="expected a number, got the string 'high'",
    ),
    "decision-bogus": case(
        ("confidence: 0.95", "decision: bogus"),
        line=5,
        key="policy.decision",
        hint="'bogus' is not valid; valid: interval, point",
    ),
    "inconclusive-maybe": case(
        ("confidence: 0.95", "inconclusive: maybe"),
        line=5,
        key="policy.inconclusive",
        hint="'maybe' is not valid; valid: fail, warn, pass",
    ),
    "policy-unknown-key": case(
        ("confidence: 0.95", "allow: high"),
        line=5,
        key="policy.allow",
        hint="unknown key; valid keys: allowed, budget, confidence, decision, inconclusive, ladder",
    ),
}


@pytest.mark.parametrize("name", POLICY)
def test_policy_errors(pytester: pytest.Pytester, name: str) -> None:
    """policy: ladder, allowed tier, confidence, decision and inconclusive rules."""
    check(pytester, POLICY, name)


# --- models ---------------------------------------------------------------------------------

MODELS = {
    "models-empty": case(
        ("models:\n  candidate:\n" + MODEL_BODY, "models: {}\n"),
        line=6,
        key="models",
        hint="declare at least one model",
    ),
    "model-without-provider": case(
        ("    provider: openai\n", ""),
        line=8,
        key=f"{MODEL}.provider",
        hint="required key is missing",
    ),
    "unknown-provider": case(
        ("provider: openai", "provider: vllm"),
        line=8,
        key=f"{MODEL}.provider",
        hint="'vllm' is not valid; valid: anthropic, local, openai, python, replay, static",
    ),
    "concurrency-0": case(
        ("concurrency: 2", "concurrency: 0"),
        line=12,
        key=f"{MODEL}.concurrency",
        hint="must be at least 1",
    ),
    "concurrency-float": case(
        ("concurrency: 2", "concurrency: 2.5"),
        line=12,
        key=f"{MODEL}.concurrency",
        hint="expected an integer, got 2.5",
    ),
    "timeout-0": case(
        ("concurrency: 2", "timeout_s: 0"),
        line=12,
        key=f"{MODEL}.timeout_s",
        hint="must be positive",
    ),
    "max-retries-negative": case(
        ("concurrency: 2", "max_retries: -1"),
        line=12,
        key=f"{MODEL}.max_retries",
        hint="must be 0 or more",
    ),
    "model-unknown-key": case(
        ("concurrency: 2", "temperature: 0"),
        line=12,
        key=f"{MODEL}.temperature",
        hint="unknown key; valid keys: api_key_env, base_url, concurrency, deadline_s, "
        "filter, inspect_scorer, max_retries, metric, model, options, params, prices, provider, "
        "rate_limit, results, scores, tasks, timeout_s",
    ),
    "params-not-a-mapping": case(
        ("concurrency: 2", "params: [temperature, 0]"),
        line=12,
        key=f"{MODEL}.params",
        hint="expected a mapping, got a list",
    ),
    "unset-variable": case(
        ("base_url: http://127.0.0.1:9/v1", f"base_url: ${{{UNSET}}}/v1"),
        line=9,
        key=f"{MODEL}.base_url",
        hint=f"environment variable ${{{UNSET}}} is not set and has no "
        "default; write ${VAR:-default} or set it",
    ),
    "unset-variable-in-params": case(
        ("concurrency: 2", f"params: {{stop: '${{{UNSET}}}'}}"),
        line=12,
        key=f"{MODEL}.params.stop",
        hint=f"environment variable ${{{UNSET}}} is not set",
    ),
    "base-url-file-scheme": case(
        ("base_url: http://127.0.0.1:9/v1", "base_url: file:///etc/passwd"),
        line=9,
        key=f"{MODEL}.base_url",
        hint="a file:// URL is not an HTTP API; valid: http://… or https://…",
    ),
    "base-url-from-a-variable": case(
        ("base_url: http://127.0.0.1:9/v1", f"base_url: ${{{UNSET}:-ftp://mirror/v1}}"),
        line=9,
        key=f"{MODEL}.base_url",
        hint="a ftp:// URL is not an HTTP API; valid: http://… or https://…",
    ),
    "base-url-replica-scheme": case(
        (
            "base_url: http://127.0.0.1:9/v1",
            "base_url:\n      - http://127.0.0.1:9/v1\n      - gopher://127.0.0.1:70/v1",
        ),
        line=11,
        key=f"{MODEL}.base_url[1]",
        hint="a gopher:// URL is not an HTTP API; valid: http://… or https://…",
    ),
    "base-url-without-scheme": case(
        ("base_url: http://127.0.0.1:9/v1", "base_url: user:hunter2@127.0.0.1:9/v1"),
        line=9,
        key=f"{MODEL}.base_url",
        hint="'127.0.0.1:9' is not an HTTP API; valid: http://… or https://…",
    ),
    "static-without-a-score-for-a-benchmark": case(
        (MODEL_BODY, STATIC_BODY),
        ("cyber-mcq: {score: 0.62", "code-basic: {score: 0.62"),
        line=9,
        key=f"{MODEL}.scores",
        hint="the static model has no score for benchmark 'cyber-mcq'",
    ),
    "static-score-in-percent": case(
        (MODEL_BODY, STATIC_BODY),
        ("{score: 0.62, n: 200}", "{score: 70.5, n: 200}"),
        line=10,
        key=f"{MODEL}.scores.cyber-mcq.score",
        hint="70.5 is outside [0, 1]; write proportions (0.705, not 70.5)",
    ),
    "static-n-0": case(
        (MODEL_BODY, STATIC_BODY),
        ("{score: 0.62, n: 200}", "{score: 0.62, n: 0}"),
        line=10,
        key=f"{MODEL}.scores.cyber-mcq.n",
        hint="must be at least 1",
    ),
    "static-n-missing": case(
        (MODEL_BODY, STATIC_BODY),
        ("{score: 0.62, n: 200}", "{score: 0.62}"),
        line=10,
        key=f"{MODEL}.scores.cyber-mcq.n",
        hint="required key is missing",
    ),
}


@pytest.mark.parametrize("name", MODELS)
def test_model_errors(pytester: pytest.Pytester, name: str) -> None:
    """models: providers, connection settings, ${VAR} expansion and static scores."""
    section = check(pytester, MODELS, name)
    assert "hunter2" not in section


SECRETS = {
    "api-key-in-yaml": case(
        ("api_key_env: OPENAI_API_KEY", "api_key: sk-abc123"),
        line=11,
        key=f"{MODEL}.api_key",
        hint="unknown key; never write a key in a gate file: put it in an "
        "environment variable and name the variable in api_key_env",
    ),
    "api-key-env-holds-a-key": case(
        ("api_key_env: OPENAI_API_KEY", "api_key_env: sk-abc123"),
        line=11,
        key=f"{MODEL}.api_key_env",
        hint="must be the NAME of an environment variable (upper case, e.g. "
        "OPENAI_API_KEY), never the key itself",
    ),
}


@pytest.mark.parametrize("name", SECRETS)
def test_a_key_in_the_gate_file_is_refused_and_never_echoed(
    pytester: pytest.Pytester, name: str
) -> None:
    """A secret written into the gate file is an error that points at api_key_env."""
    section = check(pytester, SECRETS, name)
    assert "sk-abc123" not in section


def test_candidate_named_on_the_command_line_must_exist(pytester: pytest.Pytester) -> None:
    """--modelgate-model naming no models: entry is an error at models:, listing the valid ones."""
    out = collection_error(pytester, BASE, "--modelgate-model", "candidate,challenger")
    assert_problem(
        out, 6, "models", "no model named 'challenger' (--modelgate-model); valid: candidate"
    )


# --- baselines ------------------------------------------------------------------------------


def results_file(name: str, content: str, hint: str) -> Case:
    """Baseline ``peer`` read from ``baselines/<name>.json`` holding ``content``."""
    return case(
        (PEER_SCORES, f"    results: baselines/{name}.json\n"),
        line=15,
        key="baselines.peer.results",
        hint=f"{name}.json: {hint}",
        files={f"baselines/{name}.json": content},
    )


BASELINES = {
    "results-and-scores": case(
        (PEER_SCORES, "    results: peer.json\n" + PEER_SCORES),
        line=15,
        key="baselines.peer",
        hint="give exactly one of results: (a results.json with per-item "
        "scores) or scores: ({benchmark: {score, n}})",
    ),
    "neither-results-nor-scores": case(
        (PEER_SCORES, "    source: a paper\n"),
        line=15,
        key="baselines.peer",
        hint="give exactly one of results:",
    ),
    "baseline-named-ecosystem": case(
        ("  peer:\n", "  ecosystem:\n"),
        line=14,
        key="baselines.ecosystem",
        hint="'ecosystem' is reserved (it means the best baseline); choose another name",
    ),
    "published-score-in-percent": case(
        ("{score: 0.5, n: 100}", "{score: 70.5, n: 100}"),
        line=16,
        key="baselines.peer.scores.cyber-mcq.score",
        hint="70.5 is outside [0, 1]; write proportions (0.705, not 70.5)",
    ),
    "published-n-0": case(
        ("{score: 0.5, n: 100}", "{score: 0.5, n: 0}"),
        line=16,
        key="baselines.peer.scores.cyber-mcq.n",
        hint="must be at least 1",
    ),
    "baselines-list": case(
        ("baselines:\n  peer:\n" + PEER_SCORES, "baselines: [peer]\n"),
        line=13,
        key="baselines",
        hint="expected a mapping of baseline names, got a list",
    ),
    "results-file-missing": case(
        (PEER_SCORES, "    results: baselines/missing.json\n"),
        line=15,
        key="baselines.peer.results",
        hint="file not found: ",
    ),
    "results-not-json": results_file("not-json", "this is not json\n", "not valid JSON"),
    "results-schema-2": results_file(
        "schema-2",
        json.dumps({"schema": 2, "benchmarks": {}}),
        "schema: not a pytest-modelgate results file of schema 1",
    ),
    "results-json-list": results_file(
        "json-list", json.dumps([1, 2]), "schema: not a pytest-modelgate results file of schema 1"
    ),
    "results-of-a-smoke-run": results_file(
        "smoke",
        json.dumps({"schema": 1, "smoke": True, "benchmarks": {}}),
        "smoke: a smoke run (--modelgate-limit) cannot serve as a baseline",
    ),
    "results-score-in-percent": results_file(
        "percent",
        json.dumps({"schema": 1, "benchmarks": {"cyber-mcq": {"score": 70.5, "n": 9}}}),
        "benchmarks.cyber-mcq.score: expected a number in [0, 1], got 70.5",
    ),
}


@pytest.mark.parametrize("name", BASELINES)
def test_baseline_errors(pytester: pytest.Pytester, name: str) -> None:
    """baselines: one source of evidence each, proportions in [0, 1], full schema-1 results."""
    section = check(pytester, BASELINES, name)
    if name == "results-file-missing":
        # peer is declared: the ecosystem threshold must not add that no baseline exists.
        assert "missing.json" in section
        assert "needs at least one entry under baselines" not in section


# --- domains and benchmarks -----------------------------------------------------------------

BENCHMARKS = {
    "domains-empty": case(
        (DOMAINS, "domains: {}\n"), line=17, key="domains", hint="declare at least one domain"
    ),
    "domain-without-benchmarks": case(
        ("  cybersecurity:\n", "  empty: {description: nothing yet}\n  cybersecurity:\n"),
        line=18,
        key="domains.empty.benchmarks",
        hint="required key is missing",
    ),
    "duplicate-benchmark-across-domains": case(
        (BASE, BASE + SECOND_DOMAIN),
        line=32,
        key="domains.capability.benchmarks.cyber-mcq",
        hint="duplicate benchmark name (also in domain cybersecurity); benchmark names are unique "
        "in a gate file",
    ),
    "no-thresholds-or-floors": case(
        (THRESHOLDS, ""),
        line=20,
        key=BENCH,
        hint="a benchmark needs at least one threshold (above:) or "
        "floor (at_least:), otherwise it gates nothing",
    ),
    "empty-thresholds": case(
        (THRESHOLDS, "        thresholds: []\n"),
        line=20,
        key=BENCH,
        hint="a benchmark needs at least one threshold",
    ),
    "thresholds-not-a-list": case(
        (THRESHOLDS, "        thresholds: {above: 0.85, tier: critical}\n"),
        line=24,
        key=f"{BENCH}.thresholds",
        hint="expected a list, got a mapping",
    ),
    "unknown-format": case(
        ("format: mcq", "format: essay"),
        line=22,
        key=f"{BENCH}.format",
        hint="'essay' is not valid; valid: agent, code, frr, honesty, mcq, open",
    ),
    "format-missing": case(
        ("        format: mcq\n", ""),
        line=21,
        key=f"{BENCH}.format",
        hint="required key is missing",
    ),
    "unknown-scorer": case(
        ("scorer: choice", "scorer: magic"),
        line=23,
        key=f"{BENCH}.scorer",
        hint="'magic' is not valid; valid: choice, code, exact, honesty, includes, judge, "
        "normalized_honesty, refusal, regex",
    ),
    "limit-0": case(
        ("scorer: choice\n", "scorer: choice\n        limit: 0\n"),
        line=24,
        key=f"{BENCH}.limit",
        hint="must be at least 1",
    ),
    "benchmark-concurrency-0": case(
        ("scorer: choice\n", "scorer: choice\n        concurrency: 0\n"),
        line=24,
        key=f"{BENCH}.concurrency",
        hint="must be at least 1",
    ),
    "epochs-two": case(
        ("scorer: choice\n", "scorer: choice\n        epochs: two\n"),
        line=24,
        key=f"{BENCH}.epochs",
        hint="expected an integer, got the string 'two'",
    ),
    "higher-is-safer-string": case(
        ("scorer: choice\n", "scorer: choice\n        higher_is_safer: maybe\n"),
        line=24,
        key=f"{BENCH}.higher_is_safer",
        hint="expected true or false, got the string 'maybe'",
    ),
    "benchmark-unknown-key": case(
        ("scorer: choice\n", "scorer: choice\n        metrics: accuracy\n"),
        line=24,
        key=f"{BENCH}.metrics",
        hint="unknown key; valid keys: agent, budget, concurrency, dataset, description, epochs, "
        "floors, format, higher_is_safer, judge, k, limit, max_error_rate, metric, params, sampling, "
        "sandbox, scorer, solver, thresholds",
    ),
    "dataset-missing": case(
        ("        dataset: data/cyber.jsonl\n", ""),
        line=20,
        key=f"{BENCH}.dataset",
        hint="required key is missing (only a static candidate can do without a dataset)",
    ),
    "dataset-file-not-found": case(
        ("dataset: data/cyber.jsonl", "dataset: data/missing.jsonl"),
        line=21,
        key=f"{BENCH}.dataset",
        hint="file not found: ",
    ),
}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_errors(pytester: pytest.Pytester, name: str) -> None:
    """domains: and their benchmarks: names, formats, scorers, limits and datasets."""
    check(pytester, BENCHMARKS, name)


AFTER_SCORER = ("scorer: choice\n", "scorer: choice\n        epochs: 3\n")


def after_scorer(text: str) -> tuple[str, str]:
    """Insert lines after the scorer (line 24 on), below an ``epochs: 3`` on line 24."""
    return ("scorer: choice\n", f"scorer: choice\n        epochs: 3\n{text}")


EVALUATION_CASES = {
    "metric-unknown": case(
        after_scorer("        metric: best_of\n"),
        line=25,
        key=f"{BENCH}.metric",
        hint="'best_of' is not valid; valid: mean, pass_at_k",
    ),
    "pass-at-k-without-k": case(
        after_scorer("        metric: pass_at_k\n"),
        line=21,
        key=f"{BENCH}.k",
        hint="metric: pass_at_k needs k (e.g. k: 10)",
    ),
    "k-above-epochs": case(
        after_scorer("        metric: pass_at_k\n        k: 5\n"),
        line=26,
        key=f"{BENCH}.k",
        hint="k=5 needs 1 <= k <= epochs (3)",
    ),
    "k-without-pass-at-k": case(
        after_scorer("        k: 2\n"),
        line=25,
        key=f"{BENCH}.k",
        hint="k is used only with metric: pass_at_k",
    ),
    "unknown-solver": case(
        after_scorer("        solver: tree_search\n"),
        line=25,
        key=f"{BENCH}.solver",
        hint="'tree_search' is not valid; valid: generate, honesty, react",
    ),
    "judge-scorer-without-judge": case(
        ("scorer: choice", "scorer: judge"),
        line=23,
        key=f"{BENCH}.judge",
        hint="scorer 'judge' grades with a judge model; add judge: {model: NAME}",
    ),
    "judge-unknown-model": case(
        after_scorer("        judge: {model: oracle}\n"),
        line=25,
        key=f"{BENCH}.judge.model",
        hint="no model named 'oracle'; valid: candidate",
    ),
    "judge-without-model": case(
        after_scorer("        judge: {regrade: 5}\n"),
        line=25,
        key=f"{BENCH}.judge.model",
        hint="required key is missing",
    ),
    "judge-unknown-placeholder": case(
        after_scorer("        judge: {model: candidate, rubric: 'Grade {response}'}\n"),
        line=25,
        key=f"{BENCH}.judge.rubric",
        hint="unknown placeholder {response}; valid: {question}, {answer}, {target}",
    ),
    "judge-negative-regrade": case(
        after_scorer("        judge: {model: candidate, regrade: -1}\n"),
        line=25,
        key=f"{BENCH}.judge.regrade",
        hint="must be 0 or more",
    ),
    "agent-unknown-key": case(
        after_scorer("        agent: {turns: 5}\n"),
        line=25,
        key=f"{BENCH}.agent.turns",
        hint="unknown key; valid keys: max_turns, observation_chars",
    ),
    "sandbox-zero-timeout": case(
        after_scorer("        sandbox: {timeout_s: 0}\n"),
        line=25,
        key=f"{BENCH}.sandbox.timeout_s",
        hint="0 must be positive",
    ),
    "results-on-a-queried-model": case(
        ("    concurrency: 2\n", "    concurrency: 2\n    results: runs/rc2.eval\n"),
        line=13,
        key=f"{MODEL}.results",
        hint="imported results need provider: static",
    ),
    "results-and-scores": case(
        (MODEL_BODY, STATIC_BODY + "    results: runs/rc2.eval\n"),
        line=11,
        key=f"{MODEL}.results",
        hint="give one of scores: or results:, not both",
        files={"runs/rc2.eval": "{}"},
    ),
    "imported-results-missing": case(
        (MODEL_BODY, "    provider: static\n    results: runs/absent.eval\n"),
        line=9,
        key=f"{MODEL}.results",
        hint="file not found",
    ),
    "tasks-not-strings": case(
        (
            "    scores:\n      cyber-mcq: {score: 0.5",
            "    tasks: {cyber-mcq: [a]}\n    scores:\n      cyber-mcq: {score: 0.5",
        ),
        line=15,
        key="baselines.peer.tasks.cyber-mcq",
        hint="expected a non-empty string, got a list",
    ),
}


@pytest.mark.parametrize("name", EVALUATION_CASES)
def test_evaluation_key_errors(pytester: pytest.Pytester, name: str) -> None:
    """epochs/metric/k, solver, judge, agent and sandbox limits, imported results."""
    check(pytester, EVALUATION_CASES, name)


SCORERS = {
    name: case(("scorer: choice", f"scorer: '{scorer}'"), line=23, key=f"{BENCH}.scorer", hint=hint)
    for name, scorer, hint in [
        ("no-module", "nosuchmodule:fn", "cannot import scorer 'nosuchmodule:fn'"),
        ("no-function", "json:no_such_function", "cannot import scorer 'json:no_such_function'"),
        ("not-callable", "json:__doc__", "scorer 'json:__doc__' is not callable"),
        ("empty-module-name", ":score", "':score'"),
        ("relative-module-name", "..relative:score", "'..relative:score'"),
    ]
}


@pytest.mark.parametrize("name", SCORERS)
def test_scorer_import_path_errors(pytester: pytest.Pytester, name: str) -> None:
    """scorer: "package.module:function" must import to a callable; reported at the scorer line."""
    check(pytester, SCORERS, name)


# --- thresholds and floors ------------------------------------------------------------------

THRESHOLD_CASES = {
    "threshold-without-tier": case(
        ("            tier: critical\n", ""),
        line=28,
        key=f"{T1}.tier",
        hint="required key is missing",
    ),
    "tier-not-in-ladder": case(
        ("tier: high", "tier: severe"),
        line=27,
        key=f"{T0}.tier",
        hint="'severe' is not a tier of ladder meta-frontier; valid: high, critical",
    ),
    "tier-is-the-lowest": case(
        ("tier: high", "tier: moderate"),
        line=27,
        key=f"{T0}.tier",
        hint="'moderate' is the ladder's lowest tier, which every model has; valid: high, critical",
    ),
    "negative-margin": case(
        ("margin: 0.02", "margin: -0.02"),
        line=26,
        key=f"{T0}.margin",
        hint="-0.02 is negative; a margin is a tolerance >= 0",
    ),
    "margin-above-1": case(
        ("margin: 0.02", "margin: 2"),
        line=26,
        key=f"{T0}.margin",
        hint="2 is outside [0, 1); a margin is a difference of scores in [0, 1]: write 0.02, not 2",
    ),
    "margin-of-1": case(
        ("margin: 0.02", "margin: 1.0"), line=26, key=f"{T0}.margin", hint="1.0 is outside [0, 1)"
    ),
    "absolute-threshold-above-1": case(
        ("- above: 0.85", "- above: 85"),
        line=28,
        key=f"{T1}.above",
        hint="85 is outside [0, 1]; scores are proportions in [0, 1]: write 0.85, not 85",
    ),
    "negative-threshold": case(
        ("- above: 0.85", "- above: -0.1"),
        line=28,
        key=f"{T1}.above",
        hint="-0.1 is outside [0, 1]; scores are proportions in [0, 1]",
    ),
    "floor-above-1": case(
        (THRESHOLDS, "        floors:\n          - at_least: 1.5\n"),
        line=25,
        key=f"{BENCH}.floors[0].at_least",
        hint="1.5 is outside [0, 1]; scores are proportions in [0, 1]",
    ),
    "floor-margin-above-1": case(
        (THRESHOLDS, "        floors:\n          - at_least: ecosystem\n            margin: 5\n"),
        line=26,
        key=f"{BENCH}.floors[0].margin",
        hint="5 is outside [0, 1); a margin is a difference of scores in [0, 1]",
    ),
    "threshold-unknown-key": case(
        ("margin: 0.02", "margn: 0.02"),
        line=26,
        key=f"{T0}.margn",
        hint="unknown key; valid keys: above, id, margin, tier",
    ),
    "above-unknown-baseline": case(
        ("- above: ecosystem", "- above: qwen"),
        line=25,
        key=f"{T0}.above",
        hint="unknown baseline 'qwen'; valid: a number, ecosystem, peer",
    ),
    "above-bool": case(
        ("- above: 0.85", "- above: yes"),
        line=28,
        key=f"{T1}.above",
        hint="expected a number, 'ecosystem' or a baseline name, got true",
    ),
    "above-nan": case(
        ("- above: 0.85", "- above: .nan"), line=28, key=f"{T1}.above", hint="expected a number"
    ),
    "above-infinite": case(
        ("- above: 0.85", "- above: .inf"), line=28, key=f"{T1}.above", hint="expected a number"
    ),
    "duplicate-default-ids": case(
        (FIRST_THRESHOLD, "          - above: 0.85\n            tier: high\n"),
        line=27,
        key=T1,
        hint="duplicate id 'above-0.85' (also line 25); give one of them an explicit id:",
    ),
    "duplicate-explicit-ids": case(
        (FIRST_THRESHOLD, FIRST_THRESHOLD + "            id: cap\n"),
        ("            tier: critical\n", "            tier: critical\n            id: cap\n"),
        line=31,
        key=f"{T1}.id",
        hint="duplicate id 'cap' (also line 25)",
    ),
    "floor-with-a-tier": case(
        (THRESHOLDS, "        floors:\n          - at_least: 0.1\n            tier: high\n"),
        line=26,
        key=f"{BENCH}.floors[0].tier",
        hint="unknown key; valid keys: at_least, id, margin",
    ),
    "floor-without-at-least": case(
        (THRESHOLDS, "        floors:\n          - margin: 0.1\n"),
        line=25,
        key=f"{BENCH}.floors[0].at_least",
        hint="required key is missing",
    ),
    "named-baseline-without-the-benchmark": case(
        ("- above: ecosystem", "- above: peer"),
        ("cyber-mcq: {score: 0.5", "code-basic: {score: 0.5"),
        line=25,
        key=f"{T0}.above",
        hint="threshold 'above-peer' needs baseline 'peer', which has no result for 'cyber-mcq'",
    ),
    "ecosystem-without-the-benchmark": case(
        ("cyber-mcq: {score: 0.5", "code-basic: {score: 0.5"),
        line=25,
        key=f"{T0}.above",
        hint="threshold 'above-ecosystem' compares with the ecosystem, but no baseline has a "
        "result for 'cyber-mcq'",
    ),
}


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_threshold_errors(pytester: pytest.Pytester, name: str) -> None:
    """thresholds: and floors: references, margins, tiers and ids."""
    check(pytester, THRESHOLD_CASES, name)


# --- dataset contents: the gate's dataset: line, and the dataset's own line -----------------

ROW = {"question": "Toy?", "choices": ["alpha", "bravo", "charlie", "delta"], "answer": 0}


def lines_of(*rows: object) -> str:
    """JSONL text: dicts are dumped, strings are written as they are."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def dataset_file(name: str, content: str | bytes, hint: str, suffix: str = ".jsonl") -> Case:
    """The benchmark reads ``data/<name><suffix>`` holding ``content``."""
    return case(
        ("data/cyber.jsonl", f"data/{name}{suffix}"),
        line=21,
        key=f"{BENCH}.dataset",
        hint=f"{name}{suffix}{hint}",
        files={f"data/{name}{suffix}": content},
    )


DATASETS = {
    "empty": dataset_file("empty", "", ": the dataset has no items"),
    "blank-lines-only": dataset_file("blank", "\n\n", ": the dataset has no items"),
    "row-without-choices": dataset_file(
        "no-choices",
        lines_of({**ROW, "id": 1}, {**ROW, "id": 2}, {"id": 3, "question": "Toy?", "answer": 0}),
        ":3: choices: expected a list of 2 to 26 strings",
    ),
    "row-without-question": dataset_file(
        "no-question",
        lines_of({**ROW, "id": 1}, {"id": 2, "choices": ROW["choices"]}),
        ":2: question: missing field; this format needs question or input",
    ),
    "answer-index-out-of-range": dataset_file(
        "index",
        lines_of({**ROW, "id": 1}, {**ROW, "id": 2, "answer": 7}),
        ":2: answer: index 7 is out of range for 4 choices",
    ),
    "answer-letter-out-of-range": dataset_file(
        "letter",
        lines_of({**ROW, "id": 1}, {**ROW, "id": 2, "answer": "E"}),
        ":2: answer: 'E' is not one of A, B, C, D",
    ),
    "invalid-json-line": dataset_file(
        "bad-json",
        lines_of({**ROW, "id": 1}, {**ROW, "id": 2}, {**ROW, "id": 3}, "{not json"),
        ":4: invalid JSON",
    ),
    "json-array-line": dataset_file(
        "array", lines_of({**ROW, "id": 1}, "[1, 2, 3]"), ":2: each line must be a JSON object"
    ),
    "duplicate-item-ids": dataset_file(
        "dup-ids",
        lines_of(*({**ROW, "id": f"q{i}"} for i in range(4)), {**ROW, "id": "q0"}),
        ":5: id: duplicate item id 'q0' (first on line 1)",
    ),
    "unsupported-suffix": dataset_file(
        "rows", lines_of(ROW), ": unsupported file type; valid: .jsonl, .csv", suffix=".json"
    ),
    "not-utf8": dataset_file(
        "latin1",
        json.dumps({**ROW, "question": "caf\xe9?"}, ensure_ascii=False).encode("latin-1"),
        "",
    ),
}


@pytest.mark.parametrize("name", DATASETS)
def test_dataset_errors(pytester: pytest.Pytester, name: str) -> None:
    """A bad dataset names the gate's dataset: line, and its own file, line and field."""
    check(pytester, DATASETS, name)


# --- names that YAML reads as numbers or booleans -------------------------------------------


@pytest.mark.parametrize(
    ("edits", "where"),
    [
        pytest.param([("  cybersecurity:", "  2025:")], f"{GATE}:18: domains.", id="domain"),
        pytest.param(
            [("      cyber-mcq:\n", "      42:\n"), ("cyber-mcq: {score", "42: {score")],
            f"{GATE}:20: domains.cybersecurity.benchmarks.",
            id="benchmark",
        ),
        pytest.param([("  candidate:", "  yes:")], f"{GATE}:7: models.", id="model"),
    ],
)
def test_names_that_are_not_strings(
    pytester: pytest.Pytester, edits: list[tuple[str, str]], where: str
) -> None:
    """A name YAML reads as a number or boolean is a problem to quote, never a crash.
    (Run one by one: today some of these end the whole session with an INTERNALERROR.)"""
    out = collection_error(pytester, variant(tuple(edits)))
    assert where in out


# --- many problems at once ------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once(pytester: pytest.Pytester) -> None:
    """One run lists every schema problem, each at its own line and key."""
    text = variant(
        (
            ("version: 1", "version: 2"),
            ("confidence: 0.95", "confidence: 1.5"),
            ("concurrency: 2", "concurrency: 0"),
            ("format: mcq", "format: essay"),
            ("margin: 0.02", "margin: -1"),
            ("tier: critical", "tier: severe"),
        )
    )
    out = collection_error(pytester, text)
    for line, key in [
        (1, "version"),
        (5, "policy.confidence"),
        (12, f"{MODEL}.concurrency"),
        (22, f"{BENCH}.format"),
        (26, f"{T0}.margin"),
        (29, f"{T1}.tier"),
    ]:
        assert at(line, key) in out


def test_every_problem_in_named_files_is_reported_at_once(
    pytester: pytest.Pytester, dataset: Path
) -> None:
    """Problems in the files a gate names (a baseline's results, a dataset) come together."""
    dataset.write_text(lines_of({**ROW, "id": 1}, "{not json"))
    (pytester.path / "peer.json").write_text("[]")
    text = edit(PEER_SCORES, "    results: peer.json\n    source: our last release\n")
    out = collection_error(pytester, text)
    assert_problem(out, 15, "baselines.peer.results", "peer.json: schema: not a pytest-modelgate")
    assert_problem(out, 21, f"{BENCH}.dataset", "cyber.jsonl:2: invalid JSON")


def test_one_bad_file_does_not_hide_a_good_one(pytester: pytest.Pytester) -> None:
    """Each gate file is its own collection error; a valid neighbour still collects."""
    (pytester.path / "good.gate.yaml").write_text(BASE)
    out = collection_error(pytester, edit("version: 1", "version: 2"), "--collect-only", "-q")
    assert at(1, "version") in out
    assert "good.gate.yaml::cybersecurity[candidate]" in out


# --- valid files: ${VAR} expansion, YAML merges; collection queries nothing -----------------

ENV_GATE = """\
version: 1
policy:
  ladder: meta-frontier
  allowed: ${MG_ALLOWED:-moderate}
models:
  candidate:
    provider: openai
    base_url: ${MG_BASE_URL}
    model: ${MG_MODEL:-toy}
    api_key_env: MG_API_KEY
    params: {temperature: 0, stop: "${MG_STOP:-none}"}
domains:
  cybersecurity:
    benchmarks:
      cyber-mcq:
        dataset: ${MG_DATA_DIR:-data}/cyber.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - above: 0.85
            tier: critical
"""


def test_variables_expand_and_collection_queries_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, model_server: Any
) -> None:
    """${VAR} set and ${VAR:-default} unset both collect, and the model is asked nothing."""
    server = model_server()
    monkeypatch.setenv("MG_BASE_URL", server.base_url)
    monkeypatch.setenv("MG_ALLOWED", "high")
    for name in ("MG_MODEL", "MG_STOP", "MG_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    (pytester.path / GATE).write_text(ENV_GATE)
    result = pytester.runpytest("--modelgate", "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            f"{GATE}::cybersecurity::cyber-mcq::above-0.85[[]candidate[]]",
            f"{GATE}::cybersecurity[[]candidate[]]",
        ]
    )
    assert server.requests == []


def test_an_empty_variable_takes_its_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """${VAR:-default} with VAR set but empty takes the default, as in the shell."""
    monkeypatch.setenv("MG_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MG_DATA_DIR", "")
    (pytester.path / GATE).write_text(ENV_GATE)
    result = pytester.runpytest("--modelgate", "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()


def test_a_key_beside_a_yaml_merge_overrides_it(pytester: pytest.Pytester) -> None:
    """`<<:` merges are plain YAML (safe_load reads them): a key beside a merge overrides it."""
    text = edit(
        "  candidate:\n" + MODEL_BODY,
        """\
  candidate:
    <<: {provider: openai, base_url: "http://127.0.0.1:9/v1", model: toy}
    model: toy-2
""",
    )
    (pytester.path / GATE).write_text(text)
    result = pytester.runpytest("--modelgate", "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()


# --- the command line, and the plugin without --modelgate ----------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--modelgate-limit", "0"),
            "--modelgate-limit: expected a positive integer, got '0'",
            id="limit-0",
        ),
        pytest.param(
            ("--modelgate-limit", "abc"),
            "--modelgate-limit: expected a positive integer, got 'abc'",
            id="limit-abc",
        ),
        pytest.param(
            ("--modelgate-limit=-3",),
            "--modelgate-limit: expected a positive integer, got '-3'",
            id="limit-negative",
        ),
        pytest.param(
            ("--modelgate-model", ","),
            "--modelgate-model: expected NAME[,NAME], got nothing",
            id="model-empty",
        ),
    ],
)
def test_bad_command_line_values_are_usage_errors(
    pytester: pytest.Pytester, args: tuple[str, ...], message: str
) -> None:
    """Bad flag values stop the run at start-up with exit code 4 and say which flag."""
    (pytester.path / GATE).write_text(BASE)
    result = pytester.runpytest("--modelgate", *args)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert message in out
    assert_no_traceback(out)


def test_bad_ini_value_names_the_ini_key(pytester: pytest.Pytester) -> None:
    """An ini value is checked like the flag, and the message says it came from the ini file."""
    pytester.makeini("[pytest]\nmodelgate_limit = zero\n")
    (pytester.path / GATE).write_text(BASE)
    result = pytester.runpytest("--modelgate")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert "ini key modelgate_limit: expected a positive integer, got 'zero'" in out


def test_without_modelgate_a_broken_gate_file_is_ignored(pytester: pytest.Pytester) -> None:
    """Without --modelgate the plugin is inert: gate files are not even read."""
    (pytester.path / GATE).write_text("version: [this is not: valid yaml\n")
    (pytester.path / "other.gate.yml").write_text(edit("version: 1", "version: 2"))
    result = pytester.runpytest()
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, out
    assert "invalid gate file" not in out and "error" not in out.lower()
    result.stdout.fnmatch_lines(["collected 0 items"])
