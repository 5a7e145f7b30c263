"""Tests for pytest_modelgate.decide.sequential: anytime-valid confidence sequences and Holm.

The point of a confidence sequence is that it may be looked at after every batch: over many
simulated streams with a known true mean, the fraction in which the truth EVER leaves the CS
must stay at or below 1 - confidence, while the fixed-n Wilson interval, checked the same way,
misses far more often. All randomness is seeded, so every figure is deterministic.

Simulating 1,000 streams x 40 looks through the public functions would mean 40,000 bisections
per distribution; instead the simulations read the hedged capital at the true mean, which
excludes it exactly when the CS of that prefix does (the bets are predictable), and
`test_public_cs_matches_capital_at_every_look` checks that equivalence through the public API.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from itertools import accumulate

import pytest

from pytest_modelgate.decide import sequential
from pytest_modelgate.decide.multiplicity import holm, holm_adjusted_confidence
from pytest_modelgate.decide.proportions import wilson_aggregate, wilson_interval
from pytest_modelgate.decide.sequential import (
    absolute_sequence,
    mean_sequence,
    paired_sequence,
    unpaired_sequence,
)

CONF = 0.95
STREAMS, LENGTH, BATCH = 1000, 1000, 25
LOOKS = range(BATCH, LENGTH + 1, BATCH)  # 40 looks
# Nominal 5%; with 1,000 streams a true rate of 5% reads above 6% with probability ~7%,
# but the CS sits near 2-3% at these 40 looks, so 6% leaves ample room.
EVER_MISS_BOUND = 0.06
# The seeded figures quoted below, pinned to within 2 streams of 1,000 (libm rounding).
PIN = 0.0025

# A 5-level bounded score (e.g. a rubric graded 0, 1/4, ..., 1).
LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)
LEVEL_PROBS = (0.1, 0.2, 0.3, 0.25, 0.15)
LEVEL_MEAN = sum(v * p for v, p in zip(LEVELS, LEVEL_PROBS, strict=True))  # 0.5375


def sampler(levels, probs):
    cum = list(accumulate(probs))
    cum[-1] = 1.0

    def draw(rng: random.Random, n: int) -> list[float]:
        return [levels[bisect(cum, rng.random())] for _ in range(n)]

    return draw


def bernoulli(p: float):
    return sampler((1.0, 0.0), (p, 1 - p))


def excluded_at_looks(
    xs: list[float], m: float, confidence: float, horizon: int | None = None
) -> list[bool]:
    """Whether the CS of xs[:t] excludes m, for each look t = 25, 50, ... up to len(xs)."""
    barrier = math.log(2 / (1 - confidence))
    path = sequential._log_capital_path(xs, m, horizon=horizon)
    return [path[t - 1] >= barrier for t in range(BATCH, len(xs) + 1, BATCH)]


def cs_ever_miss(
    draw, true_mean: float, seed: int, to_unit=lambda x: x, horizon=None, streams=STREAMS
) -> float:
    rng = random.Random(seed)
    misses = 0
    for _ in range(streams):
        xs = [to_unit(x) for x in draw(rng, LENGTH)]
        misses += any(excluded_at_looks(xs, to_unit(true_mean), CONF, horizon))
    return misses / streams


def wilson_ever_miss(p: float, seed: int) -> float:
    rng = random.Random(seed)
    draw = bernoulli(p)
    misses = 0
    for _ in range(STREAMS):
        sums = list(accumulate(draw(rng, LENGTH)))
        for t in LOOKS:
            low, high = wilson_interval(sums[t - 1], t, CONF)
            if not low <= p <= high:
                misses += 1
                break
    return misses / STREAMS


# --- 1. anytime validity: the truth ever leaves the CS in <= 5% of streams ------------------


@pytest.mark.parametrize(
    ("name", "draw", "true_mean", "expected"),
    [
        ("Bernoulli(0.1)", bernoulli(0.1), 0.1, 0.023),
        ("Bernoulli(0.5)", bernoulli(0.5), 0.5, 0.025),
        ("Bernoulli(0.8)", bernoulli(0.8), 0.8, 0.026),
        ("5-level", sampler(LEVELS, LEVEL_PROBS), LEVEL_MEAN, 0.026),
    ],
)
def test_cs_is_anytime_valid_over_40_looks(name, draw, true_mean, expected):
    rate = cs_ever_miss(draw, true_mean, seed=11)
    assert rate <= EVER_MISS_BOUND, f"{name}: truth left the CS in {rate:.1%} of streams"
    assert rate == pytest.approx(expected, abs=PIN)


@pytest.mark.parametrize(
    ("horizon", "p", "expected"),
    [
        (LENGTH, 0.5, 0.030),  # tuned to the stream's length, as a sequential run does
        (LENGTH, 0.1, 0.030),
        (100, 0.5, 0.010),  # a stream 10x longer than its horizon: still valid
        (10_000, 0.5, 0.0075),  # a horizon never reached: valid, only wider
    ],
)
def test_cs_tuned_to_a_horizon_is_anytime_valid(horizon, p, expected):
    # The bets depend on the horizon, fixed before the first item, and on past items only:
    # Ville's inequality holds whatever the horizon (a quick simulation, 400 streams, < 1 s
    # each; the seeded figures pinned to within 1 stream).
    rate = cs_ever_miss(bernoulli(p), p, seed=23, horizon=horizon, streams=400)
    assert rate <= EVER_MISS_BOUND
    assert rate == pytest.approx(expected, abs=0.0026)


@pytest.mark.parametrize(("p", "expected"), [(0.1, 0.278), (0.5, 0.329), (0.8, 0.319)])
def test_naive_wilson_checked_at_every_look_is_not(p, expected):
    # The same 40 looks with the fixed-n interval: peeking inflates its 5% to 28-33%.
    rate = wilson_ever_miss(p, seed=11)
    assert rate > 0.2
    assert rate == pytest.approx(expected, abs=PIN)


def test_cs_is_anytime_valid_looking_after_every_item():
    # 1,000 looks per stream instead of 40: still within the bound (Ville's inequality holds
    # at every n, so the number of looks does not matter).
    rng = random.Random(31)
    draw, barrier = bernoulli(0.5), math.log(2 / (1 - CONF))
    rate = (
        sum(
            max(sequential._log_capital_path(draw(rng, LENGTH), 0.5)) >= barrier
            for _ in range(STREAMS)
        )
        / STREAMS
    )
    assert rate <= EVER_MISS_BOUND
    assert rate == pytest.approx(0.040, abs=PIN)


def test_public_cs_matches_capital_at_every_look():
    """mean_sequence on a prefix excludes m exactly when the capital at m crosses 2/alpha."""
    rng = random.Random(5)
    draw = bernoulli(0.3)
    checked = excluded = 0
    for _ in range(6):
        xs = draw(rng, 400)
        for m in (0.18, 0.22, 0.26, 0.3, 0.34, 0.38, 0.42):
            flags = excluded_at_looks(xs, m, CONF)
            for t, flag in zip(LOOKS, flags, strict=False):
                est = mean_sequence(xs[:t], CONF)
                if min(abs(m - est.low), abs(m - est.high)) < 1e-6:
                    continue  # on the bisection tolerance; never happens with these m
                assert (not est.low <= m <= est.high) == flag, (t, m, est)
                checked += 1
                excluded += flag
    assert checked == 6 * 7 * 16
    assert 0.2 < excluded / checked < 0.8  # both sides of the boundary are exercised


@pytest.mark.parametrize("horizon", [None, 300, 40])
def test_bets_are_predictable(horizon):
    rng = random.Random(2)
    xs = bernoulli(0.4)(rng, 300)
    bets = sequential._bets(xs, horizon)
    for k in (1, 17, 150, 299):
        changed = xs[:k] + [1.0 - xs[k]] + xs[k + 1 :]
        assert sequential._bets(changed, horizon)[: k + 1] == bets[: k + 1]
        assert sequential._bets(xs[:k], horizon) == bets[:k]


def test_horizon_bets_are_the_plug_in_sized_for_a_quarter_of_the_horizon():
    # b_t = sqrt(2 ln(2/0.05) / (s2_{t-1} max(N/2, t) / 2)) with the regularised running
    # variance.
    rng = random.Random(3)
    xs = bernoulli(0.3)(rng, 150)
    bets = sequential._bets(xs, 100)
    total, squares = 0.5, 0.25
    for t, (x, b) in enumerate(zip(xs, bets, strict=True), 1):
        s2 = squares / t
        assert b == pytest.approx(math.sqrt(2 * math.log(40) / (s2 * max(50, t) / 2)))
        total += x
        squares += (x - total / (t + 1)) ** 2
    assert max(sequential._bets([0.0] * 5000, 10)) < 8  # bounded, past the horizon too


def test_ends_are_on_the_capital_boundary():
    rng = random.Random(9)
    xs = sampler(LEVELS, LEVEL_PROBS)(rng, 700)
    est = mean_sequence(xs, CONF)
    barrier = math.log(2 / (1 - CONF))
    at = sequential._log_capital_path
    assert at(xs, est.low)[-1] >= barrier > at(xs, est.low + 2e-7)[-1]
    assert at(xs, est.high)[-1] >= barrier > at(xs, est.high - 2e-7)[-1]
    assert est.low < est.value < est.high


def test_cs_is_nested_across_confidence_levels():
    rng = random.Random(10)
    for n in (30, 300, 1500):
        xs = sampler(LEVELS, LEVEL_PROBS)(rng, n)
        ests = [mean_sequence(xs, c) for c in (0.8, 0.9, 0.95, 0.99, 0.9975)]
        for inner, outer in zip(ests, ests[1:], strict=False):
            assert outer.low <= inner.low <= inner.value <= inner.high <= outer.high


# --- 2. width --------------------------------------------------------------------------------


def test_width_at_1000_is_tight_relative_to_wilson():
    rng = random.Random(21)
    xs = bernoulli(0.5)(rng, 1000)
    est = mean_sequence(xs, CONF)
    low, high = wilson_interval(sum(xs), 1000, CONF)
    half, wilson_half = (est.high - est.low) / 2, (high - low) / 2
    assert math.isfinite(half) and half < 0.08
    # The price of looking at every n: ~1.5x the width of an interval valid at n = 1000 only.
    assert half / wilson_half == pytest.approx(1.55, abs=0.05)
    assert est.se == pytest.approx(half / 1.959964, rel=1e-6)
    assert est.n == 1000 and est.method == sequential.METHOD
    assert "Waudby-Smith & Ramdas 2023" in est.method


def test_horizon_tightens_the_cs_where_a_run_decides():
    # Tuned to N = 1,000, the CS is tighter than the untuned one from N/8 to N/2 (where an
    # early stop pays), at best ~1.39x the fixed-n Wilson width at N/4; the price is paid at
    # the end, where it is ~8% wider than the untuned one.
    rng = random.Random(21)
    xs = bernoulli(0.5)(rng, 1000)
    for n in (125, 250, 500):
        tuned = mean_sequence(xs[:n], CONF, horizon=1000)
        plain = mean_sequence(xs[:n], CONF)
        assert tuned.high - tuned.low < plain.high - plain.low
        assert tuned.method == sequential.METHOD + ", bets tuned to N=1000"
    low, high = wilson_interval(sum(xs[:250]), 250, CONF)
    tuned = mean_sequence(xs[:250], CONF, horizon=1000)
    # sqrt(2 ln 40) / 1.96 = 1.386 in the known-variance calculation; 1.387 here.
    assert (tuned.high - tuned.low) / (high - low) == pytest.approx(1.39, abs=0.02)
    low, high = wilson_interval(sum(xs), 1000, CONF)
    tuned = mean_sequence(xs, CONF, horizon=1000)
    plain = mean_sequence(xs, CONF)
    assert (tuned.high - tuned.low) / (high - low) == pytest.approx(1.67, abs=0.02)  # 1.55 untuned
    assert (tuned.high - tuned.low) / (plain.high - plain.low) == pytest.approx(1.08, abs=0.01)


def test_width_shrinks_with_n():
    rng = random.Random(22)
    xs = bernoulli(0.7)(rng, 2000)
    halves = [(e.high - e.low) / 2 for e in (mean_sequence(xs[:n], CONF) for n in (50, 200, 2000))]
    assert halves[0] > halves[1] > halves[2] > 0
    assert halves[2] < 0.04


def test_degenerate_streams():
    one = mean_sequence([1.0], CONF)
    assert one.low == 0.0 and one.high == 1.0 and one.value == 1.0
    ones = mean_sequence([1] * 300, CONF)
    assert ones.high == 1.0 and 0.97 < ones.low < 1.0  # variance-adaptive: tight at the edge
    zeros = mean_sequence([0] * 300, CONF)
    assert zeros.low == 0.0 and 0.0 < zeros.high < 0.03


def test_custom_bounds_are_an_affine_rescaling():
    rng = random.Random(4)
    unit = sampler(LEVELS, LEVEL_PROBS)(rng, 250)
    scaled = [-2 + 4 * x for x in unit]  # in [-2, 2]
    a, b = mean_sequence(unit, CONF), mean_sequence(scaled, CONF, lower=-2.0, upper=2.0)
    assert b.low == pytest.approx(-2 + 4 * a.low, abs=1e-9)
    assert b.high == pytest.approx(-2 + 4 * a.high, abs=1e-9)
    assert b.value == pytest.approx(-2 + 4 * a.value)


# --- 3. paired, unpaired, absolute -----------------------------------------------------------

# Joint distribution of (candidate, reference) on one item: correlated, true difference 0.10.
PAIRS = ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0))
PAIR_PROBS = (0.55, 0.15, 0.05, 0.25)
PAIR_DIFF = 0.15 - 0.05


def draw_pairs(rng, n):
    return sampler(PAIRS, PAIR_PROBS)(rng, n)


def test_paired_cs_is_anytime_valid():
    def draw_diffs(rng, n):
        return [c - r for c, r in draw_pairs(rng, n)]

    rate = cs_ever_miss(draw_diffs, PAIR_DIFF, seed=12, to_unit=lambda d: (d + 1) / 2)
    assert rate <= EVER_MISS_BOUND
    assert rate == pytest.approx(0.032, abs=PIN)


def test_paired_sequence_is_the_cs_of_the_differences():
    rng = random.Random(13)
    pairs = draw_pairs(rng, 1000)
    cand, ref = [c for c, _ in pairs], [r for _, r in pairs]
    est = paired_sequence(cand, ref, CONF)
    diffs = mean_sequence([c - r for c, r in pairs], CONF, lower=-1.0, upper=1.0)
    assert (est.value, est.low, est.high) == (diffs.value, diffs.low, diffs.high)
    assert est.method.startswith("paired ") and est.n == 1000
    assert est.low < PAIR_DIFF < est.high
    # Pairing pays: the naive combination of the two models' own CSs is ~2x as wide.
    own = [mean_sequence(xs, CONF) for xs in (cand, ref)]
    assert est.high - est.low < 0.55 * sum(e.high - e.low for e in own)
    assert (est.high - est.low) / 2 < 0.05


def test_unpaired_sequence_splits_alpha_and_is_anytime_valid():
    cand = bernoulli(0.7)(random.Random(14), 600)
    est = unpaired_sequence(cand, 0.62, 800, CONF)
    cs = mean_sequence(cand, 0.975)
    ref = wilson_aggregate(0.62, 800, 0.975)
    assert est.low == pytest.approx(cs.low - ref.high)
    assert est.high == pytest.approx(cs.high - ref.low)
    assert est.value == pytest.approx(cs.value - 0.62)
    assert "Bonferroni" in est.method and "0.975" in est.method and est.n == 600

    # Simulated: reference aggregate from 800 items at 0.65, candidate streams at 0.70.
    rng = random.Random(15)
    draw = bernoulli(0.7)
    misses = 0
    for _ in range(STREAMS):
        ref_low, ref_high = wilson_interval(sum(bernoulli(0.65)(rng, 800)), 800, 0.975)
        xs = draw(rng, LENGTH)
        cs_miss = any(excluded_at_looks(xs, 0.7, 0.975))
        misses += cs_miss or not ref_low <= 0.65 <= ref_high
    assert misses / STREAMS <= EVER_MISS_BOUND


def test_horizon_reaches_every_comparison():
    pairs = draw_pairs(random.Random(24), 400)
    cand, ref = [c for c, _ in pairs], [r for _, r in pairs]
    paired = paired_sequence(cand, ref, CONF, horizon=800)
    diffs = mean_sequence([c - r for c, r in pairs], CONF, lower=-1, upper=1, horizon=800)
    assert (paired.low, paired.high) == (diffs.low, diffs.high)
    assert paired.method == "paired " + diffs.method and "N=800" in paired.method
    unpaired = unpaired_sequence(cand, 0.62, 800, CONF, horizon=800)
    cs = mean_sequence(cand, 0.975, horizon=800)
    assert unpaired.low == pytest.approx(cs.low - wilson_aggregate(0.62, 800, 0.975).high)
    assert "N=800" in unpaired.method
    absolute = absolute_sequence(cand, 0.6, CONF, horizon=800)
    assert absolute.low == pytest.approx(mean_sequence(cand, CONF, horizon=800).low - 0.6)
    # A small published reference gets the continuity-corrected Wilson, and says so.
    small = unpaired_sequence(cand, 0.62, 50, CONF, horizon=800)
    assert "reference: Wilson score, continuity-corrected (aggregate)" in small.method
    assert small.high - small.low > unpaired.high - unpaired.low


def test_compare_passes_the_evidence_horizon():
    from pytest_modelgate.decide.comparisons import Evidence, compare

    pairs = draw_pairs(random.Random(25), 200)
    ids = [f"i{k}" for k in range(200)]
    cand = dict(zip(ids, (c for c, _ in pairs), strict=True))
    ref = dict(zip(ids, (r for _, r in pairs), strict=True))
    baseline = Evidence("baseline", sum(ref.values()) / 200, 200, ref)
    for horizon in (None, 1000):
        ev = Evidence("candidate", sum(cand.values()) / 200, 200, cand, horizon=horizon)
        got = compare(ev, baseline, CONF, sequential=True).diff
        want = paired_sequence(list(cand.values()), list(ref.values()), CONF, horizon=horizon)
        assert (got.low, got.high, got.method) == (want.low, want.high, want.method)


def test_absolute_sequence_is_the_cs_shifted():
    cand = bernoulli(0.9)(random.Random(16), 500)
    est, cs = absolute_sequence(cand, 0.85, CONF), mean_sequence(cand, CONF)
    assert est.value == pytest.approx(cs.value - 0.85)
    assert (est.low, est.high) == pytest.approx((cs.low - 0.85, cs.high - 0.85))
    assert est.se == cs.se and est.method == cs.method


# --- 4. Holm ---------------------------------------------------------------------------------


def test_holm_textbook_example():
    # Sorted: 0.005 <= .05/4, 0.01 <= .05/3, then 0.03 > .05/2 stops (0.04 <= .05 is not reached).
    assert holm([0.01, 0.04, 0.03, 0.005], 0.05) == [True, False, False, True]
    assert holm([0.01, 0.04, 0.03, 0.005], 0.10) == [True, True, True, True]
    assert holm([], 0.05) == []


def test_holm_with_one_hypothesis_is_unadjusted():
    for p in (0.0, 0.01, 0.049, 0.05, 0.051, 1.0):
        assert holm([p], 0.05) == [p <= 0.05]
    assert holm_adjusted_confidence(1, 1, CONF) == CONF


def test_holm_is_monotone():
    rng = random.Random(17)
    for _ in range(2000):
        ps = [rng.random() ** 3 for _ in range(rng.randint(1, 6))]
        rejected = holm(ps, 0.05)
        # Rejections are the smallest p-values: a rejected p means every smaller one is too.
        for i, r in enumerate(rejected):
            if r:
                assert all(rejected[j] for j in range(len(ps)) if ps[j] <= ps[i])
        # Between Bonferroni and no correction: rejects all that p <= alpha/m does, none above alpha.
        assert all(p <= 0.05 for r, p in zip(rejected, ps, strict=True) if r)
        assert all(r or p > 0.05 / len(ps) for r, p in zip(rejected, ps, strict=True))
        # Lowering one p-value, or raising alpha, never withdraws a rejection.
        k = rng.randrange(len(ps))
        lowered = ps[:k] + [ps[k] / 2] + ps[k + 1 :]
        assert all(b or not a for a, b in zip(rejected, holm(lowered, 0.05), strict=True))
        assert all(b or not a for a, b in zip(rejected, holm(ps, 0.1), strict=True))


def test_holm_controls_familywise_error():
    rng = random.Random(18)
    runs, m = 20000, 5
    false = sum(any(holm([rng.random() for _ in range(m)], 0.05)) for _ in range(runs))
    assert false / runs <= 0.05 + 0.005


def test_holm_adjusted_confidence_matches_step_down():
    assert holm_adjusted_confidence(1, 4, CONF) == pytest.approx(1 - 0.05 / 4)
    assert holm_adjusted_confidence(2, 4, CONF) == pytest.approx(1 - 0.05 / 3)
    assert holm_adjusted_confidence(4, 4, CONF) == pytest.approx(CONF)
    ps = [0.01, 0.04, 0.03, 0.005]
    order = sorted(range(4), key=ps.__getitem__)
    stepped = [False] * 4
    for rank, i in enumerate(order, 1):
        if ps[i] > 1 - holm_adjusted_confidence(rank, 4, CONF):
            break
        stepped[i] = True
    assert stepped == holm(ps, 0.05)


def test_holm_in_interval_form_matches_holm_on_the_cs_p_values():
    """The procedure documented in holm_adjusted_confidence, run with mean_sequence."""
    rng = random.Random(19)
    for _ in range(15):
        m = rng.randint(2, 6)
        streams = [bernoulli(rng.uniform(0.2, 0.8))(rng, rng.choice((200, 600))) for _ in range(m)]
        # Margins near each CS's edge, so that some claims are rejected and some are not.
        margins = []
        for xs in streams:
            est = mean_sequence(xs, CONF)
            margins.append(est.low + rng.uniform(-0.04, 0.01))
        pvalues = [
            min(1.0, 2 / math.exp(sequential._log_capital_path(xs, mg)[-1]))
            for xs, mg in zip(streams, margins, strict=True)
        ]
        rejected = [False] * m
        while not all(rejected):
            r = m - sum(rejected)
            level = holm_adjusted_confidence(m - r + 1, m, CONF)
            now = [
                i
                for i in range(m)
                if not rejected[i]
                and not (e := mean_sequence(streams[i], level)).low <= margins[i] <= e.high
            ]
            if not now:
                break
            for i in now:
                rejected[i] = True
        assert rejected == holm(pvalues, 1 - CONF)


# --- 5. bad input ----------------------------------------------------------------------------


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="positive"):
        mean_sequence([], CONF)
    with pytest.raises(ValueError):
        paired_sequence([], [], CONF)
    with pytest.raises(ValueError):
        unpaired_sequence([], 0.5, 100, CONF)
    with pytest.raises(ValueError):
        absolute_sequence([], 0.5, CONF)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mean_sequence([0.5, 1.2], CONF),
        lambda: mean_sequence([-0.1, 0.5], CONF),
        lambda: mean_sequence([0.5, 3.0], CONF, lower=-2.0, upper=2.0),
        lambda: mean_sequence([math.nan, 0.5], CONF),
        lambda: mean_sequence([0.5], CONF, lower=1.0, upper=1.0),
        lambda: paired_sequence([0.5, 1.5], [0.5, 0.5], CONF),
        lambda: paired_sequence([1, 0], [1, 0, 1], CONF),
        lambda: unpaired_sequence([2.0], 0.5, 100, CONF),
        lambda: unpaired_sequence([1.0], 1.5, 100, CONF),
        lambda: unpaired_sequence([1.0], 0.5, 0, CONF),
        lambda: absolute_sequence([1.1], 0.5, CONF),
    ],
)
def test_out_of_range_values_are_errors(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("horizon", [0, -5, 2.5, True])
def test_bad_horizon_is_an_error(horizon):
    with pytest.raises(ValueError, match="horizon"):
        mean_sequence([1, 0, 1], CONF, horizon=horizon)
    with pytest.raises(ValueError, match="horizon"):
        paired_sequence([1, 0], [0, 0], CONF, horizon=horizon)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_confidence_outside_unit_interval_is_an_error(confidence):
    for call in (
        lambda: mean_sequence([1, 0], confidence),
        lambda: paired_sequence([1, 0], [0, 0], confidence),
        lambda: unpaired_sequence([1, 0], 0.5, 100, confidence),
        lambda: absolute_sequence([1, 0], 0.5, confidence),
        lambda: holm_adjusted_confidence(1, 2, confidence),
    ):
        with pytest.raises(ValueError, match="confidence"):
            call()


def test_holm_bad_input():
    for alpha in (0.0, 1.0, -1.0):
        with pytest.raises(ValueError, match="alpha"):
            holm([0.1], alpha)
    for p in (-0.1, 1.1, math.nan):
        with pytest.raises(ValueError, match="p-values"):
            holm([0.1, p], 0.05)
    for rank, m in ((0, 3), (4, 3), (1, 0)):
        with pytest.raises(ValueError, match="rank"):
            holm_adjusted_confidence(rank, m, CONF)
