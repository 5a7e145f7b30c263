"""Time README command 1 (`pytest --modelgate gates/` on the embedded model), whole and per part.

    python benchmarks/first_run.py                       # this checkout, whole run + per benchmark
    python benchmarks/first_run.py --tree /tmp/before --label before
    python benchmarks/first_run.py --whole-only          # the headline figure alone
    python benchmarks/first_run.py --whole-only --busy   # with one other busy process beside it

Every run starts cold: a fresh response cache and a fresh pytest cache dir, so each answer
is asked of the model. The whole run gives the wall time a newcomer waits and the verdicts.
Then each benchmark runs alone (``-k``) with its own model server, whose log gives where its
time went: the server's start, prompt processing and generation (llama.cpp's own per-request
timings), and the rest (sandbox, scoring, judging's bookkeeping, pytest and reports) as the
remainder. Judge calls are counted from the run's recorded responses (the model each answer
came from). Appends a section to benchmarks/results/first_run.md unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "first_run.md"
# -k expressions that pick one benchmark's items (a domain item would evaluate them all).
BENCHMARKS = {
    "cyber-mcq": "cyber-mcq",
    "ctf-agent": "ctf-agent",
    "chem-bio-mcq": "chem-bio-mcq",
    "bio-open": "bio-open",
    "honesty-mcq": "honesty-mcq",
    "honesty": "honesty and not honesty-mcq",
    "code-basic": "code-basic",
}
TIMING = re.compile(
    r"^(?P<min>\d+)\.(?P<s>\d+)\.(?P<ms>\d+)\.\d+ .*?(?P<what>prompt eval time|\s eval time) = +"
    r"(?P<time>[\d.]+) ms / +(?P<n>\d+) tokens"
)
STAMP = re.compile(r"^(\d+)\.(\d+)\.(\d+)\.(\d+) ")


def gate_run(tree: Path, work: Path, select: str | None) -> dict:
    """One cold `pytest --modelgate gates/` in ``tree``; its wall time and what it left."""
    report, pcache, rec = work / "report", work / "pytest-cache", work / "responses.jsonl"
    command = [
        sys.executable, "-m", "pytest", "--modelgate", "gates/", "--modelgate-report", str(report),
        "-o", f"cache_dir={pcache}", "--modelgate-record-responses", str(rec), "-q",
    ]  # fmt: skip
    if select:
        command += ["-k", select]
    # A fresh user cache too: the embedded model's Q8_0 copy is made on a machine's first run.
    env = {**os.environ, "PYTHONPATH": str(tree), "XDG_CACHE_HOME": str(work / "user-cache")}
    started = time.monotonic()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}")
    logs = sorted(pcache.glob("d/modelgate/local-model/llama-server-*.log"))
    return {
        "wall": wall,
        "exit": done.returncode,
        "server": [server_timings(p) for p in logs],
        "calls": model_calls(rec),
        "verdicts": verdicts(report / "results.json"),
        "tests": junit_times(report / "junit.xml"),
    }


def server_timings(log: Path) -> dict:
    """Start-up, prompt and generation milliseconds from one llama.cpp server log."""
    out = {
        "start_ms": 0.0,
        "prompt_ms": 0.0,
        "prompt_n": 0,
        "gen_ms": 0.0,
        "gen_n": 0,
        "requests": 0,
    }
    for line in log.read_text(errors="replace").splitlines():
        if "init: model loaded" in line and (m := STAMP.match(line)):
            minutes, s, ms, us = (int(g) for g in m.groups())
            out["start_ms"] = (minutes * 60 + s) * 1000 + ms + us / 1000
        if m := TIMING.match(line):
            if m["what"] == "prompt eval time":
                out["prompt_ms"] += float(m["time"])
                out["prompt_n"] += int(m["n"])
                out["requests"] += 1
            else:
                out["gen_ms"] += float(m["time"])
                out["gen_n"] += int(m["n"])
    return out


def model_calls(recording: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if recording.is_file():
        for line in recording.read_text().splitlines():
            if line.strip():
                answer = json.loads(line)
                # The judges are the same model file, their verdicts held to a grammar.
                name = "judge" if "grammar" in answer.get("params", {}) else "model"
                counts[name] = counts.get(name, 0) + 1
    return counts


def verdicts(path: Path) -> dict:
    """The release verdict and, per benchmark, score, n and each threshold's outcome."""
    if not path.is_file():
        return {}
    doc = json.loads(path.read_text())
    release = doc.get("release", {})
    out: dict = {"release": [release.get("passed"), release.get("tier")]}
    for bench, result in doc.get("benchmarks", {}).items():
        lines = result.get("thresholds", []) + result.get("floors", [])
        out[bench] = [result.get("score"), result.get("n"), [t.get("outcome") for t in lines]]
    return out


