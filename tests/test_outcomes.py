"""Whole gate runs against our loopback model server, with outcomes known in advance:
below the ecosystem passes, above fails at its tier, borderline is inconclusive and
fails closed, a dead server errors."""

from __future__ import annotations

import json

import pytest
from conftest import mcq_rows, write_jsonl


def gate(
    url: str,
    *,
    thresholds: str,
    baselines: str = "",
    policy: str = "",
    bench_extra: str = "",
    dataset: str = "data/mcq.jsonl",
) -> str:
    return f"""
version: 1
policy:
  ladder: meta-frontier
  allowed: moderate
{policy}
models:
  candidate:
    provider: openai
    base_url: {url}
    model: toy
    params: {{temperature: 0, max_tokens: 4}}
    max_retries: 1
{baselines}
domains:
  cybersecurity:
    benchmarks:
      toy-mcq:
        dataset: {dataset}
        format: mcq
        scorer: choice
{bench_extra}
        thresholds:
{thresholds}
"""


PEER_70 = """
baselines:
  peer:
    scores: {toy-mcq: {score: 0.70, n: 1000}}
"""
ABOVE_ECOSYSTEM = "          - {above: ecosystem, margin: 0.02, tier: high}"


def test_model_clearly_below_the_ecosystem_passes(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=60))
    write_gate(gate(server.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM))
    result = pytester.runpytest("--modelgate", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*release.gate.yaml::cybersecurity::toy-mcq::above-ecosystem?candidate? PASSED*",
            "*release.gate.yaml::cybersecurity?candidate? PASSED*",
            "*Release gate PASS: model candidate is at tier moderate, allowed moderate*",
        ]
    )
    assert len(server.requests) == 200  # queried once, every item


def test_model_clearly_above_the_ecosystem_fails_at_tier_high(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=180))
    write_gate(gate(server.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM))
    result = pytester.runpytest("--modelgate")
    assert result.ret == 1
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "toy-mcq (cybersecurity) scored 0.900 [0.852, 0.936] (n=200, mid-p exact, 95%)" in out
    assert "Reference 0.700: ecosystem (riskiest of 1: peer) = peer (published)" in out
    assert "against margin 0.020: CROSSED" in out
    assert "Threshold tier high; allowed tier moderate" in out
    assert "domain cybersecurity is at tier high, above the allowed tier moderate" in out
    assert "Traceback" not in out


def test_borderline_model_is_inconclusive_and_fails_closed(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=72))
    write_gate(gate(server.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "INCONCLUSIVE" in out
    assert "Inconclusive counts as 'fail' (policy.inconclusive)" in out
    assert "add items or epochs, or widen the margin" in out


@pytest.mark.parametrize(
    "policy, outcomes",
    [
        ("warn", {"passed": 2, "warnings": 1}),
        ("pass", {"passed": 2}),
    ],
)
def test_inconclusive_policy_warn_and_pass(pytester, model_server, write_gate, policy, outcomes):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=72))
    write_gate(
        gate(
            server.base_url,
            baselines=PEER_70,
            thresholds=ABOVE_ECOSYSTEM,
            policy=f"  inconclusive: {policy}",
        )
    )
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(**outcomes)
    assert result.ret == 0


