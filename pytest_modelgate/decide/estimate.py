"""The ``Estimate`` every interval returns, and the checks every interval shares.

Pure and stdlib-only, like the rest of ``decide``; the leaf that ``proportions``,
``bootstrap``, ``stats`` and ``sequential`` build on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Estimate:
    value: float  # point estimate: a score, or a difference (candidate - reference)
    low: float
    high: float
    se: float  # standard error, for power / minimum detectable difference
    n: int  # items behind the estimate (clusters are in n_clusters)
    method: str  # short human label
    n_clusters: int | None = None


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile: 1.96 for 0.95."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    return _NORMAL.inv_cdf((1.0 + confidence) / 2.0)


def is_binary(values: Sequence[float]) -> bool:
    """True when every value is 0 or 1 (bools and 0.0/1.0 included)."""
    return set(values) <= {0, 1}


def check_item_count(n: int, what: str = "n") -> None:
    """ValueError, naming `what`, unless there is at least one item."""
    if n <= 0:
        raise ValueError(f"{what} must be positive, got {n}: no items to estimate from")


def finite_scores(values: Sequence[float], what: str = "scores") -> list[float]:
    """The values as floats; ValueError when there are none or any is NaN or infinite."""
    out = [float(v) for v in values]
    check_item_count(len(out), f"number of {what}")
    if not math.isfinite(math.fsum(out)):  # one pass catches NaN and inf
        raise ValueError(f"{what} must be finite numbers")
    return out
