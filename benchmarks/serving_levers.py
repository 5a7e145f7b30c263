"""How the embedded model is served, lever by lever: weight layout, slots, and the OpenMP
wait policy on a quiet and on a busy machine.

    python benchmarks/serving_levers.py            # about 7 minutes on 2 cores

Each variant starts its own server (the project's ``local_server``) and answers the same
requests: 40 chem-bio-mcq prompts (one token each, one at a time: prompt processing) and
16 open prompts of 48 tokens (generation; with several slots, that many at once). Rates are
llama.cpp's own timings (prompts: the median request) or tokens over wall time (generation);
answers are compared with the first variant's (the shipped Q4_1 file, one slot). "Busy" runs
one spinning Python process beside the server. Appends a section to
benchmarks/results/first_run.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_modelgate.data.formats import mcq_prompt  # noqa: E402
from pytest_modelgate.models.providers.local import embedded_model_path  # noqa: E402
from pytest_modelgate.models.providers.local_weights import as_q8_0  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "first_run.md"
MCQ = [
    json.loads(line)
    for line in (ROOT / "gates" / "data" / "chem_bio_mcq.jsonl").read_text().splitlines()[:40]
]
OPEN = [f"Describe, in two sentences, a fictional moss numbered {i}." for i in range(16)]


def serve(model: Path, slots: int, wait: str | None) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait:
        env["OMP_WAIT_POLICY"] = wait
    command = [sys.executable, "-m", "pytest_modelgate.models.providers.local_server"]
    proc = subprocess.Popen(
        [*command, str(model), "--slots", str(slots)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, line.split(" ", 1)[1].strip()


def ask(url: str, content: str, max_tokens: int) -> dict:
    body = {
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 0,
    }
    return requests.post(f"{url}/v1/chat/completions", json=body, timeout=300).json()


def variant(model: Path, slots: int, wait: str | None) -> dict:
    proc, url = serve(model, slots, wait)
    try:
        mcq = [ask(url, mcq_prompt(i["question"], tuple(i["choices"])), 1) for i in MCQ]
        started = time.monotonic()
        with ThreadPoolExecutor(slots) as pool:
            gen = list(pool.map(lambda p: ask(url, p, 48), OPEN))
        gen_wall = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait()
    tokens = sum(r["usage"]["completion_tokens"] for r in gen)
    return {
        "prompt_tps": statistics.median(r["timings"]["prompt_per_second"] for r in mcq),
        "gen_tps": tokens / gen_wall,
        "answers": [r["choices"][0]["message"]["content"] for r in mcq + gen],
    }


def main() -> None:
    shipped = embedded_model_path()
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        q8 = as_q8_0(shipped)
        plan = [
            ("Q4_1 (as shipped), 1 slot", shipped, 1, None, False),
            ("Q8_0, 1 slot", q8, 1, None, False),
            ("Q8_0, 4 slots", q8, 4, None, False),
            ("Q8_0, 1 slot, passive wait", q8, 1, "PASSIVE", False),
            ("Q8_0, 1 slot, busy machine, spinning wait", q8, 1, "ACTIVE", True),
            ("Q8_0, 1 slot, busy machine, passive wait", q8, 1, "PASSIVE", True),
        ]
        rows, reference = [], None
        for label, model, slots, wait, busy in plan:
            print(f"{label} ...", file=sys.stderr)
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
            try:
                got = variant(model, slots, wait)
            finally:
                if spinner:
                    spinner.kill()
            reference = reference or got["answers"]
            same = [a == b for a, b in zip(got["answers"], reference, strict=True)]
            rows.append(
                f"| {label} | {got['prompt_tps']:.0f} | {got['gen_tps']:.0f} "
                f"| {sum(same[: len(MCQ)])}/{len(MCQ)} | {sum(same[len(MCQ) :])}/{len(OPEN)} |"
            )
    text = "\n".join(
        [
            f"## Serving levers ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            "`python benchmarks/serving_levers.py`)",
            "",
            "| variant | prompt tokens/s (median) | generation tokens/s | letters equal to "
            "the first row's | 48-token answers equal to the first row's |",
            "|---|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    print(text)
    with RESULTS.open("a") as f:
        f.write("\n" + text)


if __name__ == "__main__":
    main()
