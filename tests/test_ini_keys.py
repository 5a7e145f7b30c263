"""docs/command-line.md promises that every --modelgate-* flag also works as the ini key
modelgate_*: each is set both ways and must resolve to the same settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.plugin.settings import OPTIONS, Settings
from pytest_modelgate.plugin.stash import SESSION_KEY

# A value other than the default for every option that takes one.
VALUES = {
    "str": "peer,candidate",
    "path": "somewhere/inside",
    "int": "3",
    "shard": "2/3",
    "paths": "somewhere/inside",
}
# Options that need another to be valid: a shard writes its partial into a report dir.
NEEDS = {"modelgate_shard": ("modelgate_report", "out")}


def _resolved(config: pytest.Config) -> dict[str, Any]:
    """The session's settings; relative paths made absolute, as the run would use them."""
    settings = config.stash[SESSION_KEY].settings

    def absolute(v: Any) -> Any:
        if isinstance(v, tuple) and v and isinstance(v[0], Path):
            return tuple(absolute(p) for p in v)
        return (Path.cwd() / v).resolve() if isinstance(v, Path) else v

    return {k: absolute(v) for k, v in dataclasses.asdict(settings).items()}


@pytest.mark.parametrize(
    ("option", "key", "kind"), [o[:3] for o in OPTIONS], ids=[o[0] for o in OPTIONS]
)
def test_each_flag_works_as_an_ini_key(pytester, option, key, kind):
    flag = "--" + option.replace("_", "-")
    value = VALUES.get(kind)
    cli = [flag] if value is None else [flag, value]
    ini = {"modelgate": "true", key: "true" if value is None else value}
    if option in NEEDS:
        other, other_value = NEEDS[option]
        cli += ["--" + other.replace("_", "-"), other_value]
        ini[other] = other_value
    from_cli = _resolved(pytester.parseconfigure("--modelgate", *cli))

    pytester.makeini("[pytest]\n" + "".join(f"{k} = {v}\n" for k, v in ini.items()))
    from_ini = _resolved(pytester.parseconfigure())

    assert from_ini == from_cli
    if option != "modelgate":  # enabled both ways; every other key must change something
        assert from_ini != {**dataclasses.asdict(Settings()), "enabled": True}, key


def test_modelgate_true_in_pytest_ini_collects_gate_files(pytester, write_gate):
    write_gate(
        """
        version: 1
        policy: {ladder: meta-frontier, allowed: moderate}
        models:
          candidate: {provider: static, scores: {b: {score: 0.5, n: 100}}}
        domains:
          d:
            benchmarks:
              b:
                thresholds: [{above: 0.9, tier: high}]
        """
    )
    assert pytester.runpytest("--collect-only", "-q").ret == 5  # inert: nothing collected
    pytester.makeini("[pytest]\nmodelgate = true\n")
    result = pytester.runpytest("--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["release.gate.yaml::d::b::above-0.9[[]candidate[]]", "release.gate.yaml::d[[]candidate[]]"]
    )
