"""``replay``: answers from a recording, so a CI run can be reproduced offline, bit for bit.

A recording is JSON Lines, one answer a line, appended by ``ResponseRecorder``
as answers arrive (``--modelgate-record-responses PATH``)::

    {"key": "<request_key>", "provider": "openai", "model": "smollm2-135m",
     "params": {...}, "messages": [...], "text": "...", "usage": {...}}

A replay model entry names the file in ``options.file``; a relative path is
resolved from the current directory (where pytest was started), because a
model entry does not know which gate file declared it. An answer is found by
``request_key(provider, model, params, messages)`` of the *recorded* model, so
params and messages must equal the recorded run's exactly. Which recorded model
to replay: the only one in the file, or the one ``model:`` names (and
``options.provider``, when one model name was recorded under two providers).
So the recorded entry becomes a replay entry by changing ``provider:`` and adding
``options.file``; its ``base_url`` and ``api_key_env`` are ignored (no key is read).

A request that is not in the recording is an error, never a default answer.
A line cut short by a killed recording run is skipped (its request, if asked,
is such an error); a whole line of the wrong shape is an error. The ``key``
field is for people and tools: replay recomputes it from the other fields.
When a key was recorded twice (an appended re-recording), the later line wins.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate.config.specs import AggregateScore, ModelSpec
from pytest_modelgate.models.provider import (
    Completion,
    Message,
    ProviderContext,
    ProviderError,
    describe_spec,
    request_key,
)

OPTIONS = ("file", "provider")
Identity = tuple[str, str | None]  # (provider, model) as recorded


def _ends_a_line(path: Path) -> bool:
    with open(path, "rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return True
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


class ResponseRecorder:
    """Appends every answer to a JSON Lines recording; safe to share between threads.

    Each answer is one ``write`` of one whole line to a file opened for append, so
    a run killed at any point leaves every earlier line intact, and processes
    appending to one file (xdist workers) do not interleave lines.
    """

    def __init__(
        self, path: str | os.PathLike[str], redact: Callable[[str], str] | None = None
    ) -> None:
        self.path = Path(path)
        self.redact = redact  # secrets never reach the file, even those a gate put in params
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self._lock = threading.Lock()
        if not _ends_a_line(self.path):
            os.write(self._fd, b"\n")  # end a line a killed run left unfinished: keep ours whole

    def record(
        self,
        provider: str,
        model: str | None,
        params: Mapping[str, Any],
        messages: Sequence[Message],
        completion: Completion,
    ) -> None:
        line = {
            "key": request_key(provider, model, params, messages),
            "provider": provider,
            "model": model,
            "params": dict(params),
            "messages": [dict(m) for m in messages],
            "text": completion.text,
            "usage": dict(completion.usage),
        }
        text = json.dumps(line, ensure_ascii=False, default=str)
        data = ((self.redact(text) if self.redact else text) + "\n").encode()
        with self._lock:
            if self._fd is None:
                raise ValueError(f"the recorder for {self.path} is closed")
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> ResponseRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Recording:
    answers: dict[Identity, dict[str, Completion]]  # by (provider, model), then request key
    cut_lines: int = 0  # lines left unfinished by a killed recording run, skipped


def load_recording(path: Path) -> Recording:
    recording = Recording({})
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                # A line cut short is never valid JSON (an object's braces balance only at its
                # end). Skipping it is safe: a request it would have answered is refused.
                recording.cut_lines += 1
                continue
            try:
                identity, key, completion = _answer(line)
            except TypeError as exc:
                raise ProviderError(
                    f"{path}:{number}: not a recorded answer ({exc}); "
                    "lines hold key, provider, model, params, messages, text, usage"
                ) from None
            recording.answers.setdefault(identity, {})[key] = completion
    return recording


def _answer(line: Any) -> tuple[Identity, str, Completion]:
    if not isinstance(line, dict):
        raise TypeError("expected a JSON object")
    provider, model, params = line.get("provider"), line.get("model"), line.get("params")
    messages, text, usage = line.get("messages"), line.get("text"), line.get("usage", {})
    if not isinstance(provider, str) or not (model is None or isinstance(model, str)):
        raise TypeError("provider must be a string, model a string or null")
    if not isinstance(params, dict) or not isinstance(messages, list):
        raise TypeError("params must be an object, messages a list")
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    if not isinstance(usage, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in usage.values()
    ):
        raise TypeError("usage must map names to integers")
    key = request_key(provider, model, params, messages)
    return (provider, model), key, Completion(text, usage)


def _show(identity: Identity) -> str:
    return f"{identity[0]}/{identity[1]}"


class ReplayProvider:
    # Answers cost nothing and the file is the truth: a response cache in front of
    # replay would keep serving answers of an older recording.
    cacheable = False

    def __init__(self, spec: ModelSpec, context: ProviderContext) -> None:
        self.spec = spec
        self.aggregate_scores: Mapping[str, AggregateScore] | None = None
        where = f"model {spec.name!r}"
        unknown = sorted(set(spec.options) - set(OPTIONS))
        if unknown:
            raise ProviderError(
                f"{where}: unknown replay option(s) {', '.join(map(str, unknown))}; "
                f"valid: {', '.join(OPTIONS)}"
            )
        file = spec.options.get("file")
        if not isinstance(file, str) or not file:
            raise ProviderError(
                f"{where}: the replay provider needs the recording in options, "
                "e.g. options: {file: recordings/candidate.jsonl}"
            )
        self.file = file
        self.path = Path(file).expanduser()
        if not self.path.is_absolute():
            self.path = Path.cwd() / self.path
        if not self.path.is_file():
            raise ProviderError(
                f"{where}: recording not found: {self.path} (options.file {file!r}; a relative "
                "path is resolved from the directory pytest runs in)"
            )
        recording = load_recording(self.path)
        self.identity = self._pick(recording.answers, spec.options.get("provider"))
        self.answers = recording.answers[self.identity]
        self.cut_lines = recording.cut_lines

    def _pick(self, recording: dict[Identity, dict[str, Completion]], provider: Any) -> Identity:
        held = sorted(recording, key=_show)
        found = [
            i
            for i in held
            if (self.spec.model is None or i[1] == self.spec.model)
            and (provider is None or i[0] == provider)
        ]
        if len(found) == 1:
            return found[0]
        where = f"model {self.spec.name!r}: the recording {self.path}"
        if not held:
            raise ProviderError(f"{where} holds no answers")
        listing = ", ".join(_show(i) for i in held)
        if not found:
            wanted = f"{provider or '*'}/{self.spec.model or '*'}"
            raise ProviderError(
                f"{where} holds no answers of {wanted}; it holds {listing}: "
                "name one of them in model: (and options.provider:)"
            )
        raise ProviderError(
            f"{where} holds answers of several models ({listing}); name one in model: "
            "(and options.provider: if one model name was recorded under two providers)"
        )

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        found = self.answers.get(request_key(*self.identity, params, messages))
        if found is None:
            cut = f", {self.cut_lines} cut lines skipped" if self.cut_lines else ""
            raise ProviderError(
                f"model {self.spec.name!r}: request not in the recording {self.path} "
                f"({_show(self.identity)}, {len(self.answers)} answers{cut}): record again "
                "with the same data and params (--modelgate-record-responses)"
            )
        return found

    def describe(self) -> dict[str, Any]:
        return describe_spec(
            self.spec, model=self.identity[1], replays=self.identity[0], recording=self.file
        )

    def close(self) -> None:
        pass