def junit_times(path: Path) -> dict[str, float]:
    if not path.is_file():
        return {}
    return {
        case.get("name", "?"): float(case.get("time", 0))
        for case in ET.parse(path).getroot().iter("testcase")
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to time")
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--whole-only", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--busy", action="store_true", help="keep one other process busy (a spinning Python)"
    )
    args = parser.parse_args()
    if args.busy:
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        args.label += ", one other busy process"
        try:
            run(args)
        finally:
            spinner.kill()
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    tree = args.tree.resolve()
    rev = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [f"## {args.label} ({rev}), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", ""]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"whole run in {tree} (load {load()}) ...", file=sys.stderr)
        whole = gate_run(tree, Path(tmp) / "whole", None)
        lines += [
            f"Whole run: **{whole['wall']:.1f} s** wall, exit {whole['exit']}, "
            f"{sum(whole['calls'].values())} model calls ({fmt_calls(whole['calls'])}); "
            f"{fmt_server(whole['server'])}; load average after: {load()}.",
            "",
            f"Verdicts: `{json.dumps(whole['verdicts'], sort_keys=True)}`",
            "",
        ]
        if not args.whole_only:
            lines += per_benchmark(tree, Path(tmp))
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with RESULTS.open("a") as f:
            f.write("\n" + text)


def fmt_server(servers: list[dict]) -> str:
    """The llama.cpp servers' own account of a run: prompt and generation time and tokens."""
    total = {k: sum(x[k] for x in servers) for k in ("prompt_ms", "prompt_n", "gen_ms", "gen_n")}
    return (
        "llama.cpp's per-request sums (they overlap where slots answer together): prompt "
        f"processing {total['prompt_ms'] / 1000:.1f} s ({total['prompt_n']} tokens), "
        f"generation {total['gen_ms'] / 1000:.1f} s ({total['gen_n']} tokens)"
    )


def fmt_calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1]))


def per_benchmark(tree: Path, tmp: Path) -> list[str]:
    rows = [
        "| benchmark | wall s | model start s | prompt s (tokens) | generation s (tokens) "
        "| rest s | calls (by model) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    total = 0.0
    for name, select in BENCHMARKS.items():
        print(f"{name} alone (load {load()}) ...", file=sys.stderr)
        run = gate_run(tree, tmp / name, select)
        s = run["server"]
        start = sum(x["start_ms"] for x in s) / 1000
        prompt = sum(x["prompt_ms"] for x in s) / 1000
        gen = sum(x["gen_ms"] for x in s) / 1000
        rest = run["wall"] - start - prompt - gen
        total += run["wall"]
        rows.append(
            f"| {name} | {run['wall']:.1f} | {start:.1f} | {prompt:.1f} "
            f"({sum(x['prompt_n'] for x in s)}) | {gen:.1f} ({sum(x['gen_n'] for x in s)}) "
            f"| {f'{rest:.1f}' if rest >= 0 else 'overlap'} | {fmt_calls(run['calls'])} |"
        )
    rows += [
        "",
        f"Sum of the benchmarks run alone: {total:.1f} s (each pays pytest's and the "
        "server's start; `rest` is the sandbox, scoring, pytest and the reports; prompt and "
        "generation are llama.cpp's per-request sums, which overlap where several slots "
        "answer together, and then `rest` reads `overlap`).",
    ]
    return rows


if __name__ == "__main__":
    main()
