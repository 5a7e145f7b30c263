"""Anytime-valid confidence sequences, for evaluating a benchmark in batches and stopping early.

A fixed-n interval (Wilson, bootstrap) covers the truth with its stated probability only when it
is looked at once, at a sample size chosen in advance. Checking it after every batch and stopping
as soon as it excludes a threshold inflates the error rate several-fold: at 95% with 40 looks
(every 25 of 1,000 items), a Wilson interval misses the truth at some look in 28-33% of runs.
A *confidence sequence* (CS) is a sequence of intervals CS_1, CS_2, ... with

    P(there is an n at which the true mean lies outside CS_n) <= 1 - confidence,

so it may be checked after every item and the evaluation stopped at any data-dependent time.

Construction: the hedged betting CS of Waudby-Smith & Ramdas (2023), "Estimating means of
bounded random variables by betting", JRSS-B 86(1), section 4.2, Theorem 3. For values rescaled
to [0, 1] and a candidate mean m,

    K+_t(m) = prod_{i<=t} (1 + l+_i(m) (x_i - m)),   l+_i(m) = min(b_i, c / m)
    K-_t(m) = prod_{i<=t} (1 - l-_i(m) (x_i - m)),   l-_i(m) = min(b_i, c / (1 - m))

with c = 1/2 (the paper's truncation) and predictable bets b_i, i.e. computed from x_1..x_{i-1}
only. At the true mean both capitals are non-negative martingales for ANY predictable bets, so
by Ville's inequality the hedged capital max(K+/2, K-/2) ever reaches 1/alpha with probability
at most alpha, and CS_t = {m : K+_t(m) < 2/alpha and K-_t(m) < 2/alpha} is anytime-valid. K+ is
non-increasing and K- non-decreasing in m, so CS_t is an interval; its ends are found by
bisection and each is reported on its excluded side (conservative).

The bets only decide how tight the CS is where. We keep the paper's predictable plug-in form,
b_t = sqrt(2 log(2/alpha0) / (s2_{t-1} g(t))) with the regularised running variance
s2_{t-1} = (1/4 + sum_{j<t} (x_j - mu_j)^2) / t, mu_j = (1/2 + sum_{k<=j} x_k) / (j + 1), and
choose the schedule g(t) by what is known before the first item:

- The horizon N (the benchmark's size, which a sequential run knows in advance): g(t) =
  max(N/4, t/2), constant up to N/2 - the paper's plug-in sized for one sample size of
  interest, n = N/4. In a known-variance calculation the capital-based width
  (log(2/alpha) + s2 sum b^2 / 2) / sum b is then the tightest any bets can give at n = N/4,
  and within 6% of the tightest possible from N/8 to N/2 ((1 + c) / (2 sqrt c) at n = c N/4);
  past N/2 the bets shrink like the paper's g(t) = t/2. A quarter of the benchmark is where
  early stopping pays: where the truth is two margins from the margin, a Kelly-optimal
  oracle that knows the true rates decides large benchmarks on 6-20% of the items. Tuned to
  N/2 instead (the previous choice), the study in benchmarks/stats_validation.py used 1.39x
  the oracle's items on average over the rows it can decide by N/2, up to 2.1x at
  N = 2,000; tuned to N/4, 1.26x, at most 1.7x, while the rows that decide late (1 margin
  from the margin) used under 1 point more of the items. At N the CS is ~8% wider than
  the untuned one. A mixture of bets tuned to N/2 and N/8 (a mean of test martingales is
  one) was no better at twice the cost; tuning to N/6 let a row the oracle decides at 39%
  go past 50%.
- No horizon: g(t) = H^(1-2a) t^(2a) / (1 - 2a), H = 500, in place of the paper's
  g(t) = t log(1 + t), which aims at t -> infinity: among bets b ~ t^-a, the ones that minimise
  the width at n = H; a = 0.3 (chosen by simulation) keeps that width, in a known-variance
  calculation, within 5% of its optimum for n from 100 to 1,500 and 11% at 5,000. Simulated
  (Bernoulli 0.1 - 0.8), the CS is 1.5-1.65x the fixed-n Wilson width for n = 100-2,000,
  against 1.6-2.3x with the paper's schedule; it is wider than the paper's below n ~ 50.

Either way the bets are predictable (the horizon is fixed before any item is scored), so the
CS is anytime-valid, past the horizon too (there g(t) = t/2). It never matches a fixed-n
interval: tuned to n, the betting CS is at best sqrt(2 log(2/alpha)) / z_{alpha/2} = 1.39x the
fixed-n width at that n (95%), so deciding on half the items takes a true difference ~1.96x the
fixed-n half-width at N from the margin, where the fixed-n test at N already has ~97% power.

The bets are sized for alpha0 = 0.05 whatever level the CS is read at (on average 1-3% wider
than level-specific bets for confidence 0.8 - 0.99, 7% at 0.9975), so the capital does not
depend on the level: the CSs at different levels are nested, and CS_t at level 1 - alpha is
exactly {m : p_t(m) > alpha} for the anytime-valid p-value
p_t(m) = min(1, 2 / max(K+_t(m), K-_t(m))), which is what Holm in interval form needs.

It adapts to the variance (binary scores near 0 or 1, paired differences that are mostly 0);
Hoeffding-style stitched or normal-mixture bounds (Howard et al. 2021) do not, and the
closed-form predictable plug-in empirical-Bernstein CS (the paper's Theorem 2) is wider. The
bets depend on the ORDER of the values, which must be the order in which items were evaluated,
drawn at random (seeded) before any item was scored; reordering after seeing scores voids the
guarantee. Cost: O(n) per capital evaluation, about 25 evaluations per end.

Pure and stdlib-only, like `stats`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_modelgate.decide.estimate import Estimate, finite_scores, z_value
from pytest_modelgate.decide.proportions import check_reference_aggregate, wilson_aggregate

_TRUNCATION = 0.5  # c in l(m) = min(b, c / m): the paper's default, keeps every factor >= 1 - c
_DECAY = 0.3  # a: bets shrink like t^-a (the paper's schedule is ~ (t log t)^-1/2)
_HORIZON = 500  # H: without a known horizon, the n the bets are tuned for (~100-5,000 near-optimal)
_BET_ALPHA = 0.05  # the level the bets are sized for, whatever level the CS is read at
_TOLERANCE = 1e-7  # bisection stops when an end is known to within this (on the [0, 1] scale)
# Factors multiplied before taking a log: each lies in [1 - c, 1 + b_t], b_t < 20 for n < 10^7
# (< 8 with a horizon), so a product of 64 stays far inside the float range.
_CHUNK = 64

METHOD = "anytime-valid CS, hedged betting (Waudby-Smith & Ramdas 2023)"


def _alpha(confidence: float) -> float:
    z_value(confidence)  # the same check and message as every fixed-n interval
    return 1.0 - confidence


def _check_horizon(horizon: int | None) -> None:
    if horizon is not None and (
        isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1
    ):
        raise ValueError(f"horizon must be a positive whole number of items, got {horizon!r}")


def _bets(xs: Sequence[float], horizon: int | None = None) -> list[float]:
    """Predictable plug-in bets b_1..b_n (before truncation at c/m) for values in [0, 1].

    b_t = sqrt(2 log(2/0.05) / (s2_{t-1} g(t))) with g(t) = max(N / 2, t) / 2 for a horizon
    N (constant up to N / 2), else g(t) = H^(1-2a) t^(2a) / (1 - 2a): see the module docstring.
    Each b_t uses only x_1..x_{t-1} (and N, fixed before the first item).
    """
    _check_horizon(horizon)
    decay = 1.0 - 2.0 * _DECAY
    scale = 2.0 * math.log(2.0 / _BET_ALPHA)
    tuned = scale * decay / _HORIZON**decay
    total, squares = 0.5, 0.25  # one fake observation: prior mean 1/2, prior variance 1/4
    out = []
    for t, x in enumerate(xs, 1):
        # s2_{t-1} = squares / t, so s2_{t-1} g(t) is squares max(N / 2, t) / (2 t) with a
        # horizon, else squares H^(1-2a) t^(2a-1) / (1-2a)
        if horizon is None:
            out.append(math.sqrt(tuned * t**decay / squares))
        else:
            out.append(math.sqrt(2.0 * scale * t / (max(horizon / 2.0, t) * squares)))
        total += x
        squares += (x - total / (t + 1)) ** 2
    return out


def _log_capital(xs: Sequence[float], bets: Sequence[float], m: float, upward: bool) -> float:
    """log K+_n(m) (upward: betting the mean is above m) or log K-_n(m), for values in [0, 1]."""
    room = m if upward else 1.0 - m
    cap = _TRUNCATION / room if room > 0.0 else math.inf
    sign = 1.0 if upward else -1.0
    factors = [
        1.0 + sign * (b if b < cap else cap) * (x - m) for b, x in zip(bets, xs, strict=True)
    ]
    return math.fsum(
        math.log(math.prod(factors[i : i + _CHUNK])) for i in range(0, len(factors), _CHUNK)
    )


def _log_capital_path(xs: Sequence[float], m: float, *, horizon: int | None = None) -> list[float]:
    """max(log K+_t(m), log K-_t(m)) for t = 1..n, in one pass (for simulations and checks).

    At every confidence level, m lies outside the CS after t values exactly when entry t-1 is
    >= log(2 / alpha): the CS of a prefix is the CS the stream had at that time, because every
    bet is predictable.
    """
    bets = _bets(xs, horizon)
    up_cap = _TRUNCATION / m if m > 0.0 else math.inf
    down_cap = _TRUNCATION / (1.0 - m) if m < 1.0 else math.inf
    up = down = 0.0
    out = []
    for b, x in zip(bets, xs, strict=True):
        up += math.log1p((b if b < up_cap else up_cap) * (x - m))
        down += math.log1p(-(b if b < down_cap else down_cap) * (x - m))
        out.append(up if up > down else down)
    return out


def _unit_interval(
    xs: Sequence[float], alpha: float, horizon: int | None = None
) -> tuple[float, float]:
    """The CS after all of xs (values in [0, 1]), as (low, high) on [0, 1]."""
    bets = _bets(xs, horizon)
    barrier = math.log(2.0 / alpha)  # hedged with theta = 1/2: K+/2 or K-/2 reaching 1/alpha

    # Lower end: K+ is non-increasing in m and K+(1) <= 1 < barrier.
    if _log_capital(xs, bets, 0.0, True) < barrier:
        low = 0.0
    else:
        out, inside = 0.0, 1.0  # invariant: `out` excluded, `inside` not excluded by K+
        while inside - out > _TOLERANCE:
            mid = 0.5 * (out + inside)
            if _log_capital(xs, bets, mid, True) >= barrier:
                out = mid
            else:
                inside = mid
        low = out
    # Upper end: K- is non-decreasing in m and K-(0) <= 1 < barrier.
    if _log_capital(xs, bets, 1.0, False) < barrier:
        high = 1.0
    else:
        inside, out = 0.0, 1.0
        while out - inside > _TOLERANCE:
            mid = 0.5 * (out + inside)
            if _log_capital(xs, bets, mid, False) >= barrier:
                out = mid
            else:
                inside = mid
        high = out
    return low, high


def _bounded(values: Sequence[float], lower: float, upper: float, what: str) -> list[float]:
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(f"bounds must be finite with lower < upper, got [{lower}, {upper}]")
    xs = finite_scores(values, what)
    bad = [x for x in xs if not lower <= x <= upper]
    if bad:
        raise ValueError(
            f"{what} must lie within [{lower}, {upper}] for a confidence sequence; "
            f"{len(bad)} do not (first: {bad[0]!r})"
        )
    return xs


def mean_sequence(
    values: Sequence[float],
    confidence: float,
    *,
    lower: float = 0.0,
    upper: float = 1.0,
    horizon: int | None = None,
) -> Estimate:
    """Anytime-valid CS for the mean of values bounded in [lower, upper], given in the order seen.

    Valid simultaneously over all sample sizes: the chance that the true mean lies outside the
    interval at ANY n is at most 1 - confidence (hedged betting CS, Waudby-Smith & Ramdas 2023,
    Theorem 3; see the module docstring). `horizon`: the number of values the run plans to
    see, fixed before the first one (the benchmark's size); the bets are tuned to it, which
    tightens the CS between about a quarter of it and all of it. `value` is the sample mean
    (the interval is widened to contain it in the rare case it would not, which keeps
    validity); `se` is the half-width over z, for reporting only - the interval is not
    mean +- z * se.
    """
    alpha = _alpha(confidence)
    xs = _bounded(values, lower, upper, "scores")
    span = upper - lower
    unit = [(x - lower) / span for x in xs]
    lo, hi = _unit_interval(unit, alpha, horizon)
    mean = math.fsum(xs) / len(xs)
    low = max(lower, min(lower + lo * span, mean))
    high = min(upper, max(lower + hi * span, mean))
    se = (high - low) / (2.0 * z_value(confidence))
    return Estimate(mean, low, high, se, len(xs), _method(horizon))


def _method(horizon: int | None) -> str:
    return METHOD if horizon is None else f"{METHOD}, bets tuned to N={horizon}"


def _scores(values: Sequence[float], what: str) -> list[float]:
    return _bounded(values, 0.0, 1.0, what)


def paired_sequence(
    candidate: Sequence[float],
    reference: Sequence[float],
    confidence: float,
    *,
    horizon: int | None = None,
) -> Estimate:
    """Anytime-valid CS for mean(candidate - reference) on the same items, in evaluation order.

    The per-item differences lie in [-1, 1]; the CS is `mean_sequence` on them, which adapts to
    their variance, so items both models get right or wrong (difference 0) tighten it.
    """
    z_value(confidence)
    cs, rs = _scores(candidate, "candidate scores"), _scores(reference, "reference scores")
    if len(cs) != len(rs):
        raise ValueError(
            f"paired scores differ in length: {len(cs)} candidate vs {len(rs)} reference"
        )
    diffs = [c - r for c, r in zip(cs, rs, strict=True)]
    est = mean_sequence(diffs, confidence, lower=-1.0, upper=1.0, horizon=horizon)
    return Estimate(est.value, est.low, est.high, est.se, est.n, "paired " + est.method)


def unpaired_sequence(
    candidate: Sequence[float],
    reference_score: float,
    reference_n: int,
    confidence: float,
    *,
    horizon: int | None = None,
) -> Estimate:
    """Candidate evaluated sequentially vs a published aggregate {score, n} evaluated once.

    alpha = 1 - confidence is split in two: the candidate's CS and the reference's fixed-n
    Wilson interval each get alpha / 2, and the difference interval is the conservative
    Bonferroni combination [cs.low - ref.high, cs.high - ref.low]: it covers the true difference
    at every n unless one of the two misses, which has probability at most alpha in total. The
    reference interval needs no sequential correction - its data are fixed and looked at once.
    An even split is as good as any tried: the reference interval does not shrink, but moving
    alpha to it (or away) trades a log(1/alpha) in the CS against a z in the interval, and
    simulated splits giving the reference 1/5 to 7/10 of alpha changed the items used by at
    most 3 points (N = 300-2,000), none consistently for the better.
    """
    alpha = _alpha(confidence)
    check_reference_aggregate(reference_score, reference_n)
    half = 1.0 - alpha / 2.0
    cand = mean_sequence(_scores(candidate, "candidate scores"), half, horizon=horizon)
    ref = wilson_aggregate(reference_score, reference_n, half)
    low = max(-1.0, cand.low - ref.high)
    high = min(1.0, cand.high - ref.low)
    se = (high - low) / (2.0 * z_value(confidence))
    method = (
        f"unpaired, {cand.method}, at {half:.4g}; reference: {ref.method}, fixed n, "
        f"at {half:.4g}; Bonferroni-combined"
    )
    return Estimate(cand.value - ref.value, low, high, se, cand.n, method)


def absolute_sequence(
    candidate: Sequence[float],
    reference: float,
    confidence: float,
    *,
    horizon: int | None = None,
) -> Estimate:
    """Anytime-valid CS for mean(candidate) - reference, with reference a fixed number."""
    if not math.isfinite(reference):
        raise ValueError(f"reference must be a finite number, got {reference!r}")
    est = mean_sequence(_scores(candidate, "candidate scores"), confidence, horizon=horizon)
    return Estimate(
        est.value - reference,
        est.low - reference,
        est.high - reference,
        est.se,
        est.n,
        est.method,
    )
