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

_NORMAL = NormalDist()


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
    tail = _NORMAL.cdf(-math.sqrt(k / (k - 1)) * _t_quantile((1 + confidence) / 2, k - 1))
    low, high = _quantile(reps, tail), _quantile(reps, 1 - tail)
    mean_rep = math.fsum(reps) / resamples
    se = math.sqrt(math.fsum((r - mean_rep) ** 2 for r in reps) / (resamples - 1) * k / (k - 1))
    return Estimate(math.fsum(values) / n, low, high, se, n, label, None if sizes is None else k)
