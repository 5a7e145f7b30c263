"""``static``: scores given in the gate file, to reproduce a published table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.provider import (
    Completion,
    Message,
    ProviderContext,
    ProviderError,
    describe_spec,
)


class StaticProvider:
    def __init__(self, spec: ModelSpec, context: ProviderContext) -> None:
        self.spec = spec
        self.aggregate_scores = spec.scores

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        raise ProviderError(f"model {self.spec.name!r} is static: it has scores, not answers")

    def describe(self) -> dict[str, Any]:
        return describe_spec(self.spec)

    def close(self) -> None:
        pass
