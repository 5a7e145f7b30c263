"""A shard's partial results: what shard K of N gathered, written for the merge to decide.

Not a results.json and deliberately unlike one (no release, domains or decisions), so no
tool can read a shard's output as a verdict. It carries what the merge needs to rebuild
each benchmark's evidence exactly as an unsharded run would have gathered it (every item's
score, the tally, the judge's verdicts, transcripts) and what it needs to refuse partials
that do not belong together (gate file and dataset hashes, model descriptions, plugin
version, shard numbers, smoke).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate import __version__
from pytest_modelgate.run.evaluation import Tally
from pytest_modelgate.run.records import BenchmarkResult

PARTIAL_FILE = "modelgate-partial.json"
PARTIAL_SCHEMA = 1


class PartialFileError(ValueError):
    """A partial that cannot be read; names the file and the key."""

    def __init__(self, path: Path, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tally_entry(tally: Tally) -> dict[str, Any]:
    entry = dataclasses.asdict(tally)
    entry["usage"] = dict(tally.usage)
    entry["recorded"] = list(tally.recorded) if tally.recorded else None
    return entry


def tally_from(entry: Mapping[str, Any]) -> Tally:
    recorded = entry.get("recorded")
    return Tally(**{**entry, "recorded": tuple(recorded) if recorded else None})


def result_entry(gate: str, result: BenchmarkResult) -> dict[str, Any]:
    """One (gate file, benchmark, model) of a shard run."""
    evidence = result.evidence
    return {
        "gate": gate,
        "benchmark": result.spec.name,
        "model": result.model,
        "evaluated": result.shard is not None,  # False: imported or published figures
        "dataset_sha256": result.dataset_sha256,
        "items": dict(evidence.items) if evidence and evidence.items else {},
        "tally": tally_entry(result.tally),
        "error": result.error,
        "first_error": result.first_error,
        "judge": result.judge,
        "transcripts": result.transcripts,
        "sandbox": result.sandbox,
    }


def partial_document(
    shard: tuple[int, int],
    *,
    smoke: bool,
    models: Sequence[str],
    gates: Mapping[str, str],
    described: Mapping[tuple[str, str], Mapping[str, Any]],
    results: Sequence[tuple[str, BenchmarkResult]],
) -> dict[str, Any]:
    """``gates``: gate file (relative to the rootdir) -> sha256 of its bytes."""
    return {
        "modelgate_partial": PARTIAL_SCHEMA,
        "modelgate_version": __version__,
        "shard": list(shard),
        "smoke": smoke,
        "models": list(models),
        "gates": {
            gate: {
                "sha256": sha,
                "models": {m: dict(d) for (g, m), d in described.items() if g == gate},
            }
            for gate, sha in sorted(gates.items())
        },
        "results": [result_entry(gate, r) for gate, r in results],
    }


@dataclass(frozen=True)
class Partial:
    """One shard's partial file, read and checked for shape."""

    path: Path
    version: str
    shard: tuple[int, int]
    smoke: bool
    models: tuple[str, ...]
    gates: Mapping[str, Mapping[str, Any]]  # gate -> {"sha256", "models": {model: describe}}
    results: Mapping[tuple[str, str, str], Mapping[str, Any]]  # (gate, benchmark, model)

    @property
    def label(self) -> str:
        return f"shard {self.shard[0]}/{self.shard[1]} ({self.path})"


def find_partial(given: Path) -> Path:
    """A partial file, or the folder (a shard's --modelgate-report DIR) that holds one."""
    path = given / PARTIAL_FILE if given.is_dir() else given
    if not path.is_file():
        raise PartialFileError(
            given,
            "",
            f"no {PARTIAL_FILE} here; give the --modelgate-report DIR of each shard run "
            "(or the file itself)",
        )
    return path


def read_partial(given: Path) -> Partial:
    path = find_partial(given)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PartialFileError(path, "", f"cannot read as JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("modelgate_partial") != PARTIAL_SCHEMA:
        raise PartialFileError(
            path,
            "modelgate_partial",
            f"not a pytest-modelgate partial of schema {PARTIAL_SCHEMA} "
            "(written by a --modelgate-shard K/N run)",
        )
    shard = data.get("shard")
    if not (
        isinstance(shard, list)
        and len(shard) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
        and 1 <= shard[0] <= shard[1]
    ):
        raise PartialFileError(path, "shard", f"expected [K, N] with 1 <= K <= N, got {shard!r}")
    gates, results = data.get("gates"), data.get("results")
    if not isinstance(gates, dict) or not all(
        isinstance(g, dict) and isinstance(g.get("models"), dict) for g in gates.values()
    ):
        raise PartialFileError(path, "gates", "expected a mapping of gate file to its hash")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise PartialFileError(path, "results", "expected a list of benchmark entries")
    keyed: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for i, entry in enumerate(results):
        try:
            key = (str(entry["gate"]), str(entry["benchmark"]), str(entry["model"]))
            items = entry["items"]
            tally_from(entry["tally"])
        except (KeyError, TypeError) as exc:
            raise PartialFileError(path, f"results[{i}]", f"malformed entry: {exc}") from None
        if not isinstance(items, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
            for v in items.values()
        ):
            raise PartialFileError(
                path, f"results[{i}].items", "expected item id -> score in [0, 1]"
            )
        if key in keyed:
            raise PartialFileError(path, f"results[{i}]", f"{key} appears twice")
        keyed[key] = entry
    return Partial(
        path,
        str(data.get("modelgate_version")),
        (shard[0], shard[1]),
        bool(data.get("smoke")),
        tuple(str(m) for m in data.get("models") or ()),
        gates,
        keyed,
    )
