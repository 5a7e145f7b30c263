"""Inspect logs across versions, several scorers and epoch reducers.

The logs under fixtures/importers/real/inspect-multi were written by inspect-ai itself (0.3.60:
deflate .eval, no headline, no scored_samples; 0.3.285: zstd .eval, headline with reducer) by
make_inspect_logs.py there: task toy_colors, 4 samples, 3 epochs, reducers mean and max, two
scorers (includes: C/I letters; length_ok: numbers, metric mean). The tests never need
inspect-ai installed. The older schema (one scorer in results.scorer, samples[].score) is a
hand-written file of the shape inspect_ai's own tests keep (see fixtures/importers/README.md).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.results.document import figure_line, load_baseline
from pytest_modelgate.results.errors import BaselineFileError

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
MULTI = FIXTURES / "real" / "inspect-multi"
VERSIONS = ("0.3.60", "0.3.285")
OLD_SCHEMA = FIXTURES / "inspect" / "old_schema.json"
ZSTD_READABLE = sys.version_info >= (3, 14) or importlib.util.find_spec("zstandard") is not None

# Each item's epochs (includes: c2 is wrong in epoch 1, right in 2 and 3; c4 always wrong;
# length_ok: c2's epoch-1 answer "green" is too long), reduced as the log reduced them.
INCLUDES_MEAN = {"c1": 1.0, "c2": pytest.approx(2 / 3), "3": 1.0, "c4": 0.0}
INCLUDES_MAX = {"c1": 1.0, "c2": 1.0, "3": 1.0, "c4": 0.0}
LENGTH_MEAN = {"c1": 1.0, "c2": pytest.approx(2 / 3), "3": 1.0, "c4": 1.0}


def log_file(version: str, fmt: str) -> Path:
    if fmt == "eval" and version == "0.3.285" and not ZSTD_READABLE:
        pytest.skip("zstd entries need the zstandard package before Python 3.14")
    return MULTI / f"inspect-{version}" / f"toy_colors.{fmt}"


def load(path: Path, scorer: str | None = None, metric: str | None = None) -> Any:
    return load_baseline(path, "peer", None, None, (metric, None), None, scorer)["toy_colors"]


def error(path: Path, scorer: str | None = None, metric: str | None = None) -> str:
    with pytest.raises(BaselineFileError) as info:
        load(path, scorer, metric)
    return str(info.value)


def edited_json(tmp_path: Path, version: str, edit: Any) -> Path:
    log = json.loads(log_file(version, "json").read_text())
    edit(log)
    path = tmp_path / "toy_colors.json"
    path.write_text(json.dumps(log))
    return path


BOTH = pytest.mark.parametrize(
    ("version", "fmt"), [(v, f) for v in VERSIONS for f in ("json", "eval")]
)


@BOTH
def test_default_is_the_first_scorer_per_item_reduced_by_the_first_reducer(version, fmt):
    """includes is the headline (0.3.285) or the first score (0.3.60); mean its first reducer."""
    ev = load(log_file(version, fmt))
    assert ev.items == INCLUDES_MEAN and ev.n == 4
    assert ev.score == pytest.approx(2 / 3)  # the log's own accuracy for (includes, mean)
    assert ev.figure == {
        "task": "toy_colors",
        "scorer": "includes",
        "reducer": "mean",
        "scorers": ["includes", "length_ok"],
        "epochs": 3,
        "metric": "accuracy",
        "n": 4,
        "items": "per-item",
    }
    assert figure_line("toy_colors", ev.figure) == (
        "toy_colors: task toy_colors, scorer includes (mean of 3 epochs; the log also has "
        "length_ok), metric accuracy, n 4, per item"
    )
    assert f"per-item includes, mean of 3 epochs, toy_colors.{fmt}" in ev.source


@BOTH
def test_inspect_scorer_names_another_score(version, fmt):
    ev = load(log_file(version, fmt), scorer="length_ok")
    assert ev.items == LENGTH_MEAN
    assert (ev.figure["scorer"], ev.figure["metric"]) == ("length_ok", "mean")


@BOTH
def test_another_metric_is_the_logs_aggregate_unpaired(version, fmt):
    ev = load(log_file(version, fmt), metric="stderr")
    assert ev.items is None and ev.n == 4  # scored_samples, or 12 item-epochs / 3 epochs
    assert ev.score == pytest.approx(0.2357022604)
    assert ev.figure["items"] == "aggregate"
    assert "aggregate stderr of includes" in ev.source


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_scorer_or_metric_lists_what_the_log_has(version):
    path = log_file(version, "json")
    assert error(path, scorer="choice") == (
        f"{path}: results.scores: no scorer 'choice' (scorers here: includes, length_ok)"
    )
    assert error(path, scorer="length_ok", metric="accuracy") == (
        f"{path}: results.scores[length_ok].metrics: no metric 'accuracy' (metrics here: mean)"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_the_headline_reducer_is_applied_to_the_samples(tmp_path, version):
    """A task whose headline is the max over epochs: pass if any epoch passed."""

    def max_headline(log: dict[str, Any]) -> None:
        log["results"]["headline"] = {"score": "includes", "metric": "accuracy", "reducer": "max"}

    ev = load(edited_json(tmp_path, version, max_headline))
    assert ev.items == INCLUDES_MAX and ev.figure["reducer"] == "max"
    assert "per-item includes, max of 3 epochs" in ev.source


@pytest.mark.parametrize("version", VERSIONS)
def test_without_samples_the_logs_reductions_give_the_items(tmp_path, version):
    def no_samples(log: dict[str, Any]) -> None:
        del log["samples"]
        log["results"]["headline"] = {"score": "includes", "metric": "accuracy", "reducer": "max"}

    ev = load(edited_json(tmp_path, version, no_samples))
    assert ev.items == INCLUDES_MAX  # the reduction's C/I letters, as Inspect keeps them
    assert "per-item includes from its epoch reductions (max)" in ev.source


def test_a_reducer_we_cannot_apply_reads_the_reductions_or_is_refused(tmp_path):
    def pass_at(log: dict[str, Any]) -> None:
        for entry in log["results"]["scores"]:
            entry["reducer"] = {"mean": "pass_at_2", "max": "max"}[entry["reducer"]]
        for reduction in log["reductions"]:
            reduction["reducer"] = {"mean": "pass_at_2", "max": "max"}[reduction["reducer"]]
        del log["results"]["headline"]

    path = edited_json(tmp_path, "0.3.285", pass_at)
    # pass_at_2 over C/I: the log's reduction; we take it as it is (c2 as 2/3 here).
    assert load(path).items == INCLUDES_MEAN

    def no_reductions(log: dict[str, Any]) -> None:
        pass_at(log)
        del log["reductions"]

    path = edited_json(tmp_path, "0.3.285", no_reductions)
    assert error(path) == (
        f"{path}: reductions: the log reduces epochs with 'pass_at_2' and keeps no reductions "
        "for includes; import a log that keeps them (Inspect writes them beside the samples)"
    )


def test_items_that_disagree_with_the_logs_own_figure_are_refused(tmp_path):
    def wrong(log: dict[str, Any]) -> None:
        log["results"]["scores"][0]["metrics"]["accuracy"]["value"] = 0.9

    path = edited_json(tmp_path, "0.3.285", wrong)
    assert error(path) == (
        f"{path}: results.scores[includes].metrics.accuracy: 4 items averaging 0.666667 do not "
        "give the log's own accuracy 0.9; the samples and results disagree"
    )


def test_a_scorer_with_a_dict_value_gives_one_score_per_key(tmp_path):
    """Inspect names the scores of a dict-valued scorer for its keys; inspect_scorer picks one."""

    def as_dict(log: dict[str, Any]) -> None:
        for sample in log["samples"]:
            value = sample["scores"].pop("length_ok")["value"]
            sample["scores"]["shape"] = {"value": {"short": value, "lower": 1.0}}
        entries = log["results"]["scores"]
        for entry in entries:
            if entry["name"] == "length_ok":
                entry.update(name="short", scorer="shape")
        entries.append({**entries[-1], "name": "lower", "metrics": {"mean": {"value": 1.0}}})
        entries[-1]["reducer"] = "mean"
        log["reductions"] = []

    ev = load(edited_json(tmp_path, "0.3.285", as_dict), scorer="short")
    assert ev.items == LENGTH_MEAN
    with pytest.raises(BaselineFileError, match="scorer 'shape' gives several scores; name one"):
        load(edited_json(tmp_path, "0.3.285", as_dict), scorer="shape")


def test_the_older_schema_reads_as_inspect_migrates_it(tmp_path):
    """One scorer under results.scorer with results.metrics beside it; samples[].score."""
    ev = load_baseline(OLD_SCHEMA, "peer")["toy_colors_old"]
    assert ev.items == {"c1": 1.0, "c2": 0.0, "3": 1.0, "c4": 1.0}
    assert ev.figure["schema"] == "older (results.scorer, samples[].score)"
    assert (ev.figure["scorer"], ev.figure["metric"]) == ("match", "accuracy")
    log = json.loads(OLD_SCHEMA.read_text())
    del log["samples"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(log))
    with pytest.raises(BaselineFileError) as info:
        load_baseline(path, "peer")
    assert str(info.value) == (
        f"{path}: results.completed_samples: missing: this older log records no item count "
        "and holds no samples, so no interval can be computed; import a log written with its "
        "samples"
    )


def test_the_deflate_eval_of_0_3_60_needs_no_zstandard(monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # importing it now fails
    path = MULTI / "inspect-0.3.60" / "toy_colors.eval"
    with zipfile.ZipFile(path) as archive:  # what makes it readable without the extra
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert load(path).items == INCLUDES_MEAN


def test_filter_on_an_inspect_log_is_refused():
    path = MULTI / "inspect-0.3.60" / "toy_colors.json"
    with pytest.raises(BaselineFileError) as info:
        load_baseline(path, "peer", None, None, (None, "strict-match"))
    assert str(info.value) == (
        f"{path}: filter: 'strict-match' chooses among lm-eval figures; this is an Inspect log "
        "(choose with inspect_scorer: and metric:)"
    )


def test_a_gate_names_the_inspect_scorer_and_every_report_says_which(pytester, write_gate):
    shutil.copy(MULTI / "inspect-0.3.60" / "toy_colors.json", pytester.path / "peer.json")
    shutil.copy(MULTI / "inspect-0.3.60" / "toy_colors.json", pytester.path / "cand.json")
    write_gate(
        """
        version: 1
        policy: {ladder: meta-frontier, allowed: moderate}
        models:
          candidate: {provider: static, results: cand.json, tasks: {colors: toy_colors}}
        baselines:
          peer:
            results: peer.json
            tasks: {colors: toy_colors}
            inspect_scorer: length_ok
        domains:
          d:
            benchmarks:
              colors:
                thresholds:
                  - {above: peer, margin: 0.5, tier: high}
        """
    )
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out", "-v")
    result.stdout.fnmatch_lines(
        [
            "imported: candidate candidate, colors: task toy_colors, scorer includes (mean of 3 "
            "epochs; the log also has length_ok), metric accuracy, n 4, per item (from file "
            "cand.json, sha256 *, inspect 0.3.60)",
            "imported: baseline peer, colors: task toy_colors, scorer length_ok (mean of 3 "
            "epochs; the log also has includes), metric mean, n 4, per item (from file "
            "peer.json, sha256 *, inspect 0.3.60)",
        ]
    )
    data = json.loads((pytester.path / "out/results.json").read_text())
    [threshold] = data["benchmarks"]["colors"]["thresholds"]
    assert threshold["method"] == "paired"  # same sample ids on both sides
    assert threshold["reference"] == pytest.approx(0.916667)
    summary = (pytester.path / "out/summary.md").read_text()
    assert "colors: task toy_colors, scorer length_ok (mean of 3 epochs" in summary

    write_gate(
        """
        version: 1
        policy: {ladder: meta-frontier, allowed: moderate}
        models:
          candidate: {provider: static, results: cand.json, tasks: {colors: toy_colors}}
        baselines:
          peer: {results: peer.json, tasks: {colors: toy_colors}, inspect_scorer: choice}
        domains:
          d:
            benchmarks:
              colors:
                thresholds:
                  - {above: peer, margin: 0.5, tier: high}
        """
    )
    result = pytester.runpytest("--modelgate")
    result.stdout.fnmatch_lines(
        [
            "*baselines.peer.results: *peer.json: results.scores: no scorer 'choice' "
            "(scorers here: includes, length_ok)"
        ]
    )


def test_an_unscored_sample_is_refused(tmp_path):
    def nan(log: dict[str, Any]) -> None:
        log["samples"][0]["scores"]["includes"]["value"] = float("nan")

    path = edited_json(tmp_path, "0.3.285", nan)
    assert ".scores.includes.value: unscored (NaN): Inspect leaves" in error(path)


def test_under_xdist_the_controller_names_the_figures_too(pytester, write_gate):
    """Workers load the files; the controller, which writes the reports, is told the figures.
    An .eval archive's provenance reads the Inspect version from its header."""
    shutil.copy(MULTI / "inspect-0.3.60" / "toy_colors.eval", pytester.path / "peer.eval")
    write_gate(
        """
        version: 1
        policy: {ladder: meta-frontier, allowed: moderate}
        models:
          candidate: {provider: static, scores: {colors: {score: 0.5, n: 40}}}
        baselines:
          peer: {results: peer.eval, tasks: {colors: toy_colors}, metric: stderr}
        domains:
          d:
            benchmarks:
              colors:
                thresholds:
                  - {above: peer, margin: 0.5, tier: high}
        """
    )
    result = pytester.runpytest("--modelgate", "-v", "-n", "2", "--modelgate-report", "out")
    result.stdout.fnmatch_lines(
        [
            "imported: baseline peer, colors: task toy_colors, scorer includes (the log also "
            "has length_ok), metric stderr, n 4, totals only (unpaired) (from file peer.eval, "
            "sha256 *, inspect 0.3.60)"
        ]
    )
    data = json.loads((pytester.path / "out/results.json").read_text())
    assert data["baselines"]["peer"]["provenance"]["figures"]["colors"]["metric"] == "stderr"
