"""A proportion's interval: Wilson score and mid-p exact, on items or on a published aggregate.

A proportion's own interval is the mid-p exact interval (Lancaster 1961; Berry & Armitage
1995); differences of proportions (``stats``) combine Wilson score intervals, Newcombe's
(1998) square-and-add, so this module gives them the Wilson side as well.

Below CONTINUITY_BELOW items the binary intervals are continuity-corrected: Wilson with
continuity correction (Newcombe 1998a, method 4) and, for differences, the same square-and-add
built from those intervals (method 11 of Newcombe's 1998 papers on paired and on independent
proportions). Plain Wilson's exact coverage oscillates with n and p and dips to 92.8% at
n = 40 (p = 0.8); where items are few a release decision needs an interval that does not
overstate its confidence, and the corrected one covers at least 95.0% for every n from 5 to 99
and p in [0.05, 0.95] (exact), at the cost of about 1/n of extra width. From 100 items on the
correction would make intervals conservative (96% on average, up to 98%), so it is not used.

Why mid-p from 100 items on: every interval that is not randomized has an exact coverage that
oscillates with n and p, and the amplitude is what a gate's error rate inherits. Over every n
from 100 to 500 (and 600-3,000) and p in [0.15, 0.85], the mid-p interval covers 93.5-96.4%
(exact), within 1.5 points of 95%; Wilson dips to 93.3% (n = 100, p = 0.85) and Jeffreys to
93.4% there. The mid-p tail probability, P(X > x) + P(X = x)/2, is the average of the two
exact tails, which is why it tracks the nominal level closely without being conservative.
"""

from __future__ import annotations

import math

from pytest_modelgate.decide.estimate import Estimate, check_item_count, z_value

# Binary intervals on fewer items than this are continuity-corrected (see the module docstring).
CONTINUITY_BELOW = 100


def wilson_interval(
    successes: float, n: int, confidence: float, *, continuity: bool = False
) -> tuple[float, float]:
    """Wilson score interval; `successes` may be fractional (score * n from an aggregate).

    `continuity`: the continuity-corrected score interval (Newcombe 1998a, method 4).
    """
    check_item_count(n)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within [0, {n}], got {successes!r}")
    z = z_value(confidence)
    p, z2 = successes / n, z * z
    if continuity:
        q, denom = 1.0 - p, 2.0 * (n + z2)
        low = 2 * n * p + z2 - 1 - z * math.sqrt(max(0.0, z2 - 2 - 1 / n + 4 * p * (n * q + 1)))
        high = 2 * n * p + z2 + 1 + z * math.sqrt(max(0.0, z2 + 2 - 1 / n + 4 * p * (n * q - 1)))
        # Every rate within 1/(2n) of p is inside by construction; the closed form can miss
        # that (a negative radicand) only at low confidence with p within 1/n of 0 or 1.
        low, high = min(low / denom, p - 0.5 / n), max(high / denom, p + 0.5 / n)
    else:
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        low, high = centre - half, centre + half
    # The bounds are exactly 0 / 1 at the extremes; keep rounding noise out of them.
    low = 0.0 if successes == 0 else max(0.0, low)
    high = 1.0 if successes == n else min(1.0, high)
    return low, high


def continuity_corrected(n: int, continuity: bool | None = None) -> bool:
    """Whether a binary interval on n items is continuity-corrected: below CONTINUITY_BELOW
    items unless the caller says otherwise (None)."""
    return n < CONTINUITY_BELOW if continuity is None else continuity


def wilson_se(successes: float, n: int, z: float) -> float:
    """Standard error at the Wilson centre, for power and the minimum detectable difference."""
    # The Wilson centre stays inside (0, 1), so the SE is positive even at 0/n or n/n.
    centre = (successes + z * z / 2) / (n + z * z)
    return math.sqrt(centre * (1 - centre) / n)


def wilson_estimate(
    successes: float, n: int, confidence: float, continuity: bool | None, suffix: str = ""
) -> Estimate:
    """Wilson (continuity-corrected below CONTINUITY_BELOW items): the intervals Newcombe's
    methods 10 and 11 combine into a difference."""
    cc = continuity_corrected(n, continuity)
    low, high = wilson_interval(successes, n, confidence, continuity=cc)
    # The SE (for power and the MDD) is the uncorrected one: the correction widens the
    # interval, it does not change the sampling variance.
    se = wilson_se(successes, n, z_value(confidence))
    method = ("Wilson score, continuity-corrected" if cc else "Wilson score") + suffix
    return Estimate(successes / n, low, high, se, n, method)


