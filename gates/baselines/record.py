"""Record a baseline of the gate suite: ``python gates/baselines/record.py smollm2-t07``.

A new benchmark that compares with the ecosystem cannot run until a baseline has it, and a
baseline is recorded by running the gate. This script breaks the circle: it runs a copy of
``frontier.gate.yaml`` whose ecosystem and baseline comparisons are replaced by one absolute
floor (the benchmarks, datasets, params, judges and limits stay exactly the same), with
``--modelgate-model NAME --modelgate-record-baseline``. The copy is deleted afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

GATES = Path(__file__).resolve().parents[1]


def recording_gate(gate: dict) -> dict:
    gate = dict(gate)
    gate.pop("baselines", None)
    for domain in gate["domains"].values():
        for bench in domain["benchmarks"].values():
            bench.pop("thresholds", None)
            bench["floors"] = [{"at_least": 0.0}]  # only for the recording run
    return gate


def main(model: str) -> int:
    gate = yaml.safe_load((GATES / "frontier.gate.yaml").read_text(encoding="utf-8"))
    if model not in gate["models"]:
        sys.exit(f"no model named {model!r}; valid: {', '.join(gate['models'])}")
    copy = GATES / f"_recording-{model}.gate.yaml"
    copy.write_text(yaml.safe_dump(recording_gate(gate), sort_keys=False), encoding="utf-8")
    out = GATES / "baselines" / f"{model}.results.json"
    try:
        command = [
            sys.executable, "-m", "pytest", "--modelgate", str(copy), "-p", "no:randomly",
            "--modelgate-model", model, "--modelgate-record-baseline", str(out), "-q",
        ]  # fmt: skip
        return subprocess.call(command)
    finally:
        copy.unlink()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "smollm2-t07"))
