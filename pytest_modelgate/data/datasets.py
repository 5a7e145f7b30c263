"""Datasets: JSONL/CSV loaders; the format adapters (``formats``) turn rows into items.

Pure: no pytest. Item ids come from the row's ``id`` (or ``task_id``), else a
hash of the row's content - never from line order, so reordering or appending
to a dataset keeps paired comparisons with recorded baselines valid.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_modelgate.config.limits import (
    DATASET_MAX_BYTES,
    MAX_NESTING,
    ROW_MAX_CHARS,
    TooLarge,
    read_at_most,
)


@dataclass(frozen=True)
class Item:
    """One evaluation item: the chat messages to send and what a correct answer is."""

    id: str
    messages: tuple[Mapping[str, str], ...]
    target: tuple[str, ...]  # accepted answers; for mcq, the correct letter
    choices: tuple[str, ...] = ()
    cluster: str | None = None
    # What a format's solver or scorer needs beyond the prompt (files, tests, a proposition).
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def prompt(self) -> str:
        return self.messages[-1]["content"]


@dataclass(frozen=True)
class Dataset:
    path: Path
    sha256: str
    items: tuple[Item, ...]


class DatasetError(ValueError):
    def __init__(self, path: Path | str, line: int | None, key: str, message: str) -> None:
        self.path, self.line, self.key, self.message = path, line, key, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


class RowError(ValueError):
    """Raised by format adapters; the loader adds file and line."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


class FormatAdapter(Protocol):
    """Turns one dataset row (and its id) into an ``Item``; raises ``RowError`` on a bad row.

    Registered by name through ``pytest_modelgate_add_formats``; a gate file picks one with
    ``format:``. A plain function of this signature is one."""

    def __call__(self, row: Mapping[str, Any], item_id: str, /) -> Item: ...


def item_id(row: Mapping[str, Any]) -> str:
    explicit = row.get("id", row.get("task_id"))
    if explicit not in (None, ""):
        return str(explicit)
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _rows(path: Path, raw: bytes) -> Iterator[tuple[int, Mapping[str, Any]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(path, line, "", "not UTF-8 text; save it as UTF-8") from None
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path, text)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > ROW_MAX_CHARS:
            raise DatasetError(path, lineno, "", _row_too_long(len(line)))
        try:
            row = json_value(line)
        except TooDeep as exc:
            raise DatasetError(path, lineno, "", f"refused: {exc}") from None
        except ValueError as exc:
            raise DatasetError(path, lineno, "", f"invalid JSON: {exc}") from None
        if not isinstance(row, dict):
            raise DatasetError(path, lineno, "", "each line must be a JSON object")
        yield lineno, row


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    whole_file_fits = len(text) <= ROW_MAX_CHARS  # then no row can be too long
    # The field limit is the csv module's one global setting: raised for this read only
    # (collection reads datasets one at a time, on one thread).
    saved = csv.field_size_limit(ROW_MAX_CHARS)
    try:
        for row in reader:
            if not whole_file_fits:
                size = sum(map(len, filter(None, row.values())))
                if size > ROW_MAX_CHARS:
                    raise DatasetError(path, reader.line_num, "", _row_too_long(size))
            yield reader.line_num, row
    except csv.Error as exc:
        line = reader.reader.line_num  # the DictReader's own counts rows read whole
        if "field larger than field limit" in str(exc):
            raise DatasetError(path, line, "", _row_too_long(None)) from None
        raise DatasetError(path, line, "", f"invalid CSV: {exc}") from None
    finally:
        csv.field_size_limit(saved)


def _row_too_long(chars: int | None) -> str:
    holds = f"{chars:,}" if chars is not None else f"more than {ROW_MAX_CHARS:,}"
    return (
        f"refused: the row holds {holds} characters, over the limit of {ROW_MAX_CHARS:,} a "
        "row; keep large content (files, documents) out of the dataset, or split the item"
    )


class TooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(
            f"nested deeper than the limit of {MAX_NESTING} levels; an item needs about five: "
            "flatten it"
        )


def json_value(text: str) -> Any:
    """``json.loads``; ``TooDeep`` for a value nested deeper than ``MAX_NESTING``, else
    ``ValueError`` with the decoder's message for text that is not JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep() from None
    except ValueError as exc:
        raise ValueError(getattr(exc, "msg", str(exc))) from None
    # Only text with that many brackets can nest that deep; counting them costs little.
    if text.count("[") + text.count("{") > MAX_NESTING and _depth(value) > MAX_NESTING:
        raise TooDeep()
    return value


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value``, without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, level = stack.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, level)
            if level <= MAX_NESTING:
                stack.extend((c, level + 1) for c in (v.values() if isinstance(v, dict) else v))
    return deepest


LFS_POINTER = b"version https://git-lfs.github.com/spec/"
LFS_ADVICE = (
    "a Git LFS pointer, not the file itself: run `git lfs pull` "
    "(in GitHub Actions, actions/checkout with `lfs: true`)"
)


def load_dataset(path: Path, adapter: FormatAdapter, *, limit: int | None = None) -> Dataset:
    """Load every row (for the hash and id checks), keep the first ``limit`` items."""
    path = Path(path)
    if path.suffix.lower() not in (".jsonl", ".csv"):
        raise DatasetError(path, None, "", "unsupported file type; valid: .jsonl, .csv")
    try:
        raw = read_at_most(path, DATASET_MAX_BYTES)
    except OSError as exc:
        raise DatasetError(path, None, "", f"cannot read: {exc.strerror}") from None
    except TooLarge as exc:
        raise DatasetError(
            path,
            None,
            "",
            f"refused: {exc} for a dataset file; sample it, or split it into several benchmarks",
        ) from None
    if raw.startswith(LFS_POINTER):
        raise DatasetError(path, None, "", LFS_ADVICE)
    items: list[Item] = []
    first_line: dict[str, int] = {}
    for lineno, row in _rows(path, raw):
        iid = item_id(row)
        if iid in first_line:
            raise DatasetError(
                path, lineno, "id", f"duplicate item id {iid!r} (first on line {first_line[iid]})"
            )
        first_line[iid] = lineno
        try:
            items.append(adapter(row, iid))
        except RowError as exc:
            raise DatasetError(path, lineno, exc.key, exc.message) from None
    if not items:
        raise DatasetError(path, None, "", "the dataset has no items")
    kept = tuple(items[:limit] if limit else items)
    return Dataset(path, hashlib.sha256(raw).hexdigest(), kept)