def proportion_estimate(
    successes: float, n: int, confidence: float, continuity: bool | None, suffix: str = ""
) -> Estimate:
    """A proportion's own interval: corrected Wilson below CONTINUITY_BELOW items, else mid-p."""
    if continuity_corrected(n, continuity):
        return wilson_estimate(successes, n, confidence, True, suffix)
    low, high = mid_p_interval(successes, n, confidence)
    se = wilson_se(successes, n, z_value(confidence))
    return Estimate(successes / n, low, high, se, n, "mid-p exact" + suffix)


def regularized_beta(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0: Lentz's continued fraction
    (Numerical Recipes 6.4), on the side of the symmetry where it converges fast."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - regularized_beta(b, a, 1.0 - x)
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-15:
            return math.exp(log_front) * fraction / a
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def _mid_p_upper_tail(successes: float, n: int, p: float) -> float:
    """P(X > x) + P(X = x) / 2 for X ~ Binomial(n, p), as the mean of P(X >= x) and
    P(X >= x + 1) = I_p(x + 1, n - x); through the incomplete beta, so a fractional x
    (score * n of an aggregate) gets the natural continuous extension."""
    at_least = 1.0 if successes <= 0 else regularized_beta(successes, n - successes + 1, p)
    above = 0.0 if successes >= n else regularized_beta(successes + 1, n - successes, p)
    return (at_least + above) / 2.0


def _increasing_root(f, target: float, low: float, high: float) -> float:
    """x in [low, high] with f(x) = target for an increasing f: the Illinois variant of
    regula falsi, superlinear where bisection would need ~50 steps for full precision."""
    f_low, f_high = f(low) - target, f(high) - target
    side = 0
    for _ in range(200):
        x = (low * f_high - high * f_low) / (f_high - f_low)
        fx = f(x) - target
        if fx == 0.0 or high - low < 1e-15:
            return x
        if fx < 0:
            low, f_low = x, fx
            if side == -1:
                f_high /= 2
            side = -1
        else:
            high, f_high = x, fx
            if side == 1:
                f_low /= 2
            side = 1
        if high - low < 1e-14:
            return (low + high) / 2
    return (low + high) / 2


def mid_p_interval(successes: float, n: int, confidence: float) -> tuple[float, float]:
    """Mid-p exact interval (Lancaster 1961; Berry & Armitage 1995): the rates p at which
    P(X > x) + P(X = x) / 2 is alpha / 2 (lower bound) and 1 - alpha / 2 (upper bound).
    `successes` may be fractional (score * n from an aggregate)."""
    check_item_count(n)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within [0, {n}], got {successes!r}")
    alpha = 1.0 - confidence
    z_value(confidence)  # validates the level
    p = successes / n

    def tail(rate: float) -> float:
        return _mid_p_upper_tail(successes, n, rate)

    low = 0.0 if successes == 0 else _increasing_root(tail, alpha / 2, 0.0, p)
    high = 1.0 if successes == n else _increasing_root(tail, 1 - alpha / 2, p, 1.0)
    return low, high


def aggregate_interval(
    score: float, n: int, confidence: float, *, continuity: bool | None = None
) -> Estimate:
    """A published aggregate {score, n}'s own interval, on score * n successes: mid-p, or
    continuity-corrected Wilson below CONTINUITY_BELOW items unless `continuity` says otherwise
    (differences of aggregates take Wilson, in Newcombe's methods)."""
    _check_aggregate(score, n)
    return proportion_estimate(score * n, n, confidence, continuity, " (aggregate)")


def wilson_aggregate(
    score: float, n: int, confidence: float, *, continuity: bool | None = None
) -> Estimate:
    """Wilson interval for an aggregate (continuity-corrected below CONTINUITY_BELOW items):
    the side of a difference that Newcombe's methods combine."""
    _check_aggregate(score, n)
    return wilson_estimate(score * n, n, confidence, continuity, " (aggregate)")


def _check_aggregate(score: float, n: int) -> None:
    check_item_count(n)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"aggregate score must be within [0, 1], got {score!r}")


def check_reference_aggregate(score: float, n: int) -> None:
    """A reference known only as an aggregate {score, n}: ValueError naming reference_n."""
    check_item_count(n, "reference_n")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"reference score must be within [0, 1], got {score!r}")
