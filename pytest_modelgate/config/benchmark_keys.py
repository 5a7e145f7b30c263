"""Every key of a domain, a benchmark and what hangs off it, declared once (see ``keys.py``).

The defaults of ``agent`` and ``sandbox`` are applied where those limits are used (the run
layer); they are declared here for the docs and the schema, and a test keeps both equal.
"""

from __future__ import annotations

from pytest_modelgate.config.key import Key, Section, amount

RUBRIC_FIELDS = ("question", "answer", "target", "proposition")

DOMAIN = Section(
    "domain",
    (
        Key(
            "benchmarks",
            "names",
            "The domain's benchmarks: [benchmark](#domainsdomainbenchmarksname). Benchmark names "
            "are unique across the file.",
            "cyber-mcq: {...}",
            required=True,
            section="benchmark",
            non_empty=True,
            type_doc="mapping of name → benchmark",
        ),
        Key("description", "str", "Free text for people.", "description: chemical and biological"),
    ),
)

BENCHMARK = Section(
    "benchmark",
    (
        Key(
            "dataset",
            "path",
            "JSONL or CSV file of items. An item's id is its `id` (or `task_id`) field, else a "
            "hash of its content, never its line number, so paired comparisons survive "
            "reordering. Items may carry `cluster` (e.g. a shared passage) for clustered "
            "intervals.",
            "dataset: data/cyber_mcq.jsonl",
            default_doc="required, except for a static candidate",
        ),
        Key(
            "format",
            "str",
            "How a row becomes a prompt: `mcq` (WMDP shape `question`/`choices`/`answer` index, or "
            "Inspect shape `input`/`choices`/`target` letter), `open` (Inspect `input`/`target`; "
            "`input` may be a list of chat messages, `target` a list of accepted answers), `agent` "
            "(InterCode-CTF `query`/`gold`, optional `setup`, `hint`, and `files` to seed the work "
            "dir), `code` (`prompt`, `tests` in Python, optional `entry_point`, `files`), "
            "`honesty` (MASK `system_prompt`/`user_prompt`/`proposition` with "
            "`<pivotal>A/B</pivotal>`/`ground_truth`/`belief_elicit_1..3`), `frr` (CyberSecEval "
            "FRR `mutated_prompt`/`is_malicious`/`attack_type`), or a format a plugin adds with "
            "`pytest_modelgate_add_formats`. Any row may carry Inspect's `metadata`.",
            "format: open",
            default="mcq",
            default_doc="`mcq`; required with `dataset`",
        ),
        Key(
            "scorer",
            "str",
            "How an answer is scored in [0, 1]: `choice` (which letter the answer picked), "
            "`exact`, `includes`, `regex` (against the targets), `judge` (a [judge](#judge) model "
            "grades it against the target), `refusal` (1 when the answer refuses; with a `judge`, "
            "the judge decides), `code` (the answer's code passes the item's tests in the "
            "[sandbox](#sandbox)), `honesty` / `normalized_honesty` (MASK: 1 unless the model "
            "lies, i.e. states under pressure the opposite of its own elicited belief, as the "
            "judge reads them; `normalized_honesty` leaves out items where the model holds no "
            "consistent belief), a scorer a plugin adds, or `package.module:function` taking "
            "`(answer, item)`.",
            "scorer: includes",
            default="choice",
            default_doc="`choice`; required with `dataset`",
        ),
        Key(
            "params",
            "mapping",
            "Request parameters for this benchmark, over the model's `params` (e.g. more "
            "`max_tokens` for open answers and agents than for multiple choice). Baselines "
            "recorded from the same gate file get the same.",
            "params: {max_tokens: 256}",
            default={},
        ),
        Key(
            "solver",
            "str",
            "How an item is answered: `generate` (one call), `react` (a ReAct agent: runs the "
            "model's ```` ```bash ```` / ```` ```python ```` blocks in the sandbox and feeds back "
            "the output until it answers ```` ```submit FLAG ```` or runs out of turns), `honesty` "
            "(asks each belief prompt without pressure, then the pressured prompt), or a solver a "
            "plugin adds with `pytest_modelgate_add_solvers`.",
            "solver: react",
            default_doc="the format's: `react` for `agent`, `honesty` for `honesty`, else "
            "`generate`",
        ),
        Key(
            "judge",
            "section",
            "The model that grades answers, for `scorer: judge`, `honesty`, `normalized_honesty` "
            "and (optionally) `refusal`: [`judge`](#judge).",
            "judge: {model: grader}",
            section="judge",
        ),
        Key(
            "metric",
            "str",
            "How an item's epochs combine before any interval: their mean, or the unbiased pass@k "
            "estimate (Chen et al. 2021) from the epochs that succeeded; the item stays the "
            "statistical unit.",
            "metric: pass_at_k",
            default="mean",
            choices=("mean", "pass_at_k"),
        ),
        Key(
            "k",
            "int",
            "The k of pass@k.",
            "k: 10",
            type_doc="integer, 1 ≤ k ≤ `epochs`",
            default_doc="required with `pass_at_k`",
        ),
        Key(
            "agent",
            "section",
            "Limits of the `react` solver: [`agent`](#agent).",
            "agent: {max_turns: 8}",
            section="agent",
            default_doc="defaults below",
        ),
        Key(
            "sandbox",
            "section",
            "Limits on code the model wrote (`code` scorer, `react` solver): "
            "[`sandbox`](#sandbox).",
            "sandbox: {timeout_s: 10}",
            section="sandbox",
            default_doc="defaults below",
        ),
        Key(
            "limit",
            "int",
            "Use only the first N items (also see `--modelgate-limit` for smoke runs).",
            "limit: 500",
            ge=1,
            default_doc="all items",
        ),
        Key(
            "epochs",
            "int",
            "Ask (or, for agents, attempt) every item this many times; the item's score combines "
            "its epochs (`metric`). Each epoch gets its own seed (`params.seed` + epoch), so "
            "samples are not copies.",
            "epochs: 5",
            default=1,
            ge=1,
        ),
        Key(
            "concurrency",
            "int",
            "At most this many of the benchmark's answers in flight at once, never more than "
            "the model's `concurrency`. On a local server with several slots, `1` keeps "
            "temperature-0 answers repeatable: requests that share a llama.cpp batch can round "
            "differently from run to run.",
            "concurrency: 1",
            ge=1,
            default_doc="the model's",
        ),
        Key(
            "higher_is_safer",
            "bool",
            "For metrics where a higher score is safer (e.g. honesty): the risk is scoring "
            "*below* the reference, and every comparison flips. With `above: ecosystem`, the "
            "reference is the lowest baseline.",
            "higher_is_safer: true",
            default=False,
        ),
        Key(
            "max_error_rate",
            "number",
            "Share of items that may fail to get an answer (after retries) and be excluded; "
            "exclusions are counted and reported. With `0`, the first unanswerable item errors "
            "the benchmark (fail closed).",
            "max_error_rate: 0.02",
            default=0.0,
            ge=0,
            lt=1,
            range_hint="e.g. 0.02 tolerates 2% unanswerable items",
        ),
        Key(
            "description",
            "str",
            "Free text for people; shown in reports.",
            "description: toy CTF trivia",
        ),
        Key(
            "budget",
            "section",
            "A spending limit for this benchmark: [`budget`](#budget).",
            "budget: {max_calls: 1000}",
            section="budget",
        ),
        Key(
            "sampling",
            "str",
            "Overrides `policy.sampling` for this benchmark.",
            "sampling: sequential",
            choices=("fixed", "sequential"),
            default_doc="the policy's",
        ),
        Key(
            "thresholds",
            "list",
            "Risk thresholds: each crossed one puts its tier on the benchmark.",
            "- {above: ecosystem, tier: high}",
            default=(),
            section="threshold",
            type_doc="list of [thresholds](#thresholds-entries)",
        ),
        Key(
            "floors",
            "list",
            "Regression gates: the score must not fall below a reference by more than a margin.",
            "- {at_least: ecosystem, margin: 0.05}",
            default=(),
            section="floor",
            type_doc="list of [floors](#floors-entries)",
        ),
    ),
    required_with={"dataset": ("format", "scorer")},
    at_least_one=("thresholds", "floors"),
)

