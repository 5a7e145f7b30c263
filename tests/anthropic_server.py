"""A small Anthropic Messages API server on 127.0.0.1 whose answers the tests control.

Serves ``POST /v1/messages`` and checks what the real API insists on: the
``anthropic-version`` header, ``max_tokens``, and no ``system`` role among the
messages (400 otherwise). Replies come from ``reply(messages)`` (by default the
``<<reply:TEXT>>`` marker, as in ``openai_server``), split over two text blocks
around a non-text block so that clients must join the text blocks. Status codes,
Retry-After, a required key and raw bodies are scriptable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loopback import Handler, LoopbackServer
from openai_server import scripted_reply


class AnthropicServer(LoopbackServer):
    """Serves ``POST /v1/messages`` until ``stop()``; use as a context manager."""

    def __init__(
        self,
        reply: Callable[[Sequence[Mapping[str, str]]], str] = scripted_reply,
        *,
        statuses: Sequence[int] = (),
        retry_after: str | None = None,
        require_key: str | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(statuses)
        self.reply = reply
        self.retry_after = retry_after
        self.require_key = require_key
        self.body = body  # a raw body to send instead of a message

    @property
    def base_url(self) -> str:
        return self.host_url

    def __enter__(self) -> AnthropicServer:
        super().__enter__()
        return self

    def _refusal(self, headers: Mapping[str, str], request: dict[str, Any]) -> tuple[int, str]:
        """What the real API would reject, as (status, message); (200, "") when fine."""
        if self.require_key and headers.get("x-api-key") != self.require_key:
            # Echoes the key it got, as a careless proxy might: clients must redact it.
            return 401, f"invalid x-api-key {headers.get('x-api-key')!r}"
        if headers.get("anthropic-version") != "2023-06-01":
            return 400, "anthropic-version header is required"
        if not isinstance(request.get("max_tokens"), int):
            return 400, "max_tokens: Field required"
        if any(m.get("role") not in ("user", "assistant") for m in request.get("messages", [])):
            return 400, "messages: roles must be user or assistant; use the system parameter"
        return 200, ""

    @staticmethod
    def _error(h: Handler, status: int, message: str, headers: Mapping[str, str] = {}) -> None:
        error = {"type": "error", "error": {"type": "api_error", "message": message}}
        h.send_json(status, json.dumps(error), headers)

    def handle(self, h: Handler, request: dict[str, Any]) -> None:
        if h.path != "/v1/messages":
            return self._error(h, 404, "not found")
        status, message = self._refusal(h.headers, request)
        if status != 200:
            return self._error(h, status, message)
        status = self._next_status()
        if status != 200:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            return self._error(h, status, f"status {status}", extra)
        if self.body is not None:
            return h.send_json(200, self.body)
        text = self.reply(request["messages"])
        cut = len(text) // 2
        content = [
            {"type": "text", "text": text[:cut]},
            {"type": "tool_use", "id": "toolu_1", "name": "noop", "input": {}},
            {"type": "text", "text": text[cut:]},
        ]
        message_body = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": request.get("model"),
            "content": content,
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 3},
        }
        return h.send_json(200, json.dumps(message_body))
