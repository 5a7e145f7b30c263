"""Every key of a gate file's top level, policy, budgets, scores and baselines, declared once.

The parser (``parse.py``), the tables of docs/gate-file.md (``docs.py``) and the shipped JSON
Schema (``jsonschema.py``) are all read from these tables; model keys are in ``model_keys.py``,
benchmark keys in ``benchmark_keys.py``. ``SECTIONS`` lists every section in docs order.
"""

from __future__ import annotations

from pytest_modelgate.config.benchmark_keys import (
    AGENT,
    BENCHMARK,
    DOMAIN,
    FLOOR,
    JUDGE,
    SANDBOX,
    THRESHOLD,
)
from pytest_modelgate.config.key import Key, Section, amount
from pytest_modelgate.config.model_keys import FIGURE_KEYS, MODEL, PRICES, RATE_LIMIT

SCHEMA_VERSION = 1
ECOSYSTEM = "ecosystem"  # a reference: the riskiest baseline that has the benchmark

TOP = Section(
    "top",
    (
        Key(
            "version",
            "version",
            "Schema version of the file; only `1` exists.",
            "version: 1",
            required=True,
            type_doc="integer",
        ),
        Key(
            "description",
            "str",
            "Free text for people; not used in decisions.",
            "description: Frontier gate",
        ),
        Key(
            "policy",
            "section",
            "How outcomes become a release decision: [`policy`](#policy).",
            "policy: {ladder: meta-frontier, allowed: moderate}",
            required=True,
            section="policy",
        ),
        Key(
            "models",
            "names",
            "The model under test and any other model a run may select with `--modelgate-model`: "
            "[`models.<name>`](#modelsname). The entry named `candidate` is gated by default.",
            "candidate: {provider: openai, ...}",
            required=True,
            section="model",
            non_empty=True,
            type_doc="mapping of name → model",
        ),
        Key(
            "baselines",
            "names",
            "The ecosystem: other models' results to compare with: "
            "[`baselines.<name>`](#baselinesname). The name `ecosystem` is reserved.",
            "peer: {results: peer.results.json}",
            default={},
            section="baseline",
            type_doc="mapping of name → baseline",
        ),
        Key(
            "domains",
            "names",
            "Risk domains, each with its benchmarks: [`domains.<name>`](#domainsname). A domain's "
            "tier is the highest tier of its benchmarks.",
            "cybersecurity: {benchmarks: {...}}",
            required=True,
            section="domain",
            non_empty=True,
            type_doc="mapping of name → domain",
        ),
    ),
)

POLICY = Section(
    "policy",
    (
        Key(
            "ladder",
            "ladder",
            "The risk tiers, lowest first. Built in: `meta-frontier` (moderate, high, critical), "
            "`openai-preparedness` (below-high, high, critical), `anthropic-asl` (ASL-2, ASL-3, "
            "ASL-4), `gdm-fsf` (below-alert, alert, ccl); or an inline list of at least two "
            "distinct names. Plugins add ladders with `pytest_modelgate_add_ladders`.",
            "ladder: [low, medium, high]",
            required=True,
            type_doc="string, or list of strings",
        ),
        Key(
            "allowed",
            "str",
            "The highest tier the model may ship at; a tier of the ladder. The build fails when "
            "the release tier exceeds it.",
            "allowed: moderate",
            required=True,
        ),
        Key(
            "confidence",
            "number",
            "Level of every interval used for decisions and reports.",
            "confidence: 0.9",
            default=0.95,
            gt=0,
            lt=1,
            range_hint="e.g. 0.95",
        ),
        Key(
            "decision",
            "str",
            "`interval` decides on the interval of the difference (see "
            "[decisions](decisions.md)); `point` compares point estimates only, as published "
            "practice does, and is labelled weaker in every report.",
            "decision: point",
            default="interval",
            choices=("interval", "point"),
        ),
        Key(
            "inconclusive",
            "str",
            "What an inconclusive threshold or floor does: `fail` counts it as crossed (fail "
            "closed), `warn` passes with a warning, `pass` passes.",
            "inconclusive: warn",
            default="fail",
            choices=("fail", "warn", "pass"),
        ),
        Key(
            "sampling",
            "str",
            "`sequential` evaluates items in a seeded random order, in batches, and stops as soon "
            "as every threshold and floor is decided by anytime-valid confidence sequences "
            "(peeking does not inflate the error rate); items not evaluated are never counted, "
            "and the report says where it stopped.",
            "sampling: sequential",
            default="fixed",
            choices=("fixed", "sequential"),
        ),
        Key(
            "multiplicity",
            "str",
            "`holm`: a crossed risk threshold stands only if it survives Holm's step-down "
            "correction across all risk thresholds of the gate file (the others become "
            "inconclusive); off by default, because a missed risk costs more than a false alarm. "
            "Every report states which was used.",
            "multiplicity: holm",
            default="none",
            choices=("none", "holm"),
        ),
        Key(
            "budget",
            "section",
            "A spending limit for the whole run of this gate file: [`budget`](#budget).",
            "budget: {max_cost: 40}",
            section="budget",
        ),
    ),
)

