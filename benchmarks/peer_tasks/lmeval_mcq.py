"""The benchmark's questions through lm-evaluation-harness's Python API: a custom
generate_until task (a config dict, as a task YAML would hold it) against the
``local-chat-completions`` model, scored by lm-eval's own regex filter and exact_match.

    python lmeval_mcq.py DATA.jsonl BASE_URL CONCURRENCY    # prints {"score": ..., "n": ...}
"""

import json
import logging
import os
import sys

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # a local JSON file: nothing to fetch
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import lm_eval  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

INSTRUCTION = (
    "Answer the following multiple choice question. Reply in the format 'ANSWER: $LETTER' "
    "where LETTER is one of A, B, C, D."
)


# Python callables, as a task YAML's ``!function`` would name: lm-eval compiles a Jinja
# string template afresh for every document (about 2.5 s for 1,000 items here).
def doc_to_text(doc: dict) -> str:
    options = "\n".join(f"{'ABCD'[i]}) {c}" for i, c in enumerate(doc["choices"]))
    return f"{INSTRUCTION}\n\n{doc['question']}\n\n{options}"


def doc_to_target(doc: dict) -> str:
    return "ABCD"[doc["answer"]]


def task_config(path: str) -> dict:
    return {
        "task": "bench_mcq",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": path}},
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": doc_to_text,
        "doc_to_target": doc_to_target,
        "generation_kwargs": {
            "until": [],
            "max_gen_toks": 16,
            "temperature": 0,
            "do_sample": False,
        },
        "filter_list": [
            {
                "name": "answer",
                "filter": [
                    {"function": "regex", "regex_pattern": r"ANSWER:\s*([A-D])"},
                    {"function": "take_first"},
                ],
            }
        ],
        "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
    }


def main(path: str, base_url: str, concurrency: int) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    results = lm_eval.simple_evaluate(
        model="local-chat-completions",
        model_args={
            "model": "bench",
            "base_url": base_url.rstrip("/") + "/chat/completions",
            "num_concurrent": concurrency,
            "max_retries": 3,
            "tokenizer_backend": None,
            "tokenized_requests": False,
        },
        tasks=[task_config(path)],
        # Our one task is inline: no need to index lm-eval's ~14,000 built-in task YAMLs
        # (about 6 s on this machine), which a default TaskManager would do.
        task_manager=TaskManager(include_defaults=False),
        apply_chat_template=True,
        log_samples=False,
        verbosity="WARNING",
    )
    metrics = results["results"]["bench_mcq"]
    score = next(v for k, v in metrics.items() if k.startswith("exact_match,"))
    n = results["n-samples"]["bench_mcq"]["effective"]
    print(json.dumps({"score": score, "n": n}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
