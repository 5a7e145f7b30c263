"""Run model-written code contained: ``run(command, workdir, limits) -> SandboxResult``.

Whatever the code does - loop, fork, allocate, write elsewhere, connect out, read the
environment - ends as a result with a reason, never as an exception, so the run goes on.
``SandboxError`` means the sandbox itself could not start: the machine's fault, never the
code's.

Containment is the strongest this machine allows (``containment`` lists what each level
holds back), probed once per process (``available_containment()``) and named in every
result: bubblewrap where it works (``bubblewrap`` owns its command line), else the
fallback (namespaces, Landlock, rlimits). ``sandbox_launcher`` does the confining inside
the child; ``cgroups`` bounds the run's processes and memory together where it may;
``workdirs`` makes and takes back work dirs; ``sandbox_streams`` reads what comes back.
``isolation: strong`` (``Limits.isolation``) refuses the fallback: ``SandboxError``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_modelgate.run import bubblewrap, sandbox_launcher
from pytest_modelgate.run.cgroups import CgroupError, memory_exceeded, run_cgroups
from pytest_modelgate.run.containment import Containment, SandboxError, candidates
from pytest_modelgate.run.sandbox_launcher import NOBODY
from pytest_modelgate.run.sandbox_streams import Capture, collect
from pytest_modelgate.run.workdirs import SEED_TIME, hand_over, take_back, workdir

__all__ = ["SEED_TIME", "Limits", "SandboxError", "SandboxResult", "run", "workdir"]


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
    reason: str | None  # why it stopped: timeout, cpu, memory, file size, disk, killed by signal N
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


# --- the command's environment -------------------------------------------------------


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
        hand_over(path, NOBODY)
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
    if not report:  # the launcher never reported (bwrap refused to start): never a "timeout"
        said = (streams[1].text() or streams[0].text()).strip()[-500:]
        raise SandboxError(f"the sandbox could not start: {said or 'no report from the launcher'}")
    if box.strong:
        take_back(path, export)
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


def _launch(
    command: Sequence[str],
    path: Path,
    plan: dict,
    stdin: bytes,
    merge_stderr: bool,
    limits: Limits,
) -> tuple[tuple[Capture, Capture], dict, bytes | None]:
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
        return collect(proc, report_r, export_r, cap, limits.output_bytes, backstop)


# A program may survive hitting a limit and exit with an error instead (Python ignores
# SIGXFSZ; an allocation just fails): its last words say which limit.
_LIMIT_WORDS = {
    "memory": ("MemoryError", "Cannot allocate memory", "bad_alloc", "out of memory"),
    "file size": ("File too large", "File size limit exceeded"),
    "disk": ("No space left on device", "Disk quota exceeded"),  # the tmpfs is full
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
