"""Live progress: one rewritten line on a terminal, plain periodic lines in CI logs,
nothing under -q."""

from __future__ import annotations

from conftest import mcq_rows, write_jsonl

from pytest_modelgate.run.progress import Progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_terminal_rewrites_one_line_at_most_ten_times_a_second():
    clock, lines, rewrites = Clock(), [], []
    p = Progress(
        "toy[candidate]", 100, write_line=lines.append, rewrite=rewrites.append, clock=clock
    )
    for done in range(1, 101):
        clock.now = done * 0.01  # an answer every 10 ms: 1 s in all
        p.update(done, done, 0, 0)
    p.finish()
    assert 9 <= len(rewrites) <= 11  # throttled, not one per answer
    assert rewrites[-1] == (
        "modelgate toy[candidate]: 100/100 answers, 100.0 calls/s, "
        "0 cached, 0 errors, done in 1.0 s"
    )
    assert lines == [""]  # finish ends the rewritten line


def test_ci_logs_get_plain_periodic_lines_without_control_codes():
    clock, lines = Clock(), []
    p = Progress("toy[candidate]", 1000, write_line=lines.append, interval_s=10, clock=clock)
    for done in range(1, 1001):
        clock.now = done * 0.05  # 50 s in all
        p.update(done, done - done // 4, done // 4, 0)
    p.finish()
    assert len(lines) == 5 + 1  # every 10 s, then the final line
    assert lines[0] == (
        "modelgate toy[candidate]: 200/1000 answers, 15.0 calls/s, 50 cached, 0 errors, ETA 40 s"
    )
    assert all("\r" not in line and "\x1b" not in line for line in lines)


GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy}}
domains:
  d:
    benchmarks:
      toy:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: choice
        thresholds: [{{above: 0.9, tier: critical}}]
"""


def test_a_gate_run_shows_progress_unless_quiet(pytester, model_server, write_gate):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(50, correct=10))
    write_gate(GATE.format(url=server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-no-cache")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "release.gate.yaml ",
            "modelgate toy[[]candidate[]]: 50/50 answers, * calls/s, 0 cached, 0 errors, done in *",
            "release.gate.yaml ..*",
        ]
    )
    assert "\r" not in result.stdout.str()  # not a terminal: no rewriting
    quiet = pytester.runpytest("--modelgate", "-q")
    quiet.assert_outcomes(passed=2)
    assert "modelgate toy" not in quiet.stdout.str()
