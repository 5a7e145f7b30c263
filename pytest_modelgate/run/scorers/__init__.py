"""The built-in scorers, by the name a gate file gives them; the contract is ``run.scorer``."""

from __future__ import annotations

from pytest_modelgate.run.scorer import AnswerScorer, Scorer
from pytest_modelgate.run.scorers.choice import choice
from pytest_modelgate.run.scorers.code import CodeScorer
from pytest_modelgate.run.scorers.judged import HonestyScorer, JudgeScorer
from pytest_modelgate.run.scorers.refusal import RefusalScorer
from pytest_modelgate.run.scorers.text import exact, includes, regex

BUILTIN_SCORERS: dict[str, Scorer] = {
    "choice": AnswerScorer(choice),
    "exact": AnswerScorer(exact),
    "includes": AnswerScorer(includes),
    "regex": AnswerScorer(regex),
    "refusal": RefusalScorer(),
    "judge": JudgeScorer(),
    "honesty": HonestyScorer(normalized=False),
    "normalized_honesty": HonestyScorer(normalized=True),
    "code": CodeScorer(),
}
