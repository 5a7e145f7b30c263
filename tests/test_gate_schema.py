"""The shipped JSON Schema of gate files: generated from the key declarations, valid, accepting
every gate file we ship, and rejecting what the plugin rejects where it can see it. Checked with
the real ``check-jsonschema`` command, as editors' users and pre-commit hooks run it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_modelgate.config.jsonschema import SCHEMA_PATH, render
from pytest_modelgate.config.ladders import BUILTIN_LADDERS
from pytest_modelgate.config.parse import parse_gate_file
from pytest_modelgate.config.specs import GateFileError, Vocabulary

REPO = Path(__file__).resolve().parents[1]
VOCABULARY = Vocabulary(BUILTIN_LADDERS, ("openai", "static"), ("choice",), ("mcq",))

VALID = """\
version: 1
policy:
  ladder: meta-frontier
  allowed: moderate
  decision: ${DECISION:-point}
models:
  candidate:
    provider: static
    api_key_env: ${KEY_VARIABLE:-OPENAI_API_KEY}
    scores:
      cyber-mcq: {score: 0.62, n: 200}
domains:
  cybersecurity:
    benchmarks:
      cyber-mcq:
        thresholds:
          - {above: 0.85, tier: critical}
"""


def check_jsonschema(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    exe = exe or shutil.which("check-jsonschema")
    if exe is None:
        pytest.fail("check-jsonschema is not installed: pip install -e '.[dev]'")
    cmd = [exe, *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def complete_example(tmp_path: Path) -> Path:
    text = (REPO / "docs/gate-file.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text.split("## A complete example", 1)[1], re.S)
    assert example
    path = tmp_path / "complete-example.gate.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    return path


def test_the_shipped_schema_is_generated_from_the_declarations():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "gate-file.schema.json differs from the key declarations; "
        "run `python -m pytest_modelgate.config.jsonschema` and commit the result"
    )


def test_the_schema_is_a_valid_json_schema():
    run = check_jsonschema("--check-metaschema", SCHEMA_PATH)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_shipped_gate_file_is_valid(tmp_path):
    shipped = sorted(
        p
        for pattern in ("gates/**/*.gate.yaml", "example_project/**/*.gate.yaml")
        for p in REPO.glob(pattern)
    )
    assert len(shipped) >= 4, shipped
    valid = tmp_path / "valid.gate.yaml"
    valid.write_text(VALID, encoding="utf-8")
    run = check_jsonschema("--schemafile", SCHEMA_PATH, *shipped, complete_example(tmp_path), valid)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_variable_passes_where_the_parser_expands_it(tmp_path):
    """A choice or a name written as ${VAR:-default} is valid to the plugin, so to the schema."""
    path = tmp_path / "valid.gate.yaml"
    path.write_text(VALID, encoding="utf-8")
    gate = parse_gate_file(path, VOCABULARY, environ={})
    assert gate.policy.decision == "point"
    assert gate.models["candidate"].api_key_env == "OPENAI_API_KEY"


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (
            ("    provider: static\n", "    provider: static\n    api_key: sk-123\n"),
            "'api_key' was unexpected",
        ),
        (
            ("    provider: static\n", "    provider: static\n    concurrency: '8'\n"),
            "'8' is not of type 'integer'",
        ),
        (("  decision: ${DECISION:-point}\n", "  decision: maybe\n"), "'maybe'"),
        (("{score: 0.62, n: 200}", "{score: 62, n: 200}"), "62 is greater than the maximum of 1"),
        (("{above: 0.85, tier: critical}", "{above: 0.85}"), "'tier' is a required property"),
    ],
    ids=["unknown-key", "wrong-type", "not-a-choice", "out-of-range", "missing-key"],
)
def test_the_schema_rejects_what_the_plugin_rejects(tmp_path, edit, complaint):
    text = VALID.replace(*edit)
    assert text != VALID
    path = tmp_path / "bad.gate.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GateFileError):
        parse_gate_file(path, VOCABULARY, environ={})
    run = check_jsonschema("--schemafile", SCHEMA_PATH, path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert complaint in run.stdout, run.stdout
