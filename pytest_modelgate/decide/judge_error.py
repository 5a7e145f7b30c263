"""A judge's own error, carried into a judged score's interval (pure, stdlib-only).

A judge that calls some wrong answers right (1 - specificity) and some right answers wrong
(1 - sensitivity) reports q = Se p + (1 - Sp)(1 - p) for a true rate p: a biased score with
a tight interval around the bias. Given calibration items graded by people (a gold grade
and the judge's verdict on the same fixed answer), the Rogan-Gladen estimator inverts it,

    p = (q + Sp - 1) / J,   J = Se + Sp - 1 (Youden's index; the judge beats chance if J > 0),

and the interval carries three uncertainties: the score's own (its se, from whichever
interval produced it: Wilson, cluster bootstrap), and those of Se and Sp from the
calibration. Delta-method variances, not a bootstrap: they compose with the score's se as
given (clustered or not) without resampling the benchmark again, and cost nothing:

    Var(q + Sp - 1 - p J) = Var q + p^2 Var Se + (1 - p)^2 Var Sp

The interval is Fieller's for the ratio (every p with (q + Sp - 1 - p J)^2 <= z^2 times that
variance), not the symmetric p +- z sqrt(Var p): dividing by an estimated J skews p, and the
symmetric interval let a judge of sensitivity 0.7 pass falsely in 5.5-6.5% of simulated runs.
Var Se and Var Sp are plus-four (Agresti-Coull) proportions, so that a perfect calibration
(30 of 30 right) still carries its uncertainty, and z is Student's t with one degree of
freedom fewer than the smaller side of the calibration, since those variances are estimated
from as few as 15 answers a side: with z and raw variances the interval covered 92.5-94% for
30 calibration items. (Plus-four centres as well covered 97-99% there, but shrank Sp = 0.95
enough at 300 items to let 4.7% pass falsely.) Validated by simulation in
benchmarks/judge_validation.py (coverage and false pass over judge accuracy 70-95%,
asymmetric errors, 30-300 calibration items). Clamped to [0, 1].
A judge whose J is not clearly above 0 tells nothing: the interval is then all of [0, 1]
(a threshold on it is inconclusive; fail closed).

Differences with a baseline: a paired baseline (its per-item results, graded by the same
judge) differs by q_c - q_r = J (p_c - p_r), so the difference is divided by J (its variance
by the delta method as above). A number, or a published aggregate graded by someone else, is
taken as it is: only the candidate's score is corrected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.decide.bootstrap import t_quantile
from pytest_modelgate.decide.estimate import Estimate, z_value

NOT_ACCOUNTED = "judge error not accounted for"
_ADJUST = 2.0  # plus-four: 2 successes and 2 failures added, for variances only


@dataclass(frozen=True)
class Calibration:
    """The judge's verdicts on items people graded: counts of (gold, judged)."""

    true_pos: int  # gold right, judged right
    false_neg: int  # gold right, judged wrong
    true_neg: int  # gold wrong, judged wrong
    false_pos: int  # gold wrong, judged right

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[bool, bool]]) -> Calibration:
        """(gold grade, judge's grade) per calibration item, True = right."""
        tp = fn = tn = fp = 0
        for gold, judged in pairs:
            if gold:
                tp, fn = (tp + 1, fn) if judged else (tp, fn + 1)
            else:
                tn, fp = (tn + 1, fp) if not judged else (tn, fp + 1)
        return cls(tp, fn, tn, fp)

    @property
    def positives(self) -> int:
        return self.true_pos + self.false_neg

    @property
    def negatives(self) -> int:
        return self.true_neg + self.false_pos

    @property
    def sensitivity(self) -> float:
        return self.true_pos / self.positives if self.positives else math.nan

    @property
    def specificity(self) -> float:
        return self.true_neg / self.negatives if self.negatives else math.nan

    def variances(self) -> tuple[float, float]:
        """Var Se, Var Sp from plus-four proportions (never 0, even for 30 of 30 right)."""
        se = (self.true_pos + _ADJUST) / (self.positives + 2 * _ADJUST)
        sp = (self.true_neg + _ADJUST) / (self.negatives + 2 * _ADJUST)
        return (
            se * (1 - se) / (self.positives + 2 * _ADJUST),
            sp * (1 - sp) / (self.negatives + 2 * _ADJUST),
        )

    def record(self) -> dict[str, float | int]:
        """As results.json keeps it."""
        return {
            "items": self.positives + self.negatives,
            "true_pos": self.true_pos,
            "false_neg": self.false_neg,
            "true_neg": self.true_neg,
            "false_pos": self.false_pos,
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Calibration:
        return cls(
            int(record["true_pos"]),
            int(record["false_neg"]),
            int(record["true_neg"]),
            int(record["false_pos"]),
        )

    def check(self) -> None:
        if not self.positives or not self.negatives:
            raise ValueError(
                f"judge calibration needs items graded right and items graded wrong by people "
                f"(has {self.positives} right, {self.negatives} wrong): sensitivity and "
                "specificity need both"
            )


def describe(record: Mapping[str, Any] | None) -> str:
    """What a judged score says about its judge's own error, in every report."""
    if not record:
        return f"{NOT_ACCOUNTED} (no judge.calibration)"
    return (
        f"judge error corrected (Rogan-Gladen) from {record['items']} answers graded by "
        f"people: sensitivity {record['sensitivity']:.3f}, specificity "
        f"{record['specificity']:.3f}"
    )


def _youden(cal: Calibration, z: float) -> tuple[float, float] | None:
    """J and Var J (plus-four), or None when J is not clearly above 0 (the judge tells
    nothing)."""
    cal.check()
    var_se, var_sp = cal.variances()
    j = cal.sensitivity + cal.specificity - 1.0
    if j - z * math.sqrt(var_se + var_sp) <= 0.0:
        return None
    return j, var_se + var_sp


def _quantile(cal: Calibration, confidence: float) -> float:
    """Student's t with min(positives, negatives) - 1 degrees of freedom for z: Var Se and
    Var Sp are estimated from as few as 15 answers a side, and z alone left the interval
    at 92.5-94.5% coverage there (the t quantile is 2.14 at 14 df, 1.98 at 149)."""
    df = max(1, min(cal.positives, cal.negatives) - 1)
    return t_quantile(1.0 - (1.0 - confidence) / 2.0, df)


def _fieller(
    a: float, j: float, var_a: float, var_j: float, cov: float, z: float, lo: float, hi: float
) -> tuple[float, float]:
    """Fieller's interval for the ratio a / j: every r with (a - r j)^2 <= z^2 Var(a - r j),
    Var(a - r j) = var_a - 2 r cov + r^2 var_j. With j clearly above 0 (j^2 > z^2 var_j) it
    is the span between the roots of a quadratic; clamped to [lo, hi]."""
    k = z * z
    qa = j * j - k * var_j
    qb = -2.0 * (a * j - k * cov)
    qc = a * a - k * var_a
    disc = max(0.0, qb * qb - 4.0 * qa * qc)
    root = math.sqrt(disc)
    low, high = (-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa)
    return max(lo, min(hi, low)), max(lo, min(hi, high))


def method_note(cal: Calibration) -> str:
    return (
        f"Rogan-Gladen corrected for judge error (sensitivity {cal.sensitivity:.3f}, "
        f"specificity {cal.specificity:.3f}, {cal.positives + cal.negatives} calibration items; "
        "Fieller interval, delta-method variances, t quantile)"
    )


def corrected_score(observed: Estimate, cal: Calibration, confidence: float) -> Estimate:
    """The judged score corrected for the judge's error, with both uncertainties."""
    z_value(confidence)
    z = _quantile(cal, confidence)
    method = f"{observed.method}; {method_note(cal)}"
    youden = _youden(cal, z)
    if youden is None:
        return Estimate(observed.value, 0.0, 1.0, math.inf, observed.n, method + ": J <= 0")
    j, var_j = youden
    var_se, var_sp = cal.variances()
    a = observed.value + cal.specificity - 1.0
    p = min(1.0, max(0.0, a / j))
    # a = q + Sp - 1 and J = Se + Sp - 1 share Sp: Var a = Var q + Var Sp, Cov(a, J) = Var Sp;
    # then Var(a - p J) = Var q + p^2 Var Se + (1 - p)^2 Var Sp, the delta method's numerator.
    low, high = _fieller(a, j, observed.se**2 + var_sp, var_j, var_sp, z, 0.0, 1.0)
    var = (observed.se**2 + p * p * var_se + (1 - p) ** 2 * var_sp) / (j * j)
    return Estimate(p, min(low, p), max(high, p), math.sqrt(var), observed.n, method)


def corrected_paired_difference(
    observed: Estimate, cal: Calibration, confidence: float
) -> Estimate:
    """candidate - baseline graded by the same judge: q_c - q_r = J (p_c - p_r)."""
    z_value(confidence)
    z = _quantile(cal, confidence)
    method = f"{observed.method}; {method_note(cal)}"
    youden = _youden(cal, z)
    if youden is None:
        return Estimate(observed.value, -1.0, 1.0, math.inf, observed.n, method + ": J <= 0")
    j, var_j = youden
    d = max(-1.0, min(1.0, observed.value / j))
    low, high = _fieller(observed.value, j, observed.se**2, var_j, 0.0, z, -1.0, 1.0)
    var = (observed.se**2 + d * d * var_j) / (j * j)
    return Estimate(d, min(low, d), max(high, d), math.sqrt(var), observed.n, method)


def corrected_difference_to(
    observed_diff: Estimate,
    observed_score: Estimate,
    corrected: Estimate,
    reference: float,
    confidence: float,
) -> Estimate:
    """corrected candidate - a reference taken as it is (a number, a published aggregate).

    The reference's own variance is what the uncorrected difference had beyond the
    candidate's (0 for a number); the candidate's is the corrected score's."""
    z = z_value(confidence)
    ref_var = max(0.0, observed_diff.se**2 - observed_score.se**2)
    if not math.isfinite(corrected.se):
        return Estimate(
            corrected.value - reference, -1.0, 1.0, math.inf, corrected.n, corrected.method
        )
    # Widen the corrected score's (possibly asymmetric) interval by the reference's share.
    extra = z * math.sqrt(corrected.se**2 + ref_var) - z * corrected.se
    value = corrected.value - reference
    return Estimate(
        value,
        max(-1.0, corrected.low - reference - extra),
        min(1.0, corrected.high - reference + extra),
        math.sqrt(corrected.se**2 + ref_var),
        corrected.n,
        corrected.method,
    )


def calibration_items_needed(
    margin: float,
    confidence: float,
    sensitivity: float = 0.9,
    specificity: float = 0.9,
    score: float = 0.5,
) -> int:
    """Calibration items (half graded right by people, half wrong) for the calibration's
    share of the corrected interval's half-width to stay within ``margin``, for a judge of
    the given accuracy at the given score: z sqrt(p^2 Var Se + (1-p)^2 Var Sp) / J <= margin."""
    if not 0.0 < margin < 1.0:
        raise ValueError(f"margin must lie in (0, 1), got {margin!r}")
    z = z_value(confidence)
    j = sensitivity + specificity - 1.0
    if j <= 0:
        raise ValueError("a judge no better than chance cannot be calibrated")
    # Var Se = Se(1-Se)/(n/2), Var Sp likewise: solve for n.
    spread = score**2 * sensitivity * (1 - sensitivity) + (1 - score) ** 2 * specificity * (
        1 - specificity
    )
    return max(2, math.ceil(2.0 * spread * (z / (margin * j)) ** 2))
