"""Sharded gate runs like a user's CI: the same gate file against the same loopback model,
once unsharded and once as 3 shard jobs + a merge job. The merge must give the same verdict,
the same pytest outcomes and every figure of results.json; shard jobs decide nothing."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
from conftest import mcq_rows, write_jsonl
from test_evaluations import judge_reply, open_rows

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.data.sharding import shard_items, shard_of

GATE = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate, multiplicity: holm}}
models:
  candidate:
    provider: openai
    base_url: {url}
    model: toy
    params: {{temperature: 0, max_tokens: 32, seed: 0}}
    max_retries: 0
  grader:
    provider: openai
    base_url: {judge_url}
    model: grader
    params: {{temperature: 0, max_tokens: 32, seed: 0}}
    max_retries: 0
baselines:
  peer: {{results: baselines/peer.results.json}}
  table: {{scores: {{strong-mcq: {{score: 0.30, n: 1000}}}}, source: "a published table"}}
domains:
  cybersecurity:
    benchmarks:
      weak-mcq:
        dataset: data/weak.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - {{above: peer, margin: 0.02, tier: high}}
          - {{above: 0.9, tier: critical}}
  chem_bio:
    benchmarks:
      strong-mcq:
        dataset: data/strong.jsonl
        format: mcq
        scorer: choice
        thresholds:
          - {{above: ecosystem, margin: 0.02, tier: high}}
      bio-open:
        dataset: data/open.jsonl
        format: open
        scorer: judge
        judge: {{model: grader}}
        floors:
          - {{at_least: 0.5}}
"""

# Differ between any two runs by nature (when cached answers were first received), so the
# comparison leaves them out. results.json carries no durations; junit.xml's are its `time`.
VOLATILE = {"cached_recorded"}


def without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Every field where two JSON documents differ, by path (so a failure names the figure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{where}[{i}]")
        ]
    return [] if a == b and type(a) is type(b) else [f"{where}: {a!r} != {b!r}"]


@pytest.fixture
def make_project(pytester, model_server, write_gate):
    """weak-mcq stays under its peer (tier moderate), strong-mcq crosses the published
    table (high: the release fails), bio-open is judged and meets its floor."""

    def make(**server_options: Any) -> pytest.Pytester:
        server, grader = model_server(**server_options), model_server(reply=judge_reply)
        write_project(pytester, server.base_url, grader.base_url, write_gate)
        return pytester

    return make


@pytest.fixture
def project(make_project):
    return make_project()


def write_project(pytester: pytest.Pytester, url: str, judge_url: str, write_gate: Any) -> None:
    write_jsonl(pytester.path / "data/weak.jsonl", mcq_rows(90, correct=30, prefix="w"))
    strong = mcq_rows(75, correct=55, prefix="s")
    for i, row in enumerate(strong):
        row["cluster"] = f"passage-{i // 5}"  # clustered intervals over all items
        row["question"] = f"Strong: {row['question']}"  # no answer shared with weak-mcq
    write_jsonl(pytester.path / "data/strong.jsonl", strong)
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=24, wrong=9))
    peer_items = {f"w{i}": float(i % 3 != 0) for i in range(90)}
    (pytester.path / "baselines").mkdir()
    (pytester.path / "baselines/peer.results.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "benchmarks": {
                    "weak-mcq": {
                        "score": sum(peer_items.values()) / 90,
                        "n": 90,
                        "items": peer_items,
                    }
                },
            }
        )
    )
    write_gate(GATE.format(url=url, judge_url=judge_url))


def shard_runs(pytester: pytest.Pytester, n: int = 3, *extra: str) -> list[pytest.RunResult]:
    return [
        pytester.runpytest(
            "--modelgate",
            f"--modelgate-shard={k}/{n}",
            "--modelgate-report",
            f"parts/shard-{k}",
            "--modelgate-cache",
            "cache-shards",
            "-rs",
            *extra,
        )
        for k in range(1, n + 1)
    ]


def merge(pytester: pytest.Pytester, *dirs: str) -> pytest.RunResult:
    given = dirs or tuple(f"parts/shard-{k}" for k in (1, 2, 3))
    return pytester.runpytest(
        "release.gate.yaml",
        "--modelgate-report",
        "merged",
        "--junitxml=merged-pytest.xml",
        "--modelgate-merge",
        *given,
    )


