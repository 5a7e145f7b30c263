"""Importers: Inspect logs and lm-evaluation-harness outputs as baselines.

Unit tests read the hand-written fixtures (and files the real tools wrote, under
fixtures/importers/real); every malformation must end in an error that names the file and
the key. One session gates a candidate against an Inspect log (paired) and an lm-eval
aggregate (unpaired)."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import mcq_rows, write_jsonl

from pytest_modelgate.data.datasets import item_id
from pytest_modelgate.results.document import load_baseline
from pytest_modelgate.results.errors import BaselineFileError
from pytest_modelgate.results.importers.lm_eval import task_of_samples_file

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
INSPECT_LOG = FIXTURES / "inspect" / "toy_mcq.json"
EVAL_MEMBERS = FIXTURES / "inspect" / "toy_mcq_eval"
DATE = "2026-01-02T03-04-05.678901"
LM_RESULTS = FIXTURES / "lm_eval" / f"results_{DATE}.json"
LM_SAMPLES = FIXTURES / "lm_eval" / f"samples_toy_mcq_{DATE}.jsonl"
REAL_INSPECT = FIXTURES / "real" / "inspect-0.3.285"
REAL_LM = FIXTURES / "real" / "lm-eval-0.4.13"
REAL_DATE = "2026-11-22T10-02-50.291974"

TOY_MCQ = {"q1": 1.0, "q2": 0.5, "q3": 0.25, "4": 0.5}  # C C / C I / P N / 1 0.0
TOY_COLORS = {"c1": 1.0, "c2": 0.5, "3": 1.0, "c4": 0.0}  # the real Inspect log's items
ZSTD_READABLE = sys.version_info >= (3, 14) or importlib.util.find_spec("zstandard") is not None


def load(path: Path, tasks: dict[str, str] | None = None) -> dict[str, Any]:
    return load_baseline(path, "peer", tasks)


def error(path: Path, tasks: dict[str, str] | None = None) -> str:
    with pytest.raises(BaselineFileError) as info:
        load(path, tasks)
    return str(info.value)


def eval_archive(
    tmp_path: Path, *, drop: tuple[str, ...] = (), extra: dict[str, str] | None = None
) -> Path:
    """The hand-written members zipped into an .eval (deflate, as Inspect wrote before zstd)."""
    out = tmp_path / "toy_mcq.eval"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(EVAL_MEMBERS.rglob("*.json")):
            name = member.relative_to(EVAL_MEMBERS).as_posix()
            if not name.startswith(drop):
                archive.write(member, name)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return out


# --- Inspect ----------------------------------------------------------------------------------


def test_inspect_json_log_gives_per_item_means_over_epochs():
    found = load(INSPECT_LOG)
    assert list(found) == ["toy_mcq"]  # "toy_evals/toy_mcq": the registry prefix is dropped
    ev = found["toy_mcq"]
    assert ev.items == TOY_MCQ  # ids as str(sample.id): 4 -> "4"
    assert (ev.score, ev.n, ev.name) == (pytest.approx(0.5625), 4, "peer")
    assert ev.source == "peer (Inspect log, per-item choice, mean of 2 epochs, toy_mcq.json)"


def test_inspect_eval_archive_reads_like_the_json_log(tmp_path):
    ev = load(eval_archive(tmp_path))["toy_mcq"]
    assert ev.items == TOY_MCQ
    assert "Inspect log, per-item choice, mean of 2 epochs, toy_mcq.eval" in ev.source


def test_inspect_log_without_samples_uses_its_epoch_reductions(tmp_path):
    ev = load(eval_archive(tmp_path, drop=("samples/",)))["toy_mcq"]
    assert ev.items == TOY_MCQ
    assert "per-item choice from its epoch reductions" in ev.source


def test_inspect_log_with_only_results_is_an_unpaired_aggregate(tmp_path):
    ev = load(eval_archive(tmp_path, drop=("samples/", "reductions")))["toy_mcq"]
    assert ev.items is None
    assert (ev.score, ev.n) == (0.5625, 4)  # scored_samples: items, not item-epochs
    assert ev.source == "peer (Inspect log, aggregate accuracy of choice, toy_mcq.eval)"


def test_older_inspect_log_counts_items_as_completed_samples_over_epochs(tmp_path):
    log = json.loads(INSPECT_LOG.read_text())
    del log["samples"], log["results"]["scores"][0]["scored_samples"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(log))
    assert load(path)["toy_mcq"].n == 4  # 8 completed samples / 2 epochs


@pytest.mark.parametrize("wanted", ["toy_mcq", "toy_evals/toy_mcq"])
def test_inspect_task_maps_to_a_benchmark(wanted):
    found = load(INSPECT_LOG, {"cyber-mcq": wanted})
    assert list(found) == ["cyber-mcq"]
    assert found["cyber-mcq"].items == TOY_MCQ


def test_inspect_task_missing_from_the_log_is_named():
    message = error(INSPECT_LOG, {"cyber-mcq": "wmdp_cyber"})
    assert message == (
        f"{INSPECT_LOG}: eval.task: no task 'wmdp_cyber' (wanted for benchmark 'cyber-mcq' "
        "by tasks:); the file has: toy_mcq"
    )


def test_real_inspect_json_log():
    ev = load(REAL_INSPECT / "toy_colors.json")["toy_colors"]
    assert ev.items == TOY_COLORS
    assert "per-item includes, mean of 2 epochs" in ev.source


@pytest.mark.skipif(not ZSTD_READABLE, reason="needs the zstandard package before Python 3.14")
def test_real_inspect_eval_archive_with_zstd_entries():
    assert load(REAL_INSPECT / "toy_colors.eval")["toy_colors"].items == TOY_COLORS


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="zipfile reads zstd from Python 3.14")
def test_zstd_entries_without_zstandard_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # importing it now fails
    path = REAL_INSPECT / "toy_colors.eval"
    assert error(path).startswith(
        f"{path}: header.json: compressed with zstd, as Inspect writes .eval logs; install "
        "the zstandard package (pip install 'pytest-modelgate[inspect]') or convert the log to JSON"
    )


DELETE = object()


def edited(data: Any, edits: list[tuple[tuple[Any, ...], Any]]) -> Any:
    data = copy.deepcopy(data)
    for keys, value in edits:
        parent = data
        for key in keys[:-1]:
            parent = parent[key]
        if value is DELETE:
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = value
    return data


NO_SAMPLES = (("samples",), DELETE)
INSPECT_ERRORS = {
    "failed-eval": (
        [(("status",), "error"), (("error",), {"message": "RuntimeError('boom')"})],
        "status: the eval ended 'error' (RuntimeError('boom')), not 'success'",
    ),
    "unfinished-eval": ([(("status",), "started")], "status: the eval ended 'started'"),
    "invalidated": ([(("invalidated",), True)], "invalidated: the log is marked invalid"),
    "errored-sample": (
        [(("samples", 1, "error"), {"message": "TimeoutError()"})],
        "samples[id=q2, epoch=1].error: the sample errored (TimeoutError()); an errored "
        "sample is no evidence",
    ),
    "sample-without-the-score": (
        [(("samples", 0, "scores"), {"other": {"value": "C"}})],
        "samples[id=q1, epoch=1].scores: no score 'choice' (scores here: other)",
    ),
    "unknown-letter": (
        [(("samples", 0, "scores", "choice", "value"), "X")],
        "samples[id=q1, epoch=1].scores.choice.value: expected C, I, P, N or a number in "
        "[0, 1], got 'X'",
    ),
    "score-out-of-range": (
        [(("samples", 3, "scores", "choice", "value"), 7)],
        "samples[id=4, epoch=1].scores.choice.value: expected a score in [0, 1], got 7",
    ),
    "several-values": (
        [(("samples", 0, "scores", "choice", "value"), {"a": 1, "b": 0})],
        "scores.choice.value: a score with several values",
    ),
    "sample-twice": ([(("samples", 4, "epoch"), 1)], "samples[id=q1, epoch=1]: appears twice"),
    "missing-epoch": (
        [(("samples", 7), DELETE)],
        "samples: items have different numbers of epochs (1 to 2; e.g. '4' has 1)",
    ),
    "sample-without-id": ([(("samples", 0, "id"), DELETE)], "samples[0].id: expected an id"),
    "samples-not-a-list": ([(("samples",), "oops")], "samples: expected a list of samples"),
    "no-task": ([(("eval", "task"), DELETE)], "eval.task: expected the task's name, got None"),
    "no-samples-no-results": (
        [NO_SAMPLES, (("results",), DELETE)],
        "results.scores: the log has no scores",
    ),
    "incomplete-aggregate": (
        [NO_SAMPLES, (("results", "completed_samples"), 7)],
        "results.completed_samples: 7 of 8 samples completed",
    ),
    "aggregate-without-accuracy": (
        [NO_SAMPLES, (("results", "scores", 0, "metrics", "accuracy"), DELETE)],
        "results.scores[choice].metrics: none of accuracy, mean (metrics here: stderr)",
    ),
    "aggregate-out-of-range": (
        [NO_SAMPLES, (("results", "scores", 0, "metrics", "accuracy", "value"), 56.25)],
        "results.scores[choice].metrics.accuracy.value: expected a score in [0, 1], got 56.25",
    ),
}


@pytest.mark.parametrize("case", INSPECT_ERRORS)
def test_malformed_inspect_log_is_refused_naming_file_and_key(tmp_path, case):
    edits, expected = INSPECT_ERRORS[case]
    path = tmp_path / "peer.json"
    path.write_text(json.dumps(edited(json.loads(INSPECT_LOG.read_text()), edits)))
    message = error(path)
    assert message.startswith(f"{path}: ")
    assert expected in message


ARCHIVE_ERRORS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "unfinished": (
        lambda tmp: eval_archive(tmp, drop=("header",), extra={"_journal/start.json": "{}"}),
        "header.json: missing: the eval did not finish",
    ),
    "no-header": (
        lambda tmp: eval_archive(tmp, drop=("header",)),
        "header.json: missing: not an Inspect .eval log",
    ),
    "header-not-json": (
        lambda tmp: eval_archive(tmp, drop=("header",), extra={"header.json": "{oops"}),
        "header.json: not valid JSON",
    ),
    "sample-not-an-object": (
        lambda tmp: eval_archive(tmp, extra={"samples/x_epoch_1.json": "[1]"}),
        "samples/x_epoch_1.json: expected a JSON object",
    ),
    "damaged-zip": (
        lambda tmp: _write(tmp / "bad.eval", b"PK\x03\x04" + b"\x00" * 40),
        "not a readable .eval archive",
    ),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", ARCHIVE_ERRORS)
def test_malformed_eval_archive_is_refused_naming_file_and_member(tmp_path, case):
    make, expected = ARCHIVE_ERRORS[case]
    path = make(tmp_path)
    message = error(path)
    assert message.startswith(f"{path}: ")
    assert expected in message


# --- lm-evaluation-harness --------------------------------------------------------------------


def test_lm_eval_results_read_the_samples_written_beside_them():
    found = load(LM_RESULTS)
    assert set(found) == {"toy_mcq", "toy_gen"}  # the group toy_suite is not a task
    mcq, gen = found["toy_mcq"], found["toy_gen"]
    # toy_mcq has a samples file of the same run: per item, by the rows' own ids.
    assert mcq.items == {"m1": 1.0, "m2": 1.0, "m3": 0.0, "m4": 1.0, "m5": 0.0}
    assert mcq.source == f"peer (lm-eval samples, per-item acc, samples_toy_mcq_{DATE}.jsonl)"
    # toy_gen has none: its aggregate, on the first filter the task lists.
    assert (gen.items, gen.score, gen.n) == (None, 0.25, 4)
    assert gen.source == (
        f"peer (lm-eval results, aggregate exact_match (strict-match filter), {LM_RESULTS.name})"
    )


def test_lm_eval_results_alone_are_unpaired_aggregates(tmp_path):
    path = shutil.copy(LM_RESULTS, tmp_path)
    ev = load(Path(path))["toy_mcq"]
    assert (ev.items, ev.score, ev.n) == (None, 0.6, 5)
    assert ev.source == f"peer (lm-eval results, aggregate acc, {LM_RESULTS.name})"


def test_lm_eval_samples_file_alone_is_per_item():
    found = load(LM_SAMPLES)
    assert list(found) == ["toy_mcq"]  # the task, from lm-eval's file name
    assert found["toy_mcq"].items == load(LM_RESULTS)["toy_mcq"].items


def test_lm_eval_samples_inside_the_results_are_read(tmp_path):
    """simple_evaluate(log_samples=True) returns the samples in the results dict."""
    data = json.loads(LM_RESULTS.read_text())
    data["samples"] = {
        "toy_mcq": [json.loads(line) for line in LM_SAMPLES.read_text().splitlines()]
    }
    path = tmp_path / "dumped.json"
    path.write_text(json.dumps(data))
    assert load(path)["toy_mcq"].items == {"m1": 1.0, "m2": 1.0, "m3": 0.0, "m4": 1.0, "m5": 0.0}


def test_lm_eval_tasks_map_to_benchmarks():
    found = load(LM_RESULTS, {"cyber-mcq": "toy_mcq", "cyber-gen": "toy_gen"})
    assert set(found) == {"cyber-mcq", "cyber-gen"}  # with tasks:, only those are read
    assert found["cyber-mcq"].items is not None and found["cyber-gen"].items is None


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        ("wmdp_cyber", "results.wmdp_cyber: no task 'wmdp_cyber' (wanted for benchmark 'b' by "
         "tasks:); the file has: toy_suite, toy_mcq, toy_gen"),
        ("toy_suite", "results.toy_suite: a group, whose score mixes several tasks; map the "
         "benchmark to one task"),
    ],
)  # fmt: skip
def test_lm_eval_task_mapping_errors(wanted, expected):
    assert error(LM_RESULTS, {"b": wanted}) == f"{LM_RESULTS}: {expected}"


def test_lm_eval_item_ids_pair_with_the_same_rows_of_our_dataset():
    """Samples carry the dataset row as doc: item_id(doc) is what our loader gives that row,
    by its id field (toy_mcq) or by a hash of its content (toy_gen, rows without ids)."""
    found = load(REAL_LM / f"results_{REAL_DATE}.json")
    for task in ("toy_mcq", "toy_gen"):
        rows = [json.loads(line) for line in (REAL_LM / "tasks" / f"{task}.jsonl").open()]
        assert set(found[task].items) == {item_id(row) for row in rows}
    assert found["toy_mcq"].score == 0.6  # as lm-eval's own results say
    assert found["toy_gen"].source == (
        f"peer (lm-eval samples, per-item exact_match (strict-match filter), "
        f"samples_toy_gen_{REAL_DATE}.jsonl)"
    )


def samples_file(tmp_path: Path, rows: list[Any], name: str = f"samples_toy_{DATE}.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path


def test_lm_eval_samples_without_doc_fall_back_to_doc_id_and_say_so(tmp_path):
    rows = [{"doc_id": i, "filter": "none", "acc": i % 2} for i in range(4)]
    ev = load(samples_file(tmp_path, rows))["toy"]
    assert ev.items == {"0": 0.0, "1": 1.0, "2": 0.0, "3": 1.0}
    assert "per-item acc, ids from doc_id (line order)" in ev.source


def test_lm_eval_samples_use_none_filter_else_the_first_listed(tmp_path):
    rows = [
        {"doc_id": i, "doc": {"id": f"g{i}"}, "filter": f, "exact_match": float(f == "loose")}
        for f in ("strict", "loose")
        for i in range(3)
    ]
    ev = load(samples_file(tmp_path, rows))["toy"]
    assert ev.score == 0.0 and "exact_match (strict filter)" in ev.source


@pytest.mark.parametrize(
    ("name", "task"),
    [
        (f"samples_mmlu_high_school_{DATE}.jsonl", "mmlu_high_school"),
        ("samples_toy.jsonl", "toy"),
        ("peer.jsonl", "peer"),
    ],
)
def test_the_task_of_a_samples_file_comes_from_its_name(name, task):
    assert task_of_samples_file(Path(name)) == task


GOOD = {"doc_id": 0, "doc": {"id": "a"}, "filter": "none", "acc": 1.0}
SAMPLES_ERRORS = {
    "empty": ([], "", "no samples: log them with lm-eval --log_samples"),
    "not-json": ([GOOD, "{oops\n"], ":2", "not valid JSON"),
    "not-an-object": ([GOOD, "[1]\n"], ":2", "expected a JSON object per sample"),
    "metric-missing": (
        [GOOD, {**GOOD, "doc": {"id": "b"}, "acc": None}],
        ":2",
        "acc: expected a score in [0, 1], got None",
    ),
    "metric-out-of-range": (
        [GOOD, {**GOOD, "doc": {"id": "b"}, "acc": 2}],
        ":2",
        "acc: expected a score in [0, 1], got 2",
    ),
    "no-known-metric": (
        [{"doc_id": 0, "metrics": ["f1"], "f1": 0.5}],
        ":1",
        "no acc or exact_match metric (metrics here: f1)",
    ),
    "same-sample-twice": ([GOOD, GOOD], ":2", "doc: the same sample as"),
    "doc-on-some-lines-only": (
        [GOOD, {"doc_id": 1, "filter": "none", "acc": 0.0}],
        ":2",
        "doc: missing here but present on other lines",
    ),
    "no-doc-nor-doc-id": (
        [{"filter": "none", "acc": 1.0}],
        ":1",
        "doc_id: expected doc or an integer doc_id, got None",
    ),
}


@pytest.mark.parametrize("case", SAMPLES_ERRORS)
def test_malformed_lm_eval_samples_are_refused_naming_file_line_and_key(tmp_path, case):
    rows, line, expected = SAMPLES_ERRORS[case]
    path = samples_file(tmp_path, rows)
    assert error(path).startswith(f"{path}{line}: {expected}")


def test_lm_eval_samples_not_utf8(tmp_path):
    path = tmp_path / "samples_toy.jsonl"
    path.write_bytes(b"\xff\xfe\x00")
    assert error(path) == f"{path}: not UTF-8 text"


RESULTS_ERRORS = {
    "n-samples-missing": (
        [(("n-samples", "toy_gen"), DELETE)],
        "n-samples.toy_gen.effective: missing: lm-eval records the item count only since 0.4.3",
    ),
    "n-samples-zero": (
        [(("n-samples", "toy_gen", "effective"), 0)],
        "n-samples.toy_gen.effective: expected a positive item count, got 0",
    ),
    "score-in-percent": (
        [(("results", "toy_gen", "exact_match,strict-match"), 25.0)],
        "results.toy_gen.exact_match,strict-match: expected a score in [0, 1], got 25.0",
    ),
    "no-known-metric": (
        [(("results", "toy_gen"), {"f1,none": 0.5, "f1_stderr,none": 0.1})],
        "results.toy_gen: no acc or exact_match metric (metrics here: f1)",
    ),
    "task-not-a-mapping": (
        [(("results", "toy_gen"), [0.5])],
        "results.toy_gen: expected a mapping",
    ),
    "samples-from-another-run": (
        [(("results", "toy_mcq", "acc,none"), 0.8)],
        "5 items averaging 0.600000 do not match",
    ),
}


@pytest.mark.parametrize("case", RESULTS_ERRORS)
def test_malformed_lm_eval_results_are_refused_naming_file_and_key(tmp_path, case):
    edits, expected = RESULTS_ERRORS[case]
    shutil.copy(LM_SAMPLES, tmp_path)
    path = tmp_path / LM_RESULTS.name
    path.write_text(json.dumps(edited(json.loads(LM_RESULTS.read_text()), edits)))
    message = error(path)
    assert message.startswith(str(tmp_path))
    assert expected in message


# --- our own results.json, and telling the kinds apart -----------------------------------------


def test_our_results_file_honours_tasks_too(tmp_path):
    path = tmp_path / "peer.results.json"
    path.write_text(
        json.dumps({"schema": 1, "benchmarks": {"old-name": {"score": 0.5, "n": 2,
                    "items": {"a": 1.0, "b": 0.0}}}})
    )  # fmt: skip
    assert load(path, {"new-name": "old-name"})["new-name"].items == {"a": 1.0, "b": 0.0}
    assert "benchmarks.nope: no task 'nope'" in error(path, {"new-name": "nope"})
    # One figure per benchmark: a key choosing among figures is a mistake, said so.
    for measure, scorer in [(("acc", None), None), ((None, None), "choice")]:
        with pytest.raises(BaselineFileError, match="this is a pytest-modelgate results file"):
            load_baseline(path, "peer", None, None, measure, None, scorer)


def test_a_file_of_no_known_kind_lists_the_kinds(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"accuracy": 0.5}))
    assert error(path) == (
        f"{path}: schema: not a pytest-modelgate results file of schema 1 (record one with "
        "--modelgate-record-baseline), nor an Inspect log (.eval, .json) or "
        "lm-evaluation-harness output (results_*.json, samples_*.jsonl)"
    )


# --- a whole session --------------------------------------------------------------------------


def inspect_baseline(path: Path, ids: list[str], correct: int) -> Path:
    """An .eval log of task toy_mcq: the first ``correct`` items right."""
    header = json.loads((EVAL_MEMBERS / "header.json").read_text())
    header["eval"]["config"]["epochs"] = 1
    header["results"].update(total_samples=len(ids), completed_samples=len(ids))
    score = header["results"]["scores"][0]  # the log's own figure agrees with its samples
    score["scored_samples"], score["metrics"]["accuracy"]["value"] = len(ids), correct / len(ids)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps(header))
        for i, sid in enumerate(ids):
            sample = {"id": sid, "epoch": 1, "scores": {"choice": {"value": "CI"[i >= correct]}}}
            archive.writestr(f"samples/{sid}_epoch_1.json", json.dumps(sample))
    return path


def test_gate_against_an_inspect_log_is_paired_and_against_lm_eval_results_unpaired(
    pytester, model_server, write_gate
):
    server = model_server()
    rows = mcq_rows(200, correct=120)  # the candidate: 0.60
    write_jsonl(pytester.path / "data/mcq.jsonl", rows)
    inspect_baseline(pytester.path / "peer.eval", [r["id"] for r in rows], correct=100)
    lm_dir = pytester.path / "lm-eval"
    lm_dir.mkdir()
    (lm_dir / f"results_{DATE}.json").write_text(
        json.dumps(
            {
                "results": {"wmdp_toy": {"alias": "wmdp_toy", "acc,none": 0.5}},
                "n-samples": {"wmdp_toy": {"original": 200, "effective": 200}},
                "versions": {"wmdp_toy": 1},
            }
        )
    )
    write_gate(
        f"""
        version: 1
        policy: {{ladder: meta-frontier, allowed: moderate}}
        models:
          candidate:
            provider: openai
            base_url: {server.base_url}
            model: toy
            params: {{temperature: 0, max_tokens: 4}}
        baselines:
          inspect-peer:
            results: peer.eval
            tasks: {{toy-mcq: toy_mcq}}
          lm-eval-peer:
            results: lm-eval/results_{DATE}.json
            tasks: {{toy-mcq: wmdp_toy}}
        domains:
          cybersecurity:
            benchmarks:
              toy-mcq:
                dataset: data/mcq.jsonl
                format: mcq
                scorer: choice
                thresholds:
                  - {{above: inspect-peer, margin: 0.02, tier: high}}
                  - {{above: lm-eval-peer, margin: 0.02, tier: high}}
        """
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy-mcq"]
    by_source = {t["reference_source"]: t for t in bench["thresholds"]}
    paired = by_source["inspect-peer (Inspect log, per-item choice, peer.eval)"]
    unpaired = by_source[f"lm-eval-peer (lm-eval results, aggregate acc, results_{DATE}.json)"]
    # Same +0.10 against both; the items of the Inspect log pair with the dataset's ids.
    assert (paired["method"], paired["reference"], paired["outcome"]) == ("paired", 0.5, "crossed")
    assert paired["diff"] == pytest.approx(0.1)
    assert (unpaired["method"], unpaired["reference"]) == ("unpaired", 0.5)
    assert unpaired["diff"] == pytest.approx(0.1)
    # Pairing on the same items resolves what the aggregate alone cannot.
    assert unpaired["outcome"] == "inconclusive"
    width = {k: t["diff_ci"][1] - t["diff_ci"][0] for k, t in [("p", paired), ("u", unpaired)]}
    assert width["p"] < width["u"] / 2
    result.assert_outcomes(failed=3)  # crossed, inconclusive (fails closed), and the domain


def test_a_task_no_gate_asks_for_is_never_read(tmp_path):
    """A multi-task lm-eval file with a task that has neither acc nor exact_match (a BLEU
    task, say) still serves the gate's own benchmarks; asked for, it is refused by name."""
    data = json.loads((REAL_LM / f"results_{REAL_DATE}.json").read_text())
    data["results"]["toy_bleu"] = {"name": "toy_bleu", "alias": "toy_bleu", "bleu,none": 12.5}
    path = tmp_path / f"results_{REAL_DATE}.json"
    path.write_text(json.dumps(data))
    for task in ("toy_mcq", "toy_gen"):
        shutil.copy(REAL_LM / f"samples_{task}_{REAL_DATE}.jsonl", tmp_path)
    found = load_baseline(path, "peer", None, wanted={"toy_mcq"})
    assert set(found) == {"toy_mcq"} and found["toy_mcq"].score == 0.6
    with pytest.raises(BaselineFileError, match="toy_bleu"):
        load_baseline(path, "peer", None, wanted={"toy_mcq", "toy_bleu"})


