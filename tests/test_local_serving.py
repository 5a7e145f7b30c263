"""The embedded model's Q8_0 copy and the server's wait policy, on the real weights."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")

from pytest_modelgate.models.providers.local import embedded_model_path  # noqa: E402
from pytest_modelgate.models.providers.local_server import busy_cores  # noqa: E402
from pytest_modelgate.models.providers.local_weights import as_q8_0  # noqa: E402

Q4_1, Q8_0 = gguf.GGMLQuantizationType.Q4_1, gguf.GGMLQuantizationType.Q8_0


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The shipped file and its Q8_0 copy, made in a fresh user cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield embedded_model_path(), as_q8_0(embedded_model_path())


def test_the_copy_holds_the_same_weights_as_q8_0(converted: tuple[Path, Path]) -> None:
    source, copy = (gguf.GGUFReader(p) for p in converted)
    assert [t.name for t in copy.tensors] == [t.name for t in source.tensors]
    assert not any(t.tensor_type == Q4_1 for t in copy.tensors)
    for old, new in zip(source.tensors, copy.tensors, strict=True):
        if old.tensor_type != Q4_1:
            assert new.tensor_type == old.tensor_type
            assert np.array_equal(new.data, old.data)
            continue
        assert new.tensor_type == Q8_0
        before = gguf.dequantize(old.data, Q4_1).reshape(-1, 32)
        after = gguf.dequantize(new.data, Q8_0).reshape(-1, 32)
        # Q8_0 rounds to 1/127 of each block's largest magnitude: half a step, plus the
        # rounding of its scale to float16 (measured: 0.551 steps at worst).
        step = np.abs(before).max(axis=1, keepdims=True) / 127
        assert np.all(np.abs(after - before) <= 0.6 * step + 1e-7), old.name
    assert copy.fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_Q8_0
    for key in ("tokenizer.ggml.tokens", "tokenizer.chat_template", "llama.block_count"):
        assert copy.fields[key].contents() == source.fields[key].contents()


def test_the_copy_is_made_once_and_named_by_the_source(converted: tuple[Path, Path]) -> None:
    source, copy = converted
    assert copy.name == "SmolLM2-135M-Instruct.Q8_0.gguf"
    made = copy.stat().st_mtime_ns
    assert as_q8_0(source) == copy and copy.stat().st_mtime_ns == made
    assert not list(copy.parent.glob("*.partial"))


def test_a_file_without_q4_1_is_served_as_it_is(converted: tuple[Path, Path]) -> None:
    _, copy = converted
    assert as_q8_0(copy) == copy


def test_busy_cores_sees_another_busy_process() -> None:
    if not Path("/proc/stat").is_file():
        pytest.skip("reads /proc/stat (Linux)")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert busy_cores(0.5) > 0.5
    finally:
        spinner.kill()
        spinner.wait()


def test_the_server_keeps_a_wait_policy_the_user_set(tmp_path: Path) -> None:
    code = (
        "from pytest_modelgate.models.providers.local_server import choose_wait_policy as c;"
        "print(c())"
    )
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "PASSIVE (set by the environment)"


def test_a_server_with_slots_answers_that_many_together(tmp_path: Path) -> None:
    import requests

    from pytest_modelgate.models.providers.local import LocalServers

    servers = LocalServers(tmp_path)
    try:
        url = servers.url_for(embedded_model_path(), threads=2, ctx=512, slots=3)
        props = requests.get(url.removesuffix("/v1") + "/props", timeout=10).json()
        assert props["total_slots"] == 3
        # each slot keeps the context it was given
        assert props["default_generation_settings"]["n_ctx"] == 512
    finally:
        servers.close()