def test_three_shards_and_a_merge_equal_the_unsharded_run(project, monkeypatch):
    pytester = project
    full = pytester.runpytest(
        "--modelgate", "--modelgate-report", "full", "--modelgate-cache", "cache-full"
    )
    assert full.ret == 1  # strong-mcq crosses high: a release the gate must stop
    full_outcomes = full.parseoutcomes()

    summary = pytester.path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    shards = shard_runs(pytester)
    sizes = []
    for k, run in enumerate(shards, 1):
        # A shard decides nothing: every gate skipped, exit 0, and it says why.
        assert run.ret == 0, run.stdout.str()
        outcomes = run.parseoutcomes()
        assert set(outcomes) == {"skipped"} and outcomes["skipped"] == 6
        run.stdout.fnmatch_lines([f"*shard {k}/3: partial written, decided at merge*"])
        partial = json.loads(
            (pytester.path / f"parts/shard-{k}/modelgate-partial.json").read_text()
        )
        assert partial["shard"] == [k, 3]
        assert sorted(p.name for p in (pytester.path / f"parts/shard-{k}").iterdir()) == [
            "modelgate-partial.json"  # nothing a reader could take for a verdict
        ]
        sizes.append(sum(len(e["items"]) for e in partial["results"]))
    assert sum(sizes) == 90 + 75 + 33 and min(sizes) > 0
    assert summary.read_text().count("no release verdict") == 3

    merged = merge(pytester)
    assert merged.ret == full.ret
    assert merged.parseoutcomes() == full_outcomes

    expected = json.loads((pytester.path / "full/results.json").read_text())
    got = json.loads((pytester.path / "merged/results.json").read_text())
    assert differences(without_volatile(expected), without_volatile(got)) == []
    # The comparison is not vacuous: the figures it covered are there.
    bench = got["benchmarks"]
    assert bench["strong-mcq"]["interval_method"] and bench["strong-mcq"]["n"] == 75
    assert bench["weak-mcq"]["thresholds"][0]["method"] == "paired"
    assert len(bench["bio-open"]["judge"]["verdicts"]) == 33
    assert bench["weak-mcq"]["calls"] == 90 and got["release"]["passed"] is False

    for name in ("summary.md", "report.html"):
        assert (pytester.path / "merged" / name).read_text() == (
            pytester.path / "full" / name
        ).read_text(), name
    untimed = [
        re.sub(r' time="[^"]*"', "", (pytester.path / d / "junit.xml").read_text())
        for d in ("full", "merged")
    ]
    assert untimed[0] == untimed[1]
    assert summary.read_text().count("Release gate FAIL") == 1  # the merge's, not a shard's


def test_a_rerun_of_a_shard_asks_the_same_items(project):
    pytester = project
    first = shard_runs(pytester, 3)[1]
    assert first.ret == 0
    items = json.loads((pytester.path / "parts/shard-2/modelgate-partial.json").read_text())
    again = pytester.runpytest(
        "--modelgate",
        "--modelgate-shard=2/3",
        "--modelgate-report",
        "parts/shard-2",
        "--modelgate-cache",
        "cache-shards",
        "--modelgate-cache-reuse",
    )
    assert again.ret == 0
    rerun = json.loads((pytester.path / "parts/shard-2/modelgate-partial.json").read_text())
    assert [(e["benchmark"], e["items"]) for e in rerun["results"]] == [
        (e["benchmark"], e["items"]) for e in items["results"]
    ]
    # Every answer came from the cache (the same items, asked again), but one per model: a
    # cached answer asked once more, to learn that the server's identity has not changed.
    models = {e["model"] for e in rerun["results"]}
    assert sum(e["tally"]["calls"] for e in rerun["results"]) == len(models)
    assert all(e["tally"]["cached"] > 0 for e in rerun["results"])


def refused(run: pytest.RunResult, *lines: str) -> None:
    """A bad merge: exit status 2, nothing decided, no report, each problem named."""
    assert run.ret == 2, run.stdout.str()
    run.stdout.fnmatch_lines(["*modelgate merge refused (nothing decided):*", *lines])
    assert "Release gate" not in run.stdout.str()


@pytest.fixture
def sharded(project):
    """The project, its three shards run."""
    assert [r.ret for r in shard_runs(project)] == [0, 0, 0]
    return project


def test_a_missing_shard_is_refused(sharded):
    refused(
        merge(sharded, "parts/shard-1", "parts/shard-3"), "*shard 2/3 is missing (given: 1/3, 3/3)*"
    )
    assert not (sharded.path / "merged").exists()


