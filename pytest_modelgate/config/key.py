"""What a gate-file key is: the one declaration the parser, the docs and the JSON Schema read.

``Key`` holds a key's type, default, allowed values or range, meaning and example; ``Section``
is one mapping of the file (``policy``, ``models.<name>``, ...). The tables live in
``keys.py`` and ``benchmark_keys.py``. Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Kinds the parser reads with one generic typed read; the others have their own reader
# (and their own schema fragment): path, version, ladder, urls, reference, names, list,
# section, tasks.
SIMPLE_KINDS = ("str", "int", "number", "bool", "mapping")

_TYPE_WORDS = {
    "str": "string",
    "path": "string (path)",
    "int": "integer",
    "number": "number",
    "bool": "boolean",
    "mapping": "mapping",
    "section": "mapping",
    "tasks": "mapping of benchmark → task name",
}


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    doc: str  # the meaning: the docs' table cell and the schema's description
    example: str  # YAML, as a user would write it
    default: Any = None  # what the parser uses when the key is absent
    required: bool = False
    choices: tuple[str, ...] = ()
    pattern: str = ""  # a regular expression the (expanded) string must match
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    range_hint: str = ""  # after "VALUE is outside [a, b]; "
    range_message: str = ""  # a template with {value} for a value below the range, instead
    # of the derived message (a value above it gets the derived one)
    section: str = ""  # names, list, section: the Section its entries are
    non_empty: bool = False  # names: at least one entry
    type_doc: str = ""  # the docs' type cell, where the derived words say too little
    default_doc: str = ""  # the docs' default cell, where the default is not a literal

    def in_range(self, value: float) -> bool:
        return not (
            (self.ge is not None and value < self.ge)
            or (self.gt is not None and value <= self.gt)
            or (self.le is not None and value > self.le)
            or (self.lt is not None and value >= self.lt)
        )

    def range_problem(self, value: float) -> str:
        """The message for a value outside the range (the wording users have seen for years)."""
        below = (self.ge is not None and value < self.ge) or (
            self.gt is not None and value <= self.gt
        )
        if self.range_message and below:
            return self.range_message.format(value=value)
        if self.le is None and self.lt is None:
            return f"must be {self._lower_words()}"
        hint = f"; {self.range_hint}" if self.range_hint else ""
        return f"{value} is outside {self.interval()}{hint}"

    def interval(self) -> str:
        low = f"({self.gt:g}" if self.gt is not None else f"[{self.ge:g}"
        high = f"{self.lt:g})" if self.lt is not None else f"{self.le:g}]"
        return f"{low}, {high}"

    def _lower_words(self) -> str:
        if self.gt == 0:
            return "positive"
        if self.ge == 0:
            return "0 or more"
        return f"at least {self.ge:g}"

    @property
    def type_words(self) -> str:
        """The docs' type cell."""
        if self.type_doc:
            return self.type_doc
        if self.choices:
            quoted = [f"`{c}`" for c in self.choices]
            return ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
        base = _TYPE_WORDS[self.kind]
        if (
            self.kind not in ("int", "number")
            or (self.ge, self.gt, self.le, self.lt) == (None,) * 4
        ):
            return base
        if self.le is not None or self.lt is not None:
            return f"{base} in {self.interval()}"
        if self.gt == 0:
            return f"positive {base}"
        return f"{base} ≥ {self.ge:g}"

    @property
    def default_words(self) -> str:
        """The docs' default cell."""
        if self.default_doc:
            return self.default_doc
        if self.required:
            return "required"
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, (dict, tuple, list)):
            return "`{}`" if isinstance(self.default, dict) else "`[]`"
        return f"`{self.default:g}`" if isinstance(self.default, float) else f"`{self.default}`"


@dataclass(frozen=True)
class Section:
    """One mapping of a gate file: its keys, and the rules that span them."""

    name: str  # the docs' marker and the schema's $defs entry
    keys: tuple[Key, ...]
    exactly_one: tuple[str, ...] = ()  # give exactly one of these
    at_most_one: tuple[str, ...] = ()  # never two of these
    required_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # a -> needs these
    at_least_one: tuple[str, ...] = ()  # at least one of these lists is non-empty

    def __getitem__(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys if k.required)


def amount(name: str, integer: bool, zero_ok: bool, doc: str, example: str, **more: Any) -> Key:
    """A key of a small mapping of limits (``budget``, ``sandbox``, ...): a number >= or > 0."""
    return Key(
        name,
        "int" if integer else "number",
        doc,
        example,
        ge=0 if zero_ok else None,
        gt=None if zero_ok else 0,
        range_message="{value} must be " + ("0 or more" if zero_ok else "positive"),
        default_doc=more.pop("default_doc", "" if "default" in more else "no limit"),
        **more,
    )
