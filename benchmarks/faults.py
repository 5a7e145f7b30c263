"""Fault and resume scenarios against our loopback model server, with the figures they print.

    python benchmarks/faults.py            # prints a Markdown table; about 30 s on 2 cores

1. Faults: 2,000 items at concurrency 32 through ~15% injected faults (429 with
   Retry-After, 500/503, dropped connections, answers stalled past the timeout,
   garbled JSON), max_error_rate 5%: every item scored or excluded, never missing.
2. Transient faults only (429 with Retry-After, 500/503, dropped connections, stalls), the
   same 2,000 items at concurrency 32, no item allowed to go unanswered (max_error_rate 0)
   and a deadline per answer (deadline_s): retried until answered, every item is scored and
   the score and tier equal a fault-free run's on the same items.
3. Resume: a run SIGKILLed mid-benchmark, then run again: the rerun's calls equal the
   items not answered before the kill (the response cache kept the rest).

Each scenario runs `pytest --modelgate` in a subprocess, as CI would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the loopback server and dataset helpers of the tests
from conftest import mcq_rows, write_jsonl  # noqa: E402
from openai_server import OpenAIServer  # noqa: E402

FAULTS = {"429": 0.05, "503": 0.03, "500": 0.02, "drop": 0.02, "slow": 0.01, "malformed": 0.02}

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", concurrency: {concurrency},
               timeout_s: 1.0, max_retries: 6}}
domains:
  d:
    benchmarks:
      toy:
        dataset: data.jsonl
        format: mcq
        scorer: choice
        max_error_rate: 0.05
        thresholds: [{{above: 0.9, tier: critical}}]
"""


def pytest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "--modelgate", "-q", "-p", "no:cacheprovider", *args]


def faults(workdir: Path) -> dict[str, object]:
    write_jsonl(workdir / "data.jsonl", mcq_rows(2000, correct=500))
    with OpenAIServer(faults=FAULTS, fault_seed=7, slow_s=1.5) as server:
        (workdir / "faults.gate.yaml").write_text(GATE.format(url=server.base_url, concurrency=32))
        started = time.perf_counter()
        subprocess.run(
            pytest_command(
                "faults.gate.yaml", "--modelgate-no-cache", "--modelgate-report", "faults"
            ),
            cwd=workdir,
            capture_output=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        bench = json.loads((workdir / "faults/results.json").read_text())["benchmarks"]["toy"]
        return {
            "items": 2000,
            "requests seen": len(server.requests),
            "faults injected": sum(server.injected.values()),
            "by kind": ", ".join(f"{k} {v}" for k, v in sorted(server.injected.items())),
            "retries": len(server.requests) - 2000,
            "scored": bench["n"],
            "excluded (garbled, not retried)": bench["errors"],
            "missing": 2000 - bench["n"] - bench["errors"],
            "wall s": round(seconds, 1),
        }


TRANSIENT = {"429": 0.05, "503": 0.03, "500": 0.03, "drop": 0.03, "slow": 0.01}


def until_deadline(workdir: Path) -> dict[str, object]:
    write_jsonl(workdir / "data.jsonl", mcq_rows(2000, correct=500))
    gate = GATE.replace("max_error_rate: 0.05", "max_error_rate: 0").replace(
        "max_retries: 6}}", "max_retries: 6, deadline_s: 120}}"
    )
    outcome = {}
    for name, faults in (("fault-free", {}), ("faulty", TRANSIENT)):
        with OpenAIServer(faults=faults, fault_seed=11, slow_s=1.5) as server:
            (workdir / f"{name}.gate.yaml").write_text(
                gate.format(url=server.base_url, concurrency=32)
            )
            started = time.perf_counter()
            done = subprocess.run(
                pytest_command(
                    f"{name}.gate.yaml", "--modelgate-no-cache", "--modelgate-report", name
                ),
                cwd=workdir,
                capture_output=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            data = json.loads((workdir / f"{name}/results.json").read_text())
            bench = data["benchmarks"]["toy"]
            outcome[name] = (bench, data["release"], done.returncode, server, seconds)
    clean, faulty = outcome["fault-free"], outcome["faulty"]
    return {
        "items": 2000,
        "faults injected (faulty run)": sum(faulty[3].injected.values()),
        "by kind": ", ".join(f"{k} {v}" for k, v in sorted(faulty[3].injected.items())),
        "requests seen (faulty run)": len(faulty[3].requests),
        "scored: fault-free / faulty": f"{clean[0]['n']} / {faulty[0]['n']}",
        "errors: fault-free / faulty": f"{clean[0]['errors']} / {faulty[0]['errors']}",
        "score: fault-free / faulty": f"{clean[0]['score']} / {faulty[0]['score']}",
        "tier: fault-free / faulty": f"{clean[1]['tier']} / {faulty[1]['tier']}",
        "pytest exit: fault-free / faulty": f"{clean[2]} / {faulty[2]}",
        "wall s: fault-free / faulty": f"{clean[4]:.1f} / {faulty[4]:.1f}",
    }


def resume(workdir: Path) -> dict[str, object]:
    write_jsonl(workdir / "data.jsonl", mcq_rows(1000, correct=300))
    with OpenAIServer(latency_s=0.01) as server:
        (workdir / "resume.gate.yaml").write_text(GATE.format(url=server.base_url, concurrency=4))
        command = pytest_command("resume.gate.yaml", "--modelgate-cache", "cache")
        run = subprocess.Popen(
            command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while server.answered < 400:
            time.sleep(0.005)
        run.send_signal(signal.SIGKILL)
        run.wait()
        time.sleep(0.3)  # requests in flight at the kill finish; nobody reads them
        before = len(server.requests)
        subprocess.run(
            [*command, "--modelgate-report", "resumed"],
            cwd=workdir,
            capture_output=True,
            check=False,
        )
        bench = json.loads((workdir / "resumed/results.json").read_text())["benchmarks"]["toy"]
        return {
            "items": 1000,
            "answered before SIGKILL": before,
            "kept in cache": bench["cached"],
            "calls on rerun (server count)": len(server.requests) - before,
            "items not answered before the kill": 1000 - bench["cached"],
            "lost in flight": before - bench["cached"],
        }


def main() -> None:
    scenarios = (("faults", faults), ("until the deadline", until_deadline), ("resume", resume))
    for name, scenario in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            figures = scenario(Path(tmp))
        print(f"\n### {name}\n\n| figure | value |\n|---|---|")
        for key, value in figures.items():
            print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