def test_a_duplicated_shard_is_refused(sharded):
    shutil.copytree(sharded.path / "parts/shard-2", sharded.path / "parts/again")
    run = merge(sharded, "parts/shard-1", "parts/shard-2", "parts/again", "parts/shard-3")
    refused(run, "*shard 2/3 is given 2 times: parts/shard-2/modelgate-partial.json, parts/again*")


def test_partials_of_different_shard_counts_are_refused(sharded):
    run = sharded.runpytest(
        "--modelgate",
        "--modelgate-shard=1/2",
        "--modelgate-report",
        "parts/half",
        "--modelgate-cache",
        "cache-shards",
    )
    assert run.ret == 0
    refused(
        merge(sharded, "parts/half", "parts/shard-2", "parts/shard-3"),
        "*shard counts differ: shard 1/2 (parts/half/*), shard 2/3*",
    )


def test_a_changed_gate_file_is_refused(sharded):
    gate = sharded.path / "release.gate.yaml"
    gate.write_text(
        gate.read_text().replace("margin: 0.02, tier: high}", "margin: 0.05, tier: high}")
    )
    refused(
        merge(sharded), "*release.gate.yaml differs: shard 1/3 (*) ran sha256 *, this merge reads *"
    )


def test_a_gate_file_the_merge_did_not_collect_is_refused(sharded):
    refused(
        sharded.runpytest(
            "other.gate.yaml", "--modelgate-merge", *(f"parts/shard-{k}" for k in (1, 2, 3))
        ),
        "*shard 1/3 (*) ran release.gate.yaml, which this merge did not collect*",
    )


def test_a_changed_dataset_is_refused(sharded):
    rows = mcq_rows(91, correct=30, prefix="w")
    write_jsonl(sharded.path / "data/weak.jsonl", rows)
    refused(
        merge(sharded),
        "*release.gate.yaml::weak-mcq[[]candidate[]]: dataset sha256 differs: shard 1/3 (*) read *"
        ", this merge reads *",
    )