LFS_POINTER_TEXT = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 12345\n"
)


@pytest.mark.parametrize("name", ["results.json", "log.eval", "samples_toy_2026.jsonl"])
def test_a_git_lfs_pointer_says_to_pull_it(tmp_path, name):
    path = tmp_path / name
    path.write_text(LFS_POINTER_TEXT)
    assert "a Git LFS pointer, not the file itself: run `git lfs pull`" in error(path)


def test_a_dataset_that_is_a_git_lfs_pointer_says_to_pull_it(tmp_path):
    from pytest_modelgate.data.datasets import DatasetError, load_dataset
    from pytest_modelgate.data.formats import BUILTIN_FORMATS

    path = tmp_path / "mcq.jsonl"
    path.write_text(LFS_POINTER_TEXT)
    with pytest.raises(DatasetError, match="git lfs pull"):
        load_dataset(path, BUILTIN_FORMATS["mcq"])


def test_metric_and_filter_choose_among_an_lm_eval_files_figures():
    """Asked for, the metric and filter are read; absent, the error lists what the file has;
    every source names the figure it read."""
    results = REAL_LM / f"results_{REAL_DATE}.json"
    found = load_baseline(results, "peer", None, {"toy_gen"}, ("exact_match", "flexible-extract"))
    assert "exact_match (flexible-extract filter)" in found["toy_gen"].source
    default = load_baseline(results, "peer", None, {"toy_gen"})["toy_gen"]
    assert "exact_match (strict-match filter)" in default.source  # the task's first filter
    with pytest.raises(BaselineFileError, match=r"no 'acc_norm' metric \(metrics here: acc\)"):
        load_baseline(results, "peer", None, {"toy_mcq"}, ("acc_norm", None))
    with pytest.raises(BaselineFileError, match="no filter 'strict-match' for acc"):
        load_baseline(results, "peer", None, {"toy_mcq"}, (None, "strict-match"))
    inspect_log = REAL_INSPECT / next(p.name for p in REAL_INSPECT.glob("*.json"))
    with pytest.raises(BaselineFileError, match="filter: 'none' chooses among lm-eval figures"):
        load_baseline(inspect_log, "peer", None, None, (None, "none"))
    with pytest.raises(BaselineFileError, match=r"no metric 'acc' \(metrics here: accuracy"):
        load_baseline(inspect_log, "peer", None, None, ("acc", None))
    with pytest.raises(BaselineFileError, match="inspect_scorer: 'x' chooses among an Inspect"):
        load_baseline(results, "peer", None, None, scorer="x")


