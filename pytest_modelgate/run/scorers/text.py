"""Scorers for open answers: ``exact``, ``includes`` and ``regex`` against the item's targets."""

from __future__ import annotations

import re
import unicodedata

from pytest_modelgate.data.datasets import Item

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Case, accents, punctuation and spacing do not change the meaning of a short answer."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


def exact(answer: str, item: Item) -> float:
    said = normalize(answer)
    return 1.0 if any(said == normalize(t) for t in item.target) else 0.0


def includes(answer: str, item: Item) -> float:
    said = f" {normalize(answer)} "
    return 1.0 if any(f" {normalize(t)} " in said for t in item.target) else 0.0


def regex(answer: str, item: Item) -> float:
    """Targets are regular expressions searched in the answer."""
    return 1.0 if any(re.search(t, answer) for t in item.target) else 0.0