def test_dead_server_errors_never_passes(pytester, model_server, write_gate):
    server = model_server()
    url = server.base_url
    server.stop()  # nothing listens on this port any more
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(20, correct=0))
    write_gate(gate(url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    assert result.ret == 1
    out = result.stdout.str()
    assert "could not be evaluated (fail closed)" in out
    assert f"model 'candidate' at {url}/chat/completions: cannot connect" in out
    assert "Release gate FAIL" in out


def test_server_error_status_and_malformed_body_error(pytester, model_server, write_gate):
    bad = model_server(body='{"choices": []}')
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(10, correct=0))
    write_gate(gate(bad.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    assert "malformed response: '{\"choices\": []}'" in result.stdout.str()


def test_retries_honour_retry_after_then_succeed(pytester, model_server, write_gate):
    server = model_server(statuses=[429, 503], retry_after="0")
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(5, correct=0))
    write_gate(
        gate(server.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM).replace(
            "max_retries: 1", "max_retries: 2\n    concurrency: 1"
        )
    )
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(passed=2)
    assert len(server.requests) == 5 + 2  # two retried requests


def test_absolute_threshold_crossed_at_critical(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=196))
    write_gate(gate(server.base_url, thresholds="          - {above: 0.85, tier: critical}"))
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "Reference 0.850: absolute threshold" in out
    assert "Threshold tier critical" in out
    assert "domain cybersecurity is at tier critical" in out


def test_crossed_threshold_at_or_below_allowed_tier_passes(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=196))
    write_gate(
        gate(server.base_url, thresholds="          - {above: 0.5, tier: high}").replace(
            "allowed: moderate", "allowed: high"
        )
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    results = json.loads((pytester.path / "out/results.json").read_text())
    assert results["release"] == {
        "tier": "high",
        "allowed": "high",
        "passed": True,
        "complete": True,
    }
    assert results["benchmarks"]["toy-mcq"]["thresholds"][0]["outcome"] == "crossed"


@pytest.mark.parametrize("correct, outcome", [(150, "passed"), (60, "failed")])
def test_floor_at_least_the_ecosystem(pytester, model_server, write_gate, correct, outcome):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=correct))
    text = gate(server.base_url, baselines=PEER_70, thresholds="          []").replace(
        "        thresholds:\n          []",
        "        floors:\n          - {at_least: ecosystem, margin: 0.05}",
    )
    write_gate(text)
    result = pytester.runpytest("--modelgate", "-v")
    result.stdout.fnmatch_lines([f"*toy-mcq::at-least-ecosystem?candidate? {outcome.upper()}*"])
    if outcome == "failed":
        assert "Floor: the score may fall at most 0.050 below the reference." in result.stdout.str()
        assert result.ret == 1


@pytest.mark.parametrize("correct, ret", [(40, 1), (190, 0)])
def test_higher_is_safer_flips_the_comparison(pytester, model_server, write_gate, correct, ret):
    """Honesty-like metric: scoring far BELOW the ecosystem is the risk."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=correct))
    write_gate(
        gate(
            server.base_url,
            baselines=PEER_70,
            thresholds=ABOVE_ECOSYSTEM,
            bench_extra="        higher_is_safer: true",
        )
    )
    result = pytester.runpytest("--modelgate")
    assert result.ret == ret
    if ret:
        assert (
            "Higher is safer here: the risk is scoring below the reference." in result.stdout.str()
        )


def test_point_decision_reproduces_published_practice(pytester, model_server, write_gate):
    """72/100 vs 0.70: the interval cannot tell; the point estimate calls it crossed."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=72))
    write_gate(
        gate(
            server.base_url,
            baselines=PEER_70,
            thresholds=ABOVE_ECOSYSTEM,
            policy="  decision: point",
        )
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(failed=2)
    assert "Decision by point estimate (weaker" in result.stdout.str()
    entry = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy-mcq"]
    assert entry["thresholds"][0]["method"] == "point"
    assert entry["thresholds"][0]["outcome"] == "crossed"


def test_paired_comparison_with_a_recorded_baseline(pytester, model_server, write_gate):
    """Record a baseline with one server, gate another against it on the same items."""
    weak = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(300, correct=150))
    write_gate(gate(weak.base_url, thresholds="          - {above: 0.99, tier: critical}"))
    recorded = pytester.runpytest("--modelgate", "--modelgate-record-baseline", "peer.results.json")
    recorded.assert_outcomes(passed=2)
    baseline = json.loads((pytester.path / "peer.results.json").read_text())
    assert len(baseline["benchmarks"]["toy-mcq"]["items"]) == 300

    # The candidate gets the same 150 right plus 30 more: +0.10, paired.
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(300, correct=180))
    strong = model_server()
    write_gate(
        gate(
            strong.base_url,
            thresholds=ABOVE_ECOSYSTEM,
            baselines="""
baselines:
  peer: {results: peer.results.json, source: recorded by this test}
""",
        )
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(failed=2)
    threshold = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"][
        "toy-mcq"
    ]["thresholds"][0]
    assert threshold["method"] == "paired"
    assert threshold["outcome"] == "crossed"
    assert threshold["reference"] == 0.5
    assert threshold["diff"] == pytest.approx(0.1)
    # Paired on identical items is far tighter than an unpaired comparison would be.
    assert threshold["diff_ci"][1] - threshold["diff_ci"][0] < 0.08


