"""One settings object, resolved once: command line over ini (``modelgate_*``).

Every value is validated here with a message that says where it came from, so
a typo in CI config fails the run at start-up (pytest exit code 4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (option, ini key, kind, default). Kinds: flag, str, path, int, shard (K/N), paths.
OPTIONS: tuple[tuple[str, str, str, Any], ...] = (
    ("modelgate", "modelgate", "flag", False),
    ("modelgate_model", "modelgate_model", "str", "candidate"),
    ("modelgate_report", "modelgate_report", "path", None),
    ("modelgate_record_baseline", "modelgate_record_baseline", "path", None),
    ("modelgate_record_responses", "modelgate_record_responses", "path", None),
    ("modelgate_limit", "modelgate_limit", "int", None),
    ("modelgate_plan", "modelgate_plan", "flag", False),
    ("modelgate_cache", "modelgate_cache", "path", None),
    ("modelgate_no_cache", "modelgate_no_cache", "flag", False),
    ("modelgate_cache_reuse", "modelgate_cache_reuse", "flag", False),
    ("modelgate_shard", "modelgate_shard", "shard", None),
    ("modelgate_merge", "modelgate_merge", "paths", None),
)


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    enabled: bool = False
    models: tuple[str, ...] = ("candidate",)
    report_dir: Path | None = None
    record_baseline: Path | None = None
    record_responses: Path | None = None  # every answer, for provider: replay
    limit: int | None = None
    plan: bool = False
    cache_dir: Path | None = None  # None: inside pytest's cache dir
    no_cache: bool = False
    cache_reuse: bool = False  # also serve answers of earlier runs that finished (development)
    shard: tuple[int, int] | None = None  # (K, N): evaluate shard K of N, write a partial
    merge: tuple[Path, ...] = ()  # partials (or folders holding one) to decide together


def resolve_settings(
    cli: Callable[[str], Any], ini: Callable[[str], Any], rootdir: Path
) -> Settings:
    """``cli(name)`` is None when the flag was not given; ``ini(key)`` is "" when unset."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for option, key, kind, default in OPTIONS:
        raw, origin = cli(option), f"--{option.replace('_', '-')}"
        if raw is None or raw is False:
            raw, origin = ini(key), f"ini key {key}"
        origins[option] = origin
        values[option] = (
            default if raw in (None, "", False, []) else _convert(raw, kind, origin, rootdir)
        )
    models = tuple(m.strip() for m in str(values["modelgate_model"]).split(",") if m.strip())
    if not models:
        raise SettingsError("--modelgate-model: expected NAME[,NAME], got nothing")
    shard, merge = values["modelgate_shard"], tuple(values["modelgate_merge"] or ())
    _check_shard_and_merge(shard, merge, values, origins)
    return Settings(
        # A merge decides gates: it is a gate run even without --modelgate.
        enabled=bool(values["modelgate"]) or bool(merge),
        models=models,
        report_dir=values["modelgate_report"],
        record_baseline=values["modelgate_record_baseline"],
        record_responses=values["modelgate_record_responses"],
        limit=values["modelgate_limit"],
        plan=bool(values["modelgate_plan"]),
        cache_dir=values["modelgate_cache"],
        no_cache=bool(values["modelgate_no_cache"]),
        cache_reuse=bool(values["modelgate_cache_reuse"]),
        shard=shard,
        merge=merge,
    )


def _check_shard_and_merge(
    shard: tuple[int, int] | None,
    merge: tuple[Path, ...],
    values: dict[str, Any],
    origins: dict[str, str],
) -> None:
    """The combinations that cannot give an honest result, refused at start-up."""
    if shard and merge:
        raise SettingsError(
            f"{origins['modelgate_shard']} and {origins['modelgate_merge']}: a run either "
            "evaluates one shard or merges the partials of all shards, not both"
        )
    if shard and values["modelgate_report"] is None:
        raise SettingsError(
            f"{origins['modelgate_shard']}: a shard writes its partial results into "
            "--modelgate-report DIR; give one"
        )
    if shard and values["modelgate_record_baseline"] is not None:
        raise SettingsError(
            f"{origins['modelgate_record_baseline']}: a shard has 1/N of the items; record "
            "the baseline in the merge run instead"
        )
    if merge and values["modelgate_limit"] is not None:
        raise SettingsError(
            f"{origins['modelgate_limit']}: a merge decides on every item of the partials; "
            "a smoke run (--modelgate-limit) cannot be merged"
        )


def _convert(raw: Any, kind: str, origin: str, rootdir: Path) -> Any:
    if kind == "flag":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{origin}: expected true or false, got {raw!r}")
    if kind == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SettingsError(f"{origin}: expected a positive integer, got {raw!r}") from None
        if value < 1:
            raise SettingsError(f"{origin}: expected a positive integer, got {raw!r}")
        return value
    if kind == "path":
        return (rootdir / str(raw)) if origin.startswith("ini") else Path(str(raw))
    if kind == "paths":
        given = raw if isinstance(raw, (list, tuple)) else str(raw).split()
        return tuple(
            (rootdir / str(p)) if origin.startswith("ini") else Path(str(p)) for p in given
        )
    if kind == "shard":
        return parse_shard(str(raw), origin)
    return str(raw)


def parse_shard(text: str, origin: str) -> tuple[int, int]:
    """``K/N`` -> (K, N) with 1 <= K <= N."""
    k, slash, n = text.strip().partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        shard = (0, 0)
    if not slash or not 1 <= shard[0] <= shard[1]:
        raise SettingsError(
            f"{origin}: expected K/N with 1 <= K <= N (shard K of N, e.g. 2/3), got {text!r}"
        )
    return shard
