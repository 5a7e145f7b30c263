"""``code``: 1 when the answer's code passes the item's tests in the sandbox, else 0.

The code is the answer's last ```python block (else its last untagged block, else the
whole answer when it reads like code). It runs with the item's ``files`` in a fresh work
dir, then the item's ``tests`` in the same namespace (HumanEval's ``check(candidate)`` is
called with ``entry_point``). Whatever the code does - loop, fork, allocate, exit early -
is a 0, never an error: the run goes on.

Passing needs exit status 0 *and* a nonce the runner prints after the tests, read from
stdin so the answer cannot quote it: a solution that calls ``sys.exit(0)`` before the
tests run does not pass. (It stops accidents and casual tricks, not code written to
attack this runner from inside its own process.)
"""

from __future__ import annotations

import re
import secrets
import sys
from typing import TYPE_CHECKING, Any

from pytest_modelgate.data.datasets import Item
from pytest_modelgate.run.scorer import SampleScore, ScoringContext

if TYPE_CHECKING:  # the sandbox is imported when code is run: most gate runs never do
    from pytest_modelgate.run.sandbox import Limits

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.S)
_PYTHON_TAGS = ("python", "py", "python3")
_CODE_LINE = re.compile(r"^(def |class |import |from \S+ import |async def |@\w)", re.M)

RUNNER = """\
import sys
nonce = sys.stdin.readline().strip()
sys.path.insert(0, "")
ns = {"__name__": "solution"}
exec(compile(open("solution.py").read(), "solution.py", "exec"), ns)
exec(compile(open("tests.py").read(), "tests.py", "exec"), ns)
entry = sys.argv[1]
if entry and callable(ns.get("check")):
    ns["check"](ns[entry])
sys.stdout.flush()
print("\\n" + nonce, flush=True)
"""


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

    nonce = secrets.token_hex(16)
    files = {**item.metadata.get("files", {}), "solution.py": code}
    files["tests.py"] = item.metadata.get("tests", "")
    entry = str(item.metadata.get("entry_point", ""))
    with workdir(files) as path:
        done = run(
            [sys.executable, "-I", "-c", RUNNER, entry], path, limits, stdin=nonce.encode() + b"\n"
        )
    lines = done.stdout.rstrip().splitlines()
    return done.ok and bool(lines) and lines[-1] == nonce


class CodeScorer:
    needs_judge = False

    def bind(self, context: ScoringContext) -> SampleScore:
        from pytest_modelgate.run.sandbox import Limits

        limits = Limits.from_options(getattr(context, "sandbox", None))

        def score(sample: Any, item: Item) -> float:
            code = extract_code(sample.text)
            return 0.0 if code is None else float(passes(code, item, limits))

        return score
