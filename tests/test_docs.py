"""The docs cannot drift from the code: the key tables of docs/gate-file.md are what the key
declarations generate, and the parser accepts exactly the documented keys; the complete example
there parses and uses every key; every --modelgate flag is documented; links between docs
resolve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_modelgate.config import docs
from pytest_modelgate.config.benchmark_keys import AGENT, SANDBOX
from pytest_modelgate.config.keys import SECTIONS
from pytest_modelgate.config.ladders import BUILTIN_LADDERS
from pytest_modelgate.config.parse import parse_gate_file
from pytest_modelgate.config.specs import GateFileError, Vocabulary
from pytest_modelgate.data.formats import BUILTIN_FORMATS
from pytest_modelgate.models.providers import builtin_providers
from pytest_modelgate.plugin.settings import OPTIONS
from pytest_modelgate.run.sandbox import Limits
from pytest_modelgate.run.scorers import BUILTIN_SCORERS
from pytest_modelgate.run.solver import DEFAULT_MAX_TURNS
from pytest_modelgate.run.solvers import builtin_solvers
from pytest_modelgate.run.solvers.react import OBSERVATION_CHARS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
REFERENCE = DOCS / "gate-file.md"
VOCABULARY = Vocabulary(
    BUILTIN_LADDERS, builtin_providers(), BUILTIN_SCORERS, BUILTIN_FORMATS, builtin_solvers()
)

# A minimal valid gate file, and where in it each section's mapping lives: the probe puts an
# unknown key there and reads the valid keys back from the error (so mappings the schema
# checks inline are covered too).
MINIMAL = """
version: 1
policy: {ladder: meta-frontier, allowed: moderate, budget: {max_calls: 10}}
models:
  candidate:
    provider: static
    scores: {b: {score: 0.5, n: 10}}
    rate_limit: {requests_per_minute: 60}
    prices: {input_per_mtok: 1}
baselines:
  peer: {scores: {b: {score: 0.4, n: 10}}}
domains:
  d:
    benchmarks:
      b:
        budget: {max_calls: 10}
        judge: {model: candidate}
        agent: {max_turns: 4}
        sandbox: {timeout_s: 5}
        thresholds: [{above: ecosystem, tier: high}]
        floors: [{at_least: peer}]
"""
PROBES: dict[str, list[Any]] = {
    "top": [],
    "policy": ["policy"],
    "budget": ["policy", "budget"],
    "model": ["models", "candidate"],
    "rate_limit": ["models", "candidate", "rate_limit"],
    "prices": ["models", "candidate", "prices"],
    "scores": ["baselines", "peer", "scores", "b"],
    "baseline": ["baselines", "peer"],
    "domain": ["domains", "d"],
    "benchmark": ["domains", "d", "benchmarks", "b"],
    "judge": ["domains", "d", "benchmarks", "b", "judge"],
    "agent": ["domains", "d", "benchmarks", "b", "agent"],
    "sandbox": ["domains", "d", "benchmarks", "b", "sandbox"],
    "threshold": ["domains", "d", "benchmarks", "b", "thresholds", 0],
    "floor": ["domains", "d", "benchmarks", "b", "floors", 0],
}
UNKNOWN = "zz_not_a_key"


def documented() -> dict[str, list[str]]:
    """Section marker -> the keys in the table under it, in order."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        marker = re.fullmatch(r"<!-- keys: ([\w]+) -->", line.strip())
        if marker:
            current = marker.group(1)
            assert current not in sections, f"section {current} documented twice"
            sections[current] = []
        elif line.startswith("#") or line.strip() == "<!-- /keys -->":
            current = None
        elif current and (row := re.match(r"\| `([a-z_]+)` \|", line)):
            sections[current].append(row.group(1))
    return sections


def accepted_keys(tmp_path: Path, where: list[Any]) -> list[str]:
    """The keys the schema accepts at ``where``, read from its own unknown-key message."""
    data = yaml.safe_load(MINIMAL)
    target = data
    for step in where:
        target = target[step]
    target[UNKNOWN] = 1
    path = tmp_path / "probe.gate.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(GateFileError) as excinfo:
        parse_gate_file(path, VOCABULARY, environ={})
    (problem,) = [p for p in excinfo.value.problems if p.key.endswith(UNKNOWN)]
    listed = re.search(r"valid keys: (.*)$", problem.message)
    assert listed, problem.message
    return listed.group(1).split(", ")


