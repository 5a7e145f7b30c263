"""A fast OpenAI-compatible model server on 127.0.0.1, for benchmarks: never the bottleneck.

    python benchmarks/fastserver.py [--port 0] [--latency-ms 0]
    # prints one line "listening http://127.0.0.1:PORT" once ready; stops on SIGTERM/SIGINT
    # or when its standard input closes (its parent died)

Raw HTTP/1.1 on an asyncio ``Protocol`` (keep-alive, pipelining-safe), one process of its
own so it never shares a GIL with the client it serves. Artificial latency is a timer, not
a sleeping thread: 64 requests in flight at 50 ms cost nothing but memory.

Model endpoints (counted):
  POST /v1/chat/completions   messages -> "ANSWER: X"
  POST /v1/completions        prompt   -> "ANSWER: X"
X is ``mcqset.server_letter`` of the prompt: a hash of the item's ``[bench-NNNNNN]`` tag,
so every client gets the same answer however it words the question.

Control endpoints (not counted): GET /v1/models; GET /stats -> {"requests", "peak_inflight",
"by_path"}; POST /reset (zero the counters); POST /config {"latency_ms": N}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcqset import server_letter  # noqa: E402

MODEL_PATHS = (b"/v1/chat/completions", b"/v1/completions")
MAX_HEADER = 64 * 1024


class Stats:
    def __init__(self) -> None:
        self.latency_s = 0.0
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.inflight = 0
        self.peak_inflight = 0
        self.by_path: dict[str, int] = {}

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "peak_inflight": self.peak_inflight,
            "inflight": self.inflight,
            "by_path": self.by_path,
            "latency_ms": self.latency_s * 1000,
        }


STATS = Stats()


def _response(status: int, payload: bytes, keep_alive: bool) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required"}
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode() + payload


def _prompt_of(request: dict[str, Any]) -> str:
    if "messages" in request:
        return "\n".join(str(m.get("content", "")) for m in request["messages"])
    prompt = request.get("prompt", "")
    return prompt if isinstance(prompt, str) else json.dumps(prompt)


def answer(path: bytes, body: bytes) -> bytes:
    request = json.loads(body or b"{}")
    text = f"ANSWER: {server_letter(_prompt_of(request))}"
    usage = {"prompt_tokens": 60, "completion_tokens": 3, "total_tokens": 63}
    now = int(time.time())
    model = request.get("model", "bench")
    if path == b"/v1/chat/completions":
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": text},
        }
        obj = "chat.completion"
    else:
        choice = {"index": 0, "finish_reason": "stop", "logprobs": None, "text": text}
        obj = "text_completion"
    out = {"id": "cmpl-bench", "object": obj, "created": now, "model": model,
           "choices": [choice], "usage": usage}  # fmt: skip
    return json.dumps(out).encode()


def control(method: bytes, path: bytes, body: bytes) -> tuple[int, bytes]:
    if path == b"/stats":
        return 200, json.dumps(STATS.as_json()).encode()
    if path == b"/reset" and method == b"POST":
        STATS.reset()
        return 200, b'{"ok": true}'
    if path == b"/config" and method == b"POST":
        STATS.latency_s = float(json.loads(body or b"{}").get("latency_ms", 0)) / 1000
        return 200, b'{"ok": true}'
    if path == b"/v1/models":
        return 200, b'{"object": "list", "data": [{"id": "bench", "object": "model"}]}'
    return 404, b'{"error": "not found"}'


class HTTPProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER:
                    self._send(_response(400, b'{"error": "header too large"}', False), True)
                return
            head = self.buffer[:end].split(b"\r\n")
            try:
                method, target, _version = head[0].split(b" ", 2)
            except ValueError:
                self._send(_response(400, b'{"error": "bad request line"}', False), True)
                return
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            if b"transfer-encoding" in headers:
                self._send(_response(411, b'{"error": "send Content-Length"}', False), True)
                return
            length = int(headers.get(b"content-length", b"0"))
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            close = headers.get(b"connection", b"").lower() == b"close"
            path = target.split(b"?", 1)[0]
            if path in MODEL_PATHS and method == b"POST":
                self._model_request(path, body, close)
            else:
                status, payload = control(method, path, body)
                self._send(_response(status, payload, not close), close)

    def _model_request(self, path: bytes, body: bytes, close: bool) -> None:
        STATS.requests += 1
        name = path.decode()
        STATS.by_path[name] = STATS.by_path.get(name, 0) + 1
        STATS.inflight += 1
        STATS.peak_inflight = max(STATS.peak_inflight, STATS.inflight)
        try:
            payload, status = answer(path, body), 200
        except (ValueError, AttributeError, TypeError):
            payload, status = b'{"error": "bad JSON body"}', 400
        reply = _response(status, payload, not close)
        if STATS.latency_s > 0:
            # Responses on one connection keep their order: each waits the same latency.
            self.loop.call_later(STATS.latency_s, self._finish, reply, close)
        else:
            # Answered on the next loop turn, so requests that arrived together are counted
            # in flight together: at zero latency that is the client's real concurrency.
            self.loop.call_soon(self._finish, reply, close)

    def _finish(self, reply: bytes, close: bool) -> None:
        STATS.inflight -= 1
        self._send(reply, close)

    def _send(self, data: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(data)
        if close:
            self.transport.close()


async def serve(port: int, latency_ms: float) -> None:
    STATS.latency_s = latency_ms / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HTTPProtocol, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin() -> None:  # EOF: the parent is gone, however it died
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    if not sys.stdin.isatty():
        threading.Thread(target=watch_stdin, daemon=True).start()
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"listening http://{host}:{bound}", flush=True)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    try:
        # On a shared machine, answer on time even when other work loads the cores: the
        # server uses little CPU, and every tool measured against it gains alike.
        os.nice(-5)
    except OSError:
        pass  # not allowed (not root): run at normal priority
    asyncio.run(serve(args.port, args.latency_ms))


if __name__ == "__main__":
    main()
