"""Several claims at once: Holm's step-down, on p-values and in interval form (pure).

A gate file with ``policy.multiplicity: holm`` lets a crossed risk threshold stand only when
it survives Holm across all the file's risk thresholds, so the chance that any one of them is
wrongly called crossed stays at 1 - confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from pytest_modelgate.decide.estimate import z_value

Claim = TypeVar("Claim")


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm (1979) step-down: which hypotheses are rejected at family-wise error rate alpha.

    Sort the m p-values ascending; reject the k-th smallest (k = 1..m) while p_(k) <=
    alpha / (m - k + 1), and stop at the first that is not, rejecting none after it. Returned
    in the order given. Ties are ordered by position, which does not change the outcome.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    ps = [float(p) for p in pvalues]
    for p in ps:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"p-values must lie within [0, 1], got {p!r}")
    m = len(ps)
    rejected = [False] * m
    for k, i in enumerate(sorted(range(m), key=ps.__getitem__)):
        if ps[i] > alpha / (m - k):
            break
        rejected[i] = True
    return rejected


def holm_adjusted_confidence(rank: int, m: int, confidence: float) -> float:
    """Per-claim confidence Holm uses for the rank-th smallest p-value of m (rank from 1).

    Equals 1 - alpha / (m - rank + 1), alpha = 1 - confidence: 1 - alpha/m for the strongest
    claim, `confidence` itself for the weakest; with m = 1, `confidence` unchanged.

    Holm in interval form, which needs no p-values: with m claims in the family and r of them
    not yet rejected, recompute each of those r intervals at
    holm_adjusted_confidence(m - r + 1, m, confidence) = 1 - alpha / r; reject (decide) every
    one whose interval excludes its margin; repeat with the new, smaller r until a round rejects
    nothing (or none is left). When each claim's intervals are nested across confidence levels
    - Wilson, Newcombe, and the CSs of this module (bets sized independently of the level) -
    a claim's interval excludes its margin at 1 - alpha' exactly when its p-value is <= alpha',
    so this rejects exactly the claims `holm` rejects on those p-values.
    """
    z_value(confidence)  # the same check and message as every interval
    alpha = 1.0 - confidence
    if m < 1 or not 1 <= rank <= m:
        raise ValueError(f"need 1 <= rank <= m, got rank={rank}, m={m}")
    return 1.0 - alpha / (m - rank + 1)


def holm_survivors(
    claims: Sequence[Claim], m: int, confidence: float, stands: Callable[[Claim, float], bool]
) -> list[Claim]:
    """The claims that survive Holm in interval form (``holm_adjusted_confidence``):
    ``stands(claim, level)`` says whether the claim still holds at that confidence level;
    ``m`` counts the whole family, including claims that were never made."""
    open_claims, confirmed = list(claims), 0
    while open_claims:
        level = holm_adjusted_confidence(confirmed + 1, m, confidence)
        standing = [c for c in open_claims if stands(c, level)]
        if not standing:
            break
        confirmed += len(standing)
        open_claims = [c for c in open_claims if c not in standing]
    return [c for c in claims if c not in open_claims]
