"""pytest-xdist: the same verdicts, results.json and JUnit as one process."""

from __future__ import annotations

import json
import re

import pytest
from conftest import mcq_rows, write_jsonl

pytest.importorskip("xdist", reason="pytest-xdist is in the dev extra")

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy, concurrency: 4}}
baselines:
  peer: {{scores: {{weak-{n}: {{score: 0.7, n: 1000}}, strong-{n}: {{score: 0.3, n: 1000}}}}}}
domains:
  cybersecurity:
    benchmarks:
      weak-{n}:
        dataset: data/weak-{n}.jsonl
        format: mcq
        scorer: choice
        thresholds: [{{above: ecosystem, margin: 0.02, tier: high}}, {{above: 0.9, tier: critical}}]
  chem_bio:
    benchmarks:
      strong-{n}:
        dataset: data/strong-{n}.jsonl
        format: mcq
        scorer: choice
        thresholds: [{{above: ecosystem, margin: 0.02, tier: high}}]
"""


def _without_times(text: str) -> str:
    return re.sub(r' (time|timestamp|hostname)="[^"]*"', "", text)


def test_workers_give_the_same_results_as_one_process(pytester, model_server, write_gate):
    server = model_server()
    for n in (1, 2, 3):  # three gate files, so the workers really share the work
        write_jsonl(
            pytester.path / f"data/weak-{n}.jsonl", mcq_rows(60, correct=10, prefix=f"w{n}")
        )
        write_jsonl(
            pytester.path / f"data/strong-{n}.jsonl", mcq_rows(60, correct=50, prefix=f"s{n}")
        )
        write_gate(GATE.format(url=server.base_url, n=n), name=f"gate{n}.gate.yaml")

    single = pytester.runpytest_subprocess(
        "--modelgate", "--modelgate-no-cache", "--modelgate-report", "single"
    )
    calls_single = len(server.requests)
    spread = pytester.runpytest_subprocess(
        "--modelgate", "--modelgate-no-cache", "-n", "2", "--modelgate-report", "spread"
    )
    assert single.ret == spread.ret == 1  # the strong benchmarks cross: same verdict
    assert single.parseoutcomes() == spread.parseoutcomes()
    # Each benchmark was evaluated once in each run, by one worker.
    assert len(server.requests) - calls_single == calls_single == 3 * 120

    def results(folder):
        data = json.loads((pytester.path / folder / "results.json").read_text())
        for bench in data["benchmarks"].values():
            bench.pop("usage", None)
        return data

    assert results("spread") == results("single")
    assert _without_times((pytester.path / "spread/junit.xml").read_text()) == _without_times(
        (pytester.path / "single/junit.xml").read_text()
    )
    spread.stdout.fnmatch_lines(["*Release gate FAIL: model candidate is at tier high*"])
    spread.stdout.fnmatch_lines(["2 workers [[]15 items[]]"])  # 3 files x (3 gates + 2 domains)


def test_plan_refuses_workers(pytester, write_gate):
    write_gate("version: 1\n")
    result = pytester.runpytest("--modelgate", "--modelgate-plan", "-n", "2")
    assert result.ret == 4
    assert "--modelgate-plan queries nothing: run it without -n" in result.stderr.str()