def test_a_gate_reads_the_metric_it_names_and_refuses_one_the_file_lacks(pytester, write_gate):
    lm_dir = pytester.path / "lm-eval"
    lm_dir.mkdir()
    figures = {"alias": "toy", "acc,none": 0.4, "acc_norm,none": 0.7}
    (lm_dir / f"results_{DATE}.json").write_text(
        json.dumps(
            {
                "results": {"toy": figures, "toy_bleu": {"alias": "toy_bleu", "bleu,none": 9.0}},
                "n-samples": {"toy": {"original": 100, "effective": 100}},
                "versions": {"toy": 1},
            }
        )
    )
    gate = """
        version: 1
        policy: {{ladder: meta-frontier, allowed: moderate}}
        models:
          candidate: {{provider: static, scores: {{toy: {{score: 0.5, n: 100}}}}}}
        baselines:
          peer: {{results: lm-eval/results_{date}.json, metric: {metric}}}
        domains:
          cybersecurity:
            benchmarks:
              toy:
                thresholds:
                  - {{above: peer, margin: 0.02, tier: high}}
        """
    write_gate(gate.format(date=DATE, metric="acc_norm"))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    bench = json.loads((pytester.path / "out/results.json").read_text())["benchmarks"]["toy"]
    assert bench["thresholds"][0]["reference"] == 0.7  # acc_norm, not acc (0.4)
    assert "aggregate acc_norm" in bench["thresholds"][0]["reference_source"]
    result.assert_outcomes(passed=2)  # toy_bleu, no gate's benchmark, is never read
    verbose = pytester.runpytest("--modelgate", "-v")
    verbose.stdout.fnmatch_lines(
        [
            "modelgate: release.gate.yaml: baselines.peer.results: tasks no benchmark of this "
            "gate file asks for, not read: toy_bleu"
        ]
    )
    write_gate(gate.format(date=DATE, metric="acc_mutual_info"))
    result = pytester.runpytest("--modelgate")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*baselines.peer.results:*no 'acc_mutual_info' metric (metrics here: acc, acc_norm)*"]
    )