BUDGET = Section(
    "budget",
    (
        amount(
            "max_calls",
            True,
            False,
            "Model calls (cached answers do not count).",
            "max_calls: 20000",
        ),
        amount(
            "max_tokens",
            True,
            False,
            "Prompt plus completion tokens, from the API's usage fields (estimated at ~4 "
            "characters a token when the API reports none).",
            "max_tokens: 5000000",
        ),
        amount(
            "max_cost",
            False,
            False,
            "Cost in the currency of the model's `prices`.",
            "max_cost: 40",
        ),
    ),
)

SCORES = Section(
    "scores",
    (
        Key(
            "score",
            "number",
            "The score as a proportion (0.705, not 70.5).",
            "score: 0.705",
            required=True,
            ge=0,
            le=1,
            range_hint="write proportions (0.705, not 70.5)",
        ),
        Key(
            "n",
            "int",
            "Number of items (tasks, questions) behind the score. For several epochs per item, "
            "still the number of items.",
            "n: 1987",
            required=True,
            ge=1,
        ),
    ),
)

BASELINE = Section(
    "baseline",
    (
        Key(
            "results",
            "path",
            "A `results.json` from an earlier run (see [recording "
            "baselines](recipes.md#recording-a-baseline)). With per-item scores the comparison is "
            "paired (same items).",
            "results: baselines/peer.results.json",
            default_doc="one of `results`/`scores`",
        ),
        Key(
            "scores",
            "names",
            "Published aggregates only; comparisons are unpaired and say so.",
            "scores: {cyber-mcq: {score: 0.705, n: 1987}}",
            default={},
            section="scores",
            type_doc="mapping of benchmark → [score](#scores)",
            default_doc="one of `results`/`scores`",
        ),
        Key(
            "source",
            "str",
            "Where the figures come from; shown in every report.",
            "source: CWM Preparedness Report, table 3",
        ),
        Key(
            "tasks",
            "tasks",
            "With `results`: where that file names a benchmark differently. `results` may also be "
            "an Inspect eval log (`.eval`/`.json`) or lm-eval output (`results*.json` aggregates, "
            "`samples_*.jsonl` per item).",
            "tasks: {cyber-mcq: wmdp_cyber}",
            default={},
        ),
        *FIGURE_KEYS,
    ),
    exactly_one=("results", "scores"),
)

# In the order docs/gate-file.md shows them.
SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        TOP,
        POLICY,
        BUDGET,
        MODEL,
        RATE_LIMIT,
        PRICES,
        SCORES,
        BASELINE,
        DOMAIN,
        BENCHMARK,
        JUDGE,
        AGENT,
        SANDBOX,
        THRESHOLD,
        FLOOR,
    )
}
