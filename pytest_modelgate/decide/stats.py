"""Intervals, paired and unpaired differences, pass@k and power for eval scores.

Pure and stdlib-only so the engine, reports and tests can call it without pytest or numpy.
A proportion's own interval is the mid-p exact interval (Lancaster 1961; Berry & Armitage
1995); differences of proportions use Newcombe's (1998) square-and-add (MOVER) method 10 of
Wilson score intervals; everything else uses a seeded bootstrap, resampling clusters when
items carry one (Miller 2024: items that share a passage are not independent).

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
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()

# Binary intervals on fewer items than this are continuity-corrected (see the module docstring).
CONTINUITY_BELOW = 100


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


def _check_n(n: int, what: str = "n") -> None:
    if n <= 0:
        raise ValueError(f"{what} must be positive, got {n}: no items to estimate from")


def _floats(values: Sequence[float], what: str = "scores") -> list[float]:
    out = [float(v) for v in values]
    _check_n(len(out), f"number of {what}")
    if not math.isfinite(math.fsum(out)):  # one pass catches NaN and inf
        raise ValueError(f"{what} must be finite numbers")
    return out


def wilson_interval(
    successes: float, n: int, confidence: float, *, continuity: bool = False
) -> tuple[float, float]:
    """Wilson score interval; `successes` may be fractional (score * n from an aggregate).

    `continuity`: the continuity-corrected score interval (Newcombe 1998a, method 4).
    """
    _check_n(n)
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


def _wilson_se(successes: float, n: int, z: float) -> float:
    # The Wilson centre stays inside (0, 1), so the SE is positive even at 0/n or n/n.
    centre = (successes + z * z / 2) / (n + z * z)
    return math.sqrt(centre * (1 - centre) / n)


def _proportion(
    successes: float, n: int, confidence: float, continuity: bool | None, suffix: str = ""
) -> Estimate:
    """Wilson (continuity-corrected below CONTINUITY_BELOW items): the intervals Newcombe's
    methods 10 and 11 combine into a difference."""
    cc = continuity_corrected(n, continuity)
    low, high = wilson_interval(successes, n, confidence, continuity=cc)
    # The SE (for power and the MDD) is the uncorrected one: the correction widens the
    # interval, it does not change the sampling variance.
    se = _wilson_se(successes, n, z_value(confidence))
    method = ("Wilson score, continuity-corrected" if cc else "Wilson score") + suffix
    return Estimate(successes / n, low, high, se, n, method)


def _own_proportion(
    successes: float, n: int, confidence: float, continuity: bool | None, suffix: str = ""
) -> Estimate:
    """A proportion's own interval: corrected Wilson below CONTINUITY_BELOW items, else mid-p."""
    if continuity_corrected(n, continuity):
        return _proportion(successes, n, confidence, True, suffix)
    low, high = mid_p_interval(successes, n, confidence)
    se = _wilson_se(successes, n, z_value(confidence))
    return Estimate(successes / n, low, high, se, n, "mid-p exact" + suffix)


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) for a, b > 0: Lentz's continued fraction
    (Numerical Recipes 6.4), on the side of the symmetry where it converges fast."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, 1.0 - x)
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
    at_least = 1.0 if successes <= 0 else _betainc(successes, n - successes + 1, p)
    above = 0.0 if successes >= n else _betainc(successes + 1, n - successes, p)
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
    _check_n(n)
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
    return _own_proportion(score * n, n, confidence, continuity, " (aggregate)")


def wilson_aggregate(
    score: float, n: int, confidence: float, *, continuity: bool | None = None
) -> Estimate:
    """Wilson interval for an aggregate (continuity-corrected below CONTINUITY_BELOW items):
    the side of a difference that Newcombe's methods combine."""
    _check_aggregate(score, n)
    return _proportion(score * n, n, confidence, continuity, " (aggregate)")


def _check_aggregate(score: float, n: int) -> None:
    _check_n(n)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"aggregate score must be within [0, 1], got {score!r}")


def _t_quantile(p: float, df: int) -> float:
    """Student t quantile: exact for df 1-2, Cornish-Fisher (A&S 26.7.5) beyond (< 1% off)."""
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = _NORMAL.inv_cdf(p)
    g = (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )
    return z + sum(gi / df ** (i + 1) for i, gi in enumerate(g))


