"""Format adapters: one dataset row becomes one ``Item`` (the messages to send, what counts
as right, and what a solver or scorer needs besides).

Each adapter reads the field names of the public format it is named after, so a team
can point a gate at its own copy of WMDP, an Inspect JSONL, InterCode-CTF, MASK or
CyberSecEval FRR. We ship only benign stand-ins in these shapes, never real items.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pytest_modelgate.data.datasets import FormatAdapter, Item, RowError, TooDeep, json_value

LETTERS = string.ascii_uppercase


def _field(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in row and row[name] not in (None, ""):
            return row[name]
    raise RowError(names[0], f"missing field; this format needs {' or '.join(names)}")


def _text(row: Mapping[str, Any], *names: str) -> str:
    value = _field(row, *names)
    if not isinstance(value, str):
        raise RowError(names[0], f"expected a string, got {type(value).__name__}")
    return value


def _cluster(row: Mapping[str, Any]) -> str | None:
    cluster = row.get("cluster")
    return None if cluster in (None, "") else str(cluster)


def _metadata(row: Mapping[str, Any]) -> dict[str, Any]:
    """Inspect's free-form ``metadata`` travels with the item (e.g. for a custom scorer)."""
    meta = row.get("metadata")
    if meta in (None, ""):
        return {}
    if isinstance(meta, str):  # CSV cells carry it as JSON
        try:
            meta = json_value(meta)
        except TooDeep as exc:
            raise RowError("metadata", str(exc)) from None
        except ValueError:
            raise RowError("metadata", "expected a JSON object") from None
    if not isinstance(meta, dict):
        raise RowError("metadata", f"expected a mapping, got {type(meta).__name__}")
    return meta


def _messages(row: Mapping[str, Any], *names: str) -> tuple[dict[str, str], ...]:
    """A prompt string, or (Inspect) a list of chat messages ``{role, content}``."""
    value = _field(row, *names)
    if isinstance(value, str):
        return ({"role": "user", "content": value},)
    if isinstance(value, list) and value:
        out = []
        for i, m in enumerate(value):
            if (
                not isinstance(m, dict)
                or m.get("role") not in ("system", "user", "assistant")
                or not isinstance(m.get("content"), str)
            ):
                raise RowError(
                    f"{names[0]}[{i}]",
                    "expected {role: system|user|assistant, content: string}",
                )
            out.append({"role": m["role"], "content": m["content"]})
        if out[-1]["role"] != "user":
            raise RowError(names[0], "the last message must be the user's")
        return tuple(out)
    raise RowError(names[0], "expected a string or a non-empty list of chat messages")


def mcq_prompt(question: str, choices: tuple[str, ...]) -> str:
    options = "\n".join(f"{LETTERS[i]}) {c}" for i, c in enumerate(choices))
    letters = ", ".join(LETTERS[: len(choices)])
    return f"{question}\n\n{options}\n\nAnswer with the letter of the correct choice ({letters})."


def mcq_item(row: Mapping[str, Any], item_id: str) -> Item:
    """WMDP shape ``question/choices/answer`` (an index) or Inspect shape
    ``input/choices/target`` (a letter)."""
    question = _text(row, "question", "input")
    choices = row.get("choices")
    if isinstance(choices, str):
        try:
            choices = json_value(choices)  # CSV cells carry the list as JSON
        except TooDeep as exc:
            raise RowError("choices", str(exc)) from None
        except ValueError:
            raise RowError("choices", "expected a JSON list of strings") from None
    if (
        not isinstance(choices, list)
        or not 2 <= len(choices) <= len(LETTERS)
        or not all(isinstance(c, str) for c in choices)
    ):
        raise RowError("choices", "expected a list of 2 to 26 strings")
    answer = _field(row, "answer", "target")
    answer_key = "answer" if row.get("answer") not in (None, "") else "target"
    if isinstance(answer, str) and answer.strip().isdigit():
        answer = int(answer.strip())
    if isinstance(answer, bool) or not isinstance(answer, (int, str)):
        raise RowError(answer_key, "expected an index (0-based) or a letter")
    if isinstance(answer, int):
        if not 0 <= answer < len(choices):
            raise RowError(answer_key, f"index {answer} is out of range for {len(choices)} choices")
        letter = LETTERS[answer]
    else:
        letter = answer.strip().upper()
        if letter not in LETTERS[: len(choices)]:
            raise RowError(
                answer_key, f"{answer!r} is not one of {', '.join(LETTERS[: len(choices)])}"
            )
    prompt = mcq_prompt(question, tuple(choices))
    return Item(
        item_id,
        ({"role": "user", "content": prompt},),
        (letter,),
        tuple(choices),
        _cluster(row),
        _metadata(row),
    )


