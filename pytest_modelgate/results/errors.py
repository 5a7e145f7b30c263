"""Errors of the results layer, in a leaf module so that the importers and the results.json
reader can both raise them without importing each other."""

from __future__ import annotations

from pathlib import Path


class BaselineFileError(ValueError):
    def __init__(self, path: Path | str, key: str, message: str) -> None:
        self.path, self.key, self.message = path, key, message
        super().__init__(f"{path}: {key}: {message}" if key else f"{path}: {message}")
