"""Run model-written code contained: ``run(command, workdir, limits) -> SandboxResult``.

Whatever the code does - loop, fork, allocate, write elsewhere, connect out, read the
environment - ends as a result with a reason, never as an exception, so the run goes on.
``SandboxError`` means the sandbox itself could not start: the machine's fault, never the
code's.

Containment is the strongest this machine allows (``containment`` lists what each level
holds back), probed once per process (``available_containment()``) and named in every
result: bubblewrap where it works (``bubblewrap`` owns its command line), else the
fallback (namespaces, Landlock, rlimits). ``sandbox_launcher`` does the confining inside
the child; ``cgroups`` bounds the run's processes and memory together where it may.
``isolation: strong`` (``Limits.isolation``) refuses the fallback: ``SandboxError``.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pytest_modelgate.run import bubblewrap, sandbox_launcher
from pytest_modelgate.run.cgroups import CgroupError, memory_exceeded, run_cgroups
from pytest_modelgate.run.containment import Containment, SandboxError, candidates
from pytest_modelgate.run.sandbox_launcher import NOBODY


@dataclass(frozen=True)
class Limits:
    """The gate file's ``sandbox:`` block (docs/gate-file.md) with its defaults."""

    timeout_s: float = 10.0
    cpu_s: float = 5.0
    memory_mb: int = 512
    max_processes: int = 64  # processes and threads the command may have at once
    max_file_mb: int = 16
    max_disk_mb: int = 128  # the work dir in total (bubblewrap: the size of its tmpfs)
    isolation: str = "best-effort"  # "strong": bubblewrap or no run at all
    output_bytes: int = 64 * 1024  # per stream: its head and tail are kept

    @classmethod
    def from_options(cls, options: Mapping[str, object] | None) -> Limits:
        given = dict(options or {})
        kinds: dict[str, type] = {"timeout_s": float, "cpu_s": float, "memory_mb": int}
        kinds.update(max_processes=int, max_file_mb=int, max_disk_mb=int, isolation=str)
        return cls(**{k: kind(given[k]) for k, kind in kinds.items() if k in given})


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None  # negative: killed by that signal; None: timed out
    stdout: str
    stderr: str
    timed_out: bool
    reason: str | None  # why it was stopped: timeout, cpu, memory, file size, killed by signal N
    seconds: float
    isolation: tuple[str, ...]  # the containment that was active, in words
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


# --- which containment works here ---------------------------------------------------

_probe_lock = threading.Lock()
_probed: dict[bool, Containment] = {}  # keyed by whether bubblewrap is offered


def available_containment() -> Containment:
    """The strongest containment that works here, found by trying each once, strongest first."""
    return _containment(bubblewrap.find_bwrap() is not None)


def fallback_containment() -> Containment:
    """The strongest containment without bubblewrap (what a machine without it gets)."""
    return _containment(False)


def _containment(strong: bool) -> Containment:
    with _probe_lock:
        if strong not in _probed:
            _probed[strong] = _probe(strong)
        return _probed[strong]


def _probe(strong: bool) -> Containment:
    code = "open('probe', 'w').write('ok')"
    for box in candidates(strong):
        try:
            with workdir() as path:
                done = run([sys.executable, "-I", "-S", "-c", code], path, containment=box)
                if done.ok and (path / "probe").exists():
                    return box
        except SandboxError:
            continue
    raise SandboxError("cannot run even an unconfined subprocess here")


def require_isolation(limits: Limits, box: Containment) -> None:
    """Fail closed: ``isolation: strong`` never runs code under the weaker fallback."""
    if limits.isolation != "strong" or box.strong:
        return
    found = bubblewrap.find_bwrap()
    if os.environ.get(bubblewrap.HIDE, "") not in ("", "0"):
        why = f"it is hidden by {bubblewrap.HIDE}"
    elif found is None:
        why = "bwrap is not installed (not on PATH)"
    else:
        why = f"{found} does not work here (user namespaces disabled?)"
    raise SandboxError(
        f"sandbox isolation 'strong' needs bubblewrap, but {why}: {bubblewrap.INSTALL}, "
        "or set sandbox: {isolation: best-effort} to accept the weaker fallback"
    )