@pytest.mark.parametrize(
    ("changed", "line"),
    [
        ("candidate", "*model candidate of release.gate.yaml differs between shards: shard 1/3*"),
        (
            "grader",
            "*release.gate.yaml::bio-open[[]candidate[]]: the judge differs between shards*",
        ),
    ],
)
def test_partials_of_different_model_specs_are_refused(
    pytester, model_server, write_gate, changed, line
):
    servers = {"candidate": model_server(), "grader": model_server(reply=judge_reply)}
    other = model_server(reply=judge_reply)
    urls = {m: s.base_url for m, s in servers.items()}
    write_project(pytester, urls["candidate"], urls["grader"], write_gate)
    shard_runs(pytester)
    # shard 3 runs again, with the same gate file bytes but another server for one model
    gate = pytester.path / "release.gate.yaml"
    text = gate.read_text()
    gate.write_text(text.replace(urls[changed], "${OTHER_URL}"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OTHER_URL", other.base_url)
        pytester.runpytest(
            "--modelgate", "--modelgate-shard=3/3", "--modelgate-report", "parts/shard-3"
        )
        gate.write_text(text)
        refused(merge(pytester), line)


def test_partials_of_another_plugin_version_are_refused(sharded):
    path = sharded.path / "parts/shard-3/modelgate-partial.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "modelgate_version": "0.0.9"}))
    refused(
        merge(sharded),
        "*plugin versions differ: shard 1/3 (*) *, shard 3/3 (*) 0.0.9; this merge runs *",
    )


def test_a_smoke_partial_is_refused(sharded):
    run = sharded.runpytest(
        "--modelgate",
        "--modelgate-shard=2/3",
        "--modelgate-report",
        "parts/shard-2",
        "--modelgate-limit",
        "5",
    )
    assert run.ret == 0
    refused(merge(sharded), "*shard 2/3 (*) is a smoke run (--modelgate-limit)*")


def test_a_folder_without_a_partial_is_refused(sharded):
    (sharded.path / "parts/empty").mkdir()
    refused(
        merge(sharded, "parts/shard-1", "parts/empty", "parts/shard-3"),
        "*parts/empty: no modelgate-partial.json here*",
    )


def test_a_shard_missing_a_benchmark_is_refused(sharded):
    # (Holm weighs a gate file's benchmarks together, so any one item evaluates them all.)
    again = sharded.runpytest(
        "--modelgate",
        "--modelgate-shard=2/3",
        "--modelgate-report",
        "parts/shard-2",
        "-k",
        "no-such-gate",
    )
    assert again.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    refused(
        merge(sharded),
        "*shard 2/3 (*) has no results for release.gate.yaml::bio-open[[]candidate[]] "
        "(deselected, or the run was interrupted)*",
    )


def test_a_shard_that_could_not_evaluate_fails_and_the_merge_errors(make_project):
    pytester = make_project(statuses=(500,))  # the model's first answer fails (no retries)
    first, second, third = shard_runs(pytester)
    assert first.ret == 1  # an error is an error in a shard too; never skipped
    first.stdout.fnmatch_lines(["*could not be evaluated (fail closed)*"])
    assert second.ret == third.ret == 0
    merged = merge(pytester)
    assert merged.ret == 1
    data = json.loads((pytester.path / "merged/results.json").read_text())
    assert data["release"]["passed"] is False
    errored = [b for b in data["benchmarks"].values() if b["error"]]
    assert len(errored) == 1 and errored[0]["error"].startswith("shard 1/3: ")


def test_items_go_to_shards_by_a_stable_hash_of_benchmark_and_id():
    # Fixed values: sha256, never Python's salted hash(), so every job and every re-run
    # agrees. A change here moves items between shards and breaks every cached shard.
    assert [shard_of("cyber-mcq", f"q{i}", 3) for i in range(12)] == [
        3, 2, 3, 3, 3, 3, 2, 1, 3, 3, 1, 3,
    ]  # fmt: skip
    assert [shard_of("other", f"q{i}", 3) for i in range(6)] == [2, 1, 3, 3, 1, 1]
    items = [Item(f"id-{i}", ({"role": "user", "content": "?"},), ("A",)) for i in range(3000)]
    parts = [shard_items("b", items, (k, 4)) for k in range(1, 5)]
    ids = [i.id for part in parts for i in part]
    assert sorted(ids) == sorted(i.id for i in items)  # each item in exactly one shard
    assert all(650 < len(part) < 850 for part in parts)  # about 1/N each (4 sd)
    # Appending items moves none of the old ones.
    more = items + [Item(f"new-{i}", items[0].messages, ("A",)) for i in range(100)]
    assert [i.id for i in shard_items("b", more, (2, 4))][: len(parts[1])] == [
        i.id for i in parts[1]
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--modelgate-shard", "0/3", "--modelgate-report", "r"],
            "*--modelgate-shard: expected K/N with 1 <= K <= N*got '0/3'*",
        ),
        (["--modelgate-shard", "4/3", "--modelgate-report", "r"], "*expected K/N*got '4/3'*"),
        (["--modelgate-shard", "two", "--modelgate-report", "r"], "*expected K/N*got 'two'*"),
        (
            ["--modelgate-shard", "1/3"],
            "*--modelgate-shard: a shard writes its partial results into --modelgate-report DIR*",
        ),
        (
            ["--modelgate-shard", "1/3", "--modelgate-report", "r", "--modelgate-merge", "p"],
            "*--modelgate-shard and --modelgate-merge: a run either evaluates one shard or merges*",
        ),
        (
            ["--modelgate-merge", "p", "--modelgate-limit", "5"],
            "*--modelgate-limit: a merge decides on every item*",
        ),
        (
            [
                "--modelgate-shard",
                "1/3",
                "--modelgate-report",
                "r",
                "--modelgate-record-baseline",
                "b.json",
            ],
            "*--modelgate-record-baseline: a shard has 1/N of the items*",
        ),
    ],
)
def test_bad_shard_settings_are_usage_errors(pytester, args, message):
    run = pytester.runpytest("--modelgate", *args)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines([message])


