"""Rate limits, budgets, token usage and cost; recording answers for replay."""

from __future__ import annotations

import json

import pytest
from conftest import mcq_rows, write_jsonl

from pytest_modelgate.models.spending import Budget, BudgetExceeded, RateLimiter, estimate_tokens

GATE = """
version: 1
policy:
  ladder: meta-frontier
  allowed: moderate
{policy}
models:
  candidate:
    provider: openai
    base_url: "{url}"
    model: toy
    params: {{max_tokens: 4}}
{model}
domains:
  cybersecurity:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: choice
{bench}
        thresholds:
          - {{above: 0.9, tier: critical}}
"""


def gate(url, policy="", model="", bench=""):
    return GATE.format(url=url, policy=policy, model=model, bench=bench)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


def test_rate_limiter_spaces_requests_after_a_burst():
    clock = FakeClock()
    limiter = RateLimiter(requests_per_minute=60, clock=clock, sleep=clock.sleep)
    for _ in range(60):  # a minute's worth may burst
        limiter.acquire(0)
    assert clock.slept == 0
    for _ in range(30):
        limiter.acquire(0)
    assert clock.slept == pytest.approx(30.0, rel=1e-6)  # then one per second


def test_rate_limiter_counts_tokens_and_settles_the_real_count():
    clock = FakeClock()
    limiter = RateLimiter(tokens_per_minute=6000, clock=clock, sleep=clock.sleep)
    limiter.acquire(6000)
    limiter.settle(6000, 12000)  # the answer was twice the estimate: a debt of 6000
    limiter.acquire(100)
    assert clock.slept == pytest.approx(61.0, rel=1e-6)  # repay 6000, then 100 more


def test_budget_refuses_the_call_it_cannot_pay_for():
    budget = Budget("policy.budget", max_calls=2, max_cost=1.0)
    budget.reserve_call()
    budget.reserve_call()
    with pytest.raises(BudgetExceeded, match=r"max_calls 2, policy.budget\) after 2 calls"):
        budget.reserve_call()
    spent = Budget("x", max_cost=0.5)
    spent.reserve_call()
    spent.charge(100, 0.5)
    with pytest.raises(BudgetExceeded, match="max_cost 0.5"):
        spent.reserve_call()


def test_token_estimate_is_about_four_characters():
    assert estimate_tokens([{"role": "user", "content": "x" * 41}], "abcd") == (11, 1)


def test_budget_stops_the_run_cleanly_and_a_bigger_one_continues_from_the_cache(
    pytester, model_server, write_gate
):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(100, correct=10))
    write_gate(
        gate(server.base_url, bench="        budget: {max_calls: 30}", model="    concurrency: 1")
    )
    result = pytester.runpytest("--modelgate")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*budget exhausted (max_calls 30, domains.cybersecurity."
            "benchmarks.toy.budget) after 30 calls*raise the budget*"
        ]
    )
    assert len(server.requests) == 30
    write_gate(gate(server.base_url, bench="        budget: {max_calls: 100}"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    # One answer was bought twice, on purpose: the server's reply says who answers now.
    assert (bench["calls"], bench["cached"]) == (71, 29)
    assert len(server.requests) == 101


def test_policy_budget_is_shared_by_the_whole_run(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(40, correct=10))
    write_gate(gate(server.base_url, policy="  budget: {max_calls: 10}"))
    result = pytester.runpytest("--modelgate", "--modelgate-no-cache")
    result.assert_outcomes(errors=2)
    assert "budget exhausted (max_calls 10, policy.budget)" in result.stdout.str()


def test_cost_from_prices_and_estimated_usage_when_the_api_reports_none(
    pytester, model_server, write_gate
):
    priced = "    prices: {input_per_mtok: 3.0, output_per_mtok: 15.0}"
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(20, correct=10))
    write_gate(gate(server.base_url, model=priced))
    pytester.runpytest("--modelgate", "--modelgate-report", "out", "--modelgate-no-cache")
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    # 20 answers x (10 prompt tokens at $3/M + 1 completion token at $15/M)
    assert bench["cost"] == pytest.approx(20 * (10 * 3.0 + 1 * 15.0) / 1e6)
    assert bench["usage_estimated"] is False

    bare = model_server(usage=False)
    write_gate(gate(bare.base_url, model=priced))
    pytester.runpytest("--modelgate", "--modelgate-report", "out", "--modelgate-no-cache")
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    assert bench["usage_estimated"] is True
    assert bench["usage"]["prompt_tokens"] > 20 * 20  # ~4 characters a token of real prompts
    assert bench["cost"] > 0


def test_rate_limited_model_is_accepted_and_runs(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(20, correct=10))
    write_gate(
        gate(
            server.base_url,
            model="    rate_limit: {requests_per_minute: 6000, tokens_per_minute: 1000000}",
        )
    )
    pytester.runpytest("--modelgate").assert_outcomes(passed=2)
    assert len(server.requests) == 20


def test_recorded_answers_replay_offline_bit_for_bit(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=12))
    write_gate(gate(server.base_url))
    pytester.runpytest(
        "--modelgate", "--modelgate-record-responses", "answers.jsonl", "--modelgate-report", "live"
    ).assert_outcomes(passed=2)
    server.stop()  # from here on, no model is reachable
    assert len((pytester.path / "answers.jsonl").read_text().splitlines()) == 30
    write_gate(
        gate(server.base_url)
        .replace("provider: openai", "provider: replay")
        .replace("    model: toy", "    model: toy\n    options: {file: answers.jsonl}")
    )
    pytester.runpytest("--modelgate", "--modelgate-report", "replayed").assert_outcomes(passed=2)
    live = json.loads((pytester.path / "live/results.json").read_text())["benchmarks"]["toy"]
    again = json.loads((pytester.path / "replayed/results.json").read_text())["benchmarks"]["toy"]
    assert again["items"] == live["items"] and again["ci"] == live["ci"]
    assert again["cached"] == 0  # a replay is never answered from the cache


def test_every_report_states_the_spend(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(20, correct=10))
    write_gate(
        gate(server.base_url, model="    prices: {input_per_mtok: 3.0, output_per_mtok: 15.0}")
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out", "--modelgate-no-cache")
    spend = "Spend: 20 model calls, 0 cached answers, 220 tokens, cost 0.0009 (from the models' prices)."
    result.stdout.fnmatch_lines([spend])
    for name in ("summary.md", "junit.xml", "report.html"):
        text = (pytester.path / "out" / name).read_text()
        assert (
            spend.replace("'", "&#x27;") in text
            or spend.replace("'", "&apos;") in text
            or (spend in text)
        ), name