def test_baseline_lacking_candidate_items_errors(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(50, correct=10))
    write_gate(gate(server.base_url, thresholds="          - {above: 0.99, tier: critical}"))
    pytester.runpytest("--modelgate", "--modelgate-record-baseline", "peer.results.json")
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(60, correct=10))  # 10 new items
    write_gate(
        gate(
            server.base_url,
            thresholds=ABOVE_ECOSYSTEM,
            baselines="baselines:\n  peer: {results: peer.results.json}",
        )
    )
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    assert "has no result for 10 of the candidate's 60 items" in result.stdout.str()


def test_each_benchmark_is_queried_once_for_all_its_items(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=10))
    write_gate(
        gate(
            server.base_url,
            baselines=PEER_70,
            thresholds="\n".join(
                [
                    ABOVE_ECOSYSTEM,
                    "          - {above: peer, id: above-peer, tier: high}",
                    "          - {above: 0.9, tier: critical}",
                ]
            ),
        )
    )
    result = pytester.runpytest("--modelgate", "-v")
    result.assert_outcomes(passed=4)
    assert len(server.requests) == 40


def test_two_candidate_models_are_parameters(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=10))
    text = gate(server.base_url, baselines=PEER_70, thresholds=ABOVE_ECOSYSTEM)
    text = text.replace(
        "models:\n", f"models:\n  other: {{provider: openai, base_url: {server.base_url}}}\n"
    )
    write_gate(text)
    result = pytester.runpytest(
        "--modelgate", "--modelgate-model", "candidate,other", "--collect-only", "-q"
    )
    result.stdout.fnmatch_lines(
        [
            "release.gate.yaml::cybersecurity::toy-mcq::above-ecosystem[[]candidate[]]",
            "release.gate.yaml::cybersecurity::toy-mcq::above-ecosystem[[]other[]]",
            "release.gate.yaml::cybersecurity[[]candidate[]]",
            "release.gate.yaml::cybersecurity[[]other[]]",
        ]
    )
    assert server.requests == []  # collection queries nothing


def test_epochs_average_per_item_with_distinct_seeds(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=15))
    write_gate(
        gate(
            server.base_url,
            thresholds="          - {above: 0.9, tier: critical}",
            bench_extra="        epochs: 3",
        )
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    assert len(server.requests) == 90
    assert sorted({r.get("seed") for r in server.requests}) == [0, 1, 2]
    entry = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy-mcq"]
    assert entry["calls"] == 90 and entry["n"] == 30 and entry["epochs"] == 3


def test_items_sharing_a_cluster_get_a_clustered_interval(pytester, model_server, write_gate):
    """Ten templates, each answered all right or all wrong: 10 independent units, not 200."""
    server = model_server()
    rows = mcq_rows(200, correct=0)
    for i, row in enumerate(rows):
        row["cluster"] = f"template-{i % 10}"
        if i % 10 < 4:  # four whole templates right
            row["question"] = row["question"].replace(row["question"][-3], "ABCD"[row["answer"]])
    write_jsonl(pytester.path / "data/mcq.jsonl", rows)
    write_gate(gate(server.base_url, thresholds="          - {above: 0.9, tier: critical}"))
    pytester.runpytest("--modelgate", "--modelgate-report", "out").assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy-mcq"]
    assert bench["score"] == 0.4
    assert bench["interval_method"].startswith("cluster bootstrap")
    low, high = bench["ci"]
    assert high - low > 0.4  # far wider than Wilson's ~0.14 at n=200: 10 clusters, not 200 items
