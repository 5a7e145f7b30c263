"""How large and how deep the files a gate reads may be: gate files and datasets.

A hostile or broken file must end in a collection error that names the file and the limit,
never a hang, an exhausted memory or a RecursionError. Each limit is far above what a real
file needs, so only files that are not what they claim to be meet it; ``read_at_most`` reads
a file only after its size is known to be within its limit.
"""

from __future__ import annotations

from pathlib import Path

# A gate file is a policy a person writes: a few kilobytes. Items belong in datasets and
# scores in results files, so a megabyte of YAML is a mistake or an attack.
GATE_FILE_MAX_BYTES = 1 << 20

# Everything after parsing (duplicate-key checks, ${VAR} expansion, validation) walks the
# document, so its cost grows with the number of values the document holds once every alias
# (``*name``) is written out, not with the length of its text: nine lines of nested aliases
# ("billion laughs") hold 10**9. The bound is what the largest allowed gate file could hold
# written out (two bytes a value at least: "1,"), so aliases make a file no costlier to check
# than one without them, however they are used.
YAML_MAX_VALUES = GATE_FILE_MAX_BYTES // 2

# Gate files nest about eight levels, dataset rows (chat messages, files, metadata) about
# five. Parsers and the code that walks their result recurse once or more a level, and
# Python stops at 1000 frames with pytest's own frames already on the stack, so a hundred
# levels is generous for real files and safe for the interpreter.
MAX_NESTING = 100

# A dataset is read whole (its hash identifies the evaluation). 100,000 items of a few
# kilobytes each are a few hundred megabytes; a gigabyte is still readable on a laptop.
DATASET_MAX_BYTES = 1 << 30

# One JSONL line or CSV row: a prompt, a test suite, the files an agent task starts with.
# (Python's csv module stops at 128 KiB a field by default, too little for code items.)
ROW_MAX_CHARS = 16 << 20


def size_words(n: int) -> str:
    """``1 MiB``, ``16 MiB``, ``1 GiB``: a limit as people say it."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,} bytes"


class TooLarge(ValueError):
    """A file over its size limit; ``size`` is what was found (at least ``limit + 1``)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes is over the limit of {size_words(limit)}")
        self.size, self.limit = size, limit


def read_at_most(path: Path, limit: int) -> bytes:
    """The bytes of ``path``; ``TooLarge`` without reading it when it holds more than ``limit``.

    The size is checked before reading and the read is bounded too, so a file that is not a
    regular file (a FIFO, ``/dev/zero``) or grows meanwhile cannot get past it. ``OSError``
    passes through."""
    size = path.stat().st_size
    if size > limit:
        raise TooLarge(size, limit)
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data
