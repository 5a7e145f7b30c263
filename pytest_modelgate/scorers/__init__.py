"""Scorers: ``score(answer, item) -> float`` in [0, 1], built by name.

Built-ins register through the same ``pytest_modelgate_add_scorers`` hook as a
user's ``conftest.py``; a gate file may also name ``package.module:function``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from ..datasets import Item
from .choice import choice
from .text import exact, includes, regex

Scorer = Callable[[str, Item], float]

BUILTIN_SCORERS: dict[str, Scorer] = {
    "choice": choice,
    "exact": exact,
    "includes": includes,
    "regex": regex,
}


def resolve_scorer(name: str, registry: Mapping[str, Scorer]) -> Scorer:
    """A registered scorer, or one imported from ``package.module:function``."""
    if name in registry:
        return registry[name]
    module_name, _, attr = name.partition(":")
    if not attr:
        raise LookupError(
            f"unknown scorer {name!r}; valid: {', '.join(sorted(registry))}, "
            "or package.module:function"
        )
    try:
        scorer = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # any import failure of user code is a bad gate file, not a crash
        raise LookupError(f"cannot import scorer {name!r}: {type(exc).__name__}: {exc}") from None
    if not callable(scorer):
        raise LookupError(f"scorer {name!r} is not callable")
    return scorer