# --- work dirs ----------------------------------------------------------------------


# What the task starts with carries one fixed time (2000-01-01 UTC), in a parent of its own:
# ``ls -la`` then reads the same on every run (no clock, no count of /tmp's entries in it),
# so a model at temperature 0 answers alike and a resumed run finds its answers cached.
SEED_TIME = 946_684_800


@contextmanager
def workdir(files: Mapping[str, str] | None = None) -> Iterator[Path]:
    """A fresh temporary directory seeded with ``files``, always removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="modelgate-sandbox-"))
    path = base / "task"
    try:
        path.mkdir(mode=0o700)
        for name, text in (files or {}).items():
            target = path / PurePosixPath(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        base.chmod(0o755)  # the task dir may be handed to nobody, who must reach it
        for root, dirs, names in os.walk(path, topdown=False):
            for name in (*names, *dirs):
                os.utime(os.path.join(root, name), (SEED_TIME, SEED_TIME))
        for directory in (path, base):
            os.utime(directory, (SEED_TIME, SEED_TIME))
        yield path
    finally:
        _remove(base)


def _remove(path: Path) -> None:
    """Remove a work dir, even one whose code took its own permissions away."""
    unlock = [str(path)]
    while unlock:  # top down: a directory must be readable before its entries are listed
        current = unlock.pop()
        try:
            os.chmod(current, 0o700)
            unlock += [e.path for e in os.scandir(current) if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
    shutil.rmtree(path, ignore_errors=True)


def _hand_over(path: Path, uid: int) -> None:
    """Give nobody the work dir; what it makes there is its own already."""
    for root, dirs, names in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + names)]:
            if os.lstat(name).st_uid != uid:
                os.lchown(name, uid, uid)


def _environment(path: Path) -> dict[str, str]:
    return {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(path),
        "TMPDIR": str(path),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }


def _read_roots() -> list[str]:
    """Where the code may read and execute: the system and the Python running us."""
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python.append(os.path.dirname(os.path.realpath(sys.executable)))
    system = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
    return [p for p in dict.fromkeys(system + python) if os.path.exists(p)]


# --- running ------------------------------------------------------------------------


def run(
    command: Sequence[str],
    path: Path,
    limits: Limits = Limits(),
    *,
    stdin: bytes = b"",
    merge_stderr: bool = False,
    containment: Containment | None = None,
) -> SandboxResult:
    """Run ``command`` in the work dir ``path``; never raises for what the command does."""
    box = containment if containment is not None else available_containment()
    require_isolation(limits, box)
    if box.drop_root == "nobody":
        _hand_over(path, NOBODY)
    started = time.monotonic()
    # The launcher, bubblewrap and the PID-1 reaper count towards the limits as well.
    overhead = 3 if box.strong else 2
    bounds = {"pids": limits.max_processes + overhead, "memory": _memory_bound(limits)}
    try:
        with run_cgroups(box.cgroups, bounds) as cgroups:
            plan = {
                "workdir": str(path),
                "drop_root": box.drop_root,
                "namespaces": box.namespaces,
                "landlock": box.landlock,
                "cgroups": cgroups,
                "read": _read_roots(),
                "timeout": limits.timeout_s,
                "cpu": limits.cpu_s,
                "memory": limits.memory_mb * 2**20,
                "processes": limits.max_processes,
                "file": limits.max_file_mb * 2**20,
            }
            if box.strong:
                plan = _inside_bubblewrap(plan, box, path, limits)
            streams, report, export = _launch(command, path, plan, stdin, merge_stderr, limits)
            out_of_memory = memory_exceeded(cgroups)
    except CgroupError as exc:
        raise SandboxError(str(exc)) from exc
    if report.get("error"):
        raise SandboxError(f"the sandbox could not start: {report['error']}")
    if box.strong:
        _take_back(path, export)
    out, err = streams
    status = report.get("status")
    timed_out = bool(report.get("timed_out")) or status is None
    returncode = None if status is None else os.waitstatus_to_exitcode(status)
    stdout, stderr = out.text(), err.text()
    cpu = float(report.get("cpu", 0.0))
    reason = _reason(returncode, timed_out, cpu, limits, stdout if merge_stderr else stderr)
    if out_of_memory and not timed_out and returncode != 0:
        reason = "memory"
    return SandboxResult(
        returncode,
        stdout,
        stderr,
        timed_out,
        reason,
        time.monotonic() - started,
        box.describe(),
        out.cut > 0 or err.cut > 0,
    )


def _memory_bound(limits: Limits) -> int:
    """The run's memory cgroup: memory_mb for the code, plus room for the launcher (a small
    Python) and, with bubblewrap, the tmpfs work dir, whose pages are charged there too."""
    return (limits.memory_mb + 48) * 2**20


def _inside_bubblewrap(plan: dict, box: Containment, path: Path, limits: Limits) -> dict:
    """The launcher's plan with bubblewrap: outside it joins the cgroups, drops root and
    execs bwrap, which runs the launcher again inside with ``inside``."""
    assert box.bubblewrap is not None
    inside = {
        **plan,
        "workdir": bubblewrap.WORKDIR,
        "seed": bubblewrap.SEED,
        "cgroups": [],
        "drop_root": None,
        "namespaces": 0,
        "landlock": 0,
        "own_userns": True,
    }
    env = bubblewrap.inside_environment(_environment(path))
    disk = limits.max_disk_mb * 2**20
    launcher = os.path.abspath(sandbox_launcher.__file__)
    argv = bubblewrap.bwrap_argv(
        box.bubblewrap, path, launcher, disk, env, map_nobody=box.drop_root == "mapped"
    )
    argv += [sys.executable, "-I", "-S", bubblewrap.LAUNCHER]
    return {**plan, "bwrap": argv, "inside": inside}


def _take_back(path: Path, export: bytes | None) -> None:
    """Make the host's work dir what the command left in its private one, so the next
    command of an agent sees it. Unpacked with tarfile's ``data`` filter (no links out, no
    devices, no setuid, no owners); a member it refuses is left out. An incomplete stream
    (the launcher was killed) leaves the host's work dir as it was."""
    import io  # noqa: PLC0415 - bubblewrap only
    import tarfile  # noqa: PLC0415

    if export is None:
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(export), mode="r:") as tar:
            members = tar.getmembers()
            for entry in os.scandir(path):  # cleared only once the stream proved complete
                if entry.is_dir(follow_symlinks=False):
                    _remove(Path(entry.path))
                else:
                    os.unlink(entry.path)
            for member in members:
                try:
                    tar.extract(member, path, filter="data")
                except (tarfile.TarError, OSError):
                    continue
    except tarfile.TarError:
        return
    for member in reversed(members):  # a directory's time, after its entries were made
        if member.isdir():
            target = path / member.name
            try:
                os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)
            except OSError:
                continue