JUDGE = Section(
    "judge",
    (
        Key("model", "str", "The judge: a `models:` entry.", "model: grader", required=True),
        Key(
            "rubric",
            "str",
            "The grading prompt, with placeholders "
            + ", ".join(f"`{{{f}}}`" for f in RUBRIC_FIELDS)
            + "; it must still ask for the verdict line.",
            'rubric: "...End with GRADE: C or GRADE: I."',
            default_doc="the scorer's own",
        ),
        Key(
            "regrade",
            "int",
            "Grade this many items a second time and report how often the verdicts agree.",
            "regrade: 20",
            default=0,
            ge=0,
        ),
        Key(
            "regrade_model",
            "str",
            "Who grades the second time; another model gives a real second opinion (the same "
            "judge at temperature 0 only shows its own nondeterminism).",
            "regrade_model: candidate",
            default_doc="the judge, with the next seed",
        ),
        Key(
            "calibration",
            "path",
            "For `scorer: judge`: a JSONL or CSV file of answers graded by people, in the `open` "
            "shape plus the fixed `answer` to grade and its `gold_grade` (`C` or `I`). The judge "
            "grades each; its sensitivity and specificity correct the score (Rogan-Gladen) and "
            "widen the interval by their uncertainty, and thresholds decide on the corrected "
            "interval. Without it, reports say the judge's error is not accounted for.",
            "calibration: data/judge_gold.jsonl",
            default_doc="none: judge error not accounted for",
        ),
    ),
)

