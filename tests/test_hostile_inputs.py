"""Hostile or broken input files (config/limits.py): an alias bomb, deep nesting, a huge file
or row. Each is a collection error, exit code 2, naming the file, the line where known, the
limit and what to do; never a hang, a RecursionError or a traceback. Real files, however
large, still load.

The cases reuse ``test_gate_file_errors``' base gate and tables: each is one small valid gate,
or its dataset, written wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_gate_file_errors import (  # noqa: F401 - dataset is an autouse fixture
    BASE,
    BENCH,
    GATE,
    ROW,
    assert_no_traceback,
    assert_problem,
    case,
    check,
    collection_error,
    dataset,
    dataset_file,
    edit,
    lines_of,
)

from pytest_modelgate.config.limits import DATASET_MAX_BYTES, GATE_FILE_MAX_BYTES, ROW_MAX_CHARS
from pytest_modelgate.data.datasets import load_dataset
from pytest_modelgate.data.formats import mcq_item, open_item


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


# Ten times ten ... nine levels: 10**9 values once written out, in ten short lines.
ALIAS_BOMB = "anchors:\n  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)

GATE_LIMITS = {
    "alias-bomb": case(
        (BASE, BASE + ALIAS_BOMB),
        line=36,  # &a5: the first level past the limit (1,111,111 values)
        key=None,
        hint="its aliases (*name) expand it past the limit of 524,288 values, the most a gate "
        "file of 1 MiB could hold written out; write the shared part out",
    ),
    "deep-nesting": case(
        ("concurrency: 2", f"params: {{stop: {nested(5000)}}}"),
        line=12,
        key=None,
        hint="nested deeper than the limit of 100 levels; a gate file needs about ten: flatten it",
    ),
    "deep-nesting-through-aliases": case(
        ("concurrency: 2", f"params: {{a: &deep {nested(60)}, b: {nested(60, '*deep')}}}"),
        line=12,
        key=None,
        hint="nested deeper (with what aliases hold) than the limit of 100 levels",
    ),
}


@pytest.mark.parametrize("name", GATE_LIMITS)
def test_gate_file_limits(pytester: pytest.Pytester, name: str) -> None:
    """Aliases and nesting are bounded as the YAML is composed, before anything walks it."""
    check(pytester, GATE_LIMITS, name)


def test_a_gate_file_over_the_size_limit_is_refused_unread(pytester: pytest.Pytester) -> None:
    padding = ("# " + "x" * 98 + "\n") * (GATE_FILE_MAX_BYTES // 100 + 1)
    out = collection_error(pytester, BASE + padding)
    assert (
        f"{GATE}: refused: {len(BASE + padding):,} bytes is over the limit of 1 MiB for a gate "
        "file; a gate file is a policy, not data: keep items in datasets" in out
    ), out


def test_aliases_and_nesting_within_the_limits_still_load(pytester: pytest.Pytester) -> None:
    """Sharing a model by alias two thousand times, and params nested ninety deep, are
    ordinary YAML: they collect."""
    many = "".join(f"  m{i}: {{<<: *candidate, model: toy-{i}}}\n" for i in range(2000))
    text = edit("  candidate:\n", "  candidate: &candidate\n")
    text = edit(
        "concurrency: 2\n", f"concurrency: 2\n    params: {{stop: {nested(90)}}}\n" + many, text
    )
    (pytester.path / GATE).write_text(text)
    result = pytester.runpytest("--modelgate", "--collect-only", "-q")
    assert result.ret == 0, result.stdout.str()


# --- datasets -------------------------------------------------------------------------------

DEEP_METADATA = json.dumps({**ROW, "id": 2})[:-1] + f', "metadata": {{"x": {nested(5000)}}}}}'
CSV_HEADER = "id,question,choices,answer,metadata\n"
CSV_CHOICES = '"[""a"", ""b""]"'

DATASET_LIMITS = {
    "jsonl-line-too-long": dataset_file(
        "long-line",
        lines_of({**ROW, "id": 1}, {**ROW, "id": 2, "question": "x" * ROW_MAX_CHARS}),
        f":2: refused: the row holds {len(json.dumps({**ROW, 'id': 2})) + ROW_MAX_CHARS - 4:,} "
        f"characters, over the limit of {ROW_MAX_CHARS:,} a row; keep large content",
    ),
    "jsonl-deep-nesting": dataset_file(
        "deep",
        lines_of({**ROW, "id": 1}, DEEP_METADATA),
        ":2: refused: nested deeper than the limit of 100 levels; an item needs about five",
    ),
    "csv-row-too-long": dataset_file(
        "long-row",
        CSV_HEADER
        + f"1,toy?,{CSV_CHOICES},0,\n"
        + f"2,{'x' * (ROW_MAX_CHARS // 2)},{CSV_CHOICES},0,{'y' * (ROW_MAX_CHARS // 2)}\n",
        f":3: refused: the row holds {ROW_MAX_CHARS + 12:,} characters, over the limit",
        suffix=".csv",
    ),
    "csv-field-too-long": dataset_file(
        "long-field",
        CSV_HEADER + f"1,{'x' * (ROW_MAX_CHARS + 1)},{CSV_CHOICES},0,\n",
        f":2: refused: the row holds more than {ROW_MAX_CHARS:,} characters",
        suffix=".csv",
    ),
    "csv-metadata-deep": dataset_file(
        "deep-cell",
        CSV_HEADER + f"1,toy?,{CSV_CHOICES},0,{nested(5000, '')}\n",
        ":2: metadata: nested deeper than the limit of 100 levels",
        suffix=".csv",
    ),
}


@pytest.mark.parametrize("name", DATASET_LIMITS)
def test_dataset_limits(pytester: pytest.Pytester, name: str) -> None:
    """A row too long or too deep names the gate's dataset: line and the row's own line."""
    check(pytester, DATASET_LIMITS, name)


def test_a_dataset_over_the_size_limit_is_refused_unread(pytester: pytest.Pytester) -> None:
    """A sparse file: over the limit on disk in no time, and never read."""
    with (pytester.path / "data" / "cyber.jsonl").open("r+b") as f:
        f.truncate(DATASET_MAX_BYTES + 1)
    out = collection_error(pytester, BASE)
    assert_problem(
        out,
        21,
        f"{BENCH}.dataset",
        f"cyber.jsonl: refused: {DATASET_MAX_BYTES + 1:,} bytes is over the limit of 1 GiB for "
        "a dataset file; sample it, or split it into several benchmarks",
    )


def test_a_csv_field_longer_than_the_csv_modules_default_loads(
    pytester: pytest.Pytester,
) -> None:
    """Python's csv module stops at 128 KiB a field unless told otherwise; a code item's tests
    can be longer. The limit is raised for the read only."""
    import csv

    path = pytester.path / "data" / "long.csv"
    question = "x" * 200_000
    path.write_text(CSV_HEADER + f"1,{question},{CSV_CHOICES},0,\n2,toy?,{CSV_CHOICES},1,\n")
    before = csv.field_size_limit()
    loaded = load_dataset(path, mcq_item)
    assert [i.id for i in loaded.items] == ["1", "2"]
    assert question in loaded.items[0].prompt
    assert csv.field_size_limit() == before


def test_a_large_dataset_still_loads(tmp_path: Path) -> None:
    """100,000 items, with nested chat messages: well inside every limit."""
    rows = (
        {
            "id": i,
            "input": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Q?"},
            ],
            "target": ["B", "bravo"],
            "metadata": {"source": {"split": "test", "tags": ["a", "b"]}},
        }
        for i in range(100_000)
    )
    path = tmp_path / "large.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert len(load_dataset(path, open_item).items) == 100_000
