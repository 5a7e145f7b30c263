"""A small OpenAI-compatible chat server on 127.0.0.1 whose answers the tests control.

The reply to a request is decided by ``reply(messages) -> str``. The stock
``scripted_reply`` reads a marker the test puts in each question,
``<<reply:TEXT>>``, so a test dataset says exactly which items the "model"
gets right. Status codes, Retry-After and latency are scriptable too.
"""

from __future__ import annotations

import json
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_MARKER = re.compile(r"<<reply:(.*?)>>")


def scripted_reply(messages: Sequence[Mapping[str, str]]) -> str:
    found = _MARKER.search(messages[-1]["content"])
    return found.group(1) if found else "I do not know."


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that was killed or timed out resets its connection: expected here.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class OpenAIServer:
    """Serves ``POST /v1/chat/completions`` until ``stop()``; use as a context manager."""

    def __init__(
        self,
        reply: Callable[[Sequence[Mapping[str, str]]], str] = scripted_reply,
        *,
        latency_s: float = 0.0,
        statuses: Sequence[int] = (),
        retry_after: str | None = None,
        always_status: int | None = None,
        require_key: str | None = None,
        body: str | None = None,
        faults: Mapping[str, float] | None = None,
        fault_seed: int = 0,
        slow_s: float = 2.0,
        usage: bool = True,
    ) -> None:
        self.reply = reply
        self.latency_s = latency_s
        self.statuses = list(statuses)  # returned, in order, before normal answers
        self.retry_after = retry_after
        self.always_status = always_status
        self.require_key = require_key
        self.body = body  # a raw body to send instead of a completion
        # Injected faults, drawn per request with these probabilities (seeded):
        # "429" (with Retry-After: 0), "500", "503", "drop" (close without answering),
        # "slow" (answer after slow_s, past a client's timeout), "malformed" (not JSON).
        self.faults = dict(faults or {})
        self.fault_rng = random.Random(fault_seed)
        self.slow_s = slow_s
        self.usage = usage  # False: answer without usage fields, as some servers do
        self.usage = usage  # False: answer without usage fields, as some servers do
        self.injected: dict[str, int] = {}
        self.answered = 0  # requests that got a well-formed completion
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _draw_fault(self) -> str | None:
        with self._lock:
            draw, edge = self.fault_rng.random(), 0.0
            for name, rate in self.faults.items():
                edge += rate
                if draw < edge:
                    self.injected[name] = self.injected.get(name, 0) + 1
                    return name
        return None

    def _next_status(self) -> int:
        with self._lock:
            if self.statuses:
                return self.statuses.pop(0)
        return self.always_status or 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: str, headers: Mapping[str, str] = {}) -> None:
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeout): expected

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(request)
                    server.headers_seen.append(dict(self.headers))
                if server.latency_s:
                    time.sleep(server.latency_s)
                if self.path != "/v1/chat/completions":
                    return self._send(404, json.dumps({"error": "not found"}))
                if server.require_key and self.headers.get("Authorization") != (
                    f"Bearer {server.require_key}"
                ):
                    return self._send(401, json.dumps({"error": "bad key"}))
                fault = server._draw_fault()
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                if fault == "slow":
                    time.sleep(server.slow_s)
                if fault == "malformed":
                    return self._send(200, '{"choices": [{"message": ')
                if fault in ("429", "500", "503"):
                    return self._send(int(fault), '{"error": "injected"}', {"Retry-After": "0"})
                status = server._next_status()
                if status != 200:
                    extra = {"Retry-After": server.retry_after} if server.retry_after else {}
                    return self._send(status, json.dumps({"error": f"status {status}"}), extra)
                if server.body is not None:
                    return self._send(200, server.body)
                text = server.reply(request["messages"])
                with server._lock:
                    server.answered += 1
                body = {
                    "object": "chat.completion",
                    "model": request.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                }
                if server.usage:
                    body["usage"] = {
                        "prompt_tokens": 10,
                        "completion_tokens": 1,
                        "total_tokens": 11,
                    }
                return self._send(200, json.dumps(body))

        return Handler
