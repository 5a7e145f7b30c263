"""Typed reads of the parsed YAML, each recording a problem (file, line, dotted key) on failure.

``Reader.value`` reads a key as its declaration (``Key``) says: kind, choices and range, with
the declared default when the key is absent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pytest_modelgate.config.key import Key, Section
from pytest_modelgate.config.source import LineDict, LineList, expand_env
from pytest_modelgate.config.specs import Problem

_MISSING = object()


class Reader:
    """Walks the parsed YAML, converting values and recording problems."""

    def __init__(self, base: Path, environ: Mapping[str, str] | None) -> None:
        self.base = base
        self.environ = environ
        self.problems: list[Problem] = []

    def problem(self, line: int | None, key: str, message: str) -> None:
        self.problems.append(Problem(line, key, message))

    @staticmethod
    def line_of(container: Any, key: Any) -> int | None:
        if isinstance(container, LineDict):
            return container.key_lines.get(key, container.line)
        if isinstance(container, LineList) and isinstance(key, int):
            return container.item_lines[key]
        return None

    def mapping(
        self,
        value: Any,
        line: int | None,
        key: str,
        allowed: Collection[str],
        required: Collection[str] = (),
    ) -> LineDict | None:
        if not isinstance(value, dict):
            self.problem(line, key, f"expected a mapping, got {kind_of(value)}")
            return None
        for name in value:
            if name not in allowed:
                hint = _UNKNOWN_KEY_HINTS.get(name, f"valid keys: {', '.join(sorted(allowed))}")
                self.problem(self.line_of(value, name), join(key, name), f"unknown key; {hint}")
        for name in required:
            if name not in value:
                self.problem(
                    getattr(value, "line", line), join(key, name), "required key is missing"
                )
        return value  # type: ignore[return-value]

    def section(
        self,
        value: Any,
        line: int | None,
        key: str,
        section: Section,
        required: Collection[str] | None = None,
    ) -> LineDict | None:
        """``mapping`` with the keys ``section`` declares (and requires, unless given)."""
        return self.mapping(
            value, line, key, section.names, section.required if required is None else required
        )

    def get(
        self,
        m: LineDict,
        name: str,
        key: str,
        kind: str,
        default: Any = _MISSING,
        choices: Collection[str] | None = None,
    ) -> Any:
        """Typed read of ``m[name]``; records a problem and returns ``default`` when invalid."""
        if name not in m:
            return None if default is _MISSING else default
        value, line, full = m[name], self.line_of(m, name), join(key, name)
        if isinstance(value, str):
            try:
                value = expand_env(value, self.environ)
            except KeyError as missing:
                self.problem(
                    line,
                    full,
                    f"environment variable ${{{missing.args[0]}}} is not set "
                    "and has no default; write ${VAR:-default} or set it",
                )
                return None if default is _MISSING else default
        ok = {
            "str": isinstance(value, str) and value != "",
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value),
            "mapping": isinstance(value, dict),
        }[kind]
        if not ok:
            self.problem(line, full, f"expected {_KIND_WORDS[kind]}, got {kind_of(value)}")
            return None if default is _MISSING else default
        if choices is not None and value not in choices:
            self.problem(
                line, full, f"{value!r} is not valid; valid: {', '.join(map(str, choices))}"
            )
            return None if default is _MISSING else default
        return value

    def value(
        self,
        m: LineDict,
        k: Key,
        key: str,
        choices: Collection[str] | None = None,
        default: Any = _MISSING,
    ) -> Any:
        """``get`` as ``k`` declares it; a value out of range is recorded and still returned."""
        if default is _MISSING:
            default = dict(k.default) if isinstance(k.default, dict) else k.default
        value = self.get(m, k.name, key, k.kind, default, choices or k.choices or None)
        if isinstance(value, (int, float)) and k.name in m:
            self.in_range(m, k, key, value)
        return value

    def in_range(self, m: LineDict, k: Key, key: str, value: float) -> bool:
        """Whether ``value`` is in ``k``'s range; records the problem when it is not."""
        if k.in_range(value):
            return True
        self.problem(self.line_of(m, k.name), join(key, k.name), k.range_problem(value))
        return False

    def path(self, m: LineDict, name: str, key: str) -> Path | None:
        value = self.get(m, name, key, "str")
        return (self.base / value) if value else None

    def amounts(self, parent: LineDict, name: str, key: str, section: Section) -> dict[str, Any]:
        """A mapping of limits such as ``budget: {max_calls: 5000, max_cost: 20}`` (numbers,
        and words from a declared choice such as ``isolation: strong``)."""
        raw = self.get(parent, name, key, "mapping")
        if not raw:
            return {}
        mkey = f"{key}.{name}"
        m = self.section(raw, self.line_of(parent, name), mkey, section)
        out: dict[str, Any] = {}
        if m is None:
            return out
        for k in section.keys:
            value = self.get(m, k.name, mkey, k.kind, choices=k.choices or None)
            if value is None:
                continue
            if isinstance(value, (int, float)) and not self.in_range(m, k, mkey, value):
                continue
            out[k.name] = value
        return out

    def expand_tree(self, value: Any, key: str, line: int | None) -> Any:
        """Expand ${VAR} in nested string values (e.g. params) and drop line bookkeeping."""
        if isinstance(value, dict):
            return {
                k: self.expand_tree(v, join(key, k), self.line_of(value, k))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self.expand_tree(v, join(key, i), self.line_of(value, i))
                for i, v in enumerate(value)
            ]
        if isinstance(value, str):
            try:
                return expand_env(value, self.environ)
            except KeyError as missing:
                self.problem(
                    line,
                    key,
                    f"environment variable ${{{missing.args[0]}}} is not set "
                    "and has no default; write ${VAR:-default} or set it",
                )
        return value


_KIND_WORDS = {
    "str": "a non-empty string",
    "bool": "true or false",
    "int": "an integer",
    "number": "a number",
    "mapping": "a mapping",
}
_UNKNOWN_KEY_HINTS = {
    "api_key": "never write a key in a gate file: put it in an environment variable "
    "and name the variable in api_key_env",
}


def join(prefix: str, name: Any) -> str:
    if name is None:
        return prefix
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else str(name)


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        dict: "a mapping",
        LineDict: "a mapping",
        list: "a list",
        LineList: "a list",
        str: f"the string {value!r}",
        bool: f"{value}".lower(),
    }.get(type(value), repr(value))
