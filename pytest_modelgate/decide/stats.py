"""Intervals of per-item scores, paired and unpaired differences, pass@k and power.

Pure and stdlib-only so the engine, reports and tests can call it without pytest or numpy.
Which interval: binary, unclustered scores take a proportion's (``proportions``: mid-p, or
continuity-corrected Wilson below CONTINUITY_BELOW items); differences of proportions use
Newcombe's (1998) square-and-add (MOVER) method 10 of Wilson score intervals, or method 11
built from continuity-corrected ones below CONTINUITY_BELOW items; everything else uses a
seeded bootstrap (``bootstrap``), resampling clusters when items carry one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

from pytest_modelgate.decide.bootstrap import bootstrap_mean
from pytest_modelgate.decide.estimate import Estimate, finite_scores, is_binary, z_value
from pytest_modelgate.decide.proportions import (
    CONTINUITY_BELOW,
    check_reference_aggregate,
    continuity_corrected,
    proportion_estimate,
    wilson_aggregate,
    wilson_estimate,
    wilson_interval,
    wilson_se,
)

_NORMAL = NormalDist()


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
    xs = finite_scores(values)
    clusters = _clustered(clusters, len(xs))
    if clusters is None and is_binary(xs):
        return proportion_estimate(math.fsum(xs), len(xs), confidence, continuity)
    est = bootstrap_mean(xs, clusters, confidence, seed, resamples)
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
    cs = finite_scores(candidate, "candidate scores")
    rs = finite_scores(reference, "reference scores")
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
        s1, s2 = wilson_se(a + b, n, z), wilson_se(a + c, n, z)
        se = math.sqrt(max(0.0, s1 * s1 + s2 * s2 - 2 * phi * s1 * s2))
        return Estimate(p1 - p2, low, high, se, n, f"paired, {_newcombe(cc)}")
    diffs = [c - r for c, r in zip(cs, rs, strict=True)]
    est = bootstrap_mean(diffs, clusters, confidence, seed, resamples)
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
    check_reference_aggregate(reference_score, reference_n)
    xs = finite_scores(candidate, "candidate scores")
    n = len(xs)
    if _clustered(clusters, n) is None and is_binary(xs):
        if continuity is None:
            continuity = min(n, reference_n) < CONTINUITY_BELOW  # method 11 corrects both sides
        cand = wilson_estimate(math.fsum(xs), n, confidence, continuity)
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
    check_reference_aggregate(reference_score, reference_n)
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
