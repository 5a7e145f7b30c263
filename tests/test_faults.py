"""A model API that rate-limits, fails, drops connections, stalls and garbles answers:
every item is scored or explicitly excluded, and missing data never passes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from conftest import mcq_rows, write_jsonl

from pytest_modelgate.models.cache import ResponseCache

FAULTS = {"429": 0.05, "503": 0.03, "500": 0.02, "drop": 0.02, "slow": 0.01, "malformed": 0.02}

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate:
    provider: openai
    base_url: "{url}"
    concurrency: 32
    timeout_s: 2.0
    max_retries: 6
domains:
  cybersecurity:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: choice
        max_error_rate: {rate}
        thresholds:
          - {{above: 0.9, tier: critical}}
"""


def test_two_thousand_items_through_fifteen_percent_faults(pytester, model_server, write_gate):
    server = model_server(faults=FAULTS, fault_seed=7, slow_s=3.0)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2000, correct=500))
    write_gate(GATE.format(url=server.base_url, rate=0.05))
    result = pytester.runpytest_subprocess(
        "--modelgate", "--modelgate-report", "out", "--modelgate-no-cache"
    )
    result.assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    injected = server.injected
    assert sum(injected.values()) >= 0.12 * 2000  # the faults really happened
    # Retried faults (429, 5xx, drops, timeouts) all recovered; a garbled answer is not
    # retried, so each one excludes its item, and the report counts every exclusion.
    assert bench["errors"] == injected["malformed"]
    assert bench["n"] + bench["errors"] == 2000
    # Each scored item took exactly one answer the client accepted; stalled answers the
    # client had given up on (and retried) never count.
    assert bench["calls"] == bench["n"] <= server.answered
    assert bench["score"] == round(sum(bench["items"].values()) / bench["n"], 6)
    result.stdout.fnmatch_lines(
        [
            f"toy: {bench['errors']} of 2000 items could not be answered "
            "and were excluded (max_error_rate 5.0%)"
        ]
    )


def test_transient_faults_cost_no_item_and_change_no_verdict(pytester, model_server, write_gate):
    """15% transient faults (429, 5xx, dropped connections) and no tolerated error rate: with
    a deadline, every item is retried until answered; the verdict is the fault-free run's."""
    transient = {"429": 0.05, "503": 0.04, "500": 0.03, "drop": 0.03}
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(400, correct=372))  # 0.93 > 0.9
    outcomes = {}
    for name, faults in (("clean", {}), ("faulty", transient)):
        server = model_server(faults=faults, fault_seed=11)
        gate = GATE.format(url=server.base_url, rate=0).replace(
            "max_retries: 6",
            "max_retries: 0\n    deadline_s: 60",  # the deadline retries
        )
        write_gate(gate)
        result = pytester.runpytest_subprocess(
            "--modelgate", "--modelgate-report", name, "--modelgate-no-cache"
        )
        outcomes[name] = result.parseoutcomes()
        document = json.loads((pytester.path / name / "results.json").read_text())
        outcomes[name + " bench"] = document["benchmarks"]["toy"]
        outcomes[name + " tier"] = document["benchmarks"]["toy"]["tier"]
        if faults:
            assert sum(server.injected.values()) >= 0.1 * 400  # the faults really happened
    clean, faulty = outcomes["clean bench"], outcomes["faulty bench"]
    assert faulty["n"] == 400 and faulty["errors"] == 0
    assert faulty["items"] == clean["items"] and faulty["score"] == clean["score"] == 0.93
    assert outcomes["faulty tier"] == outcomes["clean tier"] == "critical"
    assert outcomes["faulty"] == outcomes["clean"] == {"failed": 2}  # above the allowed tier


def test_faults_beyond_the_tolerated_rate_error_the_benchmark(pytester, model_server, write_gate):
    server = model_server(faults={"malformed": 0.10}, fault_seed=3)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(300, correct=0))
    write_gate(GATE.format(url=server.base_url, rate=0.02))
    result = pytester.runpytest_subprocess("--modelgate", "--modelgate-no-cache")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*items could not be answered (*% > max_error_rate 2.0%); "
            "first error: model 'candidate' at * malformed response*"
        ]
    )


