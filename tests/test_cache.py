"""Tests for pytest_modelgate.models.cache: the response cache a killed run resumes from.

Direct tests on real files in tmp_path: several threads and several real processes write at
once, a writer is SIGKILLed mid-stream, and bad files (random bytes, another application's
sqlite database, a damaged cache) are set aside with a notice, never deleted, never fatal.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pytest_modelgate.models.cache import VERSION, ResponseCache, default_cache_path
from pytest_modelgate.models.provider import Completion, request_key

# The child processes below import the cache and write entries "<tag>-<i>" keyed like key().
CHILD_PRELUDE = """
import hashlib, os, sys, time
from pytest_modelgate.models.cache import ResponseCache
from pytest_modelgate.models.provider import Completion
def key(name): return hashlib.sha256(name.encode()).hexdigest()
def start_together(): time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
"""


def key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def run_child(
    code: str, *args: str, start_at: float = 0.0, **popen: object
) -> subprocess.Popen[str]:
    """Run ``code`` in a new interpreter; ``start_together()`` in it waits until ``start_at``."""
    source = CHILD_PRELUDE + textwrap.dedent(code)
    env = {**os.environ, "START_AT": str(start_at)}
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-c", source, *args], text=True, env=env, **popen
    )


def set_aside_files(path: Path) -> list[Path]:
    """The databases moved aside (not their -wal/-shm, which go along with them)."""
    aside = re.compile(rf"{re.escape(path.name)}\.corrupt-\d+(\.\d+)?")
    return sorted(p for p in path.parent.iterdir() if aside.fullmatch(p.name))


# --- basics --------------------------------------------------------------------------------


def test_roundtrip_missing_key_and_len(tmp_path: Path) -> None:
    k = request_key("openai", "m", {"temperature": 0}, [{"role": "user", "content": "2+2?"}])
    with ResponseCache(default_cache_path(tmp_path / "sub")) as cache:
        assert cache.notice is None
        assert cache.path == tmp_path / "sub" / "responses.sqlite3"
        assert cache.get(k) is None
        assert len(cache) == 0
        cache.put(k, Completion("4", {"prompt_tokens": 7, "completion_tokens": 1}))
        assert cache.get(k) == Completion("4", {"prompt_tokens": 7, "completion_tokens": 1})
        assert cache.get(key("other")) is None
        assert len(cache) == 1


def test_persists_across_reopen_and_keeps_the_first_answer(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with ResponseCache(path) as cache:
        for i in range(50):
            cache.put(key(f"k{i}"), Completion(f"answer {i}", {"total_tokens": i}))
    with ResponseCache(path) as cache:
        assert cache.notice is None
        assert len(cache) == 50
        assert cache.get(key("k7")) == Completion("answer 7", {"total_tokens": 7})
        cache.put(key("k7"), Completion("a later answer"))  # a concurrent duplicate: ignored
        assert cache.get(key("k7")) == Completion("answer 7", {"total_tokens": 7})
        assert cache.get(key("nope")) is None


def test_an_answer_keeps_who_gave_it_and_a_changed_servers_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    old = "model=gpt-x-2025-01-01, system_fingerprint=fp_1"
    with ResponseCache(path) as cache:
        cache.put(key("k"), Completion("old answer", server=old))
        cache.put(key("plain"), Completion("no identity"))
    with ResponseCache(path) as cache:
        assert cache.get(key("k")).server == old
        assert cache.get(key("plain")).server is None
        new = Completion("new answer", server="model=gpt-x-2025-06-01, system_fingerprint=fp_2")
        cache.put(key("k"), new, replace=True)  # asked again: the server had changed
        assert (cache.get(key("k")).text, cache.get(key("k")).server) == ("new answer", new.server)


def test_only_hash_keys_are_accepted(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite3") as cache:
        with pytest.raises(ValueError, match="request_key hashes") as refused:
            cache.put("Authorization: Bearer sk-secret", Completion("x"))
        assert "sk-secret" not in str(refused.value)  # the refusal does not echo what it refused
        assert len(cache) == 0


def test_put_and_get_are_cheap(tmp_path: Path) -> None:
    # Measured ~60 µs per put and ~10 µs per get; the bound leaves room for a slow CI disk.
    comp = Completion("The answer is B. " * 20, {"prompt_tokens": 120, "completion_tokens": 16})
    keys = [key(f"k{i}") for i in range(500)]
    with ResponseCache(tmp_path / "c.sqlite3") as cache:
        started = time.perf_counter()
        for k in keys:
            cache.put(k, comp)
        put_s = (time.perf_counter() - started) / len(keys)
        started = time.perf_counter()
        for k in keys:
            assert cache.get(k) == comp
        get_s = (time.perf_counter() - started) / len(keys)
    assert put_s < 1e-3 and get_s < 1e-3, (put_s, get_s)


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_threads(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with ResponseCache(tmp_path / "c.sqlite3") as cache:

        def write(t: int) -> None:
            try:
                for i in range(200):
                    k = key(f"t{t}-{i}")
                    cache.put(k, Completion(f"{t}/{i}", {"total_tokens": i}))
                    assert cache.get(k) == Completion(f"{t}/{i}", {"total_tokens": i})
            except BaseException as exc:  # surfaced below; a thread's exception is otherwise lost
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(cache) == 1600
        assert cache.notice is None


def test_concurrent_processes_create_and_fill_one_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"  # does not exist yet: the children race to create it
    start_at = time.time() + 0.5  # after every interpreter has started
    children = [
        run_child(
            """
            start_together()
            cache = ResponseCache(sys.argv[1])
            assert cache.notice is None, cache.notice
            for i in range(300):
                cache.put(key(f"{sys.argv[2]}-{i}"), Completion(str(i), {"total_tokens": i}))
            cache.close()
            """,
            str(path),
            f"p{n}",
            start_at=start_at,
            stderr=subprocess.PIPE,
        )
        for n in range(3)
    ]
    for child in children:
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 0, stderr
    with ResponseCache(path) as cache:
        assert cache.notice is None
        assert len(cache) == 900
        for n in range(3):
            for i in range(300):
                assert cache.get(key(f"p{n}-{i}")) == Completion(str(i), {"total_tokens": i})
    assert set_aside_files(path) == []


def test_a_writer_waits_for_another_processes_lock(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with ResponseCache(path) as cache:
        holder = run_child(
            """
            import sqlite3, time
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO meta VALUES ('holder', 'x')")
            print("locked", flush=True)
            time.sleep(0.5)
            db.execute("COMMIT")
            """,
            str(path),
            stdout=subprocess.PIPE,
        )
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.perf_counter()
        cache.put(key("late"), Completion("ok"))  # waits for the holder's commit
        waited = time.perf_counter() - started
        assert holder.wait(timeout=10) == 0
        assert waited > 0.2
        assert cache.get(key("late")) == Completion("ok")
        assert cache.notice is None


# --- durability ----------------------------------------------------------------------------

SIGKILLED_WRITER = """
cache = ResponseCache(sys.argv[1])
assert cache.notice is None, cache.notice
for i in range(1_000_000):
    name = f"{sys.argv[2]}-{i}"
    cache.put(key(name), Completion("x" * (i % 500), {"total_tokens": i}))
    print(name, flush=True)  # only after put returned
