"""Inspect's ``.eval`` log: a zip of JSON files, read into the dict an ``EvalLog`` JSON holds.

Layout (inspect_ai ``log/_recorders/eval.py``): ``header.json`` is the whole log but the
samples (version, status, eval, plan, results, stats, error); ``samples/{id}_epoch_{n}.json``
is one ``EvalSample`` each; ``reductions.json`` holds each item's epochs reduced (read when
the log has no samples); ``summaries.json`` repeats the samples. Logs from before
``header.json`` hold ``start.json`` + ``results.json``; ``_journal/`` alone means the eval
never finished.

Current Inspect compresses entries with zstd (zip method 93), which Python's ``zipfile``
reads only from 3.14; before that the ``zstandard`` package decompresses them here.
"""

from __future__ import annotations

import importlib
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from pytest_modelgate.results.errors import BaselineFileError

ZSTD = 93  # the zip compression method number of zstd (APPNOTE 4.4.5)
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra length


def read_eval_archive(path: Path, raw: bytes) -> dict[str, Any]:
    """The log as one dict, samples (possibly none) under ``"samples"``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise BaselineFileError(path, "", f"not a readable .eval archive: {exc}") from None
    with archive:
        names = set(archive.namelist())
        if "header.json" in names:
            log = _json_object(path, archive, "header.json")
        elif {"start.json", "results.json"} <= names:
            log = {
                **_json_object(path, archive, "start.json"),
                **_json_object(path, archive, "results.json"),
            }
        elif any(n.startswith("_journal/") for n in names):
            raise BaselineFileError(
                path,
                "header.json",
                "missing: the eval did not finish (only its journal is written); "
                "use the log of a completed run",
            )
        else:
            raise BaselineFileError(path, "header.json", "missing: not an Inspect .eval log")
        if "reductions.json" in names:
            log["reductions"] = _json(path, archive, "reductions.json")
        log["samples"] = [
            _json_object(path, archive, name)
            for name in sorted(names)
            if name.startswith("samples/") and name.endswith(".json")
        ]
    return log


def inspect_version(path: Path, raw: bytes) -> str | None:
    """The inspect_ai version that wrote the archive (``eval.packages``), for provenance;
    None when it cannot be read (the import itself then says why)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            first = next((n for n in ("header.json", "_journal/start.json") if n in names), None)
            header = _json_object(path, archive, first) if first else {}
    except (BaselineFileError, zipfile.BadZipFile, KeyError):
        return None
    packages = header.get("eval", {}).get("packages") if isinstance(header, dict) else None
    version = packages.get("inspect_ai") if isinstance(packages, dict) else None
    return version if isinstance(version, str) else None


def _json(path: Path, archive: zipfile.ZipFile, name: str) -> Any:
    text = _member(path, archive, name)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise BaselineFileError(path, name, f"not valid JSON: {exc}") from None


def _json_object(path: Path, archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    data = _json(path, archive, name)
    if not isinstance(data, dict):
        raise BaselineFileError(path, name, "expected a JSON object")
    return data


def _member(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    try:
        return archive.read(info)
    except NotImplementedError:
        if info.compress_type != ZSTD:
            raise BaselineFileError(
                path, name, f"compressed with zip method {info.compress_type}, which we cannot read"
            ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise BaselineFileError(path, name, f"damaged archive entry: {exc}") from None
    data = _zstd_decompress(path, name, _stored_bytes(path, archive, info))
    if zlib.crc32(data) != info.CRC:
        raise BaselineFileError(path, name, "damaged archive entry: CRC check failed")
    return data


def _stored_bytes(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # zipfile refuses the method before reading anything, so take the entry's bytes from
    # its local header on: signature, fixed fields, then name and extra of their own length.
    fp = archive.fp
    assert fp is not None  # open: we are inside its ``with``
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise BaselineFileError(path, info.filename, "damaged archive entry: truncated header")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise BaselineFileError(path, info.filename, "damaged archive entry: bad local header")
    fp.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    return fp.read(info.compress_size)


def _zstd_decompress(path: Path, name: str, data: bytes) -> bytes:
    try:
        zstandard: Any = importlib.import_module("zstandard")
    except ImportError:
        raise BaselineFileError(
            path,
            name,
            "compressed with zstd, as Inspect writes .eval logs; install the zstandard "
            "package (pip install 'pytest-modelgate[inspect]') or convert the log to JSON "
            "(inspect log convert LOG --to json --output-dir DIR)",
        ) from None
    # Inspect splits large entries into several zstd frames; one decompressobj reads one.
    out = []
    try:
        while data:
            frame = zstandard.ZstdDecompressor().decompressobj()
            out.append(frame.decompress(data))
            data = frame.unused_data
    except zstandard.ZstdError as exc:
        raise BaselineFileError(path, name, f"damaged archive entry: {exc}") from None
    return b"".join(out)