def _launch(
    command: Sequence[str],
    path: Path,
    plan: dict,
    stdin: bytes,
    merge_stderr: bool,
    limits: Limits,
) -> tuple[tuple[_Capture, _Capture], dict, bytes | None]:
    report_r, report_w = os.pipe()
    channels = {"report_fd": report_w}
    export_r = export_w = None
    if "inside" in plan:
        export_r, export_w = os.pipe()
        channels["export_fd"] = export_w
        plan = {**plan, "inside": {**plan["inside"], **channels}}
    plan = {**plan, **channels}
    script = os.path.abspath(sandbox_launcher.__file__)
    launcher = [sys.executable, "-I", "-S", script, json.dumps(plan)]
    # The launcher keeps the real timeout; copying the work dir in and out takes a moment.
    backstop = time.monotonic() + limits.timeout_s + (10 if export_r is not None else 5)
    with tempfile.TemporaryFile() as given:
        given.write(stdin)
        given.seek(0)
        try:
            proc = subprocess.Popen(
                [*launcher, *command],
                cwd=path,
                env=_environment(path),
                stdin=given,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                pass_fds=tuple(channels.values()),
                start_new_session=True,
            )
        except OSError as exc:
            for fd in (report_r, export_r):
                if fd is not None:
                    os.close(fd)
            raise SandboxError(f"cannot start the sandbox launcher: {exc}") from exc
        finally:
            for fd in channels.values():
                os.close(fd)
        # The export is the tmpfs's content: never more than its size and the tar headers.
        cap = limits.max_disk_mb * 2**20 * 2 + 2**20
        return _collect(proc, report_r, export_r, cap, limits, backstop)