def test_a_bad_shard_in_the_ini_file_names_the_ini_key(pytester):
    pytester.makeini("[pytest]\nmodelgate_shard = 3\nmodelgate_report = r\n")
    run = pytester.runpytest("--modelgate")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.stderr.fnmatch_lines(["*ini key modelgate_shard: expected K/N*got '3'*"])


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            "policy: {ladder: meta-frontier, allowed: moderate, multiplicity: holm, sampling: sequential}",
            "policy.sampling",
        ),
        (
            "judge: {model: grader, regrade: 3}",
            "domains.chem_bio.benchmarks.bio-open.judge.regrade",
        ),
        (
            "judge: {model: grader, calibration: gold.jsonl}",
            "domains.chem_bio.benchmarks.bio-open.judge.calibration",
        ),
    ],
)
@pytest.mark.parametrize("mode", ["shard", "merge"])
def test_sequential_sampling_and_regrades_refuse_sharding_at_collection(project, change, key, mode):
    gate = project.path / "release.gate.yaml"
    text = gate.read_text()
    old = change.split(":")[0] + ":"
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(old))
    gate.write_text(text.replace(line, line[: len(line) - len(line.lstrip())] + change))
    gold = [("yes", "C"), ("no", "I")]
    (project.path / "gold.jsonl").write_text(
        "".join(
            json.dumps({"input": "Q?", "target": "yes", "answer": a, "gold_grade": g}) + "\n"
            for a, g in gold
        )
    )
    args = (
        ["--modelgate-shard=1/3", "--modelgate-report", "r"]
        if mode == "shard"
        else ["--modelgate-merge", "parts/shard-1"]
    )
    run = project.runpytest("--modelgate", *args)
    assert run.ret == pytest.ExitCode.INTERRUPTED  # a collection error, as a bad gate file
    run.stdout.fnmatch_lines(
        [f"*release.gate.yaml:*: {key}: *cannot be sharded*"]
        if "sampling" in key
        else [f"*release.gate.yaml:*: {key}: a regrade samples from every graded item*"]
        if "regrade" in key
        else [f"*release.gate.yaml:*: {key}: the judge's calibration is graded once per run*"]
    )


def test_a_shard_under_xdist_writes_the_same_partial(project):
    plain, spread = (
        project.runpytest(
            "--modelgate",
            "--modelgate-shard=2/3",
            "--modelgate-report",
            out,
            "--modelgate-no-cache",
            *n,
        )
        for out, n in (("plain", ()), ("spread", ("-n", "2")))
    )
    assert plain.ret == spread.ret == 0
    spread.assert_outcomes(skipped=6)

    def items(out: str) -> dict[str, Any]:
        data = json.loads((project.path / out / "modelgate-partial.json").read_text())
        return {e["benchmark"]: e["items"] for e in data["results"]}

    assert items("spread") == items("plain") and all(items("plain").values())


EXCLUDING = """
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate: {{provider: openai, base_url: "{url}", model: toy, max_retries: 0}}
domains:
  cybersecurity:
    benchmarks:
      mcq:
        dataset: data/mcq.jsonl
        format: mcq
        scorer: choice
        max_error_rate: 0.2
        thresholds: [{{above: 0.9, tier: high}}]
"""


@pytest.mark.parametrize("unanswered", [4, 10], ids=["within-the-rate", "beyond-it"])
def test_items_that_cannot_be_answered_count_against_all_items(
    pytester, model_server, write_gate, unanswered
):
    """max_error_rate is a share of the whole benchmark, so the merge, not a shard, applies it."""
    rows = mcq_rows(40, correct=20)
    for row in rows[:unanswered]:
        row["question"] = "Unanswered <<reply:>>"  # an empty answer: the item cannot be scored
    write_jsonl(pytester.path / "data/mcq.jsonl", rows)
    write_gate(EXCLUDING.format(url=model_server().base_url))
    full = pytester.runpytest("--modelgate", "--modelgate-report", "full", "--modelgate-no-cache")
    for k in (1, 2, 3):
        shard = pytester.runpytest(
            "--modelgate",
            f"--modelgate-shard={k}/3",
            "--modelgate-report",
            f"parts/shard-{k}",
            "--modelgate-no-cache",
        )
        assert shard.ret == 0  # under 100% of a shard's items: excluded, left to the merge
    merged = merge(pytester)
    assert merged.ret == full.ret
    expected, got = (
        json.loads((pytester.path / d / "results.json").read_text()) for d in ("full", "merged")
    )
    # Which failed item is "first" depends on thread timing in any run.
    for doc in (expected, got):
        entry = doc["benchmarks"]["mcq"]
        entry["error"] = entry["error"] and entry["error"].split("; first error")[0]
    assert differences(expected, got) == []
    entry = got["benchmarks"]["mcq"]
    assert entry["errors"] == unanswered
    if unanswered == 4:
        assert entry["n"] == 36 and entry["error"] is None
    else:
        assert (
            entry["error"] == "10 of 40 items could not be answered (25.0% > max_error_rate 20.0%)"
        )


def test_a_file_that_is_not_a_partial_is_refused(sharded):
    (sharded.path / "results.json").write_text(json.dumps({"schema": 1, "benchmarks": {}}))
    refused(
        merge(sharded, "parts/shard-1/modelgate-partial.json", "results.json", "parts/shard-3"),
        "*results.json: modelgate_partial: not a pytest-modelgate partial of schema 1*",
    )