def _targets(row: Mapping[str, Any], *names: str) -> tuple[str, ...]:
    target = _field(row, *names)
    targets = tuple(target) if isinstance(target, list) else (target,)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise RowError(names[0], "expected a non-empty string or list of strings")
    return targets


def open_item(row: Mapping[str, Any], item_id: str) -> Item:
    """Inspect shape ``input/target``: ``input`` a string or chat messages, ``target``
    one accepted answer or a list of them."""
    messages = _messages(row, "input", "question")
    targets = _targets(row, "target", "answer")
    return Item(item_id, messages, targets, (), _cluster(row), _metadata(row))


_GOLD = {"C": True, "I": False, 1: True, 0: False}  # True and False hash as 1 and 0


def calibration_item(row: Mapping[str, Any], item_id: str) -> Item:
    """A judge-calibration row: the ``open`` shape (``input``, ``target``) plus the fixed
    ``answer`` the judge grades and the ``gold_grade`` people gave it (``C`` right, ``I``
    wrong). ``target`` is required here: ``answer`` is the graded answer, not a target."""
    messages = _messages(row, "input", "question")
    targets = _targets(row, "target")
    answer = _text(row, "answer")
    gold = _field(row, "gold_grade")
    key = gold.strip().upper() if isinstance(gold, str) else gold
    if isinstance(key, float) and key in (0.0, 1.0):
        key = int(key)
    if key not in _GOLD:
        raise RowError("gold_grade", f"expected C (right) or I (wrong), got {gold!r}")
    meta = {"answer": answer, "gold": _GOLD[key]}
    return Item(item_id, messages, targets, (), _cluster(row), meta)


# MASK writes the contested part of a proposition as <pivotal>affirmed/denied</pivotal>.
_PIVOTAL = re.compile(r"<pivotal>(.*?)/(.*?)</pivotal>", re.S)


def honesty_item(row: Mapping[str, Any], item_id: str) -> Item:
    """MASK shape: ``system_prompt`` + ``user_prompt`` put the model under pressure;
    ``belief_elicit_1..3`` ask for its own belief without pressure; ``proposition`` holds
    the contested claim as ``<pivotal>A/B</pivotal>``; ``ground_truth`` is the true one."""
    system = _text(row, "system_prompt")
    user = _text(row, "user_prompt")
    proposition = _text(row, "proposition")
    found = _PIVOTAL.search(proposition)
    if not found or not found.group(1).strip() or not found.group(2).strip():
        raise RowError(
            "proposition", "expected the contested part as <pivotal>affirmed/denied</pivotal>"
        )
    affirmed = _PIVOTAL.sub(found.group(1).strip(), proposition, count=1)
    denied = _PIVOTAL.sub(found.group(2).strip(), proposition, count=1)
    truth = _text(row, "ground_truth").strip()
    if truth not in (affirmed, denied, "A", "B"):
        raise RowError(
            "ground_truth",
            f"expected one of the proposition's two statements ({affirmed!r} or {denied!r}), "
            "or A (the first) or B (the second)",
        )
    truth_letter = "A" if truth in (affirmed, "A") else "B"
    beliefs = []
    for i in (1, 2, 3):
        prompt = row.get(f"belief_elicit_{i}")
        if prompt in (None, ""):
            continue
        if not isinstance(prompt, str):
            raise RowError(f"belief_elicit_{i}", "expected a string")
        beliefs.append(prompt)
    messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
    meta = {
        "proposition": proposition,
        "statements": (affirmed, denied),
        "belief_prompts": tuple(beliefs),
        **_metadata(row),
    }
    return Item(item_id, messages, (truth_letter,), (affirmed, denied), _cluster(row), meta)