def lm_eval_03(tmp_path: Path, samples: bool) -> Path:
    """An lm-eval 0.3-era run: plain metric keys, no n-samples, samples as one JSON array."""
    path = tmp_path / f"results_{DATE}.json"
    entry = {"acc": 0.5, "acc_stderr": 0.25, "acc_norm": 0.75, "acc_norm_stderr": 0.2}
    path.write_text(json.dumps({"results": {"toy": entry}, "versions": {"toy": 0}}))
    if samples:
        rows = [{"doc": {"id": f"c{i}"}, "acc": i % 2, "acc_norm": int(i > 0)} for i in range(4)]
        (tmp_path / f"samples_toy_{DATE}.json").write_text(json.dumps(rows, indent=2))
    return path


def test_lm_eval_03_results_read_their_plain_metrics_and_samples_arrays(tmp_path):
    found = load_baseline(lm_eval_03(tmp_path, samples=True), "peer", None, {"toy"})["toy"]
    assert (found.score, found.n, set(found.items)) == (0.5, 4, {"c0", "c1", "c2", "c3"})
    assert found.source == f"peer (lm-eval samples, per-item acc, samples_toy_{DATE}.json)"
    norm = load_baseline(
        tmp_path / f"results_{DATE}.json", "peer", None, {"toy"}, ("acc_norm", None)
    )
    assert norm["toy"].score == 0.75
    # The samples array alone, given directly, is one task's per-item evidence too.
    direct = load_baseline(tmp_path / f"samples_toy_{DATE}.json", "peer")
    assert direct["toy"].n == 4


