"""Shared fixtures: a loopback model server whose answers we script, and helpers to
write gate files and datasets into a pytester directory."""

from __future__ import annotations

import importlib
import json
import pkgutil
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests  # noqa: F401 - see below
from openai_server import OpenAIServer

import pytest_modelgate

# pytester's in-process runs restore sys.modules afterwards, so a module first imported
# inside an inner run is imported again by the next one while other modules keep the old
# copy (two RowError classes, two http.cookiejar.CookieJar classes). Importing the plugin
# and requests here, once, keeps a single copy for every inner session.
for _module in pkgutil.walk_packages(pytest_modelgate.__path__, "pytest_modelgate."):
    importlib.import_module(_module.name)

pytest_plugins = ["pytester"]


@pytest.fixture
def model_server() -> Iterator[Callable[..., OpenAIServer]]:
    """Start ``OpenAIServer(**options)`` on 127.0.0.1; every one started is stopped after the test."""
    started: list[OpenAIServer] = []

    def start(**options: Any) -> OpenAIServer:
        server = OpenAIServer(**options).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def mcq_rows(n: int, correct: int, *, prefix: str = "q", start: int = 0) -> list[dict[str, Any]]:
    """``n`` four-choice rows (WMDP shape); the scripted model answers the first ``correct``
    of them right and the rest wrong."""
    rows = []
    for i in range(n):
        answer = i % 4
        said = "ABCD"[answer] if i < correct else "ABCD"[(answer + 1) % 4]
        rows.append(
            {
                "id": f"{prefix}{start + i}",
                "question": f"Toy question {i}? <<reply:{said}>>",
                "choices": ["alpha", "bravo", "charlie", "delta"],
                "answer": answer,
            }
        )
    return rows


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def write_gate(pytester: pytest.Pytester) -> Callable[..., Path]:
    """Write a gate file (dedented YAML) into the pytester directory."""

    def write(text: str, name: str = "release.gate.yaml") -> Path:
        path = pytester.path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write
