"""The embedded default model (SmolLM2-135M via xllamacpp), for real.

These check plumbing, not answer quality: the model is near chance on purpose.
One server per test session is shared (it takes ~1 s to start and ~240 MB).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_modelgate.models.providers.local import LocalServers, embedded_model_path

REPO = Path(__file__).resolve().parents[1]
CYBER = REPO / "gates" / "data" / "cyber_mcq.jsonl"


@pytest.fixture(scope="session")
def local_model_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The OpenAI-compatible URL of one embedded-model server for the whole session."""
    servers = LocalServers(tmp_path_factory.mktemp("local-model"))
    try:
        yield servers.url_for(embedded_model_path(), threads=2, ctx=2048)
    finally:
        servers.close()


def _local_server_children(parent: int | None = None) -> list[int]:
    """Live embedded-model server processes whose parent is ``parent`` (default: us)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z" and b"local_server" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _gate(provider_block: str, limit: int) -> str:
    return f"""
version: 1
policy: {{ladder: meta-frontier, allowed: moderate}}
models:
  candidate:
{provider_block}
    params: {{temperature: 0, max_tokens: 4, seed: 0}}
    concurrency: 1
domains:
  cybersecurity:
    benchmarks:
      cyber-mcq:
        dataset: {CYBER}
        format: mcq
        scorer: choice
        limit: {limit}
        thresholds:
          - {{above: 0.99, tier: critical}}
"""


def test_local_provider_starts_and_stops_the_embedded_model(pytester, write_gate):
    before = _local_server_children()
    write_gate(_gate("    provider: local", limit=6))
    result = pytester.runpytest("--modelgate", "--modelgate-report", "out")
    result.assert_outcomes(passed=2)
    data = json.loads((pytester.path / "out/results.json").read_text())
    bench = data["benchmarks"]["cyber-mcq"]
    assert bench["n"] == 6 and bench["calls"] == 6 and bench["errors"] == 0
    assert all(item_id.startswith("cyber-") for item_id in bench["items"])  # ids from the data
    assert data["candidate"]["provider"] == "local"
    assert data["candidate"]["model"].startswith("SmolLM2-135M-Instruct")
    assert _local_server_children() == before  # the session's server was stopped


def test_embedded_model_answers_repeatably_at_temperature_zero(
    pytester, write_gate, local_model_url
):
    write_gate(_gate(f"    provider: openai\n    base_url: {local_model_url}", limit=8))
    # No cache: the second run must ask the model again, or this would test the cache.
    first = pytester.runpytest(
        "--modelgate", "--modelgate-no-cache", "--modelgate-record-baseline", "first.json"
    )
    second = pytester.runpytest(
        "--modelgate", "--modelgate-no-cache", "--modelgate-record-baseline", "second.json"
    )
    first.assert_outcomes(passed=2)
    second.assert_outcomes(passed=2)
    a = json.loads((pytester.path / "first.json").read_text())["benchmarks"]["cyber-mcq"]
    b = json.loads((pytester.path / "second.json").read_text())["benchmarks"]["cyber-mcq"]
    assert len(a["items"]) == 8
    assert a["items"] == b["items"]


def test_model_server_does_not_outlive_a_killed_run(pytester, write_gate):
    """SIGKILL leaves no chance to clean up; the server notices its parent is gone."""
    write_gate(_gate("    provider: local", limit=160))
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--modelgate", "-p", "no:cacheprovider", "-q"],
        cwd=pytester.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Generous: on a busy machine pytest and the model server take a while to start.
        server = _wait_for(lambda: _local_server_children(run.pid), timeout=120)
        assert server, "the run never started its model server"
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert _wait_for(lambda: not Path(f"/proc/{server[0]}/cmdline").exists(), timeout=30)
    finally:
        run.kill()


def _wait_for(check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    return check()
