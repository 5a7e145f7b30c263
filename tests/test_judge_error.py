"""The judge-error correction: the pure statistics with numbers, then judged benchmarks end
to end against loopback servers, with and without answers graded by people."""

from __future__ import annotations

import math
import random

import pytest
from conftest import write_jsonl
from test_evaluations import JUDGED, gate, judge_reply, open_rows, results, run_gate

from pytest_modelgate.decide import judge_error
from pytest_modelgate.decide.estimate import Estimate
from pytest_modelgate.decide.judge_error import Calibration
from pytest_modelgate.decide.stats import score_interval

CONF = 0.95
Z = 1.959963984540054

# --- the statistics ---------------------------------------------------------------------------


def observed(value: float, se: float, n: int = 400) -> Estimate:
    return Estimate(value, value - Z * se, value + Z * se, se, n, "Wilson")


def test_calibration_counts_sensitivity_and_specificity():
    pairs = [(True, True)] * 18 + [(True, False)] * 2 + [(False, False)] * 17
    pairs += [(False, True)] * 3
    cal = Calibration.from_pairs(pairs)
    assert (cal.true_pos, cal.false_neg, cal.true_neg, cal.false_pos) == (18, 2, 17, 3)
    assert cal.sensitivity == 0.9 and cal.specificity == 0.85
    assert Calibration.from_record(cal.record()) == cal
    # plus-four: (18 + 2) / 24 and (17 + 2) / 24, over 24 items each
    var_se, var_sp = cal.variances()
    assert var_se == pytest.approx((20 / 24) * (4 / 24) / 24)
    assert var_sp == pytest.approx((19 / 24) * (5 / 24) / 24)


def test_rogan_gladen_inverts_the_judges_bias():
    # q = Se p + (1 - Sp)(1 - p) = 0.9 * 0.8 + 0.15 * 0.2 = 0.75 -> p = 0.8
    cal = Calibration(180, 20, 170, 30)
    est = judge_error.corrected_score(observed(0.75, 0.02), cal, CONF)
    assert est.value == pytest.approx(0.8)
    assert est.low < 0.8 < est.high
    assert "Rogan-Gladen" in est.method and "Wilson" in est.method


def test_the_interval_is_fiellers_set_for_the_ratio():
    # Every p with (q + Sp - 1 - p J)^2 <= t^2 (Var q + p^2 Var Se + (1 - p)^2 Var Sp),
    # t = 2.0452 (29 df: 30 answers a side), found here by brute force over a fine grid.
    cal = Calibration(25, 5, 20, 10)
    obs = observed(0.55, 0.025)
    est = judge_error.corrected_score(obs, cal, CONF)
    var_se, var_sp = cal.variances()
    j = 25 / 30 + 20 / 30 - 1
    a = obs.value + 20 / 30 - 1
    t = 2.045229642
    inside = [
        p / 10000
        for p in range(10001)
        if (a - p / 10000 * j) ** 2
        <= t**2 * (obs.se**2 + (p / 10000) ** 2 * var_se + (1 - p / 10000) ** 2 * var_sp)
    ]
    assert est.low == pytest.approx(inside[0], abs=1e-4)
    assert est.high == pytest.approx(inside[-1], abs=1e-4)
    assert est.low < est.value < est.high


def test_the_interval_stays_within_0_and_1():
    est = judge_error.corrected_score(observed(0.97, 0.01), Calibration(28, 2, 25, 5), CONF)
    assert est.value == 1.0 and est.high == 1.0 and 0.0 < est.low < 1.0
    est = judge_error.corrected_score(observed(0.05, 0.01), Calibration(28, 2, 25, 5), CONF)
    assert est.value == 0.0 and est.low == 0.0


def test_a_judge_no_better_than_chance_tells_nothing():
    est = judge_error.corrected_score(observed(0.6, 0.02), Calibration(12, 8, 11, 9), CONF)
    assert (est.low, est.high) == (0.0, 1.0)
    with pytest.raises(ValueError, match="right and items graded wrong"):
        judge_error.corrected_score(observed(0.6, 0.02), Calibration(20, 0, 0, 0), CONF)