def test_the_minimal_probe_file_is_valid(tmp_path):
    path = tmp_path / "probe.gate.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    parse_gate_file(path, VOCABULARY, environ={})


def test_every_section_of_the_schema_is_documented():
    assert set(documented()) == set(PROBES)


def test_the_key_tables_are_generated_from_the_declarations():
    text = REFERENCE.read_text(encoding="utf-8")
    assert text == docs.render(text), (
        "docs/gate-file.md differs from the key declarations; "
        "run `python -m pytest_modelgate.config.docs` and commit the result"
    )


def test_every_declared_section_is_probed():
    assert set(SECTIONS) == set(PROBES)


def test_the_run_layer_applies_the_declared_defaults():
    """agent: and sandbox: defaults are applied where they are used; the docs show the declared."""
    assert AGENT["max_turns"].default == DEFAULT_MAX_TURNS
    assert AGENT["observation_chars"].default == OBSERVATION_CHARS
    for key in SANDBOX.keys:
        assert key.default == getattr(Limits(), key.name), key.name


@pytest.mark.parametrize("section", sorted(PROBES))
def test_documented_keys_equal_what_the_schema_accepts(section, tmp_path):
    assert sorted(documented()[section]) == sorted(accepted_keys(tmp_path, PROBES[section]))


def complete_example() -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_the_complete_example_parses(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "baselines").mkdir()
    (tmp_path / "runs").mkdir()
    data = ("cyber_mcq", "honesty", "ctf", "bio_open", "code", "judge_gold")
    for name in (
        *(f"data/{d}.jsonl" for d in data),
        "baselines/peer.results.json",
        "baselines/results_2026-10-01T08-00-00.000000.json",
        "runs/rc2.eval",
        "baselines/peer.eval",
        "runs/results_2026-11-22T10-02-50.291974.json",
    ):
        (tmp_path / name).write_text("", encoding="utf-8")
    path = tmp_path / "example.gate.yaml"
    path.write_text(complete_example(), encoding="utf-8")
    gate = parse_gate_file(path, VOCABULARY, environ={})
    assert set(gate.models) == {
        "candidate",
        "embedded",
        "cwm",
        "rc2-inspect",
        "rc1-lm-eval",
        "grader",
    }


def test_the_complete_example_uses_every_key():
    data = yaml.safe_load(complete_example())
    models = list(data["models"].values())
    benchmarks = [b for d in data["domains"].values() for b in d["benchmarks"].values()]
    used = {
        "top": [data],
        "policy": [data["policy"]],
        "budget": [data["policy"]["budget"], *(b["budget"] for b in benchmarks if "budget" in b)],
        "model": models,
        "rate_limit": [m["rate_limit"] for m in models if "rate_limit" in m],
        "prices": [m["prices"] for m in models if "prices" in m],
        "scores": [
            s for x in [*models, *data["baselines"].values()] for s in x.get("scores", {}).values()
        ],
        "baseline": list(data["baselines"].values()),
        "domain": list(data["domains"].values()),
        "benchmark": benchmarks,
        "judge": [b["judge"] for b in benchmarks if "judge" in b],
        "agent": [b["agent"] for b in benchmarks if "agent" in b],
        "sandbox": [b["sandbox"] for b in benchmarks if "sandbox" in b],
        "threshold": [t for b in benchmarks for t in b.get("thresholds", [])],
        "floor": [f for b in benchmarks for f in b.get("floors", [])],
    }
    for section, keys in documented().items():
        seen = {k for mapping in used[section] for k in mapping}
        assert sorted(set(keys) - seen) == [], f"the complete example never uses these ({section})"


def test_every_command_line_flag_is_documented():
    text = (DOCS / "command-line.md").read_text(encoding="utf-8")
    for option, ini, *_ in OPTIONS:
        assert f"`--{option.replace('_', '-')}" in text, option
        assert f"`{ini}`" in text, ini


@pytest.mark.parametrize(
    "path", [REPO / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name
)
def test_flags_and_links_in_docs_exist(path):
    text = path.read_text(encoding="utf-8")
    flags = {"--" + option.replace("_", "-") for option, *_ in OPTIONS}
    for flag in set(re.findall(r"--modelgate[\w-]*", text)):
        assert flag in flags, f"{path.name} mentions {flag}, which the plugin does not have"
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
