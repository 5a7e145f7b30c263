"""``react``: placeholder until the ReAct agent lands (see the sandbox work)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..datasets import Item
from . import Ask, Sample, SolverError


def react(item: Item, ask: Ask, options: Mapping[str, Any]) -> Sample:
    raise SolverError("the react solver is not built yet")
