"""The seeded bootstrap of a mean, over items or over clusters, and the draws it is made of.

For every score that is not a plain proportion: epoch means, partial credit, and binary scores
whose items carry a cluster (Miller 2024: items that share a passage are not independent).
Stdlib-only: binomial draws are bit-parallel, quantiles interpolated.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from statistics import NormalDist

from pytest_modelgate.decide.estimate import Estimate
from pytest_modelgate.decide.proportions import regularized_beta

_NORMAL = NormalDist()


def t_quantile(p: float, df: int) -> float:
    """Student t quantile to ~1e-12: closed forms for df 1 and 2, else the root of the t
    distribution's tail, P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2, found by bisection.
    (A Cornish-Fisher series was 4% off at df 3 in the far tail that Holm's levels reach.)"""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    tail = 1.0 - p

    def upper_tail(t: float) -> float:
        return 0.5 * regularized_beta(df / 2, 0.5, df / (df + t * t))

    low, high = 0.0, 1.0
    while upper_tail(high) > tail:
        low, high = high, high * 2
    while high - low > 1e-12 * high:
        mid = (low + high) / 2
        low, high = (mid, high) if upper_tail(mid) > tail else (low, mid)
    return (low + high) / 2


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


def bootstrap_mean(
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
    tail = _NORMAL.cdf(-math.sqrt(k / (k - 1)) * t_quantile((1 + confidence) / 2, k - 1))
    low, high = _quantile(reps, tail), _quantile(reps, 1 - tail)
    mean_rep = math.fsum(reps) / resamples
    se = math.sqrt(math.fsum((r - mean_rep) ** 2 for r in reps) / (resamples - 1) * k / (k - 1))
    return Estimate(math.fsum(values) / n, low, high, se, n, label, None if sizes is None else k)
