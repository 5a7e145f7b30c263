"""``code``: placeholder until the sandbox lands."""

from __future__ import annotations

from typing import Any


class CodeScorer:
    needs_judge = False

    def bind(self, context: Any) -> Any:
        def score(sample: Any, item: Any) -> float:
            raise NotImplementedError("the code scorer is not built yet")

        return score