def _quantile(ordered: list[float], q: float) -> float:
    pos = q * (len(ordered) - 1)
    i = int(pos)
    j = min(i + 1, len(ordered) - 1)
    return ordered[i] + (ordered[j] - ordered[i]) * (pos - i)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """Exact Binomial(n, p) draw, bit-parallel: compares n uniforms with p one bit at a time.

    Each step settles about half the undecided trials, so it costs ~log2(n) big-int operations
    instead of n Python-level draws.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    num, den = p.as_integer_ratio()  # p = num / 2**e exactly
    undecided, successes = (1 << n) - 1, 0
    for i in range(den.bit_length() - 2, -1, -1):
        bits = rng.getrandbits(n)
        if (num >> i) & 1:  # p has a 1 here: trials whose uniform has a 0 fall below p
            successes += (undecided & ~bits).bit_count()
            undecided &= bits
        else:  # p has a 0 here: trials whose uniform has a 1 lie above p
            undecided &= ~bits
        if not undecided:
            break
    return successes


def _multinomial_mean(rng: random.Random, levels: Counter[float], n: int) -> float:
    """Mean of one bootstrap resample drawn as counts per distinct value (conditional binomials)."""
    left, pool, total = n, n, 0.0
    for value, count in levels.items():
        k = _binomial(rng, left, count / pool) if pool > count else left
        total += value * k
        left, pool = left - k, pool - count
    return total / n


def _bootstrap(
    values: list[float],
    clusters: Sequence[str | None] | None,
    confidence: float,
    seed: int,
    resamples: int,
) -> Estimate:
    """Bootstrap of the mean over items, or over clusters (ratio of resampled sums to sizes).

    Expanded percentile interval (Hesterberg 2015): the percentile interval is too narrow
    with few units, so its tail level is widened to match sqrt(k/(k-1)) * t_{k-1}.
    """
    if resamples < 100:
        raise ValueError(f"resamples must be at least 100, got {resamples}")
    n = len(values)
    sums: list[float] = values
    sizes: list[int] | None = None
    if clusters is not None:
        index: dict[tuple[str, object], int] = {}
        sums, sizes = [], []
        for i, (v, c) in enumerate(zip(values, clusters, strict=True)):
            # An item without a cluster is its own cluster.
            j = index.setdefault(("item", i) if c is None else ("cluster", c), len(sums))
            if j == len(sums):
                sums.append(0.0)
                sizes.append(0)
            sums[j] += v
            sizes[j] += 1
    k = len(sums)
    if k < 2:
        unit = "items" if sizes is None else "clusters"
        raise ValueError(f"a bootstrap interval needs at least 2 {unit}, got {k}")
    rng = random.Random(seed)
    if sizes is None:
        levels = Counter(values)
        if len(levels) * 40 <= n:  # few distinct scores (binary, epoch means): draw counts
            reps = [_multinomial_mean(rng, levels, n) for _ in range(resamples)]
        else:
            reps = [math.fsum(rng.choices(values, k=n)) / n for _ in range(resamples)]
        label = f"bootstrap, expanded percentile ({resamples} resamples)"
    else:
        reps = []
        for _ in range(resamples):
            pick = rng.choices(range(k), k=k)
            reps.append(math.fsum(map(sums.__getitem__, pick)) / sum(map(sizes.__getitem__, pick)))
        label = f"cluster bootstrap, expanded percentile ({resamples} resamples, {k} clusters)"
    reps.sort()
    tail = _NORMAL.cdf(-math.sqrt(k / (k - 1)) * _t_quantile((1 + confidence) / 2, k - 1))
    low, high = _quantile(reps, tail), _quantile(reps, 1 - tail)
    mean_rep = math.fsum(reps) / resamples
    se = math.sqrt(math.fsum((r - mean_rep) ** 2 for r in reps) / (resamples - 1) * k / (k - 1))
    return Estimate(math.fsum(values) / n, low, high, se, n, label, None if sizes is None else k)


def _clustered(clusters: Sequence[str | None] | None, n: int) -> Sequence[str | None] | None:
    """The clusters when any item has one; None means plain item-level inference."""
    if clusters is None:
        return None
    if len(clusters) != n:
        raise ValueError(f"clusters has {len(clusters)} entries for {n} items")
    return clusters if any(c is not None for c in clusters) else None


def score_interval(
    values: Sequence[float],
    confidence: float,
    *,
    clusters: Sequence[str | None] | None = None,
    seed: int = 0,
    resamples: int = 2000,
    continuity: bool | None = None,
) -> Estimate:
    """Mean of per-item scores: binary and unclustered, mid-p (continuity-corrected Wilson below
    CONTINUITY_BELOW items unless `continuity` says otherwise); else a seeded bootstrap."""
    z_value(confidence)
    xs = _floats(values)
    clusters = _clustered(clusters, len(xs))
    if clusters is None and is_binary(xs):
        return _own_proportion(math.fsum(xs), len(xs), confidence, continuity)
    est = _bootstrap(xs, clusters, confidence, seed, resamples)
    if clusters is None:
        return est
    naive = score_interval(xs, confidence, seed=seed, resamples=resamples, continuity=continuity)
    return _not_narrower(est, naive)


def _not_narrower(clustered: Estimate, naive: Estimate) -> Estimate:
    """With few clusters a cluster bootstrap can come out narrower than ignoring clusters,
    which would claim more certainty from correlated items than from independent ones;
    keep the union of both intervals and the larger standard error."""
    if clustered.low <= naive.low and clustered.high >= naive.high:
        return clustered
    return Estimate(
        clustered.value,
        min(clustered.low, naive.low),
        max(clustered.high, naive.high),
        max(clustered.se, naive.se),
        clustered.n,
        f"{clustered.method}, widened to the unclustered interval",
        clustered.n_clusters,
    )


def _mover(
    p1: float,
    l1: float,
    u1: float,
    p2: float,
    l2: float,
    u2: float,
    phi: float = 0.0,
) -> tuple[float, float]:
    """Newcombe square-and-add: combine two intervals into one for p1 - p2 (phi: correlation)."""
    d = p1 - p2
    dl, du = p1 - l1, u2 - p2  # distances that bound the difference from below
    el, eu = u1 - p1, p2 - l2  # ... and from above
    low = d - math.sqrt(max(0.0, dl * dl - 2 * phi * dl * du + du * du))
    high = d + math.sqrt(max(0.0, el * el - 2 * phi * el * eu + eu * eu))
    return max(-1.0, low), min(1.0, high)


def _check_reference(score: float, n: int) -> None:
    _check_n(n, "reference_n")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"reference score must be within [0, 1], got {score!r}")


def _independent(cand: Estimate, ref: Estimate, method: str) -> Estimate:
    low, high = _mover(cand.value, cand.low, cand.high, ref.value, ref.low, ref.high)
    se = math.hypot(cand.se, ref.se)
    return Estimate(cand.value - ref.value, low, high, se, cand.n, method, cand.n_clusters)


def _newcombe(continuity: bool) -> str:
    return "Newcombe method 11 (continuity-corrected)" if continuity else "Newcombe method 10"


def paired_difference(
    candidate: Sequence[float],
    reference: Sequence[float],
    confidence: float,
    *,
    clusters: Sequence[str | None] | None = None,
    seed: int = 0,
    resamples: int = 2000,
    continuity: bool | None = None,
) -> Estimate:
    """mean(candidate) - mean(reference) on the same items, in the same order.

    Binary and unclustered: Newcombe's (1998b) method 10, or method 11 (the same built from
    continuity-corrected Wilson intervals) below CONTINUITY_BELOW items unless `continuity`
    says otherwise.
    """
    z = z_value(confidence)
    cs, rs = _floats(candidate, "candidate scores"), _floats(reference, "reference scores")
    if len(cs) != len(rs):
        raise ValueError(
            f"paired scores differ in length: {len(cs)} candidate vs {len(rs)} reference"
        )
    clusters = _clustered(clusters, len(cs))
    if clusters is None and is_binary(cs) and is_binary(rs):
        n = len(cs)
        cc = continuity_corrected(n, continuity)
        a = int(sum(c * r for c, r in zip(cs, rs, strict=True)))  # both right
        b, c = int(sum(cs)) - a, int(sum(rs)) - a  # only candidate / only reference right
        d = n - a - b - c
        p1, p2 = (a + b) / n, (a + c) / n
        # Newcombe's phi, with his n/2 correction to the cross-product when it is positive
        # (the same in methods 10 and 11).
        denom = (a + b) * (c + d) * (a + c) * (b + d)
        cross = a * d - b * c
        cross = max(cross - n / 2, 0.0) if cross > 0 else cross
        phi = cross / math.sqrt(denom) if denom else 0.0
        l1, u1 = wilson_interval(a + b, n, confidence, continuity=cc)
        l2, u2 = wilson_interval(a + c, n, confidence, continuity=cc)
        low, high = _mover(p1, l1, u1, p2, l2, u2, phi)
        s1, s2 = _wilson_se(a + b, n, z), _wilson_se(a + c, n, z)
        se = math.sqrt(max(0.0, s1 * s1 + s2 * s2 - 2 * phi * s1 * s2))
        return Estimate(p1 - p2, low, high, se, n, f"paired, {_newcombe(cc)}")
    diffs = [c - r for c, r in zip(cs, rs, strict=True)]
    est = _bootstrap(diffs, clusters, confidence, seed, resamples)
    est = Estimate(
        est.value, est.low, est.high, est.se, est.n, "paired " + est.method, est.n_clusters
    )
    if clusters is None:
        return est
    naive = paired_difference(
        cs, rs, confidence, seed=seed, resamples=resamples, continuity=continuity
    )
    return _not_narrower(est, naive)


def unpaired_difference(
    candidate: Sequence[float],
    reference_score: float,
    reference_n: int,
    confidence: float,
    *,
    clusters: Sequence[str | None] | None = None,
    seed: int = 0,
    resamples: int = 2000,
    continuity: bool | None = None,
) -> Estimate:
    """Candidate per-item scores vs a reference known only as an aggregate {score, n}.

    Binary and unclustered: Newcombe's (1998c) method 10, or method 11 (both Wilson intervals
    continuity-corrected) when either side has fewer than CONTINUITY_BELOW items, unless
    `continuity` says otherwise.
    """
    _check_reference(reference_score, reference_n)
    xs = _floats(candidate, "candidate scores")
    n = len(xs)
    if _clustered(clusters, n) is None and is_binary(xs):
        if continuity is None:
            continuity = min(n, reference_n) < CONTINUITY_BELOW  # method 11 corrects both sides
        cand = _proportion(math.fsum(xs), n, confidence, continuity)
    else:  # the same square-and-add, with the candidate's bootstrap interval for Wilson's
        cand = score_interval(
            xs, confidence, clusters=clusters, seed=seed, resamples=resamples, continuity=continuity
        )
    ref = wilson_aggregate(reference_score, reference_n, confidence, continuity=continuity)
    if cand.method.startswith("Wilson score"):
        method = f"unpaired, {_newcombe(continuity_corrected(n, continuity))}"
    else:
        method = f"unpaired, Newcombe MOVER with {cand.method}"
        if ref.method != "Wilson score (aggregate)":
            method += f"; reference: {ref.method}"
    return _independent(cand, ref, method)


def aggregate_difference(
    score: float,
    n: int,
    reference_score: float,
    reference_n: int,
    confidence: float,
    *,
    continuity: bool | None = None,
) -> Estimate:
    """Both sides are published aggregates: Newcombe's method 10 for independent proportions,
    or method 11 when either side has fewer than CONTINUITY_BELOW items (unless `continuity`
    says otherwise)."""
    _check_reference(reference_score, reference_n)
    cc = continuity_corrected(min(n, reference_n), continuity)
    cand = wilson_aggregate(score, n, confidence, continuity=cc)
    ref = wilson_aggregate(reference_score, reference_n, confidence, continuity=cc)
    return _independent(cand, ref, f"unpaired aggregates, {_newcombe(cc)}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c correct (Chen et al. 2021), as a stable product."""
    if n <= 0 or not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n; got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    # 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i), with no huge binomials.
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def minimum_detectable_difference(se: float, confidence: float, power: float = 0.8) -> float:
    """Smallest true difference whose interval excludes 0 with probability `power`."""
    if se < 0 or not math.isfinite(se):
        raise ValueError(f"se must be a finite non-negative number, got {se!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    return (z_value(confidence) + _NORMAL.inv_cdf(power)) * se
