"""What the benchmark scripts share: the fast model server as a context manager, timing a
whole process with the peak RSS of its process tree, the gate file, and the header that
says when, where and how a table was measured."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLL_S = 0.005


class FastServer:
    """benchmarks/fastserver.py in a process of its own; stopped on exit."""

    def __init__(self, latency_ms: float = 0.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "fastserver.py"), "--latency-ms", str(latency_ms)],
            stdin=subprocess.PIPE,  # never written: its EOF stops the server if we die
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("listening "):
            self.proc.kill()
            raise RuntimeError(f"fastserver did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()
        self.base_url = f"{self.url}/v1"

    def _call(self, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(f"{self.url}{path}", data=data, timeout=10) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        return self._call("/stats")

    def reset(self) -> None:
        self._call("/reset", {})

    def set_latency(self, latency_ms: float) -> None:
        self._call("/config", {"latency_ms": latency_ms})

    def __enter__(self) -> FastServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _tree_pids(pid: int) -> list[int]:
    pids, stack = [], [pid]
    while stack:
        p = stack.pop()
        pids.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return pids


def _field_kb(path: str, name: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(name):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def _tree_rss_kb(pid: int) -> int:
    """Memory of ``pid`` and its descendants, in KiB (Linux /proc). One process: its RSS.
    Several: the sum of their PSS, so a child forked (not yet exec'd) or sharing pages with
    its parent is not counted twice; PSS costs ~5 ms a read, so only then."""
    pids = _tree_pids(pid)
    if len(pids) == 1:
        return _field_kb(f"/proc/{pid}/status", "VmRSS:")
    return sum(_field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)


@dataclass
class Run:
    seconds: float
    cpu_s: float  # user + system of the process and the children it waited for
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 900.0,
) -> Run:
    """Wall time of the whole process, and the peak RSS of its process tree: the larger of
    a poll of the tree's memory (every 5 ms, less often when a poll is costly) and the
    kernel's ru_maxrss of the biggest process."""
    # Output goes to files outside ``cwd`` (inspect runs in the repository's peer_tasks/).
    capture = Path(tempfile.mkdtemp(prefix="bench-output-"))
    out_path, err_path = capture / "stdout", capture / "stderr"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env) if env else None, stdout=out, stderr=err
        )
        peak = [0]
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                began = time.perf_counter()
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                # A PSS read of a big process costs milliseconds: poll at most ~5% of a core.
                done.wait(max(POLL_S, 20 * (time.perf_counter() - began)))

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        timer.cancel()
        done.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = max(peak[0], usage.ru_maxrss)
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    shutil.rmtree(capture, ignore_errors=True)
    return Run(
        seconds, usage.ru_utime + usage.ru_stime, peak_kb / 1024, proc.returncode, stdout, stderr
    )


GATE = """\
version: 1
policy: {{ladder: meta-frontier, allowed: moderate, inconclusive: warn}}
models:
  candidate:
    provider: openai
    base_url: "{base_url}"
    model: bench
    concurrency: {concurrency}
    params: {{temperature: 0, max_tokens: 16, seed: 0}}
domains:
  benign:
    benchmarks:
      mcq:
        dataset: {dataset}
        format: mcq
        scorer: choice
        thresholds: [{{above: 0.9, tier: critical}}]
"""


def write_gate(directory: Path, base_url: str, concurrency: int, dataset: Path) -> Path:
    path = directory / "bench.gate.yaml"
    path.write_text(GATE.format(base_url=base_url, concurrency=concurrency, dataset=dataset))
    return path


def modelgate_command(gate: Path, *extra: str) -> list[str]:
    """``pytest --modelgate`` as CI runs it: the whole process, default plugins."""
    return [sys.executable, "-m", "pytest", "--modelgate", str(gate), *extra]


def modelgate_score(report_dir: Path) -> tuple[float, int]:
    bench = json.loads((report_dir / "results.json").read_text())["benchmarks"]["mcq"]
    return bench["score"], bench["n"]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024**2:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def header(title: str, command: str, notes: Sequence[str] = ()) -> list[str]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"# {title}",
        "",
        f"- command: `{command}`",
        f"- date: {now}",
        f"- machine: {machine()}",
        f"- load average at start (1/5/15 min): {load} (the machine is shared; medians of "
        "repetitions, runs interleaved across tools)",
    ]
    return lines + [f"- {note}" for note in notes] + [""]


def load_at_end() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"Load average at end (1/5/15 min): {load}."


def publish(lines: Sequence[str], out: Path) -> None:
    """Write a results table to ``out`` and print it."""
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out