AGENT = Section(
    "agent",
    (
        amount(
            "max_turns",
            True,
            False,
            "Model turns per attempt; an attempt that has not submitted by then scores 0.",
            "max_turns: 8",
            default=8,
        ),
        amount(
            "observation_chars",
            True,
            False,
            "How much of a command's output goes back to the model.",
            "observation_chars: 2000",
            default=2000,
        ),
    ),
)

SANDBOX = Section(
    "sandbox",
    (
        amount(
            "timeout_s", False, False, "Wall-clock limit of one run.", "timeout_s: 10", default=10
        ),
        amount("cpu_s", False, False, "CPU-time limit.", "cpu_s: 5", default=5),
        amount("memory_mb", True, False, "Address-space limit.", "memory_mb: 512", default=512),
        amount(
            "max_processes",
            True,
            False,
            "Processes the code may run at once.",
            "max_processes: 64",
            default=64,
        ),
        amount(
            "max_file_mb", True, False, "Largest file it may write.", "max_file_mb: 16", default=16
        ),
        amount(
            "max_disk_mb",
            True,
            False,
            "Total size of its work dir (with bubblewrap a tmpfs of this size, whose pages also "
            "count towards the memory cgroup; the fallback bounds single files only).",
            "max_disk_mb: 128",
            default=128,
        ),
        Key(
            "isolation",
            "str",
            "`strong`: run model code only under bubblewrap, and error the benchmark where only "
            "the fallback (namespaces, Landlock, rlimits) is available. `best-effort`: the "
            "strongest this machine has; every report names which ran. See "
            "[security](security.md).",
            "isolation: strong",
            default="best-effort",
            choices=("best-effort", "strong"),
        ),
    ),
)

# Every score is a number in [0, 1]: the built-in scorers' and a plugin's alike, since the run
# rejects any other (run/evaluation.py), and so are published scores (``scores:``). So an
# absolute reference on ANY benchmark lies in [0, 1], and a margin (a difference of two
# scores) in [0, 1): with 1 or more a threshold could never be crossed, a floor never fail.
_REFERENCE = "number in [0, 1], `ecosystem`, or a baseline name"
_SCORE_HINT = "scores are proportions in [0, 1]: write 0.85, not 85"
_MARGIN_NEGATIVE = "{value} is negative; a margin is a tolerance >= 0"
_MARGIN_HINT = "a margin is a difference of scores in [0, 1]: write 0.02, not 2"
THRESHOLD = Section(
    "threshold",
    (
        Key(
            "above",
            "reference",
            "The reference. A number is an absolute capability line. `ecosystem` is the riskiest "
            "baseline that has this benchmark (highest score; lowest with `higher_is_safer`). A "
            "baseline name compares with that baseline.",
            "above: 0.85",
            required=True,
            type_doc=_REFERENCE,
            ge=0,
            le=1,
            range_hint=_SCORE_HINT,
        ),
        Key(
            "margin",
            "number",
            "How far above the reference (below it with `higher_is_safer`) the candidate must be "
            "for the threshold to count as crossed.",
            "margin: 0.02",
            default=0.0,
            ge=0,
            lt=1,
            range_message=_MARGIN_NEGATIVE,
            range_hint=_MARGIN_HINT,
        ),
        Key(
            "tier",
            "str",
            "The tier this threshold puts on its benchmark when crossed: a tier of the ladder "
            "above its lowest.",
            "tier: high",
            required=True,
        ),
        Key(
            "id",
            "str",
            "The item's id; unique among the benchmark's thresholds and floors.",
            "id: vs-best-open-model",
            default_doc="`above-<reference>`",
        ),
    ),
)

FLOOR = Section(
    "floor",
    (
        Key(
            "at_least",
            "reference",
            "The reference. `ecosystem` is the best-scoring baseline that has this benchmark.",
            "at_least: ecosystem",
            required=True,
            type_doc=_REFERENCE,
            ge=0,
            le=1,
            range_hint=_SCORE_HINT,
        ),
        Key(
            "margin",
            "number",
            "How far below the reference the score may fall (non-inferiority margin).",
            "margin: 0.05",
            default=0.0,
            ge=0,
            lt=1,
            range_message=_MARGIN_NEGATIVE,
            range_hint=_MARGIN_HINT,
        ),
        Key(
            "id",
            "str",
            "The item's id; unique among the benchmark's thresholds and floors.",
            "id: no-regression",
            default_doc="`at-least-<reference>`",
        ),
    ),
)
