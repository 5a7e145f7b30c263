"""Read YAML keeping the line of every key, and expand ``${VAR}`` in strings.

Gate-file errors must name the line of the offending key, which plain
``yaml.safe_load`` forgets. ``LineDict`` / ``LineList`` are ordinary containers
that also remember where each entry started.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import yaml


class LineDict(dict):  # type: ignore[type-arg]
    """A dict that remembers the 1-based line of itself and of each key, and the keys
    written twice (reported by the schema, which knows their dotted path)."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicates: list[tuple[Any, int, int]]  # (key, line, first line)


class LineList(list):  # type: ignore[type-arg]
    """A list that remembers the 1-based line of itself and of each entry."""

    line: int = 0
    item_lines: list[int]


class YAMLSourceError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry line numbers; duplicate keys are errors."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)  # puts the entries of "<<:" merges first
        merged = len(node.value) - explicit
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines, result.duplicates = {}, []
        written: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise YAMLSourceError(
                    "invalid YAML: a mapping key must be a plain value, not a list or mapping", line
                ) from None
            if index >= merged:  # a key written beside a merge overrides it, as YAML says
                if key in written:
                    result.duplicates.append((key, line, result.key_lines[key]))
                written.add(key)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


def load_yaml(text: str) -> Any:
    """Parse one YAML document safely; errors become ``YAMLSourceError`` with a line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader derives from SafeLoader
    except YAMLSourceError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YAMLSourceError(f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise YAMLSourceError(f"invalid YAML: {exc}", None) from None


# `${VAR}` or `${VAR:-default}`; also the JSON Schema's test for strings the parser expands.
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Expand ``${VAR}`` and ``${VAR:-default}``; an unset variable without default is an error."""
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and (env[name] or default is None):
            return env[name]
        if default is not None:
            return default
        raise KeyError(name)

    return ENV_REFERENCE.sub(substitute, value)
