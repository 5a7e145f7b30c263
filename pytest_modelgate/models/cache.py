"""Response cache: model answers in one sqlite file, committed as each arrives.

A run killed at any point (SIGKILL included) keeps every answer whose ``put`` returned, so a
rerun queries only what was never answered. The threads of one process and several processes
(pytest-xdist workers) share the file: WAL lets readers run beside the one writer, and a busy
timeout makes a writer wait its turn instead of failing. Keys are ``providers.request_key``
hashes and rows hold only the answer text and its usage: the file holds no secrets.

Reuse is for resuming, not for borrowing: a run that finishes (every benchmark evaluated, not
interrupted) *seals* the answers it used, and later runs ask the model again instead of serving
sealed answers - a new checkpoint behind the same name and URL must answer for itself. Sealed
answers are served only when asked for (``--modelgate-cache-reuse``: iterating on scorers or
thresholds during development). A run killed or stopped half-way seals nothing, so the next run
resumes where it stopped.

Each answer keeps the server's word on who gave it (``Completion.server``: the served model id,
OpenAI's ``system_fingerprint``), so ``calls.ModelCaller`` can refuse answers a different
deployment gave even under the same name and URL.

A bad file (not sqlite, damaged, another application's, another version's) is moved aside,
never deleted, and reported in ``notice``; a cache that cannot work at all turns itself off
and says so. The cache only saves calls, so it never crashes or fails a run.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytest_modelgate.models.provider import Completion

try:  # serialises opening (check, set aside, create) across processes; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows: processes opening a bad file may race
    fcntl = None  # type: ignore[assignment]

FORMAT = "pytest-modelgate-cache"
VERSION = 3  # 2: rows are sealed by the run that finished with them; 3: rows name the server
BUSY_TIMEOUT_S = 30.0
# A cache file up to this size is read into memory when opened (its pages are all read then
# anyway, by the integrity check): a re-run's hits are then dict lookups, not a query each
# that hands the GIL around 16 worker threads (10,000 hits: ~0.2 s of a 1.5 s re-run).
SNAPSHOT_MAX_BYTES = 16 * 2**20
_KEY = re.compile(r"[0-9a-f]{32,128}")
_SIDECARS = ("-wal", "-shm", "-journal")  # sqlite's own files beside the database
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE responses (key TEXT PRIMARY KEY, text TEXT NOT NULL,"
    " usage TEXT NOT NULL, created REAL NOT NULL, sealed INTEGER NOT NULL DEFAULT 0,"
    " server TEXT)",
)
_COLUMNS = "text, usage, created, sealed, server"
_SEAL_BATCH = 500  # keys per UPDATE: well under sqlite's limit on bound parameters


def default_cache_path(cache_dir: Path) -> Path:
    return Path(cache_dir) / "responses.sqlite3"


class _BadFile(Exception):
    """The file is readable but is not a cache this version can use."""


class ResponseCache:
    """Model answers keyed by providers.request_key(...), committed as each arrives."""

    def __init__(self, path: Path, *, reuse_sealed: bool = False) -> None:
        self.path = Path(path)
        self.reuse_sealed = reuse_sealed
        self.notice: str | None = None
        self._used: set[str] = set()  # keys this run served or stored: what seal() seals
        # One connection behind a lock rather than one per thread: sqlite admits one writer at a
        # time anyway, a put or get costs tens of µs against seconds per model call, and close()
        # can close it for certain (per-thread connections would outlive pool threads).
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # Rows stored before this run opened: key -> (text, usage, created, sealed, server).
        self._snapshot: dict[str, tuple[str, str, float, int, str | None]] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _exclusive(self.path):
                self._conn = self._open()
            if self.path.stat().st_size <= SNAPSHOT_MAX_BYTES:
                rows = self._conn.execute(f"SELECT key, {_COLUMNS} FROM responses")
                self._snapshot = {key: tuple(rest) for key, *rest in rows}  # type: ignore[misc]
        except (OSError, sqlite3.Error) as exc:  # unusable location: run without a cache
            self._disable(f"cannot open {self.path}: {_one_line(exc)}")

    def _open(self) -> sqlite3.Connection:
        try:
            return _connect(self.path)
        except _BadFile as exc:
            reason = str(exc)
        except sqlite3.DatabaseError as exc:
            # Subclasses (OperationalError: locked, I/O, read-only...) are not about the content;
            # plain DatabaseError is SQLITE_NOTADB or SQLITE_CORRUPT.
            if type(exc) is not sqlite3.DatabaseError:
                raise
            reason = f"not a readable sqlite database ({_one_line(exc)})"
        aside = self._set_aside()
        self.notice = (
            f"modelgate: response cache {self.path} was {reason}; "
            f"moved it to {aside} and started an empty cache"
        )
        return _connect(self.path)

    def _set_aside(self) -> Path:
        stamp = int(time.time())
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 0
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}.{n}")
        os.replace(self.path, aside)
        # A WAL left beside the path would be replayed into the fresh database: it goes along.
        for suffix in _SIDECARS:
            if os.path.exists(f"{self.path}{suffix}"):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
        return aside

    def _disable(self, why: str) -> None:
        self._snapshot = {}
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        line = f"modelgate: response cache off for this run, {why}"
        self.notice = line if self.notice is None else f"{self.notice}; {line}"

    def get(self, key: str) -> Completion | None:
        row = self._snapshot.get(key)
        if row is None:  # stored since this run opened the file (another process), or absent
            with self._lock:
                if self._conn is None:
                    return None
                try:
                    row = self._conn.execute(
                        f"SELECT {_COLUMNS} FROM responses WHERE key = ?", (key,)
                    ).fetchone()
                except sqlite3.Error as exc:  # a miss costs one call, never the run
                    self._disable(f"reading {self.path} failed: {_one_line(exc)}")
                    return None
            if row is None:
                return None
        if row[3] and not self.reuse_sealed:
            return None  # a finished run's answer: ask this deployment again
        try:
            completion = Completion(row[0], json.loads(row[1]), recorded=row[2], server=row[4])
        except ValueError as exc:
            self._disable(f"reading {self.path} failed: {_one_line(exc)}")
            return None
        with self._lock:
            self._used.add(key)
        return completion

    def put(self, key: str, completion: Completion, *, replace: bool = False) -> None:
        """Store an answer; ``replace``: over an unsealed one too (a changed server's)."""
        if not _KEY.fullmatch(key):  # only hashes: a raw prompt or header must never land here
            # (and is not echoed: it might be the very secret this guards against)
            raise ValueError("cache keys are providers.request_key hashes (lowercase hex)")
        usage = json.dumps(dict(completion.usage), sort_keys=True)
        with self._lock:
            if self._conn is None:
                return
            try:
                # Autocommit: committed when this returns. The first answer stored is kept, so
                # what a run read from the cache never changes under a concurrent writer; a
                # sealed answer this run asked again for is replaced by the new one.
                self._conn.execute(
                    "INSERT INTO responses VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT(key) DO UPDATE SET"
                    " text = excluded.text, usage = excluded.usage, created = excluded.created,"
                    " sealed = 0, server = excluded.server WHERE sealed = 1 OR ?",
                    (key, completion.text, usage, time.time(), completion.server, replace),
                )
                self._used.add(key)
                self._snapshot.pop(key, None)  # the row may have been sealed: read it afresh
            except sqlite3.Error as exc:
                self._disable(f"writing {self.path} failed: {_one_line(exc)}")

    def seal(self) -> None:
        """This run finished: its answers serve later runs only with reuse_sealed."""
        with self._lock:
            if self._conn is None or not self._used:
                return
            keys = sorted(self._used)
            try:
                for start in range(0, len(keys), _SEAL_BATCH):
                    batch = keys[start : start + _SEAL_BATCH]
                    marks = ",".join("?" * len(batch))
                    self._conn.execute(
                        f"UPDATE responses SET sealed = 1 WHERE key IN ({marks})", batch
                    )
            except sqlite3.Error as exc:
                self._disable(f"writing {self.path} failed: {_one_line(exc)}")

    def __len__(self) -> int:
        with self._lock:
            if self._conn is None:
                return 0
            try:
                return int(self._conn.execute("SELECT count(*) FROM responses").fetchone()[0])
            except sqlite3.Error as exc:
                self._disable(f"reading {self.path} failed: {_one_line(exc)}")
                return 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _connect(path: Path) -> sqlite3.Connection:
    if path.exists() and path.stat().st_size > 0:
        _check(path)
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    try:
        # IMMEDIATE: of processes creating the cache at once, one creates, the others see it.
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("version", str(VERSION))]
            )
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed; only a power cut may
        # drop the last commits (never corrupting), and a put skips an fsync.
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()  # also rolls back the open transaction
        raise
    return conn


def _check(path: Path) -> None:
    """Raise unless ``path`` is our cache, read-only: a file that is not ours is set aside as
    found (a read-write connection would fold another application's WAL into it on close)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:  # no meta table, or one with other columns
            meta = {}
        if meta.get("format") != FORMAT or "responses" not in tables:
            names = ", ".join(sorted(tables)) or "none"
            raise _BadFile(f"not a pytest-modelgate cache (tables: {names})")
        if meta.get("version") != str(VERSION):
            raise _BadFile(f"cache format version {meta.get('version')}, this reads {VERSION}")
        # Pages damaged past the header only show when read: read them all now, not mid-run.
        problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise _BadFile(f"damaged ({_one_line(problem)})")
    finally:
        conn.close()


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold ``<path>.lock`` while opening, so of several processes finding a bad file one moves
    it aside and the others then open the fresh cache (not move that one aside too)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel even if we are killed
        yield


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
