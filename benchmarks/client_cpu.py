"""Client CPU per request of the HTTP transport: ``requests`` (now) against the hand-written
HTTP/1.1 client it replaced, side by side in one run.

    python benchmarks/client_cpu.py            # ~2 min on 2 cores; writes results/client_cpu.md
    python benchmarks/client_cpu.py --requests 500 --reps 1      # a quick look

The old client (``models/http.py`` and ``models/wire.py`` as of the commit before
``wire.py`` was deleted) is read with ``git show`` into a temporary package, for this
benchmark only. Both post the same JSON body through ``JSONEndpoint.post`` to
benchmarks/fastserver.py (its own process, latency 0), at concurrency 1 and 16 (that many
threads sharing one endpoint, whose pool is sized to it). CPU is this process's
(``time.process_time``: every thread, user + sys), so the server's CPU is not counted.
Repetitions alternate the clients; medians are reported. Also the time to import each
transport in a fresh interpreter (what every gate run that uses an HTTP provider pays).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import ROOT, FastServer, header, load_at_end, median, publish, table  # noqa: E402

from pytest_modelgate.config.specs import ModelSpec  # noqa: E402

BODY = {
    "model": "toy",
    "messages": [{"role": "user", "content": "Question 1? A) a B) b C) c D) d"}],
    "max_tokens": 4,
}


def old_transport(folder: Path) -> str:
    """Writes the hand-written client as package ``old_transport`` under ``folder``; returns
    the commit it came from."""
    deleted = subprocess.run(
        ["git", "log", "-1", "--format=%H", "--", "pytest_modelgate/models/wire.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    package = folder / "old_transport"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("http", "wire"):
        source = subprocess.run(
            ["git", "show", f"{deleted}^:pytest_modelgate/models/{name}.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        source = source.replace("pytest_modelgate.models.wire", "old_transport.wire")
        (package / f"{name}.py").write_text(source)
    return f"{deleted}^"


def measure(module: Any, base_url: str, concurrency: int, requests: int) -> tuple[float, float]:
    """Median-free single measurement: (CPU µs per request, wall µs per request)."""
    spec = ModelSpec(
        "bench", "openai", model="toy", base_url=base_url, concurrency=concurrency, max_retries=0
    )
    endpoint = module.JSONEndpoint(spec, f"{base_url}/chat/completions", {}, None)
    try:
        for _ in range(2 * concurrency):  # open the pool's connections first
            endpoint.post(BODY)
        each = requests // concurrency

        def work() -> None:
            for _ in range(each):
                endpoint.post(BODY)

        threads = [threading.Thread(target=work) for _ in range(concurrency)]
        cpu, wall = time.process_time(), time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        endpoint.close()
    done = each * concurrency
    return cpu / done * 1e6, wall / done * 1e6


def import_ms(module: str, path: Path, reps: int) -> float:
    code = (
        f"import sys, time; sys.path.insert(0, {str(path)!r}); t = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(reps)
    ]
    return median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/client_cpu.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        commit = old_transport(folder)
        sys.path.insert(0, str(folder))
        clients = {
            "hand-written (wire.py)": importlib.import_module("old_transport.http"),
            "requests (session.py)": importlib.import_module("pytest_modelgate.models.http"),
        }
        lines = header(
            "HTTP client CPU per request: requests vs the hand-written client",
            " ".join(["python benchmarks/client_cpu.py", *sys.argv[1:]]),
            [
                f"old client: `git show {commit}:pytest_modelgate/models/{{http,wire}}.py`",
                f"server: benchmarks/fastserver.py, latency 0; {args.requests} requests per "
                f"measurement, {args.reps} repetitions alternating the clients",
            ],
        )
        rows = []
        with FastServer() as server:
            for concurrency in (1, 16):
                cpu: dict[str, list[float]] = {name: [] for name in clients}
                wall: dict[str, list[float]] = {name: [] for name in clients}
                for _ in range(args.reps):
                    for name, module in clients.items():
                        c, w = measure(module, server.base_url, concurrency, args.requests)
                        cpu[name].append(c)
                        wall[name].append(w)
                for name in clients:
                    rows.append(
                        [
                            name,
                            concurrency,
                            f"{median(cpu[name]):.0f} ({min(cpu[name]):.0f}–{max(cpu[name]):.0f})",
                            f"{median(wall[name]):.0f}",
                            f"{1e6 / median(wall[name]):,.0f}",
                        ]
                    )
        imports = [
            ["hand-written (wire.py)", f"{import_ms('old_transport.http', folder, 10):.0f}"],
            [
                "requests (session.py)",
                f"{import_ms('pytest_modelgate.models.http', folder, 10):.0f}",
            ],
        ]
    lines += ["## client CPU and wall time per request, median of repetitions (min–max)", ""]
    lines += table(
        ["client", "concurrency", "CPU µs/request", "wall µs/request", "requests/s"], rows
    )
    lines += ["", "## importing the transport in a fresh interpreter, median of 10", ""]
    lines += table(["client", "import ms"], imports)
    lines += [
        "",
        "CPU is the client process's only (all its threads). Import: the module and what it "
        "pulls in that the interpreter had not loaded (both load the package's config).",
        "",
        load_at_end(),
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()
