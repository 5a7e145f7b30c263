"""A small OpenAI-compatible chat server on 127.0.0.1 whose answers the tests control.

The reply to a request is decided by ``reply(messages) -> str``. The stock
``scripted_reply`` reads a marker the test puts in each question,
``<<reply:TEXT>>``, so a test dataset says exactly which items the "model"
gets right. For agents, ``<<turns:FIRST|||SECOND|||...:turns>>`` in the first user
message scripts a conversation: the reply is the entry numbered by the assistant turns so
far, with ``@OBS@`` replaced by the last observation (the inside of the last message's
first fenced block); ``<<turns@SEED:...:turns>>`` replaces the script for that request
seed (epochs get seeds seed+0, seed+1, ...). Status codes, Retry-After and latency are
scriptable too.
"""

from __future__ import annotations

import json
import random
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loopback import Handler, LoopbackServer

_MARKER = re.compile(r"<<reply:(.*?)>>")
_TURNS = re.compile(r"<<turns(?:@(\d+))?:(.*?):turns>>", re.S)
_FENCED = re.compile(r"```[^\n]*\n(.*?)```", re.S)


def scripted_reply(messages: Sequence[Mapping[str, str]], seed: int | None = None) -> str:
    first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
    scripts = {found.group(1): found.group(2) for found in _TURNS.finditer(first_user)}
    script = scripts.get(str(seed), scripts.get(None))
    if script is not None:
        turns = script.split("|||")
        done = sum(m["role"] == "assistant" for m in messages)
        if done >= len(turns):
            return "I do not know."
        last = messages[-1]["content"]
        fenced = _FENCED.search(last)
        return turns[done].replace("@OBS@", (fenced.group(1) if fenced else last).strip())
    found = _MARKER.search(messages[-1]["content"])
    return found.group(1) if found else "I do not know."


class OpenAIServer(LoopbackServer):
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
        system_fingerprint: str | None = None,
    ) -> None:
        super().__init__(statuses)
        self.reply = reply
        self.latency_s = latency_s
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
        # Who the server says it is, as OpenAI's does; settable while it runs (a redeploy).
        self.system_fingerprint = system_fingerprint
        self.injected: dict[str, int] = {}
        self.answered = 0  # requests that got a well-formed completion
        self.in_flight = self.peak_in_flight = 0  # requests being handled at once

    @property
    def base_url(self) -> str:
        return f"{self.host_url}/v1"

    def __enter__(self) -> OpenAIServer:
        super().__enter__()
        return self

    def _draw_fault(self) -> str | None:
        with self._lock:
            draw, edge = self.fault_rng.random(), 0.0
            for name, rate in self.faults.items():
                edge += rate
                if draw < edge:
                    self.injected[name] = self.injected.get(name, 0) + 1
                    return name
        return None

    def handle(self, h: Handler, request: dict[str, Any]) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            self._handle(h, request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, h: Handler, request: dict[str, Any]) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        if h.path != "/v1/chat/completions":
            return h.send_json(404, json.dumps({"error": "not found"}))
        if self.require_key and h.headers.get("Authorization") != f"Bearer {self.require_key}":
            return h.send_json(401, json.dumps({"error": "bad key"}))
        fault = self._draw_fault()
        if fault == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault == "slow":
            time.sleep(self.slow_s)
        if fault == "malformed":
            return h.send_json(200, '{"choices": [{"message": ')
        if fault in ("429", "500", "503"):
            return h.send_json(int(fault), '{"error": "injected"}', {"Retry-After": "0"})
        status = self._next_status(self.always_status or 200)
        if status != 200:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            return h.send_json(status, json.dumps({"error": f"status {status}"}), extra)
        if self.body is not None:
            return h.send_json(200, self.body)
        if self.reply is scripted_reply:  # scripts may depend on the epoch's seed
            text = scripted_reply(request["messages"], request.get("seed"))
        else:
            text = self.reply(request["messages"])
        with self._lock:
            self.answered += 1
        answer: dict[str, Any] = {
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
        if self.system_fingerprint is not None:
            answer["system_fingerprint"] = self.system_fingerprint
        if self.usage:
            answer["usage"] = {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
        return h.send_json(200, json.dumps(answer))
