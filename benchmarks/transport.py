"""The HTTP transport (requests) in whole gate runs, as the "HTTP through requests" issue asks.

    python benchmarks/transport.py            # ~4 min on 2 cores; writes results/transport.md
    python benchmarks/transport.py --reps 1   # a quick look

1. Realistic latency: 1,000 items, 50 ms per answer, concurrency 16, against
   benchmarks/fastserver.py: whole-process wall against the ideal (items / concurrency x
   latency) plus start-up (a 1-item run at the same latency). Target: within 1.10x.
2. No latency (0 ms): what the client costs per item when nothing else does, stated plainly.
3. CPU-bound in one process: 10,000 items at 0 ms in two gate files of 5,000, run with
   ``-n 0`` (one process) and ``-n 2`` (pytest-xdist, one gate file per worker) on 2 cores.
Every run is ``pytest --modelgate`` in a subprocess, cold (``--modelgate-no-cache``); the
variants alternate within each repetition and the table gives medians.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mcqset import write_mcq  # noqa: E402
from measure import (  # noqa: E402
    HERE,
    FastServer,
    header,
    load_at_end,
    median,
    modelgate_command,
    publish,
    run_measured,
    table,
    write_gate,
)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    run = run_measured(command, cwd=cwd)
    if run.returncode != 0:
        raise RuntimeError(f"pytest exited {run.returncode}:\n{run.stdout[-1500:]}")
    return run.seconds, run.cpu_s


def one_file(server: FastServer, dataset: Path, *extra: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="transport-") as tmp:
        gate = write_gate(Path(tmp), server.base_url, 16, dataset)
        return timed(modelgate_command(gate, "--modelgate-no-cache", *extra), Path(tmp))


def two_files(server: FastServer, halves: list[Path], workers: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="transport-") as tmp:
        work = Path(tmp)
        for i, half in enumerate(halves):
            (work / f"part{i}").mkdir()
            write_gate(work / f"part{i}", server.base_url, 16, half)
        command = [sys.executable, "-m", "pytest", "--modelgate", "part0", "part1"]
        return timed([*command, "--modelgate-no-cache", "-p", "xdist", "-n", workers], work)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "transport.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="transport-data-") as data_dir:
        data = Path(data_dir)
        one = write_mcq(data / "one.jsonl", 1)
        thousand = write_mcq(data / "mcq-1000.jsonl", 1000)
        halves = [write_mcq(data / f"half{i}.jsonl", 5000) for i in range(2)]
        runs: dict[str, list[tuple[float, float]]] = {}
        with FastServer(latency_ms=50) as slow, FastServer(latency_ms=0) as fast:
            for rep in range(args.reps):
                for name, go in (
                    ("start-up, 1 item, 50 ms", lambda: one_file(slow, one)),
                    ("1,000 items, 50 ms, c16", lambda: one_file(slow, thousand)),
                    ("start-up, 1 item, 0 ms", lambda: one_file(fast, one)),
                    ("1,000 items, 0 ms, c16", lambda: one_file(fast, thousand)),
                    ("10,000 items, 0 ms, -n 0", lambda: two_files(fast, halves, "0")),
                    ("10,000 items, 0 ms, -n 2", lambda: two_files(fast, halves, "2")),
                ):
                    runs.setdefault(name, []).append(go())
                    log(f"rep {rep + 1}: {name}: {runs[name][-1][0]:.2f} s")
    wall = {name: median([r[0] for r in rs]) for name, rs in runs.items()}
    cpu = {name: median([r[1] for r in rs]) for name, rs in runs.items()}
    ideal = 1000 / 16 * 0.050
    slow_ratio = wall["1,000 items, 50 ms, c16"] / (ideal + wall["start-up, 1 item, 50 ms"])
    per_item_0 = (wall["1,000 items, 0 ms, c16"] - wall["start-up, 1 item, 0 ms"]) / 1000
    cpu_item_0 = (cpu["1,000 items, 0 ms, c16"] - cpu["start-up, 1 item, 0 ms"]) / 1000
    speedup = wall["10,000 items, 0 ms, -n 0"] / wall["10,000 items, 0 ms, -n 2"]
    rows = [[name, f"{wall[name]:.2f}", f"{cpu[name]:.2f}"] for name in runs]
    lines = header(
        "HTTP transport (requests) in whole gate runs",
        f"python benchmarks/transport.py --reps {args.reps}",
    )
    lines += table(["run", "wall s (median)", "CPU s (median)"], rows)
    lines += [
        "",
        f"- 50 ms, c16: {wall['1,000 items, 50 ms, c16']:.2f} s against ideal {ideal:.3f} s + "
        f"start-up {wall['start-up, 1 item, 50 ms']:.2f} s: **{slow_ratio:.3f}x** "
        "(target: within 1.10x).",
        f"- 0 ms, c16: {per_item_0 * 1e6:.0f} µs wall and {cpu_item_0 * 1e6:.0f} µs CPU per item "
        "beyond start-up: what the whole client side (requests, evaluation, scoring) costs when "
        "the model costs nothing.",
        f"- 10,000 items at 0 ms in two gate files: -n 2 is **{speedup:.2f}x** faster than -n 0.",
        "",
        load_at_end(),
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()
