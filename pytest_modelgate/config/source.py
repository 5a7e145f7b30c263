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

from pytest_modelgate.config.limits import (
    GATE_FILE_MAX_BYTES,
    MAX_NESTING,
    YAML_MAX_VALUES,
    size_words,
)


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
    """SafeLoader whose mappings and sequences carry line numbers; duplicate keys are errors.

    While composing it counts the values and the nesting of the document as it will be once
    every alias is written out (``limits.py`` says why), and stops at a limit before anything
    walks the document: an anchored node's count and height are kept, so an alias costs one
    addition, not a walk, and a billion laughs is refused after a few lines."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0  # of the node being composed; the document's root is at 1
        self.reach = 0  # the deepest level reached so far under the node being composed
        self.values = 0  # values composed so far, aliases counted as what they refer to
        self.anchored: dict[yaml.Node, tuple[int, int]] = {}  # node -> (values, height)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)
            # An alias to a collection still open (a recursive one) counts one: the
            # constructor refuses those.
            values, height = self.anchored.get(node, (1, 0)) if node else (1, 0)
            self._count(values, self.depth + 1 + height, line, " (with what aliases hold)")
            return node
        self.depth += 1
        outer_reach, start = self.reach, self.values
        self._count(1, self.depth, line, "")
        node = super().compose_node(parent, index)
        if node is not None and event.anchor is not None:
            self.anchored[node] = (self.values - start, self.reach - self.depth)
        self.depth -= 1
        self.reach = max(outer_reach, self.reach)
        return node

    def _count(self, values: int, reach: int, line: int, aliased: str) -> None:
        self.values += values
        self.reach = max(self.reach, reach)
        if reach > MAX_NESTING:
            raise YAMLSourceError(
                f"nested deeper{aliased} than the limit of {MAX_NESTING} levels; a gate file "
                "needs about ten: flatten it",
                line,
            )
        if self.values > YAML_MAX_VALUES:
            raise YAMLSourceError(
                f"its aliases (*name) expand it past the limit of {YAML_MAX_VALUES:,} values, "
                f"the most a gate file of {size_words(GATE_FILE_MAX_BYTES)} could hold written "
                "out; write the shared part out where it is used, or alias fewer nested parts",
                line,
            )

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
