"""pytest-modelgate side by side with Inspect and lm-evaluation-harness, and a bare
asyncio + aiohttp loop as the floor: the same items, the same server, the same machine.

    bash benchmarks/install_peers.sh          # once, optional: peers in /tmp/peers/*
    python benchmarks/peers.py                # ~20 min on 2 cores; writes results/peers.md
    python benchmarks/peers.py --reps 1 --concurrency 16 --latencies 0   # a quick look

Every run is a whole process, timed from start to exit, with the peak RSS of its process
tree: ``pytest --modelgate`` on a gate file in a temp dir (``--modelgate-no-cache``: cold),
``inspect eval`` of a ``multiple_choice()``/``choice()`` task (``--display none
--no-log-samples``), lm-eval's ``simple_evaluate`` with ``local-chat-completions`` and a
generate_until task, and benchmarks/floor.py. Each scores the items itself; the scores must
all equal the one the server's answer rule implies (mcqset.expected_score), and the table
says if one does not. The server (benchmarks/fastserver.py, its own process) counts the
requests it saw and the peak number in flight. Tools run interleaved within each
repetition, so a noisy neighbour on the machine hits all of them alike.

A peer that is not installed (or fails) is reported as such, with the reason; the rest run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mcqset import expected_score, write_mcq  # noqa: E402
from measure import (  # noqa: E402
    HERE,
    FastServer,
    header,
    load_at_end,
    median,
    modelgate_command,
    modelgate_score,
    publish,
    run_measured,
    table,
    write_gate,
)

TOOLS = ("modelgate", "inspect", "lmeval", "floor")
LABELS = {
    "modelgate": "pytest-modelgate",
    "inspect": "inspect-ai",
    "lmeval": "lm-eval (Python API)",
    "floor": "bare asyncio+aiohttp (floor)",
}


@dataclass
class Cell:
    seconds: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    peak_inflight: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    error: str | None = None


class Tools:
    """How to run each tool once: ``run(tool, dataset, concurrency, workdir) -> score``."""

    def __init__(self, peers_dir: Path, server: FastServer) -> None:
        self.peers_dir = peers_dir
        self.server = server
        self.missing: dict[str, str] = {}
        for tool, module in (
            ("inspect", "inspect_ai"),
            ("lmeval", "lm_eval"),
            ("floor", "aiohttp"),
        ):
            python = peers_dir / tool / "bin" / "python"
            if not python.exists():
                self.missing[tool] = (
                    f"not installed ({python} missing; run benchmarks/install_peers.sh)"
                )
                continue
            probe = subprocess.run(
                [str(python), "-c", f"import {module}"], capture_output=True, text=True
            )
            if probe.returncode != 0:
                self.missing[tool] = f"cannot import {module}: {probe.stderr.strip()[-300:]}"

    def python(self, tool: str) -> str:
        return str(self.peers_dir / tool / "bin" / "python")

    def versions(self) -> list[str]:
        from importlib.metadata import version

        out = [f"pytest-modelgate {version('pytest-modelgate')} (pytest {version('pytest')})"]
        for tool, dist in (("inspect", "inspect-ai"), ("lmeval", "lm-eval"), ("floor", "aiohttp")):
            if tool in self.missing:
                out.append(f"{LABELS[tool]}: {self.missing[tool]}")
                continue
            found = subprocess.run(
                [self.python(tool), "-c", f"from importlib.metadata import version as v; "
                 f"print(v('{dist}'))"],
                capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            extra = ""
            if tool == "lmeval":
                torch = subprocess.run(
                    [self.python(tool), "-c", "from importlib.metadata import version as v; "
                     "print(v('torch'))"],
                    capture_output=True, text=True,
                ).stdout.strip()  # fmt: skip
                extra = f", torch {torch}"
            out.append(f"{LABELS[tool]}: {dist} {found}{extra}")
        return out

    def run(self, tool: str, dataset: Path, concurrency: int, work: Path) -> tuple[Any, float]:
        return getattr(self, f"_{tool}")(dataset, concurrency, work)

    def _modelgate(self, dataset: Path, concurrency: int, work: Path) -> tuple[Any, float]:
        gate = write_gate(work, self.server.base_url, concurrency, dataset)
        report = work / "report"
        command = modelgate_command(gate, "--modelgate-no-cache", "--modelgate-report", str(report))
        run = run_measured(command, cwd=work)
        if run.returncode != 0:
            raise RuntimeError(f"pytest exited {run.returncode}: {run.stdout[-400:]}")
        return run, modelgate_score(report)[0]

    def _inspect(self, dataset: Path, concurrency: int, work: Path) -> tuple[Any, float]:
        logs = work / "inspect-logs"
        env = {**os.environ, "BENCH_BASE_URL": self.server.base_url, "BENCH_API_KEY": "unused"}
        command = [
            str(self.peers_dir / "inspect" / "bin" / "inspect"), "eval", "inspect_mcq.py",
            "-T", f"path={dataset}", "--model", "openai-api/bench/bench",
            "--display", "none", "--no-log-samples",
            "--max-connections", str(concurrency), "--log-dir", str(logs),
        ]  # fmt: skip
        # inspect takes a task file path relative to the working directory
        run = run_measured(command, cwd=HERE / "peer_tasks", env=env)
        if run.returncode != 0:
            raise RuntimeError(f"inspect exited {run.returncode}: {run.stderr[-400:]}")
        read = subprocess.run(  # the score, read back from inspect's own log (untimed)
            [self.python("inspect"), "-c",
             "import sys, glob; from inspect_ai.log import read_eval_log; "
             "log = read_eval_log(sorted(glob.glob(sys.argv[1] + '/*.eval'))[-1]); "
             "print(log.status, log.results.scores[0].metrics['accuracy'].value)", str(logs)],
            capture_output=True, text=True,
        )  # fmt: skip
        status, score = read.stdout.split()
        if status != "success":
            raise RuntimeError(f"inspect log status {status}")
        return run, float(score)

    def _lmeval(self, dataset: Path, concurrency: int, work: Path) -> tuple[Any, float]:
        command = [
            self.python("lmeval"), str(HERE / "peer_tasks" / "lmeval_mcq.py"),
            str(dataset), self.server.base_url, str(concurrency),
        ]  # fmt: skip
        run = run_measured(command, cwd=work)
        if run.returncode != 0:
            raise RuntimeError(f"lm-eval exited {run.returncode}: {run.stderr[-400:]}")
        return run, json.loads(run.stdout.strip().splitlines()[-1])["score"]

    def _floor(self, dataset: Path, concurrency: int, work: Path) -> tuple[Any, float]:
        command = [
            self.python("floor"), str(HERE / "floor.py"),
            str(dataset), self.server.base_url, str(concurrency),
        ]  # fmt: skip
        run = run_measured(command, cwd=work)
        if run.returncode != 0:
            raise RuntimeError(f"floor exited {run.returncode}: {run.stderr[-400:]}")
        return run, json.loads(run.stdout.strip().splitlines()[-1])["score"]


def measure_cell(
    tools: Tools, tool: str, cell: Cell, dataset: Path, concurrency: int, log: Callable
) -> None:
    if cell.error or tool in tools.missing:
        cell.error = cell.error or tools.missing[tool]
        return
    tools.server.reset()
    with tempfile.TemporaryDirectory(prefix=f"peers-{tool}-") as tmp:
        try:
            run, score = tools.run(tool, dataset, concurrency, Path(tmp))
        except (RuntimeError, ValueError, KeyError, IndexError, OSError) as exc:
            cell.error = f"failed: {' '.join(str(exc).split())[:300]}"
            log(f"  {tool}: {cell.error}")
            return
    stats = tools.server.stats()
    cell.seconds.append(run.seconds)
    cell.cpu_s.append(run.cpu_s)
    cell.rss_mb.append(run.peak_rss_mb)
    cell.requests.append(stats["requests"])
    cell.peak_inflight.append(stats["peak_inflight"])
    cell.scores.append(score)
    log(
        f"  {tool}: {run.seconds:.2f} s, CPU {run.cpu_s:.2f} s, {run.peak_rss_mb:.0f} MB, "
        f"{stats['requests']} requests, "
        f"peak in flight {stats['peak_inflight']}, score {score:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--latencies", default="0,50", help="ms, comma-separated")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--no-startup", action="store_true", help="skip the 1-item runs")
    parser.add_argument(
        "--peers-dir", type=Path, default=Path(os.environ.get("PEERS_DIR", "/tmp/peers"))
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "peers.md")
    args = parser.parse_args()
    latencies = [float(x) for x in args.latencies.split(",")]
    levels = [int(x) for x in args.concurrency.split(",")]
    chosen = [t for t in TOOLS if t in args.tools.split(",")]

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    command = "python benchmarks/peers.py " + " ".join(sys.argv[1:])
    results: dict[tuple[str, float, int], Cell] = {}
    startup: dict[str, Cell] = {tool: Cell() for tool in chosen}
    with tempfile.TemporaryDirectory(prefix="peers-data-") as data_dir, FastServer() as server:
        dataset = write_mcq(Path(data_dir) / "mcq.jsonl", args.items)
        one = write_mcq(Path(data_dir) / "one.jsonl", 1)
        expected, expected_one = expected_score(args.items), expected_score(1)
        tools = Tools(args.peers_dir, server)
        lines = header(
            f"Peers: {args.items:,} four-choice items against a local OpenAI-compatible server",
            command.strip(),
            [*tools.versions(), f"server: benchmarks/fastserver.py ({server.base_url})"],
        )
        for latency in latencies:
            server.set_latency(latency)
            for level in levels:
                for rep in range(args.reps):
                    log(f"latency {latency:g} ms, concurrency {level}, rep {rep + 1}/{args.reps}")
                    for tool in chosen:
                        cell = results.setdefault((tool, latency, level), Cell())
                        measure_cell(tools, tool, cell, dataset, level, log)
        if not args.no_startup:
            server.set_latency(0)
            for rep in range(args.reps):
                log(f"startup (1 item), rep {rep + 1}/{args.reps}")
                for tool in chosen:
                    measure_cell(tools, tool, startup[tool], one, 16, log)

    lines += render(results, startup, chosen, latencies, levels, args, expected, expected_one)
    lines += ["", load_at_end()]
    publish(lines, args.out)


def fmt_s(values: list[float]) -> str:
    if not values:
        return "-"
    spread = f" ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else ""
    return f"{median(values):.2f}{spread}"


def render(
    results: dict[tuple[str, float, int], Cell],
    startup: dict[str, Cell],
    chosen: list[str],
    latencies: list[float],
    levels: list[int],
    args: argparse.Namespace,
    expected: float,
    expected_one: float,
) -> list[str]:
    lines = [
        f"Wall seconds of the whole process: median of {args.reps} (min–max). CPU: user+system "
        "seconds of the process tree (steadier than wall on a shared machine). Peak RSS: the "
        "process tree's, median. Requests and peak in flight: as the server counted them. "
        f"Score: each tool's own scorer; every one must equal {expected:.4f}, the score the "
        "server's answer rule implies.",
        "",
    ]
    columns = [
        "tool",
        "wall s",
        "CPU s",
        "peak RSS MB",
        "requests",
        "peak in flight",
        "score",
        "vs modelgate",
    ]
    for latency in latencies:
        for level in levels:
            ideal = ""
            if latency:
                ideal = f"; ideal {args.items / level * latency / 1000:.2f} s of latency alone"
            lines += [f"## latency {latency:g} ms, concurrency {level}{ideal}", ""]
            lines += table(columns, rows_for(results, chosen, latency, level, expected))
            lines.append("")
    lines += ["## startup: 1 item, latency 0, concurrency 16", ""]
    lines += table(
        columns,
        [row(tool, startup[tool], startup.get("modelgate"), expected_one) for tool in chosen],
    )
    lines += ["", "## ratios (median wall of the peer / median wall of pytest-modelgate)", ""]
    peers = [t for t in chosen if t != "modelgate"]
    ratio_rows = []
    conditions = [(f"latency {lat:g} ms, conc {lv}", lat, lv) for lat in latencies for lv in levels]
    for name, lat, lv in conditions:
        ours = results.get(("modelgate", lat, lv))
        ratio_rows.append([name, *(ratio(results.get((p, lat, lv)), ours) for p in peers)])
    ratio_rows.append(
        ["startup (1 item)", *(ratio(startup.get(p), startup.get("modelgate")) for p in peers)]
    )
    lines += table(["condition", *(LABELS[p] for p in peers)], ratio_rows)
    lines += [
        "",
        "Above 1: the peer took longer than pytest-modelgate; the floor's ratio below 1 is "
        "how far pytest-modelgate is from a bare client loop.",
    ]
    return lines


def ratio(peer: Cell | None, ours: Cell | None) -> str:
    if not peer or not ours or not peer.seconds or not ours.seconds:
        return "-"
    return f"{median(peer.seconds) / median(ours.seconds):.2f}×"


def rows_for(
    results: dict[tuple[str, float, int], Cell],
    chosen: list[str],
    latency: float,
    level: int,
    expected: float,
) -> list[list[str]]:
    ours = results.get(("modelgate", latency, level))
    return [row(tool, results[(tool, latency, level)], ours, expected) for tool in chosen]


def row(tool: str, cell: Cell, ours: Cell | None, expected: float) -> list[str]:
    if not cell.seconds:
        return [LABELS[tool], cell.error or "not run", "-", "-", "-", "-", "-", "-"]
    scores = sorted(set(round(s, 4) for s in cell.scores))
    agree = all(abs(s - expected) < 1e-9 for s in cell.scores)
    score = ", ".join(f"{s:.4f}" for s in scores) + ("" if agree else " DISAGREES")
    vs = "1.00×" if tool == "modelgate" else ratio(cell, ours)
    note = f" (then {cell.error})" if cell.error else ""
    return [
        LABELS[tool],
        fmt_s(cell.seconds) + note,
        f"{median(cell.cpu_s):.2f}",
        f"{median(cell.rss_mb):.0f}",
        "/".join(str(r) for r in sorted(set(cell.requests))),
        "/".join(str(p) for p in sorted(set(cell.peak_inflight))),
        score,
        vs,
    ]


if __name__ == "__main__":
    main()
