"""The plumbing shared by our loopback model servers: a JSON-over-HTTP server on
127.0.0.1 in a thread that records every request and lets a subclass answer it."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that was killed or timed out resets its connection: expected here.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _QuietServer

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def send_json(self, status: int, payload: str, headers: Mapping[str, str] = {}) -> None:
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
        owner = self.server.owner
        with owner._lock:
            owner.requests.append(request)
            owner.headers_seen.append(dict(self.headers))
        owner.handle(self, request)


class LoopbackServer:
    """Serves until ``stop()``; use as a context manager. Subclasses implement ``handle``."""

    def __init__(self, statuses: Sequence[int] = ()) -> None:
        self.statuses = list(statuses)  # returned, in order, before normal answers
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def host_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_status(self, default: int = 200) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else default

    def handle(self, handler: Handler, request: dict[str, Any]) -> None:
        raise NotImplementedError
