"""How ``pytest --modelgate`` scales with the number of items, what a cached re-run costs,
and what the plugin costs a plain ``pytest`` run that does not use it.

    python benchmarks/scaling.py              # ~6 min on 2 cores; writes results/scaling.md
    python benchmarks/scaling.py --sizes 100,1000,10000 --reps 1     # a quick look

1. Cold runs (``--modelgate-no-cache``) of 100, 1,000, 10,000 and 100,000 generated items
   (benchmarks/mcqset.py) at latency 0, concurrency 16, against benchmarks/fastserver.py:
   whole-process wall, CPU (user+sys of the process tree), peak RSS of the tree, requests
   the server saw, time per item, and the marginal time per item over a 1-item run. Each
   repetition runs the 1-item run and every size once, so load that drifts hits all alike.
2. A cached re-run of 10,000 items: one run fills ``--modelgate-cache DIR``, then each timed
   re-run (``--modelgate-cache-reuse``: the fill run sealed its answers) answers everything
   from it (the server must see no request).
3. Plain ``pytest`` on a one-test project with the plugin installed but not enabled, against
   ``-p no:modelgate`` (the same as uninstalled: the entry point is never imported), many
   interleaved runs: the difference of the medians.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

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


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def gate_run(
    server: FastServer, work: Path, dataset: Path, *extra: str
) -> tuple[float, float, float, int, float]:
    """(wall s, cpu s, peak RSS MB, requests seen, score) of one ``pytest --modelgate``."""
    gate = write_gate(work, server.base_url, 16, dataset)
    report = work / "report"
    server.reset()
    run = run_measured(modelgate_command(gate, "--modelgate-report", str(report), *extra), cwd=work)
    if run.returncode != 0:
        raise RuntimeError(f"pytest exited {run.returncode}:\n{run.stdout[-1500:]}")
    return (
        run.seconds,
        run.cpu_s,
        run.peak_rss_mb,
        server.stats()["requests"],
        modelgate_score(report)[0],
    )


def scaling(server: FastServer, sizes: list[int], reps: int, data: Path) -> list[list[str]]:
    rows, per_item = [], {}
    base = []
    one = write_mcq(data / "one.jsonl", 1)
    datasets = {n: write_mcq(data / f"mcq-{n}.jsonl", n) for n in sizes}
    by_size: dict[int, list[tuple[float, float, float, int, float]]] = {n: [] for n in sizes}
    # Every repetition runs the 1-item run and each size in turn: run one size after the
    # other and the largest, last, takes whatever load the shared machine has by then
    # (a run's time per item varies by ±20% with how its threads get the CPU).
    for rep in range(reps):
        with tempfile.TemporaryDirectory(prefix="scaling-") as tmp:
            base.append(gate_run(server, Path(tmp), one, "--modelgate-no-cache")[0])
        for n in sizes:
            with tempfile.TemporaryDirectory(prefix="scaling-") as tmp:
                by_size[n].append(gate_run(server, Path(tmp), datasets[n], "--modelgate-no-cache"))
            log(f"{n} items, rep {rep + 1}: {by_size[n][-1][0]:.2f} s, {by_size[n][-1][2]:.0f} MB")
    startup = median(base)
    log(f"1 item: {startup:.2f} s")
    for n in sizes:
        runs = by_size[n]
        wall = median([r[0] for r in runs])
        per_item[n] = wall / n
        scores = {round(r[4], 4) for r in runs}
        ok = all(abs(r[4] - expected_score(n)) < 1e-9 for r in runs)
        rows.append(
            [
                f"{n:,}",
                f"{wall:.2f} ({min(r[0] for r in runs):.2f}–{max(r[0] for r in runs):.2f})",
                f"{median([r[1] for r in runs]):.2f}",
                f"{median([r[2] for r in runs]):.0f}",
                "/".join(str(r) for r in sorted({r[3] for r in runs})),
                f"{wall / n * 1e6:,.0f}",
                f"{max(wall - startup, 0) / n * 1e6:,.0f}",
                ", ".join(f"{s:.4f}" for s in sorted(scores)) + ("" if ok else " DISAGREES"),
            ]
        )
    rows.append(["1 (startup)", f"{startup:.2f}", "-", "-", "1", "-", "-", "-"])
    return rows


def cached(server: FastServer, n: int, reps: int, data: Path) -> list[list[str]]:
    dataset = write_mcq(data / f"mcq-{n}.jsonl", n)
    rows = []
    with tempfile.TemporaryDirectory(prefix="scaling-cache-") as cache_dir:
        with tempfile.TemporaryDirectory(prefix="scaling-") as tmp:
            fill = gate_run(server, Path(tmp), dataset, "--modelgate-cache", cache_dir)
        log(f"cache filled: {fill[0]:.2f} s, {fill[3]} requests")
        runs = []
        for rep in range(reps):
            with tempfile.TemporaryDirectory(prefix="scaling-") as tmp:
                # The fill run finished and sealed its answers: a re-run serves them only when
                # asked to (a development re-run; a release run would ask the model again).
                runs.append(
                    gate_run(
                        server,
                        Path(tmp),
                        dataset,
                        "--modelgate-cache",
                        cache_dir,
                        "--modelgate-cache-reuse",
                    )
                )
            log(f"cached re-run {rep + 1}: {runs[-1][0]:.2f} s, {runs[-1][3]} requests")
        rows.append(
            [
                f"{n:,} (fill)", f"{fill[0]:.2f}", f"{fill[1]:.2f}", f"{fill[2]:.0f}", str(fill[3]),
                f"{fill[4]:.4f}",
            ]
        )  # fmt: skip
        wall = median([r[0] for r in runs])
        rows.append(
            [
                f"{n:,} (re-run)",
                f"{wall:.2f} ({min(r[0] for r in runs):.2f}–{max(r[0] for r in runs):.2f})",
                f"{median([r[1] for r in runs]):.2f}",
                f"{median([r[2] for r in runs]):.0f}",
                "/".join(str(r) for r in sorted({r[3] for r in runs})),
                ", ".join(f"{s:.4f}" for s in sorted({round(r[4], 4) for r in runs})),
            ]
        )
    return rows


def plain_pytest(reps: int) -> list[list[str]]:
    """A one-test project: the plugin installed but not enabled vs blocked (= uninstalled)."""
    variants = {"plugin installed, no --modelgate": [], "-p no:modelgate (as uninstalled)": []}
    cpu = {k: [] for k in variants}
    with tempfile.TemporaryDirectory(prefix="plain-") as tmp:
        work = Path(tmp)
        (work / "test_plain.py").write_text("def test_one():\n    assert True\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        commands = {
            "plugin installed, no --modelgate": base,
            "-p no:modelgate (as uninstalled)": [*base, "-p", "no:modelgate"],
        }
        for _ in range(reps):
            for name, command in commands.items():  # interleaved: load drifts hit both
                run = run_measured(command, cwd=work)
                if run.returncode != 0:
                    raise RuntimeError(f"plain pytest exited {run.returncode}: {run.stdout}")
                variants[name].append(run.seconds)
                cpu[name].append(run.cpu_s)
    rows = []
    for name, walls in variants.items():
        rows.append(
            [
                name,
                f"{median(walls) * 1000:.0f}",
                f"{min(walls) * 1000:.0f}",
                f"{median(cpu[name]) * 1000:.0f}",
                f"{min(cpu[name]) * 1000:.0f}",
            ]
        )
    (a, b) = variants.values()
    (ca, cb) = cpu.values()
    rows.append(
        [
            "difference",
            f"{(median(a) - median(b)) * 1000:+.0f}",
            f"{(min(a) - min(b)) * 1000:+.0f}",
            f"{(median(ca) - median(cb)) * 1000:+.0f}",
            f"{(min(ca) - min(cb)) * 1000:+.0f}",
        ]
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cached", type=int, default=10000, help="items of the cached re-run")
    parser.add_argument("--plain-reps", type=int, default=30)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "scaling.md")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    command = "python benchmarks/scaling.py " + " ".join(sys.argv[1:])
    lines = header(
        "Scaling: pytest --modelgate from 100 to 100,000 items", command.strip(),
        ["server: benchmarks/fastserver.py, latency 0; gate: concurrency 16, --modelgate-report"],
    )  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scaling-data-") as data_dir, FastServer() as server:
        data = Path(data_dir)
        rows = scaling(server, sizes, args.reps, data)
        cache_rows = cached(server, args.cached, args.reps, data) if args.cached else []
    plain = plain_pytest(args.plain_reps) if args.plain_reps else []
    lines += [
        f"## cold runs (`--modelgate-no-cache`), median of {args.reps} (min–max)",
        "",
        *table(
            [
                "items",
                "wall s",
                "CPU s",
                "peak RSS MB",
                "requests",
                "µs/item",
                "µs/item over 1-item run",
                "score",
            ],
            rows,
        ),  # fmt: skip
        "",
        "µs/item: wall / items. Over the 1-item run: (wall − the 1-item run's wall) / items, "
        "what each further item costs once pytest and the plugin have started.",
        "",
    ]
    if cache_rows:
        lines += [
            f"## cached re-run (`--modelgate-cache DIR`), median of {args.reps}",
            "",
            *table(["run", "wall s", "CPU s", "peak RSS MB", "requests", "score"], cache_rows),
            "",
        ]
    if plain:
        lines += [
            f"## plain `pytest` (one trivial test), {args.plain_reps} interleaved runs each",
            "",
            *table(
                ["variant", "median wall ms", "min wall ms", "median CPU ms", "min CPU ms"], plain
            ),
            "",
        ]
    lines.append(f"Total benchmark time: {time.perf_counter() - started:.0f} s. {load_at_end()}")
    publish(lines, args.out)


if __name__ == "__main__":
    main()
