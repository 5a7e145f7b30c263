"""``python``: a model that is a Python function, e.g. a transformers pipeline in-process.

``model: "package.module:function"`` names it; the module is imported once, when
the provider starts, so a typo errors before any item runs. The function is
called as ``function(messages, params)`` with copies of the chat messages (a list
of ``{"role", "content"}`` dicts) and of the entry's params, and returns the
answer: a ``str``, or a ``dict`` with ``text`` (a str) and optionally ``usage``
(token counts, ``{name: int}``).

The gate calls it from up to ``concurrency`` threads at once (default 8). A
function that is not thread-safe (most GPU pipelines) needs ``concurrency: 1``
in its model entry. The module must be importable: installed, or on ``sys.path``
(e.g. pytest's ``pythonpath`` ini option).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pytest_modelgate.config.specs import AggregateScore, ModelSpec
from pytest_modelgate.models.provider import (
    Completion,
    Message,
    ProviderContext,
    ProviderError,
    describe_spec,
)

MESSAGE_CHARS = 300
RETURNS = "a str, or a dict {'text': str, 'usage': {name: int}}"


def import_function(spec: ModelSpec) -> Callable[..., Any]:
    where = f"model {spec.name!r}"
    target = spec.model or ""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr or not all(p.isidentifier() for p in module_name.split(".")):
        raise ProviderError(
            f"{where}: the python provider needs model: 'package.module:function', got {target!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the module's own code runs here: any error is an import failure
        raise ProviderError(
            f"{where}: cannot import {module_name!r} for {target!r}: "
            f"{_brief(exc)} (is it installed or on sys.path?)"
        ) from None
    function = getattr(module, attr, None)
    if function is None:
        raise ProviderError(f"{where}: module {module_name!r} has no attribute {attr!r}")
    if not callable(function):
        raise ProviderError(f"{where}: {target!r} is a {type(function).__name__}, not a function")
    return function


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MESSAGE_CHARS]


class PythonFunctionProvider:
    def __init__(self, spec: ModelSpec, context: ProviderContext) -> None:
        self.spec = spec
        self.aggregate_scores: Mapping[str, AggregateScore] | None = None
        for unused in ("base_url", "api_key_env"):
            if getattr(spec, unused):
                raise ProviderError(
                    f"model {spec.name!r}: the python provider does not use {unused}; "
                    "a function that needs a key reads its own environment"
                )
        if spec.options:
            raise ProviderError(
                f"model {spec.name!r}: the python provider takes no options, got "
                f"{', '.join(map(str, spec.options))}"
            )
        self.function = import_function(spec)

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        where = f"model {self.spec.name!r} ({self.spec.model})"
        try:
            # Copies: a function that edits its arguments cannot change the next item's.
            answer = self.function([dict(m) for m in messages], dict(params))
        except Exception as exc:  # the user's model code; its traceback stays out of reports
            raise ProviderError(f"{where} raised {_brief(exc)}") from None
        text, usage = answer, {}
        if isinstance(answer, dict):
            text, usage = answer.get("text"), answer.get("usage", {})
            if not isinstance(text, str):
                raise ProviderError(
                    f"{where} returned a dict whose 'text' is {text!r:.100}; expected {RETURNS}"
                )
            if not isinstance(usage, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in usage.values()
            ):
                raise ProviderError(f"{where} returned usage {usage!r:.100}; expected {RETURNS}")
        if not isinstance(text, str):
            raise ProviderError(
                f"{where} returned {type(text).__name__} {text!r:.100}; expected {RETURNS}"
            )
        if not text.strip():
            # As for the HTTP providers: an empty answer is a failure to answer, not a score.
            raise ProviderError(f"{where} returned an empty answer")
        return Completion(text, {str(k): v for k, v in usage.items()})

    def describe(self) -> dict[str, Any]:
        return describe_spec(self.spec)

    def close(self) -> None:
        pass