def test_without_a_tolerated_rate_the_first_unanswerable_item_stops_the_run(
    pytester, model_server, write_gate
):
    server = model_server(faults={"malformed": 0.05}, fault_seed=1)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2000, correct=0))
    write_gate(GATE.format(url=server.base_url, rate=0))
    result = pytester.runpytest_subprocess("--modelgate", "--modelgate-no-cache")
    result.assert_outcomes(errors=2)
    assert "malformed response" in result.stdout.str()
    assert len(server.requests) < 2000  # it stopped early instead of spending the budget


def test_a_killed_run_resumes_without_asking_again(pytester, model_server, write_gate):
    """SIGKILL mid-benchmark; the rerun asks only for what was not answered before."""
    server = model_server(latency_s=0.01)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(600, correct=100))
    write_gate(
        GATE.format(url=server.base_url, rate=0).replace("concurrency: 32", "concurrency: 4")
    )
    command = [sys.executable, "-m", "pytest", "--modelgate", "--modelgate-cache", "cache", "-q"]
    run = subprocess.Popen(
        command, cwd=pytester.path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while server.answered < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    time.sleep(0.3)  # the server finishes the requests that were in flight; nobody reads them
    answered_before_kill = server.answered
    requests_before_rerun = len(server.requests)
    assert 200 <= answered_before_kill < 600, "the kill must land mid-benchmark"

    cache = ResponseCache(pytester.path / "cache/responses.sqlite3")
    kept = len(cache)
    cache.close()
    assert kept >= answered_before_kill - 4  # at most the answers in flight are lost

    result = pytester.runpytest_subprocess(
        "--modelgate", "--modelgate-cache", "cache", "--modelgate-report", "out"
    )
    result.assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    # One cached answer is asked again: the server's reply says it is still the same one.
    assert len(server.requests) - requests_before_rerun == 600 - kept + 1 == bench["calls"]
    assert bench["cached"] == kept - 1 and bench["n"] == 600 and bench["cache_refetched"] == 0


def test_a_cached_rerun_asks_once_and_a_bad_cache_is_set_aside(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(50, correct=10))
    write_gate(GATE.format(url=server.base_url, rate=0))
    pytester.runpytest("--modelgate").assert_outcomes(passed=2)  # default: pytest's cache dir
    assert len(server.requests) == 50
    result = pytester.runpytest(
        "--modelgate", "--modelgate-report", "out", "--modelgate-cache-reuse"
    )
    result.assert_outcomes(passed=2)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    # Once: the first cached answer is asked again, to learn who the server is now.
    assert (bench["calls"], bench["cached"], len(server.requests)) == (1, 49, 51)

    (pytester.path / "bad").mkdir()
    (pytester.path / "bad/responses.sqlite3").write_bytes(b"not a database at all" * 100)
    result = pytester.runpytest("--modelgate", "--modelgate-cache", "bad")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "modelgate: response cache bad/responses.sqlite3 was not a "
            "readable sqlite database*moved it to*"
        ]
    )
    assert len(server.requests) == 101


def test_replicas_share_the_load_and_a_dead_one_is_retried_elsewhere(
    pytester, model_server, write_gate
):
    first, second, dead = model_server(), model_server(), model_server()
    dead_url = dead.base_url
    dead.stop()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(90, correct=10))
    urls = f'["{first.base_url}", "{second.base_url}", "{dead_url}"]'
    write_gate(GATE.format(url="unused", rate=0).replace('base_url: "unused"', f"base_url: {urls}"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    assert len(first.requests) + len(second.requests) == 90
    assert min(len(first.requests), len(second.requests)) >= 30  # round-robin, not one-sided


def test_deadline_bounds_one_answer_retries_included(pytester, model_server, write_gate):
    server = model_server(latency_s=1.0)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(2, correct=0))
    write_gate(
        GATE.format(url=server.base_url, rate=0).replace(
            "max_retries: 6", "max_retries: 6\n    deadline_s: 0.3"
        )
    )
    started = time.monotonic()
    result = pytester.runpytest("--modelgate", "--modelgate-no-cache")
    result.assert_outcomes(errors=2)
    assert "timed out after 0.3 s; deadline_s 0.3 reached after 1 attempts" in result.stdout.str()
    assert time.monotonic() - started < 1.0  # not 7 attempts of a 1 s timeout


SEQUENTIAL = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate, sampling: sequential}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy, concurrency: 8}}
baselines:
  peer: {{scores: {{toy: {{score: 0.7, n: 1000}}}}}}
