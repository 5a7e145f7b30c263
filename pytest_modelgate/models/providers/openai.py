"""``openai``: any OpenAI-compatible ``/v1/chat/completions`` server.

One ``requests.Session`` per model (its pool shared by the worker threads, sized to its
``concurrency``), a time limit per attempt, and retries with exponential backoff and jitter
that honour ``Retry-After`` on 429 and 5xx (``http.JSONEndpoint``).
Errors name the model and the URL; the key is only ever placed in the
Authorization header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_modelgate.config.specs import AggregateScore, ModelSpec
from pytest_modelgate.models.http import (
    JSONEndpoint,
    Response,
    http_base_url,
    public_url,
    read_api_key,
)
from pytest_modelgate.models.provider import (
    Completion,
    Message,
    ProviderContext,
    ProviderError,
    describe_spec,
    server_identity,
)


class OpenAICompatibleProvider:
    endpoint = "/chat/completions"

    def __init__(
        self, spec: ModelSpec, context: ProviderContext, base_url: str | None = None
    ) -> None:
        self.spec = spec
        self.aggregate_scores: Mapping[str, AggregateScore] | None = None
        self.url = http_base_url(spec, base_url or spec.base_url) + self.endpoint
        key = read_api_key(spec)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        replicas = (
            [] if base_url else [http_base_url(spec, url) + self.endpoint for url in spec.replicas]
        )
        self.http = JSONEndpoint(spec, self.url, headers, secret=key, replicas=replicas)

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        body = {"model": self.spec.model or self.spec.name, "messages": list(messages), **params}
        return self._parse(self.http.post(body))

    def _parse(self, response: Response) -> Completion:
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError(self.http.malformed(response)) from None
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(self.http.malformed(response, "empty or non-text content"))
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        counts = {k: v for k, v in usage.items() if isinstance(v, int)}
        return Completion(text, counts, server=server_identity(data, "model", "system_fingerprint"))

    def describe(self) -> dict[str, Any]:
        return describe_spec(self.spec, base_url=public_url(self.url.removesuffix(self.endpoint)))

    def close(self) -> None:
        self.http.close()
