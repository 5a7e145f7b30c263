"""The JSON Schema of gate files (draft 2020-12), generated from the key declarations.

Shipped as ``gate-file.schema.json`` beside this module for editors and ``check-jsonschema``;
run ``python -m pytest_modelgate.config.jsonschema`` after changing a declaration (a test
fails while the shipped file differs). The schema must never reject a file the plugin
accepts, so it is weaker where the parser knows more: registry names (providers, scorers,
formats, solvers, ladders) are any string, and a string with a ``${VAR}`` reference passes
where a choice or a pattern is checked, because the parser expands it first. Numbers are not
expanded from strings (``concurrency: ${N}`` is a string, which the parser rejects too).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from pytest_modelgate.config.key import Key, Section
from pytest_modelgate.config.keys import SCHEMA_VERSION, SECTIONS, TOP
from pytest_modelgate.config.source import ENV_REFERENCE

SCHEMA_PATH = Path(__file__).with_name("gate-file.schema.json")
DIALECT = "https://json-schema.org/draft/2020-12/schema"

_STRING = {"type": "string", "minLength": 1}
_ENV = {"$ref": "#/$defs/env-reference"}
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def gate_file_schema() -> dict[str, Any]:
    top = _section(TOP)
    return {
        "$schema": DIALECT,
        "title": f"pytest-modelgate gate file, schema version {SCHEMA_VERSION}",
        "description": "A release policy, the models, the ecosystem baselines and per risk "
        "domain the benchmarks and thresholds that decide the tier. Generated from "
        "pytest_modelgate/config/keys.py; see docs/gate-file.md.",
        **top,
        "$defs": {
            **{name: _section(s) for name, s in SECTIONS.items() if s is not TOP},
            "env-reference": {
                "description": "A string with ${VAR} or ${VAR:-default}, expanded when the "
                "gate file is read.",
                "type": "string",
                "pattern": ENV_REFERENCE.pattern,
            },
        },
    }


def _section(section: Section) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k.name: _property(k) for k in section.keys},
        "additionalProperties": False,
    }
    if section.required:
        out["required"] = list(section.required)
    if section.exactly_one:
        out["oneOf"] = [{"required": [name]} for name in section.exactly_one]
    if section.at_most_one:
        out["not"] = {"required": list(section.at_most_one)}
    if section.required_with:
        out["dependentRequired"] = {k: list(v) for k, v in section.required_with.items()}
    if section.at_least_one:
        out["anyOf"] = [
            {"required": [name], "properties": {name: {"minItems": 1}}}
            for name in section.at_least_one
        ]
    return out


def _property(k: Key) -> dict[str, Any]:
    out: dict[str, Any] = {"description": _LINK.sub(r"\1", k.doc), **_value(k)}
    if k.default is not None:
        out["default"] = list(k.default) if isinstance(k.default, tuple) else k.default
    example = yaml.safe_load(k.example)
    if isinstance(example, dict) and list(example) == [k.name]:
        out["examples"] = [example[k.name]]
    return out


def _value(k: Key) -> dict[str, Any]:
    """What the value of ``k`` may be."""
    ref = {"$ref": f"#/$defs/{k.section}"}
    if k.kind == "str" and k.choices:
        return {"anyOf": [{"enum": list(k.choices)}, _ENV]}
    if k.kind == "str" and k.pattern:
        return {"anyOf": [{"type": "string", "pattern": k.pattern}, _ENV]}
    if k.kind in ("str", "path"):
        return dict(_STRING)
    if k.kind in ("int", "number"):
        return {"type": "integer" if k.kind == "int" else "number", **_bounds(k)}
    if k.kind == "bool":
        return {"type": "boolean"}
    if k.kind == "mapping":
        return {"type": "object"}
    if k.kind == "section":
        return ref
    if k.kind == "names":
        return {
            "type": "object",
            "additionalProperties": ref,
            **({"minProperties": 1} if k.non_empty else {}),
        }
    if k.kind == "list":
        return {"type": "array", "items": ref}
    if k.kind == "tasks":
        return {"type": "object", "additionalProperties": dict(_STRING)}
    if k.kind == "version":
        return {"const": SCHEMA_VERSION}
    if k.kind == "ladder":
        names = {"type": "array", "items": _STRING, "minItems": 2, "uniqueItems": True}
        return {"anyOf": [dict(_STRING), names]}
    if k.kind == "urls":
        url = {"anyOf": [{"type": "string", "pattern": k.pattern}, _ENV]}
        return {"anyOf": [url, {"type": "array", "items": url, "minItems": 1}]}
    if k.kind == "reference":
        return {"anyOf": [{"type": "number", **_bounds(k)}, dict(_STRING)]}
    raise ValueError(f"{k.name}: no schema for kind {k.kind!r}")


def _bounds(k: Key) -> dict[str, float]:
    words = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
    return {word: getattr(k, attr) for attr, word in words.items() if getattr(k, attr) is not None}


def render() -> str:
    return json.dumps(gate_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    text = render()
    if not SCHEMA_PATH.is_file() or SCHEMA_PATH.read_text(encoding="utf-8") != text:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
