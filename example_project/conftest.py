"""This repository's extensions to pytest-modelgate.

pytest loads this file before it collects any gate file, so what the hooks below register can be
named in every *.gate.yaml of the repository, exactly like a built-in (`scorer: yesno`).
"""

from __future__ import annotations

import re

_WORDS = re.compile(r"[a-z]+")
_YES = {"yes", "yeah", "yep"}
_NO = {"no", "nope"}


def yes_or_no(answer: str) -> str | None:
    """The verdict an answer gives: "yes", "no", or None when it gives neither or both.

    The first word decides ("No, it ships in 6 weeks" is a no, whatever follows); otherwise the
    answer must contain exactly one kind of verdict word ("I'm afraid the answer is no").
    """
    words = _WORDS.findall(answer.casefold())
    if not words:
        return None
    if words[0] in _YES or words[0] in _NO:
        return "yes" if words[0] in _YES else "no"
    said_yes, said_no = any(w in _YES for w in words), any(w in _NO for w in words)
    if said_yes == said_no:
        return None  # neither, or hedged both ways: not an answer
    return "yes" if said_yes else "no"


def yesno(answer: str, item) -> float:
    """Scorer: 1.0 when the answer's yes/no verdict matches the item's target ("yes" or "no")."""
    verdict = yes_or_no(answer)
    return (
        1.0
        if verdict is not None and verdict in {t.strip().casefold() for t in item.target}
        else 0.0
    )


def pytest_modelgate_add_scorers(scorers):
    """pytest-modelgate hook: add scorers by name.

    Signature: score(answer, item) -> float in [0, 1]."""
    scorers["yesno"] = yesno
