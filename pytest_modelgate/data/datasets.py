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
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            yield reader.line_num, row
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DatasetError(path, lineno, "", f"invalid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise DatasetError(path, lineno, "", "each line must be a JSON object")
        yield lineno, row


def load_dataset(path: Path, adapter: FormatAdapter, *, limit: int | None = None) -> Dataset:
    """Load every row (for the hash and id checks), keep the first ``limit`` items."""
    path = Path(path)
    if path.suffix.lower() not in (".jsonl", ".csv"):
        raise DatasetError(path, None, "", "unsupported file type; valid: .jsonl, .csv")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(path, None, "", f"cannot read: {exc.strerror}") from None
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
