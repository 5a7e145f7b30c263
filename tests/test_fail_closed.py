"""Ways a gate could pass, or a secret could leak, that a reviewer found; each is now closed."""

from __future__ import annotations

import base64
import json

from conftest import mcq_rows, write_jsonl

from pytest_modelgate.models.http import public_url

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate:
    provider: openai
    base_url: "{url}"
    {extra}
baselines:
{baselines}
domains:
  cybersecurity:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: {scorer}
{limits}
"""
RISK = "        thresholds:\n          - {above: ecosystem, margin: 0.02, tier: high}"


def gate(
    url,
    *,
    baselines="  peer: {scores: {toy: {score: 0.5, n: 400}}}",
    extra="",
    scorer="choice",
    limits=RISK,
):
    return GATE.format(url=url, baselines=baselines, extra=extra, scorer=scorer, limits=limits)


def test_a_key_with_a_line_break_errors_without_showing_it(
    pytester, model_server, write_gate, monkeypatch
):
    secret = "sk-modelgate-newline-7c1d"
    monkeypatch.setenv("TOY_API_KEY", secret + "\n")
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    write_gate(gate(server.base_url, extra="api_key_env: TOY_API_KEY"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    assert "TOY_API_KEY has surrounding whitespace or a line break" in out
    assert secret not in out + (pytester.path / "out/results.json").read_text()
    assert server.requests == []


def run_writing_everything(pytester, *more):
    """Run with every output on (reports, recording, baseline, pytest's JUnit, -v); return
    the result and the text of every file the run wrote and of the terminal."""
    inputs = set(pytester.path.rglob("*"))
    result = pytester.runpytest(
        "--modelgate",
        "--modelgate-report",
        "out",
        "--modelgate-record-responses",
        "responses.jsonl",
        "--modelgate-record-baseline",
        "baseline.json",
        "--junitxml",
        "pytest-junit.xml",
        "-v",
        *more,
    )
    written = [p for p in pytester.path.rglob("*") if p.is_file() and p not in inputs]
    texts = {str(p.relative_to(pytester.path)): p.read_text(errors="replace") for p in written}
    texts["terminal"] = result.stdout.str() + result.stderr.str()
    return result, texts


def test_credentials_in_base_url_never_reach_reports(
    pytester, model_server, write_gate, monkeypatch
):
    url = "https://user:tok3n@models.example:8443/v1/chat/completions?key=abc"
    assert public_url(url) == "https://models.example:8443/v1/chat/completions"
    # A real run with a password in base_url and a key in the environment: neither (nor
    # the Basic token made of the password) is in any file written or in the terminal.
    api_key, password = "sk-modelgate-env-5e1f", "pw-in-url-93ab"
    secrets = [api_key, password, base64.b64encode(f"gate:{password}".encode()).decode()]
    monkeypatch.setenv("TOY_API_KEY", api_key)
    server = model_server(require_key=api_key)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=0))
    secret_url = server.base_url.replace("http://", f"http://gate:{password}@")
    write_gate(gate(secret_url, extra="api_key_env: TOY_API_KEY"))
    result, texts = run_writing_everything(pytester)
    result.assert_outcomes(passed=2)
    assert server.answered == 40  # the key was sent: the server refuses requests without it
    out = {"out/junit.xml", "out/report.html", "out/results.json", "out/summary.md"}
    assert out | {"responses.jsonl", "baseline.json", "pytest-junit.xml"} <= set(texts)
    assert "127.0.0.1" in texts["out/results.json"]  # the endpoint is reported, its secret not
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{name} holds a secret"


def test_baseline_items_outside_0_1_are_refused(pytester, model_server, write_gate):
    """Percentages in a foreign results file would make every risk threshold clear."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2, correct=0))
    (pytester.path / "peer.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "smoke": False,
                "benchmarks": {"toy": {"score": 0.5, "n": 2, "items": {"q0": 100, "q1": 0}}},
            }
        )
    )
    write_gate(gate(server.base_url, baselines="  peer: {results: peer.json}"))
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    assert "benchmarks.toy.items: expected a mapping of item id to a score in [0, 1]" in (
        result.stdout.str()
    )


def test_baseline_items_must_agree_with_its_score(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2, correct=0))
    (pytester.path / "peer.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "smoke": False,
                "benchmarks": {"toy": {"score": 0.9, "n": 2, "items": {"q0": 0.0, "q1": 0.0}}},
            }
        )
    )
    write_gate(gate(server.base_url, baselines="  peer: {results: peer.json}"))
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    assert "2 items averaging 0.000000 do not match n=2, score=0.9" in result.stdout.str()