class _Capture:
    """Keeps the head and the tail of a stream; counts what was cut between them."""

    def __init__(self, limit: int) -> None:
        self.half = limit // 2
        self.head, self.tail, self.cut = bytearray(), bytearray(), 0

    def add(self, data: bytes) -> None:
        room = self.half - len(self.head)
        self.head += data[:room]
        self.tail += data[room:]
        if len(self.tail) > self.half:
            self.cut += len(self.tail) - self.half
            del self.tail[: len(self.tail) - self.half]

    def text(self) -> str:
        middle = f"\n[... {self.cut} bytes cut ...]\n".encode() if self.cut else b""
        return bytes(self.head + middle + self.tail).decode("utf-8", "replace")


def _collect(
    proc: subprocess.Popen[bytes],
    report_r: int,
    export_r: int | None,
    export_cap: int,
    limits: Limits,
    backstop: float,
) -> tuple[tuple[_Capture, _Capture], dict, bytes | None]:
    out, err = _Capture(limits.output_bytes), _Capture(limits.output_bytes)
    captures = {p.fileno(): c for p, c in ((proc.stdout, out), (proc.stderr, err)) if p}
    report, export = bytearray(), bytearray()
    export_ok = export_r is not None
    channels = [fd for fd in (report_r, export_r) if fd is not None]
    with selectors.DefaultSelector() as waiting:  # not select(): fds may be above 1024
        for fd in [*captures, *channels]:
            waiting.register(fd, selectors.EVENT_READ)
        # The report closes when the launcher exits, the streams with the last process.
        while waiting.get_map():
            remaining = backstop - time.monotonic()
            if remaining <= 0:  # the launcher is stuck: kill its whole group
                _kill_group(proc.pid)
                export_ok = False
                break
            for key, _ in waiting.select(remaining):
                data = os.read(key.fd, 65536)
                if not data:
                    waiting.unregister(key.fd)
                elif key.fd == report_r:
                    report += data
                elif key.fd == export_r:
                    export += data
                    if len(export) > export_cap:  # not what the launcher writes: refuse
                        export_ok = False
                        export.clear()
                else:
                    captures[key.fd].add(data)
    for fd in channels:
        os.close(fd)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    try:
        proc.wait(timeout=max(backstop - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
    return (out, err), _parse_report(report), bytes(export) if export_ok else None


def _parse_report(report: bytearray) -> dict:
    parsed: dict = {}
    for line in report.decode(errors="replace").splitlines():
        try:
            parsed.update(json.loads(line))  # a setup error, then the final status
        except ValueError:
            parsed["error"] = f"unreadable launcher report {line[:200]!r}"
    return parsed


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


# A program may survive hitting a limit and exit with an error instead (Python ignores
# SIGXFSZ; an allocation just fails): its last words say which limit.
_LIMIT_WORDS = {
    "memory": ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory"),
    "file size": ("File too large", "File size limit exceeded"),
}


def _reason(
    returncode: int | None, timed_out: bool, cpu: float, limits: Limits, errors: str
) -> str | None:
    if timed_out:
        return "timeout"
    if returncode is None or returncode == 0:
        return None
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_s):
            return "cpu"
        if sig == signal.SIGXFSZ:
            return "file size"
        try:
            name = signal.Signals(sig).name
        except ValueError:  # e.g. a real-time signal the code sent itself
            name = "unnamed"
        return f"killed by signal {sig} ({name})"
    last_words = errors[-4000:]
    for reason, words in _LIMIT_WORDS.items():
        if any(word in last_words for word in words):
            return reason
    return None
