"""The floor: a bare asyncio + aiohttp loop that asks every item and scores the answers.

    python benchmarks/floor.py DATA.jsonl BASE_URL CONCURRENCY    # needs aiohttp
    # prints {"score": ..., "n": ...}

What no evaluation tool can beat on the same requests: no retries, no cache, no report,
one keep-alive connection per concurrent request. The prompt is the plugin's mcq prompt,
so the server sees the same requests as from ``pytest --modelgate``.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys

import aiohttp

ANSWER = re.compile(r"ANSWER:\s*([A-D])")


def prompt(row: dict) -> str:
    letters = "ABCD"[: len(row["choices"])]
    options = "\n".join(f"{letters[i]}) {c}" for i, c in enumerate(row["choices"]))
    return (
        f"{row['question']}\n\n{options}\n\n"
        f"Answer with the letter of the correct choice ({', '.join(letters)})."
    )


async def main(path: str, base_url: str, concurrency: int) -> None:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    url = base_url.rstrip("/") + "/chat/completions"
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    params = {"temperature": 0, "max_tokens": 16, "seed": 0}

    async def ask(session: aiohttp.ClientSession, row: dict) -> float:
        body = {"model": "bench", "messages": [{"role": "user", "content": prompt(row)}], **params}
        async with gate, session.post(url, json=body) as response:
            response.raise_for_status()
            data = await response.json()
        found = ANSWER.search(data["choices"][0]["message"]["content"])
        return float(bool(found) and found.group(1) == "ABCD"[row["answer"]])

    async with aiohttp.ClientSession(connector=connector) as session:
        scores = await asyncio.gather(*(ask(session, row) for row in rows))
    print(json.dumps({"score": sum(scores) / len(scores), "n": len(scores)}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
