"""``code``: 1 when the answer's code passes the item's tests in the sandbox, else 0.

The code is the answer's last ```python block (else its last untagged block, else the
whole answer when it reads like code). It runs with the item's ``files`` in a fresh work
dir, then the item's ``tests`` in the same namespace (HumanEval's ``check(candidate)`` is
called with ``entry_point``). Whatever the code does - loop, fork, allocate, exit early -
is a 0, never an error: the run goes on.

Pass or fail is the exit status of the runner (``code_runner``): the tests run in its
process, the answer's code in a child process it calls through a pipe, so nothing the code
prints, patches or forges reaches the verdict (docs/security.md says what remains). A
runner that could not confine itself is an error, never a 0.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.run.scorer import SampleScore, ScoringContext

if TYPE_CHECKING:  # the sandbox is imported when code is run: most gate runs never do
    from pytest_modelgate.run.sandbox import Limits

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.S)
_PYTHON_TAGS = ("python", "py", "python3")
_CODE_LINE = re.compile(r"^(def |class |import |from \S+ import |async def |@\w)", re.M)

# Runs as text (``python -I -c``): the package is not inside the sandbox. See its docstring.
RUNNER = Path(__file__).with_name("code_runner.py")


def extract_code(answer: str) -> str | None:
    """The code an answer gives, or None when it gives none."""
    blocks = _FENCE.findall(answer)
    for wanted in (_PYTHON_TAGS, ("",)):
        tagged = [body for tag, body in blocks if tag.lower() in wanted]
        if tagged:
            return tagged[-1]
    if not blocks and _CODE_LINE.search(answer):
        return answer
    return None


def passes(code: str, item: Item, limits: Limits) -> bool:
    from pytest_modelgate.run.sandbox import run, workdir
    from pytest_modelgate.run.scorers import code_runner

    files = {**item.metadata.get("files", {}), "solution.py": code}
    files["tests.py"] = item.metadata.get("tests", "")
    entry = str(item.metadata.get("entry_point", ""))
    with workdir(files) as path:
        runner = RUNNER.read_text(encoding="utf-8")
        done = run([sys.executable, "-I", "-c", runner, entry], path, limits)
    if done.returncode == code_runner.BROKEN and not done.timed_out:
        raise RuntimeError(f"the code runner could not confine itself: {done.stderr[-500:]}")
    return done.ok and done.returncode == code_runner.PASSED


class CodeScorer:
    needs_judge = False

    def bind(self, context: ScoringContext) -> SampleScore:
        from pytest_modelgate.run.sandbox import Limits

        limits = Limits.from_options(getattr(context, "sandbox", None))

        def score(sample: Any, item: Item) -> float:
            code = extract_code(sample.text)
            return 0.0 if code is None else float(passes(code, item, limits))

        return score
