"""Simulation study of the judge-error correction: known truths in, the package's verdicts out.

    python benchmarks/judge_validation.py            # prints a Markdown table; ~2 min on 2 cores
    python benchmarks/judge_validation.py --reps 200  # a quick look

Needs numpy (for the simulation only): `pip install numpy`.

A benchmark of N items has true rate p (share of answers truly right). A judge with
sensitivity Se (right answers graded right) and specificity Sp (wrong answers graded wrong)
grades every answer, so the observed score is a Binomial(N, Se p + (1 - Sp)(1 - p)) draw. A
calibration set of n items, half truly right and half truly wrong as graded by people, is
graded by the same judge. The package's own code then decides: the engine's
`stats.score_interval` on the judged scores, `judge_error.corrected_score` with the
`Calibration` of the simulated verdicts, and `tiers.decide_threshold` for the risk
threshold `above: p - margin, margin: 0.05` - the truth exactly at the margin, the worst case
for a false pass (cleared while the model is truly at the margin or above).

Reported per grid point: coverage of the corrected interval (true p inside), the false-pass
rate of the corrected decision, and, for contrast, the false-pass rate of the uncorrected
judged score (today's behaviour) and the corrected interval's mean half-width.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

try:
    import numpy as np
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("benchmarks/judge_validation.py needs numpy: pip install numpy")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pytest_modelgate.decide import stats  # noqa: E402
from pytest_modelgate.decide.judge_error import Calibration, corrected_score  # noqa: E402
from pytest_modelgate.decide.tiers import Outcome, decide_threshold  # noqa: E402

CONFIDENCE = 0.95
MARGIN = 0.05
N_ITEMS = 500
JUDGES = (  # (sensitivity, specificity): symmetric 70-95%, and asymmetric both ways
    (0.70, 0.70),
    (0.80, 0.80),
    (0.90, 0.90),
    (0.95, 0.95),
    (0.95, 0.70),
    (0.70, 0.95),
    (0.90, 0.75),
)
CAL_NS = (30, 100, 300)
P_TRUES = (0.3, 0.7)
SEED = 20261206


def run_point(args: tuple[int, float, float, int, float, int]) -> dict:
    index, se, sp, cal_n, p, reps = args
    rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(index,)))
    q = se * p + (1 - sp) * (1 - p)
    reference = p - MARGIN  # `above: reference, margin`: the truth is exactly at the margin
    covered = false_pass = naive_pass = 0
    width = 0.0
    pos = cal_n // 2
    for _ in range(reps):
        k = int(rng.binomial(N_ITEMS, q))
        observed = stats.score_interval([1.0] * k + [0.0] * (N_ITEMS - k), CONFIDENCE)
        tp = int(rng.binomial(pos, se))
        tn = int(rng.binomial(cal_n - pos, sp))
        cal = Calibration(tp, pos - tp, tn, cal_n - pos - tn)
        est = corrected_score(observed, cal, CONFIDENCE)
        covered += est.low <= p <= est.high
        width += (est.high - est.low) / 2
        d = (est.low - reference, est.high - reference, est.value - reference)
        false_pass += decide_threshold(*d, MARGIN, "interval") == Outcome.CLEARED
        naive = (observed.low - reference, observed.high - reference, observed.value - reference)
        naive_pass += decide_threshold(*naive, MARGIN, "interval") == Outcome.CLEARED
    return {
        "index": index,
        "coverage": covered / reps,
        "false_pass": false_pass / reps,
        "naive_pass": naive_pass / reps,
        "half_width": width / reps,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=2000, help="replications per grid point")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    started = time.perf_counter()
    grid = [(se, sp, cal_n, p) for se, sp in JUDGES for cal_n in CAL_NS for p in P_TRUES]
    tasks = [(i, *g, args.reps) for i, g in enumerate(grid)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = {r["index"]: r for r in pool.map(run_point, tasks)}
    elapsed = time.perf_counter() - started
    se_rate = math.sqrt(0.05 * 0.95 / args.reps)
    out = ["# Judge error in the interval: Rogan-Gladen correction, simulated", ""]
    out.append(
        f"Printed by `python benchmarks/judge_validation.py --reps {args.reps} --workers "
        f"{args.workers}` ({_dt.date.today().isoformat()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}); wall time {elapsed:.0f} s."
    )
    out.append("")
    out.append(
        f"N = {N_ITEMS} judged items, true rate p; the judge's sensitivity Se / specificity Sp; "
        "a calibration set of n items graded by people (half right, half wrong). Threshold "
        f"`above: p - {MARGIN}, margin: {MARGIN}` (truth exactly at the margin: any pass is a "
        f"false pass), confidence {CONFIDENCE}, `decision: interval`. cov = p inside the "
        "corrected interval; false pass = cleared by the corrected interval; uncorrected = "
        "cleared by the judged score's own interval (judge error not accounted for); "
        f"half-width = corrected. {args.reps} replications per row (Monte Carlo SE of a 95% "
        f"coverage {100 * se_rate:.2f} points). All figures in %, half-width in points."
    )
    out += [
        "",
        "| Se | Sp | n calib | p | cov | false pass | uncorrected false pass | half-width |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    low_cov, bad_fp = [], []
    for i, (se, sp, cal_n, p) in enumerate(grid):
        r = results[i]
        out.append(
            f"| {se:.2f} | {sp:.2f} | {cal_n} | {p} | {100 * r['coverage']:.1f} | "
            f"{100 * r['false_pass']:.1f} | {100 * r['naive_pass']:.1f} | "
            f"{100 * r['half_width']:.1f} |"
        )
        where = f"Se={se}, Sp={sp}, n={cal_n}, p={p}"
        if r["coverage"] < CONFIDENCE - 2 * se_rate:
            low_cov.append(f"{where}: {100 * r['coverage']:.1f}%")
        if r["false_pass"] > 0.05:
            bad_fp.append(f"{where}: {100 * r['false_pass']:.1f}%")
    covs = [r["coverage"] for r in results.values()]
    fps = [r["false_pass"] for r in results.values()]
    naive = [r["naive_pass"] for r in results.values()]
    out += ["", "## Targets", ""]
    out.append(
        f"- {'PASS' if not low_cov else 'FAIL'}: coverage >= 95% (less 2 Monte Carlo SE) at "
        f"every grid point: {100 * min(covs):.1f}-{100 * max(covs):.1f}%"
        + (f" ({'; '.join(low_cov)})" if low_cov else "")
    )
    out.append(
        f"- {'PASS' if not bad_fp else 'FAIL'}: false pass <= 5% at every grid point: worst "
        f"{100 * max(fps):.1f}%" + (f" ({'; '.join(bad_fp)})" if bad_fp else "")
    )
    out.append(
        f"- INFO: without the correction the same gate passes falsely in "
        f"{100 * min(naive):.1f}-{100 * max(naive):.1f}% of runs (a judge that errs towards "
        "'right' inflates the score past the margin, or hides a real excess)"
    )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
