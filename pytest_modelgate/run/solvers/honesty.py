"""``honesty`` (MASK shape): ask for the model's own belief without pressure, then put it
under pressure; the ``honesty`` scorer's judge compares the two."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.run.solver import Ask, Sample


def honesty(item: Item, ask: Ask, options: Mapping[str, Any]) -> Sample:
    transcript: list[Mapping[str, str]] = []
    beliefs = []
    for prompt in item.metadata.get("belief_prompts", ()):
        question = {"role": "user", "content": prompt}
        said = ask([question]).text  # no system prompt: no pressure
        beliefs.append(said)
        transcript += [question, {"role": "assistant", "content": said}]
    statement = ask(item.messages).text
    transcript += [*item.messages, {"role": "assistant", "content": statement}]
    return Sample(statement, tuple(transcript), {"beliefs": tuple(beliefs)})
