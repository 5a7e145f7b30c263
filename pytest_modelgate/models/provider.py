"""Model providers: one module per API family, built by name from a ``models:`` entry.

Built-ins register through ``pytest_modelgate_add_providers`` like any plugin's.
A provider answers chat messages (``complete``) or, for published tables, holds
aggregate scores (``aggregate_scores``) and answers nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pytest_modelgate.config.specs import AggregateScore, ModelSpec

Message = Mapping[str, str]


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Mapping[str, int] = field(default_factory=dict)
    # When a cached answer was first received (epoch seconds); not part of the answer.
    recorded: float | None = field(default=None, compare=False)
    # Who answered, as the server said (OpenAI: the served model id and system_fingerprint);
    # None where it says nothing. The cache keeps it to tell a changed deployment.
    server: str | None = field(default=None, compare=False)


class ProviderError(RuntimeError):
    """The model could not answer; messages name the model and URL, never a key."""


class Provider(Protocol):
    spec: ModelSpec
    aggregate_scores: Mapping[str, AggregateScore] | None

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion: ...

    def describe(self) -> dict[str, Any]:
        """What results.json records as ``candidate`` (never secrets)."""
        ...

    def close(self) -> None: ...


@dataclass
class ProviderContext:
    """Session-wide resources a provider may share (e.g. the one local model server)."""

    work_dir: Path
    services: dict[str, Any] = field(default_factory=dict)


ProviderFactory = Callable[[ModelSpec, ProviderContext], Provider]


def request_key(
    provider: str,
    model: str | None,
    params: Mapping[str, Any],
    messages: Sequence[Message],
    *,
    deployment: str | None = None,
) -> str:
    """What determines an answer, hashed: the API family, model, params and exact messages,
    and for the response cache the deployment that answers (its base URL), so one model name
    served elsewhere is another model. Never headers or keys, so caches and recordings hold no
    secrets and survive key rotation."""
    request = {"provider": provider, "model": model, "params": params, "messages": list(messages)}
    if deployment is not None:
        request["deployment"] = deployment
    canonical = json.dumps(
        request,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def server_identity(data: Mapping[str, Any], *fields: str) -> str | None:
    """What a response says about who answered (``fields`` of its JSON that are strings),
    as one line: ``model=gpt-4o-2024-08-06, system_fingerprint=fp_44709d6fcb``."""
    said = [f"{name}={data[name]}" for name in fields if isinstance(data.get(name), str)]
    return ", ".join(said)[:500] or None


def describe_spec(spec: ModelSpec, **extra: Any) -> dict[str, Any]:
    return {
        "name": spec.name,
        "provider": spec.provider,
        "model": spec.model,
        "params": dict(spec.params),
        **extra,
    }
