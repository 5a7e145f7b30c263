"""The multiple-choice scorer: find which letter an answer picked, robustly.

Models answer "B", "(B)", "Answer: B", "The answer is B.", "B) Paris" or just
"Paris". We look for an explicit statement first, then a leading letter, then
the text of exactly one choice; anything else picks nothing (scores 0).
"""

from __future__ import annotations

import re

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.data.formats import LETTERS

# The keyword is case-insensitive, the letter is not: "the answer is a bit unclear" picks nothing.
_STATED = re.compile(r"\b(?i:answer|choice|option)\s*(?i:is|:|=)?\s*[:\-]?\s*\(?\s*([A-Z])\b\)?")
_LEADING = re.compile(r"^\W{0,3}([A-Z])(?:$|[\s.):,\]])")
_NORMALIZE = re.compile(r"[\W_]+")


def picked_letter(answer: str, choices: tuple[str, ...]) -> str | None:
    """The letter the answer chose among ``choices``, or None when it chose none (or several)."""
    valid = LETTERS[: len(choices)]
    text = answer.strip()
    if len(text) == 1 and text.upper() in valid:
        return text.upper()
    stated = _STATED.search(text)
    if stated and stated.group(1).upper() in valid:
        return stated.group(1).upper()
    leading = _LEADING.match(text)
    if leading and leading.group(1) in valid:
        return leading.group(1)
    said = _NORMALIZE.sub(" ", text.lower()).strip()
    padded = f" {said} "
    hits = [
        LETTERS[i]
        for i, c in enumerate(choices)
        if (norm := _NORMALIZE.sub(" ", c.lower()).strip()) and f" {norm} " in padded
    ]
    return hits[0] if len(hits) == 1 else None


def choice(answer: str, item: Item) -> float:
    return 1.0 if picked_letter(answer, item.choices) == item.target[0] else 0.0
