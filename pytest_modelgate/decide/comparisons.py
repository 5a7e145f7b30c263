"""Evidence on one benchmark and the comparison of a candidate with a reference.

Pure: no pytest, no I/O. ``Evidence`` is what we know of one model on one
benchmark: per-item scores (our own runs, recorded baselines) or only a
published aggregate. The comparison picks the strongest honest method:
paired when both sides have the same items, unpaired when one side is an
aggregate, absolute against a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_modelgate.decide import proportions, stats
from pytest_modelgate.decide.estimate import Estimate

PAIRED, UNPAIRED, ABSOLUTE, POINT = "paired", "unpaired", "absolute", "point"


@dataclass(frozen=True)
class Evidence:
    """One model's result on one benchmark."""

    source: str  # e.g. "qwen3 (per-item results)", "llama (published)"
    score: float
    n: int
    items: Mapping[str, float] | None = None  # item id -> score; None for published aggregates
    clusters: Mapping[str, str | None] | None = None
    name: str = ""  # short label for tables, e.g. the baseline name
    # Sequential runs: the items planned (the benchmark's size), fixed before the first is
    # scored; the confidence sequences tune their bets to it. None: untuned (still valid).
    horizon: int | None = None


@dataclass(frozen=True)
class Comparison:
    """candidate - reference, with the method that produced the interval."""

    reference: float
    reference_source: str
    method: str  # paired | unpaired | absolute
    diff: Estimate
    reference_name: str = ""  # short label: "absolute", "peer", "ecosystem=peer"


class ComparisonError(ValueError):
    """The two sides cannot be compared honestly (e.g. the baseline lacks items)."""


def score_estimate(evidence: Evidence, confidence: float, seed: int = 0) -> Estimate:
    if evidence.items is None:
        return proportions.aggregate_interval(evidence.score, evidence.n, confidence)
    ids = list(evidence.items)
    return stats.score_interval(
        [evidence.items[i] for i in ids], confidence, clusters=_clusters(evidence, ids), seed=seed
    )


def compare(
    candidate: Evidence,
    reference: Evidence | float,
    confidence: float,
    seed: int = 0,
    sequential: bool = False,
) -> Comparison:
    """``sequential``: anytime-valid confidence sequences instead of fixed-n intervals, for
    decisions taken while items are still being evaluated (peeking does not inflate errors)."""
    if sequential and candidate.items is not None:
        return _compare_sequential(candidate, reference, confidence)
    if not isinstance(reference, Evidence):
        own = score_estimate(candidate, confidence, seed)
        diff = Estimate(
            own.value - reference,
            own.low - reference,
            own.high - reference,
            own.se,
            own.n,
            own.method,
            own.n_clusters,
        )
        return Comparison(float(reference), "absolute threshold", ABSOLUTE, diff, "absolute")
    if candidate.items is not None and reference.items is not None:
        ids = list(candidate.items)
        missing = [i for i in ids if i not in reference.items]
        if missing:
            raise ComparisonError(
                f"{reference.source} has no result for {len(missing)} of the candidate's "
                f"{len(ids)} items (e.g. {missing[0]!r}): the dataset changed since the "
                "baseline was recorded; record it again"
            )
        diff = stats.paired_difference(
            [candidate.items[i] for i in ids],
            [reference.items[i] for i in ids],
            confidence,
            clusters=_clusters(candidate, ids),
            seed=seed,
        )
        ref_score = sum(reference.items[i] for i in ids) / len(ids)
        return Comparison(ref_score, _paired_source(reference, ids), PAIRED, diff, reference.name)
    if candidate.items is not None:
        ids = list(candidate.items)
        diff = stats.unpaired_difference(
            [candidate.items[i] for i in ids],
            reference.score,
            reference.n,
            confidence,
            clusters=_clusters(candidate, ids),
            seed=seed,
        )
    else:
        diff = stats.aggregate_difference(
            candidate.score, candidate.n, reference.score, reference.n, confidence
        )
    return Comparison(reference.score, reference.source, UNPAIRED, diff, reference.name)


def _compare_sequential(
    candidate: Evidence, reference: Evidence | float, confidence: float
) -> Comparison:
    from pytest_modelgate.decide import sequential  # only sequential runs pay for it

    assert candidate.items is not None
    ids = list(candidate.items)
    values = [candidate.items[i] for i in ids]
    horizon = candidate.horizon
    if not isinstance(reference, Evidence):
        diff = sequential.absolute_sequence(values, reference, confidence, horizon=horizon)
        return Comparison(float(reference), "absolute threshold", ABSOLUTE, diff, "absolute")
    if reference.items is not None:
        missing = [i for i in ids if i not in reference.items]
        if missing:
            raise ComparisonError(
                f"{reference.source} has no result for {len(missing)} of the candidate's "
                f"{len(ids)} items (e.g. {missing[0]!r}); record the baseline again"
            )
        paired = [reference.items[i] for i in ids]
        diff = sequential.paired_sequence(values, paired, confidence, horizon=horizon)
        source = _paired_source(reference, ids)
        return Comparison(sum(paired) / len(ids), source, PAIRED, diff, reference.name)
    diff = sequential.unpaired_sequence(
        values, reference.score, reference.n, confidence, horizon=horizon
    )
    return Comparison(reference.score, reference.source, UNPAIRED, diff, reference.name)


def _paired_source(reference: Evidence, ids: Sequence[str]) -> str:
    """The reference's source; when the pairing uses only some of its items, the reference
    score is theirs, not the file's, and the source says so."""
    assert reference.items is not None
    if len(ids) == len(reference.items):
        return reference.source
    return (
        f"{reference.source}; paired on {len(ids)} of {len(reference.items)} items, the "
        f"file's own score is {reference.score:.3f}"
    )


def riskiest(baselines: Mapping[str, Evidence], higher_is_safer: bool) -> str:
    """The ecosystem reference for a risk threshold: the baseline that already carries the
    most risk (highest score, or lowest when higher is safer)."""
    pick = min if higher_is_safer else max
    return pick(baselines, key=lambda name: baselines[name].score)


def strongest(baselines: Mapping[str, Evidence]) -> str:
    """The ecosystem reference for a floor: the best-scoring baseline."""
    return max(baselines, key=lambda name: baselines[name].score)


def _clusters(evidence: Evidence, ids: Sequence[str]) -> list[str | None] | None:
    if not evidence.clusters or not any(evidence.clusters.values()):
        return None
    return [evidence.clusters.get(i) for i in ids]
