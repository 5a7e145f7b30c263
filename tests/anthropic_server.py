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
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from openai_server import scripted_reply


class AnthropicServer:
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
        self.reply = reply
        self.statuses = list(statuses)  # returned, in order, before normal answers
        self.retry_after = retry_after
        self.require_key = require_key
        self.body = body  # a raw body to send instead of a message
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> AnthropicServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else 200

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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: str, headers: Mapping[str, str] = {}) -> None:
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, headers: Mapping[str, str] = {}) -> None:
                error = {"type": "error", "error": {"type": "api_error", "message": message}}
                self._send(status, json.dumps(error), headers)

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(request)
                    server.headers_seen.append(dict(self.headers))
                if self.path != "/v1/messages":
                    return self._error(404, "not found")
                status, message = server._refusal(self.headers, request)
                if status != 200:
                    return self._error(status, message)
                status = server._next_status()
                if status != 200:
                    extra = {"Retry-After": server.retry_after} if server.retry_after else {}
                    return self._error(status, f"status {status}", extra)
                if server.body is not None:
                    return self._send(200, server.body)
                text = server.reply(request["messages"])
                cut = len(text) // 2
                content = [
                    {"type": "text", "text": text[:cut]},
                    {"type": "tool_use", "id": "toolu_1", "name": "noop", "input": {}},
                    {"type": "text", "text": text[cut:]},
                ]
                return self._send(
                    200,
                    json.dumps(
                        {
                            "id": "msg_1",
                            "type": "message",
                            "role": "assistant",
                            "model": request.get("model"),
                            "content": content,
                            "stop_reason": "end_turn",
                            "usage": {"input_tokens": 12, "output_tokens": 3},
                        }
                    ),
                )

        return Handler