def test_a_baseline_that_errored_is_no_evidence(pytester, model_server, write_gate):
    """Dropping it silently would lower the ecosystem's bar for floors."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2, correct=0))
    (pytester.path / "strong.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "smoke": False,
                "benchmarks": {
                    "toy": {"score": None, "n": 2, "error": "HTTP 503 after 4 attempts"}
                },
            }
        )
    )
    write_gate(
        gate(
            server.base_url,
            baselines="  strong: {results: strong.json}\n"
            "  weak: {scores: {toy: {score: 0.1, n: 400}}}",
            limits="        floors:\n          - {at_least: ecosystem, margin: 0.05}",
        )
    )
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    assert "baseline 'strong' recorded an error for 'toy', so it is no evidence" in (
        result.stdout.str()
    )


def test_a_threshold_and_a_floor_cannot_share_an_id(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2, correct=0))
    write_gate(
        gate(
            server.base_url,
            limits=(
                "        thresholds:\n          - {id: x, above: 0.99, tier: high}\n"
                "        floors:\n          - {id: x, at_least: 0.9}"
            ),
        )
    )
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    assert "floors[0].id: duplicate id 'x'" in result.stdout.str()


def test_statistics_that_cannot_be_computed_error_once(pytester, model_server, write_gate):
    """One item with a graded score has no honest interval: the benchmark errors, and the
    model is queried once, not once per item."""
    server = model_server()
    pytester.makepyfile(halfscore="def half(answer, item):\n    return 0.5\n")
    pytester.syspathinsert()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(1, correct=0))
    write_gate(
        gate(
            server.base_url,
            scorer="halfscore:half",
            limits=(RISK + "\n          - {above: 0.9, tier: critical}"),
        )
    )
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=3)
    assert "a bootstrap interval needs at least 2 items, got 1" in result.stdout.str()
    assert len(server.requests) == 1


def test_a_scorer_returning_a_string_errors(pytester, model_server, write_gate):
    server = model_server()
    pytester.makepyfile(strscore="def text(answer, item):\n    return '0.7'\n")
    pytester.syspathinsert()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(3, correct=0))
    write_gate(gate(server.base_url, scorer="strscore:text"))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    # Items run concurrently: whichever is scored first names the error.
    assert "scorer returned '0.7' for item 'q" in result.stdout.str()
    assert "scores are numbers in [0, 1]" in (result.stdout.str())


def test_smoke_runs_and_stale_reports_never_pass_for_a_release(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=0))
    write_gate(gate(server.base_url))
    pytester.runpytest("--modelgate", "--modelgate-report", "out").assert_outcomes(passed=2)
    assert json.loads((pytester.path / "out/results.json").read_text())["release"]["passed"]
    result = pytester.runpytest(
        "--modelgate", "--modelgate-report", "out", "--modelgate-limit", "10"
    )
    assert result.ret == 0
    data = json.loads((pytester.path / "out/results.json").read_text())
    assert data["smoke"] is True and data["release"]["passed"] is False
    assert "Release gate SMOKE" in result.stdout.str()
    # A run that writes nothing must not leave the previous report behind.
    write_gate("version: 2\n")
    pytester.runpytest("--modelgate", "--modelgate-report", "out")
    assert not (pytester.path / "out/results.json").exists()


def test_a_smoke_run_of_a_failing_model_fails(pytester, model_server, write_gate):
    """--modelgate-limit is a smoke run: it gives no release verdict, but a gate that fails in
    it still fails the build (exit 1), from the command line or from an ini file."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=40))
    write_gate(
        gate(server.base_url, limits="        thresholds:\n          - {above: 0.3, tier: high}")
    )
    result = pytester.runpytest(
        "--modelgate", "--modelgate-report", "out", "--modelgate-limit", "20"
    )
    assert result.ret == 1
    result.assert_outcomes(failed=2)
    assert "Release gate SMOKE" in result.stdout.str()
    pytester.makeini("[pytest]\nmodelgate_limit = 20\n")
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    assert result.ret == 1
    assert json.loads((pytester.path / "out/results.json").read_text())["smoke"] is True


def test_every_secret_the_run_has_seen_is_redacted_from_every_output(
    pytester, model_server, write_gate, monkeypatch
):
    """One redactor at the edge: a key a gate file expanded into params (which it should not
    do, but may), proxy credentials, the API key and a URL password never reach a report, a
    recording, a baseline, pytest's own JUnit or the terminal - also in failure messages."""
    api_key, token, password = "sk-edge-1f2e3d", "tok-in-params-77c1", "pw-url-5a5a"
    proxy_password = "proxy-pw-c0ffee"
    monkeypatch.setenv("TOY_API_KEY", api_key)
    monkeypatch.setenv("TOY_AUTH_TOKEN", token)
    monkeypatch.setenv("HTTP_PROXY", f"http://puser:{proxy_password}@127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the proxy is configured, never used here
    secrets = [api_key, token, password, proxy_password]
    secrets.append(base64.b64encode(f"gate:{password}".encode()).decode())
    server = model_server(require_key=api_key)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=40))
    extra = 'api_key_env: TOY_API_KEY\n    params: {temperature: 0, user: "${TOY_AUTH_TOKEN}"}'
    secret_url = server.base_url.replace("http://", f"http://gate:{password}@")
    failing = "        thresholds:\n          - {above: 0.1, tier: high}"
    write_gate(gate(secret_url, extra=extra, limits=failing))
    result, texts = run_writing_everything(pytester, "-rA")
    result.assert_outcomes(failed=2)
    assert server.answered == 40 and token in json.dumps(server.requests)  # it was sent
    assert {"out/results.json", "responses.jsonl", "baseline.json", "pytest-junit.xml"} <= set(
        texts
    )
    assert '"user": "***"' in texts["out/results.json"]  # redacted where it stood
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{name} holds a secret"


def test_a_collection_error_never_quotes_a_secret(pytester, monkeypatch):
    """A secret expanded into the wrong key is quoted by the error as '***'."""
    monkeypatch.setenv("TOY_API_KEY", "sk-misplaced-9d8c")
    pytester.path.joinpath("release.gate.yaml").write_text(
        "version: 1\npolicy: {ladder: meta-frontier, allowed: moderate}\nmodels:\n"
        "  candidate: {provider: openai, base_url: 'http://127.0.0.1:9/v1',"
        " timeout_s: '${TOY_API_KEY}'}\n"
        "domains: {d: {benchmarks: {b: {dataset: x.jsonl, format: mcq, scorer: choice,"
        " thresholds: [{above: 0.5, tier: high}]}}}}\n"
    )
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*models.candidate.timeout_s: expected a number, got the string '***'"]
    )
    assert "sk-misplaced-9d8c" not in result.stdout.str() + result.stderr.str()
