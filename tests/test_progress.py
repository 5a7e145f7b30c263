"""Live progress: one rewritten line on a terminal, plain periodic lines in CI logs,
nothing under -q."""

from __future__ import annotations

from conftest import mcq_rows, write_jsonl

from pytest_modelgate.run.progress import Progress, RunProgress


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


def test_the_whole_run_shows_benchmarks_done_and_its_time_left():
    """With several benchmarks to evaluate, each line also tells the whole run's progress:
    here 300 answers planned over 3 benchmarks, one done (100 answers in 10 s)."""
    clock, lines = Clock(), []
    run = RunProgress(300, 3, clock=clock)
    first = Progress(
        "a[candidate]", 100, write_line=lines.append, interval_s=10, clock=clock, run=run
    )
    clock.now = 10.0
    first.update(100, 100, 0, 0)
    first.finish()
    second = Progress(
        "b[candidate]", 100, write_line=lines.append, interval_s=10, clock=clock, run=run
    )
    clock.now = 20.0
    second.update(50, 50, 0, 0)
    # 150 answers in 20 s: the 150 left take 20 s more.
    assert lines[-1].endswith("ETA 10 s; run: 1/3 benchmarks, ETA 20 s")
    assert lines[-2].endswith("done in 10.0 s; run: 1/3 benchmarks, ETA 20 s")


def test_a_run_of_several_benchmarks_counts_them_and_a_k_selection_counts_only_its_own(
    pytester, model_server, write_gate
):
    server = model_server()
    write_jsonl(pytester.path / "data/mcq.jsonl", mcq_rows(30, correct=10))
    second = GATE.rstrip("\n") + (
        "\n      toy2:\n        dataset: data/mcq.jsonl\n        format: mcq\n"
        "        scorer: choice\n        thresholds: [{{above: 0.9, tier: critical}}]\n"
    )
    write_gate(second.format(url=server.base_url))
    result = pytester.runpytest("--modelgate", "--modelgate-no-cache")
    result.stdout.fnmatch_lines(
        [
            "modelgate toy[[]candidate[]]: 30/30 answers, *, done in *; run: 1/2 benchmarks, ETA *",
            "modelgate toy2[[]candidate[]]: 30/30 answers, *, done in *; run: 2/2 benchmarks, ETA 0 s",
        ]
    )
    one = pytester.runpytest("--modelgate", "--modelgate-no-cache", "-k", "toy2")
    assert "; run:" not in one.stdout.str()  # one benchmark selected: its own line says it all
