"""``anthropic``: the Anthropic Messages API, ``POST {base_url}/v1/messages``.

Same transport as ``openai`` (``http.JSONEndpoint``: pooled session, timeouts,
retries honouring ``Retry-After``), plus HTTP 529, Anthropic's "overloaded".
The key goes in the ``x-api-key`` header only. The API differs from OpenAI's
where a gate notices:

- system prompts are a top-level ``system`` field, never a message: every
  ``role: system`` message is moved there (joined by blank lines, in order);
- ``max_tokens`` is required, so a model entry without it is refused up front;
- the API has no ``seed``: it is left out of the request body (it still tells
  epochs apart in the response cache, which keys on params);
- the answer is the concatenation of the ``text`` blocks of ``content``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_modelgate.config.specs import AggregateScore, ModelSpec
from pytest_modelgate.models.http import (
    RETRY_STATUSES,
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

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
RETRY_STATUSES_ANTHROPIC = RETRY_STATUSES | {529}
NOT_SENT = frozenset({"seed"})


def messages_body(
    model: str, messages: Sequence[Message], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The Messages API request for chat ``messages`` in OpenAI form."""
    system = [m["content"] for m in messages if m.get("role") == "system"]
    body: dict[str, Any] = {
        "model": model,
        "messages": [dict(m) for m in messages if m.get("role") != "system"],
        **{k: v for k, v in params.items() if k not in NOT_SENT},
    }
    if system:
        body["system"] = "\n\n".join(system)
    return body


def usage_fields(usage: Any) -> dict[str, int]:
    """Anthropic's token counts under their own names and the OpenAI names reports use."""
    if not isinstance(usage, dict):
        return {}
    out = {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
    if "input_tokens" in out:
        out["prompt_tokens"] = out["input_tokens"]
    if "output_tokens" in out:
        out["completion_tokens"] = out["output_tokens"]
    if "input_tokens" in out and "output_tokens" in out:
        out["total_tokens"] = out["input_tokens"] + out["output_tokens"]
    return out


class AnthropicProvider:
    endpoint = "/v1/messages"

    def __init__(self, spec: ModelSpec, context: ProviderContext) -> None:
        self.spec = spec
        self.aggregate_scores: Mapping[str, AggregateScore] | None = None
        max_tokens = spec.params.get("max_tokens")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise ProviderError(
                f"model {spec.name!r}: the Anthropic Messages API requires max_tokens, a "
                f"positive integer; got {max_tokens!r}. Set it in params, e.g. "
                "params: {max_tokens: 256}"
            )
        self.base_url = http_base_url(spec, spec.base_url or DEFAULT_BASE_URL)
        # Accept ".../v1" too, as OpenAI-style base URLs are written; never post to /v1/v1.
        self.url = self.base_url.removesuffix("/v1") + self.endpoint
        key = read_api_key(spec)
        headers = {"anthropic-version": API_VERSION}
        if key:
            headers["x-api-key"] = key
        replicas = [
            http_base_url(spec, url).removesuffix("/v1") + self.endpoint for url in spec.replicas
        ]
        self.http = JSONEndpoint(
            spec,
            self.url,
            headers,
            secret=key,
            retry_statuses=RETRY_STATUSES_ANTHROPIC,
            replicas=replicas,
        )

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        body = messages_body(self.spec.model or self.spec.name, messages, params)
        return self._parse(self.http.post(body))

    def _parse(self, response: Response) -> Completion:
        try:
            data = response.json()
            blocks = data["content"]
            if not isinstance(blocks, list):
                raise TypeError
            texts = [b["text"] for b in blocks if b.get("type") == "text"]
            if not all(isinstance(t, str) for t in texts):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ProviderError(self.http.malformed(response)) from None
        text = "".join(texts)
        if not text.strip():
            raise ProviderError(self.http.malformed(response, "empty or non-text content"))
        return Completion(
            text, usage_fields(data.get("usage")), server=server_identity(data, "model")
        )

    def describe(self) -> dict[str, Any]:
        return describe_spec(self.spec, base_url=public_url(self.url.removesuffix(self.endpoint)))

    def close(self) -> None:
        self.http.close()