def _files(row: Mapping[str, Any]) -> dict[str, str]:
    files = row.get("files", {})
    if not isinstance(files, dict):
        raise RowError("files", "expected a mapping of relative path -> text content")
    for name, content in files.items():
        path = PurePosixPath(str(name))
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise RowError(f"files.{name}", "must be a relative path inside the task directory")
        if not isinstance(content, str):
            raise RowError(f"files.{name}", "expected the file's text content")
    return dict(files)


def agent_item(row: Mapping[str, Any], item_id: str) -> Item:
    """InterCode-CTF shape: ``query`` (the task), ``gold`` (the flag), optional ``setup``
    (shell run in the work dir first) and ``hint``; our ``files`` seed the work dir."""
    query = _text(row, "query", "input")
    gold = _targets(row, "gold", "target")
    setup = row.get("setup", "")
    if not isinstance(setup, str):
        raise RowError("setup", "expected shell commands as one string")
    hint = row.get("hint", "")
    if not isinstance(hint, str):
        raise RowError("hint", "expected a string")
    prompt = f"{query}\n\nHint: {hint}" if hint else query
    meta = {"files": _files(row), "setup": setup, **_metadata(row)}
    return Item(item_id, ({"role": "user", "content": prompt},), gold, (), _cluster(row), meta)


def code_item(row: Mapping[str, Any], item_id: str) -> Item:
    """HumanEval-like: ``prompt`` (or ``input``) asks for code, ``tests`` is Python that
    asserts on it (run after the answer's code, in the sandbox)."""
    prompt = _text(row, "prompt", "input")
    tests = _text(row, "tests", "test")
    entry = row.get("entry_point", "")
    if not isinstance(entry, str):
        raise RowError("entry_point", "expected a function name")
    ask = f"{prompt}\n\nAnswer with the complete Python code in one ```python block" + (
        f" defining {entry}()." if entry else "."
    )
    meta = {"tests": tests, "entry_point": entry, "files": _files(row), **_metadata(row)}
    return Item(item_id, ({"role": "user", "content": ask},), (), (), _cluster(row), meta)


def frr_item(row: Mapping[str, Any], item_id: str) -> Item:
    """CyberSecEval FRR shape: ``mutated_prompt``, ``is_malicious``, ``attack_type``. The
    target says what a well-calibrated model does: refuse the malicious, help the rest."""
    prompt = _text(row, "mutated_prompt", "prompt")
    malicious = row.get("is_malicious", False)
    if isinstance(malicious, str) and malicious.lower() in ("true", "false"):
        malicious = malicious.lower() == "true"
    if not isinstance(malicious, bool):
        raise RowError("is_malicious", "expected true or false")
    attack = row.get("attack_type", [])
    attack = [attack] if isinstance(attack, str) else attack
    if not isinstance(attack, list) or not all(isinstance(a, str) for a in attack):
        raise RowError("attack_type", "expected a string or a list of strings")
    meta = {"is_malicious": malicious, "attack_type": tuple(attack), **_metadata(row)}
    target = ("refuse",) if malicious else ("comply",)
    return Item(item_id, ({"role": "user", "content": prompt},), target, (), _cluster(row), meta)


BUILTIN_FORMATS: dict[str, FormatAdapter] = {
    "mcq": mcq_item,
    "open": open_item,
    "honesty": honesty_item,
    "agent": agent_item,
    "code": code_item,
    "frr": frr_item,
}
# The solver a format needs when the gate file names none; the rest ask once ("generate").
FORMAT_SOLVERS = {"honesty": "honesty", "agent": "react"}
