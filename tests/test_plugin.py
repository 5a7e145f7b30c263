"""The plugin as a pytest user meets it: inert without --modelgate, extensible from a
conftest.py through the hooks, secrets kept out of everything, a plan that queries nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import mcq_rows, write_jsonl

BASIC = """
version: 1
policy: {{ladder: {ladder}, allowed: {allowed}}}
models:
  candidate:
    provider: {provider}
    base_url: "{url}"
    {extra}
baselines:
  peer: {{scores: {{toy: {{score: 0.5, n: 400}}}}}}
domains:
  cybersecurity:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: {format}
        scorer: {scorer}
        thresholds:
          - {{above: ecosystem, margin: 0.05, tier: {tier}}}
"""


def basic(
    url: str,
    *,
    ladder="meta-frontier",
    allowed="moderate",
    provider="openai",
    extra="",
    format="mcq",
    scorer="choice",
    tier="high",
) -> str:
    return BASIC.format(
        url=url,
        ladder=ladder,
        allowed=allowed,
        provider=provider,
        extra=extra,
        format=format,
        scorer=scorer,
        tier=tier,
    )


def two_recorded_baselines(pytester, gate: str, items_a: dict, items_b: dict) -> str:
    """``gate`` with its published peer replaced by baselines a and b, written as results
    files with these per-item scores on ``toy``."""
    for name, items in (("a", items_a), ("b", items_b)):
        toy = {"score": sum(items.values()) / len(items), "n": len(items), "items": items}
        (pytester.path / f"{name}.json").write_text(
            json.dumps({"schema": 1, "benchmarks": {"toy": toy}})
        )
    return gate.replace(
        "  peer: {scores: {toy: {score: 0.5, n: 400}}}",
        "  a: {results: a.json}\n  b: {results: b.json}",
    )


def test_without_the_flag_the_plugin_is_inert(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    write_gate(basic(server.base_url))
    write_gate("this: is: not: valid: yaml: [", name="broken.gate.yaml")
    result = pytester.runpytest()
    assert result.ret == 5  # no tests collected, and the broken gate file is not even read
    assert server.requests == []


def test_plain_pytest_does_not_import_the_engine(pytester):
    """`pytest` without --modelgate must not pay for requests, yaml or our engine."""
    pytester.makepyfile("def test_ok(): pass")
    code = textwrap.dedent("""
        import sys, pytest
        ret = pytest.main(["-q", "-p", "no:cacheprovider"])
        heavy = [m for m in ("requests", "yaml", "junit_xml", "pytest_modelgate.run.engine",
                             "pytest_modelgate.config.parse") if m in sys.modules]
        print("HEAVY", heavy)
        sys.exit(ret)
    """)
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=pytester.path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "HEAVY []" in run.stdout


def test_conftest_adds_a_scorer_a_format_a_ladder_and_a_provider(pytester, write_gate):
    """Everything built in can also come from a user's conftest.py through the hooks."""
    pytester.makeconftest("""
        from pytest_modelgate.data.datasets import Item
        from pytest_modelgate.models.provider import Completion

        class EchoProvider:
            aggregate_scores = None
            def __init__(self, spec, context):
                self.spec = spec
            def complete(self, messages, params):
                return Completion(messages[-1]["content"].split()[0])
            def describe(self):
                return {"name": self.spec.name, "provider": "echo"}
            def close(self):
                pass

        def pytest_modelgate_add_providers(providers):
            providers["echo"] = EchoProvider

        def pytest_modelgate_add_scorers(scorers):
            scorers["starts-yes"] = lambda answer, item: float(answer.lower().startswith("yes"))

        def pytest_modelgate_add_formats(formats):
            formats["yesno"] = lambda row, item_id: Item(
                item_id, ({"role": "user", "content": row["text"]},), ("yes",))

        def pytest_modelgate_add_ladders(ladders):
            ladders["traffic-light"] = ("green", "amber", "red")

        def pytest_modelgate_benchmark_done(result):
            with open("done.txt", "a") as fh:
                fh.write(f"{result.spec.name} {result.evidence.n}\\n")
    """)
    write_jsonl(
        pytester.path / "data/mcq.jsonl",
        [{"id": f"r{i}", "text": "yes it is" if i < 30 else "no it is not"} for i in range(100)],
    )
    write_gate(
        basic(
            "http://127.0.0.1:9/unused",
            ladder="traffic-light",
            allowed="amber",
            provider="echo",
            format="yesno",
            scorer="starts-yes",
            tier="red",
        )
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    data = json.loads((pytester.path / "out/results.json").read_text())
    assert data["benchmarks"]["toy"]["score"] == 0.3
    assert data["release"]["tier"] == "green"
    assert (pytester.path / "done.txt").read_text() == "toy 100\n"


def test_scorer_named_by_import_path(pytester, model_server, write_gate):
    server = model_server(reply=lambda messages: "PASS")
    pytester.makepyfile(
        myscorers="def always(answer, item):\n    return 1.0 if answer == 'PASS' else 0.0\n"
    )
    pytester.syspathinsert()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(50, correct=0))
    write_gate(basic(server.base_url, scorer="myscorers:always"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    assert (
        json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]["score"]
        == 1.0
    )
    result.assert_outcomes(failed=2)


def test_a_key_in_the_environment_never_appears_in_output_or_files(
    pytester, model_server, write_gate, monkeypatch
):
    secret = "sk-modelgate-test-4f9d2c7e1b"
    monkeypatch.setenv("TOY_API_KEY", secret)
    server = model_server(require_key=secret)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(20, correct=5))
    write_gate(basic(server.base_url, extra="api_key_env: TOY_API_KEY"))
    result = pytester.runpytest(
        "--modelgate",
        "--modelgate-report",
        "out",
        "--modelgate-record-baseline",
        "base.json",
        "--junitxml",
        "j.xml",
        "-v",
        "-rA",
    )
    result.assert_outcomes(passed=2)
    assert server.headers_seen[0]["Authorization"] == f"Bearer {secret}"  # it was really used
    # A server that rejects the key and echoes it back: the error must still not show it.
    echo = model_server(always_status=400, body=None)
    echo.reply = lambda messages: secret
    rejecting = model_server(require_key="another-key")
    write_gate(basic(rejecting.base_url, extra="api_key_env: TOY_API_KEY"), name="second.gate.yaml")
    # No cache: the same requests were answered above, and must now really be sent.
    failed = pytester.runpytest(
        "--modelgate", "second.gate.yaml", "--modelgate-report", "out2", "--modelgate-no-cache"
    )
    assert "HTTP 401" in failed.stdout.str()
    everything = (
        result.stdout.str() + result.stderr.str() + failed.stdout.str() + failed.stderr.str()
    )
    for path in pytester.path.rglob("*"):
        if path.is_file():
            everything += path.read_text(errors="replace")
    assert secret not in everything