def test_a_perfect_judge_still_carries_its_calibrations_uncertainty():
    est = judge_error.corrected_score(observed(0.6, 0.02), Calibration(30, 0, 30, 0), CONF)
    assert est.value == pytest.approx(0.6)
    assert est.high - est.low > 2 * Z * 0.02  # wider than the score's own interval


def test_a_paired_difference_is_divided_by_youdens_index():
    cal = Calibration(180, 20, 170, 30)  # J = 0.75
    diff = Estimate(0.06, 0.02, 0.10, 0.02, 400, "paired")
    est = judge_error.corrected_paired_difference(diff, cal, CONF)
    assert est.value == pytest.approx(0.08)
    assert est.low < 0.08 < est.high and est.high - est.low > 2 * Z * 0.02 / 0.75


def test_a_number_is_taken_as_it_is():
    cal = Calibration(180, 20, 170, 30)
    own = observed(0.75, 0.02)
    fixed = judge_error.corrected_score(own, cal, CONF)
    diff = Estimate(0.25, own.low - 0.5, own.high - 0.5, own.se, 400, "Wilson")
    est = judge_error.corrected_difference_to(diff, own, fixed, 0.5, CONF)
    assert est.value == pytest.approx(0.3)
    assert (est.low, est.high) == pytest.approx((fixed.low - 0.5, fixed.high - 0.5))


def test_calibration_items_needed_for_a_margin():
    # 2 (p^2 Se(1-Se) + (1-p)^2 Sp(1-Sp)) (z / (m J))^2 = 0.09 (1.96 / 0.04)^2 = 216.1
    assert judge_error.calibration_items_needed(0.05, CONF) == 217
    assert judge_error.calibration_items_needed(0.10, CONF) == 55
    with pytest.raises(ValueError, match="margin"):
        judge_error.calibration_items_needed(0.0, CONF)


def test_coverage_by_simulation_with_known_rates():
    # A judge 80% right on right answers and 90% on wrong ones, 60 calibration items, a true
    # rate of 0.6 over 400 items: the corrected interval covers it ~95% of the time, the
    # judged score's own interval almost never (its centre is 0.52).
    rng = random.Random(17)
    p, se, sp, n, half = 0.6, 0.8, 0.9, 400, 30
    covered = naive = 0
    reps = 300
    for _ in range(reps):
        k = sum(rng.random() < (se if rng.random() < p else 1 - sp) for _ in range(n))
        own = score_interval([1.0] * k + [0.0] * (n - k), CONF)
        tp = sum(rng.random() < se for _ in range(half))
        tn = sum(rng.random() < sp for _ in range(half))
        est = judge_error.corrected_score(own, Calibration(tp, half - tp, tn, half - tn), CONF)
        covered += est.low <= p <= est.high
        naive += own.low <= p <= own.high
    assert covered / reps >= 0.93
    assert naive / reps < 0.2
    assert math.isclose(covered / reps, 285 / 300, abs_tol=1e-9)  # seeded: pinned


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture
def servers(model_server):
    return model_server(), model_server(reply=judge_reply)


def calibration_rows() -> list[dict[str, str]]:
    """40 answers graded by people; the loopback judge grades C exactly the [[right]] ones:
    18 of 20 right answers (2 missed) and 3 of 20 wrong ones -> Se 0.9, Sp 0.85."""
    rows = []
    for i in range(20):
        tagged = i < 18
        rows.append(
            {
                "input": f"Q{i}?",
                "target": "yes",
                "answer": "[[right]] yes" if tagged else "yes",
                "gold_grade": "C",
            }
        )
    for i in range(20):
        tagged = i < 3
        rows.append(
            {
                "input": f"P{i}?",
                "target": "yes",
                "answer": "[[right]] no" if tagged else "no",
                "gold_grade": "I",
            }
        )
    return rows


FAILING = JUDGED.replace("{{at_least: 0.5}}", "{{at_least: 0.9, margin: 0.05}}")