domains:
  d:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - {{above: ecosystem, margin: 0.05, tier: high}}
          - {{above: 0.9, tier: critical}}
"""


def test_sequential_sampling_stops_once_every_threshold_is_decided(
    pytester, model_server, write_gate
):
    """A model far below both thresholds is cleared long before the last of 2,000 items."""
    server = model_server()
    rows = mcq_rows(2000, correct=0)
    for i, row in enumerate(rows):  # every 5th answered right: 20%, spread through the set
        if i % 5 == 0:
            row["question"] = row["question"].replace(row["question"][-3], "ABCD"[row["answer"]])
    write_jsonl(pytester.path / "data/mcq.jsonl", rows)
    write_gate(SEQUENTIAL.format(url=server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=3)
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    assert bench["sampling"] == "sequential" and bench["items_available"] == 2000
    assert bench["stopped_after"] is not None and bench["stopped_after"] <= 1000
    assert bench["n"] == bench["stopped_after"] == bench["calls"] == len(server.requests)
    assert bench["thresholds"][0]["outcome"] == bench["thresholds"][1]["outcome"] == "cleared"
    assert "Sequential evaluation: stopped after" in (pytester.path / "out/junit.xml").read_text()


def test_sequential_sampling_uses_every_item_when_it_cannot_decide(
    pytester, model_server, write_gate
):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(200, correct=150))  # 0.75 vs 0.7
    write_gate(SEQUENTIAL.format(url=server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    assert bench["stopped_after"] is None and bench["n"] == 200 == len(server.requests)
    assert bench["thresholds"][0]["outcome"] == "inconclusive"
    assert result.ret == 1  # inconclusive fails closed


HOLM = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate, inconclusive: warn{extra}}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy}}
domains:
  d:
    benchmarks:
{benches}
"""


def test_holm_keeps_only_crossings_that_survive_the_family(pytester, model_server, write_gate):
    """220/400 is above 0.5 at 95% but not at Holm's 99% for the first of five claims."""
    server = model_server()
    benches = []
    for k, correct in enumerate((220, 40, 40, 40, 40)):
        write_jsonl(
            pytester.path / f"data/b{k}.jsonl", mcq_rows(400, correct=correct, prefix=f"b{k}-")
        )
        benches.append(
            f"      b{k}: {{dataset: data/b{k}.jsonl, format: mcq, scorer: choice, "
            "thresholds: [{above: 0.5, tier: high}]}"
        )
    plain = HOLM.format(url=server.base_url, extra="", benches="\n".join(benches))
    write_gate(plain)
    result = pytester.runpytest("--modelgate", "--modelgate-report", "plain")
    result.assert_outcomes(failed=2, passed=4)  # b0 crosses at 95%: its item and the domain
    write_gate(plain.replace("inconclusive: warn", "inconclusive: warn, multiplicity: holm"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "holm")
    result.assert_outcomes(passed=6, warnings=1)
    data = json.loads((pytester.path / "holm/results.json").read_text())
    assert data["multiplicity"] == "holm"
    b0 = data["benchmarks"]["b0"]["thresholds"][0]
    assert b0["outcome"] == "inconclusive" and b0["verdict"] == "warned"
    assert "Holm correction across 5 risk thresholds" in result.stdout.str()


def _bench(pytester) -> dict:
    return json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]


