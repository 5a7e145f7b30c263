"""Every key of a ``models.<name>`` entry and its ``rate_limit`` and ``prices``, declared once."""

from __future__ import annotations

from pytest_modelgate.config.key import Key, Section, amount

# Which figure of an imported file to read (lm-eval output, an Inspect log): for an imported
# candidate and for a baseline.
FIGURE_KEYS = (
    Key(
        "metric",
        "str",
        "Which metric of an imported file to read. lm-eval: as lm-eval names it (`acc`, "
        "`acc_norm`, `exact_match`, ...); default `acc`, else `exact_match`. Inspect log: a "
        "key of the score's `metrics` (`accuracy`, `mean`, ...); default the log's headline "
        "metric, else `accuracy` or `mean`. `accuracy` and `mean` are read per item (paired); "
        "any other metric is the log's aggregate (unpaired). Every report names the one used.",
        "metric: acc_norm",
    ),
    Key(
        "filter",
        "str",
        "With an lm-eval `results`: which filter's figures to read (`none`, "
        "`strict-match`, `flexible-extract`, ...). Default: `none`, else the task's first.",
        "filter: strict-match",
    ),
    Key(
        "inspect_scorer",
        "str",
        "With an Inspect log holding several scores: which to read, by its name in the log "
        "(`results.scores[].name`, e.g. `includes`, `choice`, or a key of a scorer whose "
        "value is a dict). Default: the log's headline score, else its first; with several "
        "epoch reducers, the headline's, else the first. Every report names the one used. "
        "(Not `scorer`, which is the scorer of our own benchmark run.)",
        "inspect_scorer: includes",
    ),
)


MODEL = Section(
    "model",
    (
        Key(
            "provider",
            "str",
            "Which API family answers: `openai` (any OpenAI-compatible server), `anthropic` (the "
            "Messages API), `local` (the embedded SmolLM2-135M), `python` (a Python function), "
            "`replay` (a recording), `static` (published scores, no answers), or a name a plugin "
            "registers with `pytest_modelgate_add_providers`.",
            "provider: openai",
            required=True,
        ),
        Key(
            "model",
            "str",
            "The model name sent to the API. For `local`: a path to a GGUF file (default: the "
            "embedded model). For `python`: `package.module:function`. For `static`: a label for "
            "reports.",
            "model: gpt-4o-mini",
            default_doc="the entry's name",
        ),
        Key(
            "base_url",
            "urls",
            "Where the API lives. For `openai`, the URL up to and including `/v1`; requests go to "
            "`{base_url}/chat/completions`. For `anthropic`, requests go to "
            "`{base_url}/v1/messages`. A list of URLs names replicas serving the same model.",
            "base_url: http://127.0.0.1:8000/v1",
            pattern=r"^https?://",
            type_doc="string (http or https URL), or a list of them",
            default_doc="`openai`: required; `anthropic`: `https://api.anthropic.com`",
        ),
        Key(
            "api_key_env",
            "str",
            "The NAME of the variable holding the API key, upper case. The key is read at run "
            "time, sent only in a header, and never written to any output.",
            "api_key_env: OPENAI_API_KEY",
            pattern=r"^[A-Z_][A-Z0-9_]*$",
            type_doc="string (an environment variable name)",
            default_doc="none (no key sent)",
        ),
        Key(
            "params",
            "mapping",
            "Request parameters passed to the API as they are (`temperature`, `max_tokens`, "
            "`seed`, ...). Always set `max_tokens`; the `anthropic` provider requires it. "
            "`${VAR}` is expanded in nested strings.",
            "params: {temperature: 0, max_tokens: 16}",
            default={},
        ),
        Key(
            "concurrency",
            "int",
            "Requests in flight at once for this model. Use `1` for a single-slot server or a "
            "function that is not thread-safe.",
            "concurrency: 4",
            default=8,
            ge=1,
        ),
        Key(
            "timeout_s",
            "number",
            "Time limit of one attempt at a request, in seconds: connecting, TLS, sending and "
            "reading the whole response; a server that trickles bytes is cut off too. A "
            "timed-out attempt is retried like other failures.",
            "timeout_s: 120",
            default=60.0,
            gt=0,
        ),
        Key(
            "max_retries",
            "int",
            "Retries of a failed request (429, 5xx, dropped connections, timeouts) when no "
            "`deadline_s` is set, with jittered exponential backoff that honours `Retry-After`. "
            "With `deadline_s`, these are retried until the deadline and this cap does not "
            "apply; 400, 401, 403, 404 and certificate errors are never retried.",
            "max_retries: 5",
            default=3,
            ge=0,
        ),
        Key(
            "deadline_s",
            "number",
            "The whole time one answer may take, retries and backoff included; a single attempt "
            "never outlasts it either.",
            "deadline_s: 120",
            gt=0,
        ),
        Key(
            "rate_limit",
            "section",
            "Client-side rate limit shared by all threads: [`rate_limit`](#rate_limit).",
            "rate_limit: {requests_per_minute: 600}",
            section="rate_limit",
        ),
        Key(
            "prices",
            "section",
            "Token prices, for cost in reports and `budget.max_cost`: [`prices`](#prices).",
            "prices: {input_per_mtok: 0.15}",
            section="prices",
        ),
        Key(
            "scores",
            "names",
            "For `provider: static`: the published score of each benchmark.",
            "scores: {cyber-mcq: {score: 0.636, n: 1987}}",
            default={},
            section="scores",
            type_doc="mapping of benchmark → [score](#scores)",
        ),
        Key(
            "results",
            "path",
            "For `provider: static`: import the model's scores from a file instead of writing "
            "them: our `results.json`, an Inspect eval log (`.eval` or `.json`) or lm-eval output "
            "(`results*.json`, `samples_*.jsonl`). Per-item scores make comparisons paired. Give "
            "`scores` or `results`, not both.",
            "results: runs/rc2.eval",
        ),
        Key(
            "tasks",
            "tasks",
            "Where the file in `results` names a benchmark differently (an Inspect task, an "
            "lm-eval task). Unmapped benchmarks are looked up by their own name.",
            "tasks: {cyber-mcq: wmdp_cyber}",
            default={},
        ),
        *FIGURE_KEYS,
        Key(
            "options",
            "mapping",
            "Provider-specific settings. `local`: `threads` (default up to 4), `ctx` (context "
            "length per slot, default 2048), `slots` (requests the server answers together in "
            "one batch, default 1; see the benchmark key `concurrency`). `replay`: `file` (the "
            "recording, relative to the working "
            "directory), `provider` (which recorded provider to replay).",
            "options: {threads: 2}",
            default={},
        ),
    ),
    at_most_one=("scores", "results"),
)

RATE_LIMIT = Section(
    "rate_limit",
    (
        amount(
            "requests_per_minute",
            False,
            False,
            "Requests a minute, across all threads (a token bucket: a minute's worth may burst).",
            "requests_per_minute: 600",
        ),
        amount(
            "tokens_per_minute",
            False,
            False,
            "Tokens a minute; charged by an estimate before a call and settled with the API's "
            "usage after it.",
            "tokens_per_minute: 200000",
        ),
    ),
)

PRICES = Section(
    "prices",
    (
        amount(
            "input_per_mtok",
            False,
            True,
            "Price per million prompt tokens.",
            "input_per_mtok: 0.15",
            default_doc="`0`",
        ),
        amount(
            "output_per_mtok",
            False,
            True,
            "Price per million completion tokens.",
            "output_per_mtok: 0.60",
            default_doc="`0`",
        ),
    ),
)