def test_lm_eval_03_results_without_samples_name_the_missing_count(tmp_path):
    message = error(lm_eval_03(tmp_path, samples=False))
    assert (
        "n-samples.toy.effective: missing: lm-eval records the item count only since 0.4.3"
        in message
    )
    assert "0.3-era files have none" in message


def test_a_document_held_twice_turns_pairing_off_and_says_why(tmp_path):
    """lm-eval datasets may hold a row twice; no id tells the two samples apart, so the file
    gives totals only (unpaired), and the source names the two lines."""
    rows = [GOOD, {**GOOD, "doc_id": 1, "acc": 0.0}, {**GOOD, "doc_id": 2, "doc": {"id": "b"}}]
    found = load(samples_file(tmp_path, rows))["toy"]
    assert (found.items, found.n, found.score) == (None, 3, pytest.approx(2 / 3))  # unpaired
    assert "pairing off: the document at" in found.source and ":1 appears again at" in found.source


def test_every_report_says_where_imported_figures_come_from(pytester, write_gate):
    """The imported candidate and each file baseline: file, sha256, the tool and its version."""
    shutil.copy(REAL_LM / f"results_{REAL_DATE}.json", pytester.path / "cand.json")
    shutil.copytree(REAL_INSPECT, pytester.path / "inspect")
    write_gate(
        """
        version: 1
        policy: {ladder: meta-frontier, allowed: moderate}
        models:
          candidate: {provider: static, results: cand.json}
        baselines:
          peer: {results: inspect/toy_colors.json, tasks: {toy_mcq: toy_colors}}
        domains:
          d:
            benchmarks:
              toy_mcq:
                thresholds:
                  - {above: peer, margin: 0.5, tier: high}
        """
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out", "-v")
    data = json.loads((pytester.path / "out/results.json").read_text())
    sha = hashlib.sha256((pytester.path / "cand.json").read_bytes()).hexdigest()
    assert data["candidate"]["results_file"] == {
        "file": "cand.json",
        "sha256": sha,
        "tool": "lm-eval",
        "tool_version": "0.4.13",
        "figures": {
            "toy_mcq": {
                "task": "toy_mcq",
                "metric": "acc",
                "filter": "none",
                "n": 5,
                "items": "aggregate",  # the samples files were not copied beside it
            }
        },
    }
    peer = data["baselines"]["peer"]["provenance"]
    assert (peer["tool"], peer["tool_version"], len(peer["sha256"])) == ("inspect", "0.3.285", 64)
    assert peer["figures"]["toy_mcq"] == {
        "task": "toy_colors",
        "scorer": "includes",
        "reducer": None,
        "metric": "accuracy",
        "epochs": 2,
        "n": 4,
        "items": "per-item",
    }
    # -v: the terminal names every imported score's file, sha256, tool, task, metric, n.
    result.stdout.fnmatch_lines(
        [
            f"imported: candidate candidate, toy_mcq: task toy_mcq, metric acc, filter none, "
            f"n 5, totals only (unpaired) (from file cand.json, sha256 {sha[:12]}, lm-eval 0.4.13)",
            "imported: baseline peer, toy_mcq: task toy_colors, scorer includes (mean of 2 "
            "epochs), metric accuracy, n 4, per item (from file inspect/toy_colors.json, "
            f"sha256 {peer['sha256'][:12]}, inspect 0.3.285)",
        ]
    )
    quiet = pytester.runpytest("--modelgate")
    assert "imported:" not in quiet.stdout.str()
    summary = (pytester.path / "out/summary.md").read_text()
    assert (
        f"- candidate **candidate**: imported from file cand.json, sha256 {sha[:12]}, lm-eval"
        in summary
    )
    assert "- baseline **peer**: no source given (file inspect/toy_colors.json, sha256 " in summary
    assert f"sha256 {sha[:12]}" in (pytester.path / "out/report.html").read_text()
    junit = (pytester.path / "out/junit.xml").read_text()
    assert (
        f'name="candidate.candidate" value="imported from file cand.json, sha256 {sha[:12]}'
        in junit
    )
