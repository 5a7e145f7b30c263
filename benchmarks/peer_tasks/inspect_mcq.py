"""The benchmark's questions as an Inspect task: Inspect's own multiple_choice solver and
choice scorer. Run by benchmarks/peers.py as
``inspect eval inspect_mcq.py -T path=DATA.jsonl --model openai-api/bench/bench ...``."""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample, json_dataset
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice


def to_sample(record: dict) -> Sample:
    return Sample(
        input=record["question"],
        choices=record["choices"],
        target="ABCD"[record["answer"]],
        id=record["id"],
    )


@task
def bench_mcq(path: str) -> Task:
    return Task(
        dataset=json_dataset(path, to_sample),
        solver=multiple_choice(),
        scorer=choice(),
        config=GenerateConfig(temperature=0, max_tokens=16, seed=0),
    )