def test_a_calibrated_judge_corrects_the_score_and_says_so(pytester, servers, write_gate):
    candidate, grader = servers
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=30, wrong=10))
    write_jsonl(pytester.path / "data/gold.jsonl", calibration_rows())
    judge = "{model: grader, regrade: 5, calibration: data/gold.jsonl}"
    write_gate(gate(candidate.base_url, grader.base_url, FAILING.format(judge=judge)))
    run = run_gate(pytester, failed=2)
    entry = results(pytester)["benchmarks"]["bio-open"]
    # q = 0.75 judged right; p = (0.75 + 0.85 - 1) / (0.9 + 0.85 - 1) = 0.8
    assert entry["score"] == pytest.approx(0.8)
    assert "Rogan-Gladen" in entry["interval_method"]
    record = entry["judge"]
    assert record["judged_score"]["score"] == 0.75
    assert len(record["calibration"].pop("dataset_sha256")) == 64
    assert record["calibration"] == {
        "items": 40,
        "true_pos": 18,
        "false_neg": 2,
        "true_neg": 17,
        "false_pos": 3,
        "sensitivity": 0.9,
        "specificity": 0.85,
    }
    assert record["judge_error"].startswith("judge error corrected (Rogan-Gladen) from 40")
    assert record["agreement"]["items"] == 5  # the regrade stays, beside it
    assert "Rogan-Gladen" in entry["floors"][0]["interval_method"]
    assert grader.answered == 40 + 5 + 40  # answers, regrade, calibration
    graded = [v for k, v in record["verdicts"].items() if k.startswith("calibration:")]
    assert len(graded) == 40 and sum(v == {"calibration": "C"} for v in graded) == 21
    run.stdout.fnmatch_lines(
        [
            "*Graded by a judge, corrected for its error (Rogan-Gladen, Fieller interval): "
            "sensitivity 0.900 (18/20), specificity 0.850 (17/20) from 40 answers graded by "
            "people; judged score 0.750 *",
            "bio-open: graded by judge grader (85 calls, 0 cached); regrade of 5 items agreed on "
            "5 of 5 verdicts; judge error corrected (Rogan-Gladen) from 40 answers graded by "
            "people: sensitivity 0.900, specificity 0.850",
        ]
    )
    assert "not accounted for" not in run.stdout.str()
    assert "judge error corrected" in (pytester.path / "out/summary.md").read_text()
    assert "judge error corrected" in (pytester.path / "out/report.html").read_text()


def test_without_calibration_every_report_says_judge_error_is_not_accounted_for(
    pytester, servers, write_gate
):
    candidate, grader = servers
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=30, wrong=10))
    write_gate(gate(candidate.base_url, grader.base_url, FAILING.format(judge="{model: grader}")))
    run = run_gate(pytester, failed=2)
    entry = results(pytester)["benchmarks"]["bio-open"]
    assert entry["score"] == 0.75 and "Rogan-Gladen" not in entry["interval_method"]
    assert entry["judge"]["calibration"] is None
    assert entry["judge"]["judge_error"] == "judge error not accounted for (no judge.calibration)"
    run.stdout.fnmatch_lines(
        [
            "*Graded by a judge: judge error not accounted for (no judge.calibration; about 217 "
            "answers graded by people would keep it within the 0.05 margin*",
            "bio-open: graded by judge grader (40 calls, 0 cached); judge error not accounted "
            "for (no judge.calibration)",
        ]
    )
    for name in ("summary.md", "report.html"):
        assert "judge error not accounted for" in (pytester.path / "out" / name).read_text()
    plan = pytester.runpytest("--modelgate", "--modelgate-plan", "-p", "no:randomly")
    plan.stdout.fnmatch_lines(
        ["    judge error not accounted for (no judge.calibration); *: margin 0.05: 217"]
    )


def test_the_plan_counts_the_calibration_calls(pytester, servers, write_gate):
    candidate, grader = servers
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=30, wrong=10))
    write_jsonl(pytester.path / "data/gold.jsonl", calibration_rows())
    judge = "{model: grader, calibration: data/gold.jsonl}"
    write_gate(gate(candidate.base_url, grader.base_url, FAILING.format(judge=judge)))
    plan = pytester.runpytest("--modelgate", "--modelgate-plan", "-p", "no:randomly")
    plan.stdout.fnmatch_lines(
        [
            "*bio-open[[]candidate]: n=40, epochs=1, model calls=120",
            "    judge error: corrected from 40 calibration items graded by people*",
        ]
    )
    assert candidate.answered == grader.answered == 0


