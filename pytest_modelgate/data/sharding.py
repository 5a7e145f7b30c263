"""Which items a shard evaluates: a stable hash of (benchmark, item id), never line order.

sha256, not Python's ``hash`` (salted per process): shard K of a re-run asks for the same
items, so its answers come from the response cache, and every machine agrees on the split.
Appending items to a dataset moves no existing item to another shard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pytest_modelgate.data.datasets import Item

Shard = tuple[int, int]  # (K, N): shard K of N, 1 <= K <= N


def shard_of(benchmark: str, item_id: str, count: int) -> int:
    """The shard (1..count) that evaluates ``item_id`` of ``benchmark``."""
    digest = hashlib.sha256(f"{benchmark}\x00{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def shard_items(benchmark: str, items: Iterable[Item], shard: Shard) -> list[Item]:
    """The items of ``shard``, in dataset order."""
    k, n = shard
    return [item for item in items if shard_of(benchmark, item.id, n) == k]
