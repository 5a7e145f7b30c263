"""The package's layers, read from its imports (DESIGN §7, docs/architecture.md).

A module may import its own layer and the layers below it; only ``plugin`` imports pytest or
pluggy; the import graph has no cycles; every import made inside a function (to keep
``pytest`` without ``--modelgate`` cheap, or to import an optional part only when used) is
listed in LAZY with its reason, so a new one is a decision, not an accident.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pytest_modelgate"

# Lowest first. The package root (``__version__``) sits below them all.
LAYERS = ("config", "decide", "data", "results", "models", "run", "report", "plugin")

_START_UP = "pytest without --modelgate imports only the glue, settings and stash"
_SANDBOX = "only code and agent benchmarks start the sandbox"
LAZY: dict[tuple[str, str], str] = {
    ("plugin", "plugin.hookspecs"): _START_UP,
    ("plugin", "plugin.builtins"): _START_UP,
    ("plugin", "plugin.xdist"): _START_UP,
    ("plugin", "plugin.session"): _START_UP,
    ("plugin", "plugin.collect"): _START_UP,
    ("plugin", "plugin.shards"): _START_UP,
    ("plugin", "run.plan"): _START_UP,
    ("plugin", "report"): _START_UP,
    ("plugin", "report.markdown"): _START_UP,
    ("plugin", "report.terminal"): _START_UP,
    ("plugin", "report.writer"): _START_UP,
    ("plugin", "results.document"): _START_UP,
    ("plugin.builtins", "models.providers"): "the providers import requests",
    ("plugin.builtins", "run.solvers"): "the agent solver imports the sandbox",
    ("plugin.session", "run.progress"): "only a terminal run shows progress",
    ("plugin.session", "models.providers.replay"): "only --modelgate-record-responses records",
    ("plugin.session", "models.cache"): "the cache opens sqlite; --modelgate-no-cache skips it",
    ("plugin.xdist", "run.loading"): "only xdist workers unpack loaded gates",
    ("plugin.xdist", "config.secrets"): "only the xdist controller learns gates' secrets there",
    ("decide.comparisons", "decide.sequential"): "only sequential benchmarks pay for it",
    ("run.engine", "decide.multiplicity"): "only policy.multiplicity: holm pays for it",
    ("run.engine", "run.sandbox"): _SANDBOX,
    ("run.scorers.code", "run.sandbox"): _SANDBOX,
    ("run.scorers.code", "run.scorers.code_runner"): "its constants, only where code runs",
    ("run.solvers.react", "run.sandbox"): _SANDBOX,
    ("run.solvers", "run.solvers.honesty"): "solvers are imported when a gate names them",
    ("run.solvers", "run.solvers.react"): "solvers are imported when a gate names them",
    ("results.document", "results.importers"): "only baselines from other tools' files",
    ("results.document", "results.importers.eval_archive"): "only Inspect .eval logs",
    ("results.document", "results.importers.inspect_logs"): "only baselines from Inspect logs",
    ("results.document", "results.importers.lm_eval"): "only baselines from lm-eval outputs",
    **{
        ("models.providers", f"models.providers.{name}"): "a gate that names no HTTP provider "
        "never imports requests"
        for name in ("anthropic", "local", "openai", "python", "replay", "static")
    },
}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted, without the "pytest_modelgate." prefix ("" for the root)
    imported: str  # a module: for `from pkg import name`, pkg.name when that is a module
    line: int
    lazy: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:`


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom | ast.Import) -> set[str]:
    """The package's modules an import statement loads, as dotted names without the prefix."""
    if isinstance(node, ast.Import):
        candidates = [a.name for a in node.names]
    else:
        module = node.module or ""
        if node.level:  # relative: resolve against the importer's package
            base = importer.split(".") if importer else []
            if MODULES[importer].name != "__init__.py":
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join(["pytest_modelgate", *base, *([module] if module else [])])
        # `from pkg import name` loads pkg.name when that is a module, else only pkg
        candidates = [
            f"{module}.{a.name}" if _short(f"{module}.{a.name}") in MODULES else module
            for a in node.names
        ]
    return {_short(c) for c in candidates if _short(c) in MODULES}


def _short(name: str) -> str:
    if name == "pytest_modelgate":
        return ""
    return name.removeprefix("pytest_modelgate.") if name.startswith("pytest_modelgate.") else "-"


def imports_of(name: str) -> list[Import]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    out: list[Import] = []

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in sorted(_resolve(name, child)):
                    out.append(Import(name, target, child.lineno, lazy, type_only))
            is_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            guarded = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            visit(child, lazy or is_function, type_only or guarded)

    visit(tree, False, False)
    return out


def layer_of(name: str) -> int:
    top = name.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else -1


ALL_IMPORTS = [i for name in MODULES for i in imports_of(name)]


def test_every_module_belongs_to_a_layer() -> None:
    stray = [n for n in MODULES if n and layer_of(n) < 0]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


@pytest.mark.parametrize("imp", [i for i in ALL_IMPORTS if i.importer], ids=str)
def test_no_import_reaches_up(imp: Import) -> None:
    assert layer_of(imp.imported) <= layer_of(imp.importer), (
        f"pytest_modelgate/{imp.importer.replace('.', '/')} line {imp.line} imports "
        f"{imp.imported}, a layer above it ({' < '.join(LAYERS)})"
    )


def test_only_the_glue_imports_pytest() -> None:
    offenders = []
    for name, path in MODULES.items():
        if name.startswith("plugin"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            if any(m.split(".")[0] in ("pytest", "_pytest", "pluggy") for m in mods):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, f"pytest imported outside plugin/: {offenders}"


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {n: set() for n in MODULES}
    for i in ALL_IMPORTS:
        if not i.type_only and i.imported != i.importer:
            graph[i.importer].add(i.imported)
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            pytest.fail("import cycle: " + " -> ".join(c or "pytest_modelgate" for c in cycle))


def test_every_lazy_import_is_listed_with_its_reason() -> None:
    made = {(i.importer, i.imported) for i in ALL_IMPORTS if i.lazy and not i.type_only}
    unlisted = sorted(made - LAZY.keys())
    stale = sorted(LAZY.keys() - made)
    assert not unlisted, f"imports inside functions, not listed in LAZY with a reason: {unlisted}"
    assert not stale, f"LAZY lists imports that are no longer made: {stale}"


def test_http_goes_through_requests_only() -> None:
    # DESIGN §7: no hand-written HTTP; requests (urllib3) speaks it, our code adds deadlines.
    offenders = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            if any(m in ("http.client", "http") or m.startswith("http.") for m in mods):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offenders, f"HTTP spoken outside requests: {offenders}"