def test_a_finished_run_lends_its_answers_to_no_later_run(pytester, model_server, write_gate):
    """A release run asks the model again: a new checkpoint behind the same name and URL must
    answer for itself. --modelgate-cache-reuse (development) serves them, and says when they
    were received."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=10))
    write_gate(GATE.format(url=server.base_url, rate=0))
    pytester.runpytest("--modelgate").assert_outcomes(passed=2)
    pytester.runpytest("--modelgate", "--modelgate-report", "out").assert_outcomes(passed=2)
    assert (_bench(pytester)["calls"], _bench(pytester)["cached"]) == (30, 0)
    assert len(server.requests) == 60
    result = pytester.runpytest(
        "--modelgate", "--modelgate-report", "out", "--modelgate-cache-reuse"
    )
    bench = _bench(pytester)
    assert (bench["calls"], bench["cached"], len(server.requests)) == (1, 29, 61)
    oldest, newest = bench["cached_recorded"]
    assert oldest <= newest and oldest.endswith("+00:00")
    result.stdout.fnmatch_lines(
        [f"Spend: 1 model calls, 29 cached answers (received {oldest} to *"]
    )


def test_answers_a_server_gave_under_another_identity_are_asked_again(
    pytester, model_server, write_gate
):
    """A new checkpoint behind the same name and URL says so (system_fingerprint, the served
    model id): answers recorded from the old one are not served, even with reuse asked for,
    and the report says how many were asked again and why."""
    server = model_server(system_fingerprint="fp_old")
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=10))
    write_gate(GATE.format(url=server.base_url, rate=0))
    pytester.runpytest("--modelgate").assert_outcomes(passed=2)
    server.system_fingerprint = "fp_new"  # redeployed
    result = pytester.runpytest(
        "--modelgate", "--modelgate-report", "out", "--modelgate-cache-reuse"
    )
    result.assert_outcomes(passed=2)
    bench = _bench(pytester)
    assert (bench["calls"], bench["cached"], bench["cache_refetched"]) == (30, 0, 30)
    assert len(server.requests) == 60
    assert bench["server_change"] == [
        "model=candidate, system_fingerprint=fp_old",
        "model=candidate, system_fingerprint=fp_new",
    ]
    result.stdout.fnmatch_lines(
        [
            "Spend: 30 model calls, 0 cached answers, * 30 cached answers asked again: recorded "
            "when the server said 'model=candidate, system_fingerprint=fp_old', it now says "
            "'model=candidate, system_fingerprint=fp_new'."
        ]
    )
    # The new server's answers replaced the old ones: the next reuse serves them.
    pytester.runpytest("--modelgate", "--modelgate-report", "out", "--modelgate-cache-reuse")
    assert (_bench(pytester)["cached"], _bench(pytester)["cache_refetched"]) == (29, 0)


def test_the_same_model_name_at_another_url_is_another_model(pytester, model_server, write_gate):
    """Cached answers belong to the deployment that gave them, even when reuse is asked for."""
    old, new = model_server(), model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=10))
    write_gate(GATE.format(url=old.base_url, rate=0))
    pytester.runpytest("--modelgate").assert_outcomes(passed=2)
    write_gate(GATE.format(url=new.base_url, rate=0))
    pytester.runpytest("--modelgate", "--modelgate-cache-reuse").assert_outcomes(passed=2)
    assert (len(old.requests), len(new.requests)) == (30, 30)


def test_a_run_stopped_early_is_resumed(pytester, model_server, write_gate):
    """A run stopped before it went the whole way (here -x, after the first failed gate) seals
    nothing: the next run asks only for what was never answered, without any flag."""
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=30))
    more = mcq_rows(20, correct=5, prefix="m")
    for row in more:  # prompts of their own, so no answer of toy's serves them
        row["question"] = "More: " + row["question"]
    write_jsonl(pytester.path / "data/more.jsonl", more)
    second = "\n      more:\n        dataset: data/more.jsonl\n        format: mcq\n"
    second += (
        "        scorer: choice\n        thresholds:\n          - {above: 0.9, tier: critical}\n"
    )
    write_gate(GATE.format(url=server.base_url, rate=0).rstrip("\n") + second)
    pytester.runpytest("--modelgate", "-x").assert_outcomes(failed=1)
    assert len(server.requests) == 30  # toy crossed its threshold; more was never asked
    pytester.runpytest("--modelgate").assert_outcomes(passed=1, failed=2)
    assert len(server.requests) == 51  # toy's resumed from the cache (one asked again: who?)


def test_a_benchmark_may_ask_for_fewer_requests_at_once_than_its_model(
    pytester, model_server, write_gate
):
    server = model_server(latency_s=0.05)
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(24, correct=6))
    gate = GATE.format(url=server.base_url, rate=0).replace("concurrency: 32", "concurrency: 8")
    write_gate(gate)
    pytester.runpytest("--modelgate", "--modelgate-no-cache").assert_outcomes(passed=2)
    assert server.peak_in_flight > 2  # the model's 8 are used

    server.peak_in_flight = 0
    write_gate(gate.replace("scorer: choice\n", "scorer: choice\n        concurrency: 2\n"))
    pytester.runpytest("--modelgate", "--modelgate-no-cache").assert_outcomes(passed=2)
    assert server.peak_in_flight == 2
