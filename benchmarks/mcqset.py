"""A synthetic, benign four-choice question set, generated (never shipped big), and the
rule by which benchmarks/fastserver.py "answers" it.

Every question carries a tag ``[bench-000042]``. The server picks its letter from a hash
of that tag alone, so every tool gets the same answer for an item however it words the
prompt around the question, and each tool's own scorer must reach the same score. The
generator knows the rule and makes the keyed answer agree with the server's letter on
about ``AGREE`` of the items, so the expected score is exact, reproducible and not trivial.
No dependency beyond the standard library: the peers' virtual environments import it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

LETTERS = "ABCD"
AGREE = 0.6  # share of items the server's answer matches the key
TAG = re.compile(r"\[bench-(\d{6})\]")

_TOWNS = ("Quillby", "Marrowfen", "Dunhallow", "Pebblecross", "Lantern Cove", "Osterwick")
_THINGS = (
    ("which colour is the mailbox of {town}?", ("teal", "amber", "crimson", "violet", "ochre")),
    ("which fruit is sold at the market of {town}?", ("zorbleberry", "quince", "sunplum", "lime")),
    ("which instrument does the band of {town} play?", ("ocarina", "lute", "tuba", "zither")),
    ("which bird nests in the clock tower of {town}?", ("wren", "heron", "finch", "kestrel")),
    ("which game do the children of {town} play?", ("marbles", "hopscotch", "conkers", "jacks")),
)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def tag(index: int) -> str:
    return f"[bench-{index:06d}]"


def server_letter(prompt: str) -> str:
    """The letter the benchmark server answers for a prompt: from the item's tag when it
    has one, else from the whole prompt (still deterministic)."""
    found = TAG.search(prompt)
    key = found.group(0) if found else prompt
    return LETTERS[_digest(key)[0] % 4]


def row(index: int) -> dict[str, object]:
    """Item ``index``: question, four choices, the keyed answer (0-based index), id."""
    h = _digest(f"row-{index}")
    town = _TOWNS[h[1] % len(_TOWNS)]
    template, pool = _THINGS[h[2] % len(_THINGS)]
    start = h[3] % len(pool)
    choices = [pool[(start + k) % len(pool)] for k in range(4)]
    said = LETTERS.index(server_letter(tag(index)))
    agree = h[4] / 256 < AGREE
    answer = said if agree else (said + 1 + h[5] % 3) % 4
    question = f"{tag(index)} In a made-up story, " + template.format(town=town)
    return {"id": f"bench-{index:06d}", "question": question, "choices": choices, "answer": answer}


def expected_score(n: int) -> float:
    """The score every correct scorer must report on the first ``n`` items."""
    hits = sum(LETTERS[row(i)["answer"]] == server_letter(tag(i)) for i in range(n))  # type: ignore[index]
    return hits / n


def write_mcq(path: Path, n: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(row(i)) + "\n")
    return path


if __name__ == "__main__":
    import sys

    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    write_mcq(Path(sys.argv[1]), n)
    print(f"{n} items, expected score {expected_score(n):.4f}")