def test_missing_key_variable_errors_closed(pytester, model_server, write_gate, monkeypatch):
    monkeypatch.delenv("TOY_API_KEY", raising=False)
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(10, correct=5))
    write_gate(basic(server.base_url, extra="api_key_env: TOY_API_KEY"))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    assert (
        "environment variable TOY_API_KEY (named by api_key_env) is not set" in result.stdout.str()
    )
    assert server.requests == []


def test_plan_prints_costs_and_resolution_and_queries_nothing(pytester, model_server, write_gate):
    # (1.960 + 0.842) * sqrt(0.25/100 + 0.25/400) = 0.157: p = 0.5 assumed, unpaired vs n=400
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=5))
    write_gate(basic(server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-plan")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "modelgate plan (nothing is queried):",
            "release.gate.yaml::cybersecurity::toy[[]candidate[]]: n=100, epochs=1, model calls=100",
            "    above-ecosystem: unpaired, margin 0.050, minimum detectable difference 0.157 "
            "(95%, 80% power)  <- cannot resolve the margin with this n: add items or epochs, or widen it",
            "total model calls: 100",
        ]
    )
    assert server.requests == []


def test_gate_files_run_together_must_share_a_ladder(pytester, write_gate):
    static = """
version: 1
policy: {{ladder: {ladder}, allowed: {allowed}}}
models:
  candidate: {{provider: static, scores: {{toy: {{score: 0.3, n: 100}}}}}}
domains:
  d:
    benchmarks:
      toy: {{thresholds: [{{above: 0.5, tier: {tier}}}]}}
"""
    write_gate(
        static.format(ladder="meta-frontier", allowed="moderate", tier="high"), "a.gate.yaml"
    )
    write_gate(static.format(ladder="gdm-fsf", allowed="below-alert", tier="ccl"), "b.gate.yaml")
    result = pytester.runpytest("--modelgate", "a.gate.yaml")
    result.assert_outcomes(passed=2)
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    assert "b.gate.yaml: policy.ladder: ('below-alert', 'alert', 'ccl') differs from" in (
        result.stdout.str()
    )


def test_a_run_warns_up_front_when_its_margin_is_finer_than_n_resolves(
    pytester, model_server, write_gate
):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=5))
    write_gate(basic(server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-no-cache")
    result.stdout.fnmatch_lines(
        [
            "modelgate warning: release.gate.yaml::cybersecurity::toy::above-ecosystem[[]candidate[]]:"
            " n=100 gives a minimum detectable difference of 0.157 > margin 0.050; expect "
            "INCONCLUSIVE unless the true difference is far from the margin*",
        ]
    )


def test_plan_takes_the_between_model_correlation_from_two_recorded_baselines(
    pytester, model_server, write_gate
):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=40))
    items_a = {f"q{i}": float(i < 40) for i in range(100)}
    items_b = {f"q{i}": float(i < 50) for i in range(100)}  # nested: strongly correlated
    write_gate(two_recorded_baselines(pytester, basic(server.base_url), items_a, items_b))
    result = pytester.runpytest("--modelgate", "--modelgate-plan")
    result.stdout.fnmatch_lines(
        [
            "    above-ecosystem: paired, correlation 0.82 from the "
            "baselines, margin 0.050, minimum detectable difference*"
        ]
    )


@pytest.mark.parametrize(
    ("n", "plan_warns", "outcome"), [(12, True, "failed"), (16, False, "passed")]
)
def test_the_plan_warns_exactly_when_even_a_perfect_match_cannot_clear(
    pytester, model_server, write_gate, n, plan_warns, outcome
):
    # A baseline right on every item, a candidate right on every item: the normal formula
    # promises a 0.08 difference at n=12, but the paired interval itself is +-0.30 there.
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(n, correct=n))
    items = {f"q{i}": 1.0 for i in range(n)}
    gate = two_recorded_baselines(pytester, basic(server.base_url), items, items)
    write_gate(gate.replace("margin: 0.05", "margin: 0.25"))
    plan = pytester.runpytest("--modelgate", "--modelgate-plan").stdout.str()
    assert ("cannot resolve the margin with this n" in plan) is plan_warns
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(**{outcome: 2})  # the threshold and its domain
