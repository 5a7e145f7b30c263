"""Small pure pieces, tested directly: answer parsing, Retry-After, item ids, ${VAR}, tiers."""

from __future__ import annotations

import email.utils
import time

import pytest

from pytest_modelgate.config.ladders import BUILTIN_LADDERS, Ladder
from pytest_modelgate.config.source import expand_env
from pytest_modelgate.data.datasets import Item, item_id
from pytest_modelgate.data.formats import mcq_item
from pytest_modelgate.decide.tiers import decide_floor, decide_threshold
from pytest_modelgate.models.http import retry_after_seconds
from pytest_modelgate.run.scorers import BUILTIN_SCORERS
from pytest_modelgate.run.scorers.choice import picked_letter

CHOICES = ("Paris", "London", "Berlin", "Rome")


@pytest.mark.parametrize(
    "answer, letter",
    [
        ("B", "B"),
        ("(B)", "B"),
        ("b", "B"),
        ("Answer: B", "B"),
        ("The answer is B.", "B"),
        ("B) London", "B"),
        ("B. London is the capital", "B"),
        ("London", "B"),
        ("I think it's london.", "B"),
        ("A: Paris is the capital of France", "A"),
        ("The correct option is (D)", "D"),
        ("Paris or London", None),  # two choices named: picks nothing
        ("The answer is a tricky one", None),  # lower-case "a" is a word, not a letter
        ("E", None),  # not among four choices
        ("", None),
    ],
)
def test_choice_scorer_reads_the_picked_letter(answer, letter):
    assert picked_letter(answer, CHOICES) == letter


def test_text_scorers_normalize_case_punctuation_and_spacing():
    item = Item("x", ({"role": "user", "content": "?"},), ("New  York", "NYC"))
    assert BUILTIN_SCORERS["exact"]("new york!", item) == 1.0
    assert BUILTIN_SCORERS["exact"]("It is New York", item) == 0.0
    assert BUILTIN_SCORERS["includes"]("It is New York.", item) == 1.0
    assert BUILTIN_SCORERS["includes"]("Newark", item) == 0.0
    regex_item = Item("y", ({"role": "user", "content": "?"},), (r"flag\{\w+\}",))
    assert BUILTIN_SCORERS["regex"]("here: flag{abc_1}", regex_item) == 1.0


def test_mcq_accepts_wmdp_and_inspect_shapes_alike():
    wmdp = mcq_item({"question": "Q?", "choices": ["a", "b", "c"], "answer": 2}, "1")
    inspect = mcq_item({"input": "Q?", "choices": ["a", "b", "c"], "target": "C"}, "1")
    assert wmdp == inspect
    assert wmdp.target == ("C",)
    assert "C) c" in wmdp.prompt and "(A, B, C)" in wmdp.prompt


def test_item_ids_come_from_content_not_line_order():
    row = {"question": "Q?", "choices": ["a", "b"], "answer": 0}
    assert item_id(row) == item_id(dict(reversed(list(row.items()))))
    assert item_id(row) != item_id({**row, "answer": 1})
    assert item_id({**row, "id": 7}) == "7"


@pytest.mark.parametrize("value, expected", [(None, None), ("", None), ("3", 3.0), ("abc", None)])
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value) == expected


def test_retry_after_http_date_and_cap():
    soon = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 <= retry_after_seconds(soon) <= 5.0
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds(past) == 0.0
    assert retry_after_seconds("100000") == 120.0  # a server cannot park the run for a day


def test_env_expansion():
    env = {"A": "x", "EMPTY": ""}
    assert expand_env("${A}/${B:-dflt}", env) == "x/dflt"
    assert expand_env("${EMPTY:-fallback}", env) == "fallback"
    assert expand_env("${EMPTY}", env) == ""
    with pytest.raises(KeyError):
        expand_env("${MISSING}", env)


def test_builtin_ladders_and_decisions():
    assert BUILTIN_LADDERS["anthropic-asl"] == ("ASL-2", "ASL-3", "ASL-4")
    ladder = Ladder("meta-frontier", BUILTIN_LADDERS["meta-frontier"])
    assert ladder.max(["high", "moderate"]) == "high" and ladder.max([]) == "moderate"
    assert ladder.exceeds("critical", "high") and not ladder.exceeds("high", "high")
    # risk difference interval vs margin 0.02
    assert decide_threshold(0.03, 0.10, 0.06, 0.02, "interval") == "crossed"
    assert decide_threshold(-0.10, 0.02, -0.04, 0.02, "interval") == "cleared"
    assert decide_threshold(0.00, 0.05, 0.03, 0.02, "interval") == "inconclusive"
    assert decide_threshold(0.00, 0.05, 0.03, 0.02, "point") == "crossed"
    # floors: score - reference must not fall below -margin
    assert decide_floor(-0.04, 0.02, -0.01, 0.05, "interval") == "met"
    assert decide_floor(-0.20, -0.08, -0.14, 0.05, "interval") == "failed"
    assert decide_floor(-0.10, 0.00, -0.05, 0.05, "interval") == "inconclusive"