@pytest.mark.parametrize(
    ("judge", "rows", "expected"),
    [
        (
            "{model: grader, calibration: data/gold.jsonl}",
            [{"input": "Q?", "target": "yes", "answer": "yes", "gold_grade": "maybe"}],
            "*data/gold.jsonl:1: gold_grade: expected C (right) or I (wrong), got 'maybe'*",
        ),
        (
            "{model: grader, calibration: data/gold.jsonl}",
            [{"input": "Q?", "target": "yes", "answer": "yes", "gold_grade": "C"}],
            "*every answer is graded C; sensitivity and specificity need*",
        ),
        (
            "{model: grader, calibration: data/missing.jsonl}",
            [],
            "*file not found*missing.jsonl*",
        ),
    ],
)
def test_bad_calibration_names_file_line_and_key(
    pytester, servers, write_gate, judge, rows, expected
):
    candidate, grader = servers
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=3, wrong=1))
    write_jsonl(pytester.path / "data/gold.jsonl", rows or calibration_rows())
    write_gate(gate(candidate.base_url, grader.base_url, FAILING.format(judge=judge)))
    run = pytester.runpytest("--modelgate", "-p", "no:randomly")
    assert run.ret != 0
    run.stdout.fnmatch_lines(["*release.gate.yaml:*judge.calibration*" + expected.lstrip("*")])
    assert candidate.answered == grader.answered == 0


def test_calibration_is_refused_outside_scorer_judge(pytester, servers, write_gate):
    candidate, grader = servers
    write_jsonl(pytester.path / "data/open.jsonl", open_rows(right=3, wrong=1))
    write_jsonl(pytester.path / "data/gold.jsonl", calibration_rows())
    bench = FAILING.replace("scorer: judge", "scorer: refusal").format(
        judge="{model: grader, calibration: data/gold.jsonl}"
    )
    write_gate(gate(candidate.base_url, grader.base_url, bench))
    run = pytester.runpytest("--modelgate", "-p", "no:randomly")
    assert run.ret != 0
    run.stdout.fnmatch_lines(["*judge.calibration*used only with scorer: judge*"])


def test_a_paired_baseline_graded_by_the_same_judge_is_corrected_by_youdens_index():
    from pytest_modelgate.config.ladders import BUILTIN_LADDERS, Ladder
    from pytest_modelgate.config.specs import BenchmarkSpec, JudgeSpec, Policy, ThresholdSpec
    from pytest_modelgate.decide.benchmark import decide_benchmark
    from pytest_modelgate.decide.comparisons import Evidence, compare

    ids = [f"i{i}" for i in range(400)]
    cand = {i: float(k % 4 != 0) for k, i in enumerate(ids)}  # 0.75
    base = {i: float(k % 2 == 0) for k, i in enumerate(ids)}  # 0.50
    candidate = Evidence("candidate", 0.75, 400, cand, name="candidate")
    baseline = Evidence("peer (per-item results)", 0.5, 400, base, name="peer")
    spec = ThresholdSpec("t", "risk", "peer", 0.05, "high")
    bench = BenchmarkSpec(
        name="b",
        domain="d",
        dataset=None,
        format="open",
        scorer="judge",
        judge=JudgeSpec("grader"),
        thresholds=(spec,),
    )
    policy = Policy(Ladder("meta-frontier", BUILTIN_LADDERS["meta-frontier"]), "moderate")
    cal = Calibration(180, 20, 170, 30)  # J = 0.75
    decided = decide_benchmark(bench, policy, candidate, {"peer": {"b": baseline}}, calibration=cal)
    raw = compare(candidate, baseline, CONF).diff
    fixed = decided.thresholds[0].comparison.diff
    assert fixed.value == pytest.approx(raw.value / 0.75)
    assert fixed.high - fixed.low > (raw.high - raw.low) / 0.75 * 0.95
    assert "Rogan-Gladen" in fixed.method
    assert decided.estimate.value == pytest.approx((0.75 + 0.85 - 1) / 0.75)
    assert "divided by the judge's Youden index" in decided.thresholds[0].message