"""


def test_sigkill_loses_nothing_that_was_put(tmp_path: Path) -> None:
    # Kill a writer at several depths, each one reopening the file the previous kill left
    # (with its WAL not checkpointed): every key printed before a kill is there afterwards.
    path = tmp_path / "c.sqlite3"
    printed: list[str] = []
    for run, after in enumerate([40, 900, 3000]):
        child = run_child(SIGKILLED_WRITER, str(path), f"run{run}", stdout=subprocess.PIPE)
        assert child.stdout is not None
        for _ in range(after):
            printed.append(child.stdout.readline().rstrip("\n"))
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # lines printed between our last read and the kill
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        printed += [line for line in rest.split("\n")[:-1]]  # the last piece may be cut short
        with ResponseCache(path) as cache:
            assert cache.notice is None
            missing = [name for name in printed if cache.get(key(name)) is None]
            assert missing == []
            assert len(cache) >= len(printed)
    assert set_aside_files(path) == []
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()


# --- bad files -----------------------------------------------------------------------------


def foreign_db(path: Path) -> None:
    """Another application's sqlite file, in WAL mode with rows only in its -wal (as left by
    a crash), to show the WAL goes aside with it rather than into the fresh cache."""
    source = path.with_name("source.db")
    db = sqlite3.connect(source, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE users (name TEXT)")
    db.execute("INSERT INTO users VALUES ('ada')")
    path.write_bytes(source.read_bytes())
    Path(f"{path}-wal").write_bytes(Path(f"{source}-wal").read_bytes())
    db.close()


def other_version(path: Path) -> None:
    with ResponseCache(path) as cache:
        cache.put(key("k"), Completion("x"))
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    db.commit()
    db.close()


def damaged_cache(path: Path) -> None:
    with ResponseCache(path) as cache:
        for i in range(2000):
            cache.put(key(f"k{i}"), Completion("y" * 300))
    with open(path, "r+b") as f:  # header intact, one page deep inside overwritten
        f.seek(4096 * 40)
        f.write(b"\xff" * 4096)


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


@pytest.mark.parametrize(
    "make_bad, reason",
    [
        (random_bytes, "was not a readable sqlite database (file is not a database)"),
        (foreign_db, "was not a pytest-modelgate cache (tables: users)"),
        (other_version, f"was cache format version 99, this reads {VERSION}"),
        (damaged_cache, "was damaged ("),
    ],
)
def test_a_bad_file_is_set_aside_with_a_notice(tmp_path: Path, make_bad, reason: str) -> None:
    path = default_cache_path(tmp_path)
    make_bad(path)
    original = path.read_bytes()
    original_wal = Path(f"{path}-wal").read_bytes() if make_bad is foreign_db else b""
    with ResponseCache(path) as cache:
        [aside] = set_aside_files(path)
        assert aside.name.startswith("responses.sqlite3.corrupt-")
        assert abs(int(aside.name.rsplit("-", 1)[1]) - time.time()) < 60
        assert cache.notice is not None
        assert cache.notice.startswith(f"modelgate: response cache {path} {reason}")
        assert cache.notice.endswith(f"; moved it to {aside} and started an empty cache")
        assert "\n" not in cache.notice
        assert aside.read_bytes() == original  # moved, never deleted or rewritten
        assert len(cache) == 0
        cache.put(key("fresh"), Completion("works"))
        assert cache.get(key("fresh")) == Completion("works")
    with ResponseCache(path) as cache:  # the fresh cache is a good one
        assert cache.notice is None
        assert len(cache) == 1
    if make_bad is foreign_db:  # its WAL went along: the set-aside file has its WAL-only row
        assert Path(f"{aside}-wal").read_bytes() == original_wal
        db = sqlite3.connect(aside)
        assert db.execute("SELECT name FROM users").fetchall() == [("ada",)]
        db.close()


def test_processes_finding_a_bad_file_set_it_aside_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    random_bytes(path)
    start_at = time.time() + 0.5
    children = [
        run_child(
            """
            start_together()
            cache = ResponseCache(sys.argv[1])
            cache.put(key(sys.argv[2]), Completion("x"))
            print(cache.notice is not None)
            """,
            str(path),
            f"p{n}",
            start_at=start_at,
            stdout=subprocess.PIPE,
        )
        for n in range(3)
    ]
    noticed = [child.communicate(timeout=60)[0].strip() for child in children]
    assert sorted(noticed) == ["False", "False", "True"]
    assert len(set_aside_files(path)) == 1
    with ResponseCache(path) as cache:
        assert len(cache) == 3


def test_an_unusable_location_turns_the_cache_off(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    cache = ResponseCache(tmp_path / "file" / "responses.sqlite3")
    assert cache.notice is not None
    assert cache.notice.startswith("modelgate: response cache off for this run, cannot open ")
    cache.put(key("k"), Completion("x"))  # no-op
    assert cache.get(key("k")) is None
    assert len(cache) == 0
    cache.close()


def test_a_failure_mid_run_turns_the_cache_off(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with ResponseCache(path) as cache:
        cache.put(key("k"), Completion("x"))
        vandal = sqlite3.connect(path)
        vandal.execute("DROP TABLE responses")
        vandal.commit()
        vandal.close()
        assert cache.get(key("k")) is None  # a miss, not an exception
        assert cache.notice is not None and "response cache off for this run" in cache.notice
        cache.put(key("k2"), Completion("y"))  # ignored from now on
        assert cache.get(key("k2")) is None
        assert len(cache) == 0


def test_sealed_answers_serve_only_when_reuse_is_asked_for(tmp_path):
    path = default_cache_path(tmp_path)
    key = request_key("openai", "m", {}, [{"role": "user", "content": "2+2?"}])
    with ResponseCache(path) as cache:
        cache.put(key, Completion("4"))
        cache.seal()
    with ResponseCache(path) as cache:
        assert cache.get(key) is None  # a finished run's answer: ask again
        cache.put(key, Completion("four"))  # ...and the new answer replaces it, unsealed
        assert cache.get(key) == Completion("four")
    with ResponseCache(path) as cache:
        assert cache.get(key) == Completion("four")  # unsealed: a resumed run's answer
        cache.seal()
    with ResponseCache(path, reuse_sealed=True) as cache:
        hit = cache.get(key)
        assert hit == Completion("four") and hit.recorded is not None


def test_the_deployment_is_part_of_the_cache_key():
    messages = [{"role": "user", "content": "2+2?"}]
    plain = request_key("openai", "m", {}, messages)
    assert plain == request_key("openai", "m", {}, messages, deployment=None)
    here = request_key("openai", "m", {}, messages, deployment="http://127.0.0.1:8000/v1")
    there = request_key("openai", "m", {}, messages, deployment="http://10.0.0.2:8000/v1")
    assert len({plain, here, there}) == 3
