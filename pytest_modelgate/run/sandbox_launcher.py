"""The sandbox's launcher: confines one command and reports how it ended.

``sandbox.run`` starts ``python -I -S sandbox_launcher.py PLAN COMMAND...`` in the work
dir with a scrubbed environment. This process (stdlib only and single-threaded - a
threaded parent must not use ``preexec_fn`` - and cheap to start) joins the run's pids
cgroup, drops root, unshares the namespaces and maps its ids; it then forks the command
(in a new PID namespace, under a PID-1 reaper), which sets its rlimits, applies Landlock
and execs. The launcher enforces the wall timeout, kills every descendant left (it is a
child subreaper, so processes that left the session come back to it) and writes one JSON
line - the wait status and CPU seconds, or why setting up failed - to a pipe the command
cannot write to: it is closed before exec.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import struct
import sys
import time
from pathlib import Path

NEWIPC, NEWUSER, NEWPID, NEWNET = 0x08000000, 0x10000000, 0x20000000, 0x40000000
NOBODY = 65534
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 24, 28
PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 36, 38, 47
LAUNCH_FAILED = 125


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers; 0 when it has none."""
    try:  # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
        return libc_call("syscall", 444, None, 0, 1)
    except (OSError, AttributeError):
        return 0


def libc_call(name: str, *args: int | bytes | None) -> int:
    """A libc call with every integer passed as a full word (prctl checks unused ones are 0)."""
    func = getattr(ctypes.CDLL(None, use_errno=True), name)
    func.restype = ctypes.c_long
    result = func(*(ctypes.c_ulong(a) if isinstance(a, int) else a for a in args))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}{args[:1]}: {os.strerror(err)}")
    return int(result)


def _enter(plan: dict) -> None:
    """The launcher: join the pids cgroup, drop root, unshare, map our ids."""
    for cgroup in plan["cgroups"]:
        Path(cgroup, "cgroup.procs").write_text(str(os.getpid()))
    if plan["drop_root"] == "nobody":
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    if plan["namespaces"]:
        uid, gid = os.getuid(), os.getgid()
        libc_call("unshare", plan["namespaces"])
        if plan["namespaces"] & NEWUSER:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        if plan["namespaces"] & NEWNET:
            _loopback_up()
    libc_call("prctl", PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc_call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it


def _loopback_up() -> None:
    import fcntl  # noqa: PLC0415 - launcher only
    import socket  # noqa: PLC0415

    try:  # local servers inside the run work; nothing outside is reachable
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x8 | 0x40))  # UP
    except OSError:
        pass


def _confine_and_exec(plan: dict, command: list[str]) -> None:
    """The command's process: limits, Landlock, exec. Never returns."""
    try:
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; exec keeps that
            signal.signal(sig, signal.SIG_DFL)
        if plan["drop_root"] == "capless":
            _drop_capabilities()
        if plan.get("own_userns"):  # bubblewrap's: with its PID 1 and the launcher
            nproc = plan["processes"] + 2
        elif plan["namespaces"] & NEWUSER:  # ours: the launcher (and the PID-1 reaper) too
            nproc = plan["processes"] + (2 if plan["namespaces"] & NEWPID else 1)
        else:  # counted over all of this uid's threads: leave room for those already there
            nproc = _threads_of(os.getuid()) + plan["processes"] - 1  # we are one
        cpu = max(1, int(plan["cpu"] + 0.999))
        for limit, soft, hard in (
            (resource.RLIMIT_CORE, 0, 0),
            (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU first, SIGKILL a second later
            (resource.RLIMIT_AS, plan["memory"], plan["memory"]),
            (resource.RLIMIT_FSIZE, plan["file"], plan["file"]),
            (resource.RLIMIT_NPROC, nproc, nproc),
        ):
            _lower(limit, soft, hard)
        libc_call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid program gains root
        if plan["landlock"]:
            _landlock(plan)
    except (OSError, ValueError) as exc:
        _report(plan, {"error": f"confining the command: {exc}"})
        os._exit(LAUNCH_FAILED)
    _close_channels(plan)
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        os.write(2, f"sandbox: cannot run {command[0]}: {exc}\n".encode())
    os._exit(127)


def _lower(limit: int, soft: int, hard: int) -> None:
    """Set a limit, never above one the parent already set lower (raising it would fail)."""
    current = resource.getrlimit(limit)[1]
    if current != resource.RLIM_INFINITY:
        hard = min(hard, current)
    resource.setrlimit(limit, (min(soft, hard), hard))


def _drop_capabilities() -> None:
    """Root with no capability left or to regain on exec: it still owns root's files, which
    Landlock narrows to reading system paths; the pids cgroup bounds its processes."""
    libc_call("prctl", PR_SET_SECUREBITS, 0b11, 0, 0, 0)  # NOROOT, locked: uid 0 gets no caps
    libc_call("prctl", PR_CAP_AMBIENT, 4, 0, 0, 0)  # clear all
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        libc_call("prctl", PR_CAPBSET_DROP, cap, 0, 0, 0)


def _threads_of(uid: int) -> int:
    count = 0
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


# Landlock access rights (linux/landlock.h): ABI 1 has bits 0-12; 2 adds REFER,
# 3 TRUNCATE, 5 IOCTL_DEV; 4 adds TCP bind/connect; 6 scopes abstract sockets and signals.
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1, 2, 4, 8
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15


def _landlock(plan: dict) -> None:
    abi = plan["landlock"]
    fs = (1 << 13) - 1
    fs |= (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    fs |= _IOCTL_DEV if abi >= 5 else 0
    net = 0b11 if abi >= 4 and not plan["namespaces"] & NEWNET else 0
    scoped = 0b11 if abi >= 6 else 0
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc_call("syscall", 444, struct.pack("=QQQ", fs, net, scoped)[:size], size, 0)
    read = _EXECUTE | _READ_FILE | _READ_DIR
    rules = [(p, read) for p in plan["read"]]
    rules += [(p, _READ_FILE | _READ_DIR) for p in ("/proc", "/sys", "/dev")]
    rules += [("/dev/null", _READ_FILE | _WRITE_FILE | _TRUNCATE), (plan["workdir"], fs)]
    for path, rights in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if not os.path.isdir(path):  # a file takes only file rights
            rights &= _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
        libc_call("syscall", 445, ruleset, 1, struct.pack("=Qi", rights & fs, fd), 0)  # add_rule
        os.close(fd)
    libc_call("syscall", 446, ruleset, 0)  # landlock_restrict_self (after no_new_privs)
    os.close(ruleset)


def _close_channels(plan: dict) -> None:
    """The launcher's pipes to the host, closed in every process the command could reach."""
    os.close(plan["report_fd"])
    if plan.get("export_fd") is not None:
        os.close(plan["export_fd"])


def _seed(plan: dict) -> None:
    """Copy the host's work dir (read-only at ``seed``) into the private work dir, keeping
    times, so ``ls -la`` reads as it would on the host."""
    import shutil  # noqa: PLC0415 - bubblewrap only

    seed, workdir = plan["seed"], plan["workdir"]
    shutil.copytree(seed, workdir, symlinks=True, dirs_exist_ok=True)
    stat = os.stat(seed)
    for directory in (workdir, os.path.dirname(workdir)):  # the task dir and its parent
        os.utime(directory, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _export(plan: dict) -> None:
    """Send the work dir back as a tar stream, once nothing of the command runs any more.
    Its size is bounded by the tmpfs; the host unpacks it with tarfile's ``data`` filter."""
    import tarfile  # noqa: PLC0415 - bubblewrap only

    workdir = plan["workdir"]
    for root, dirs, _ in os.walk(workdir):  # the code may have locked its own directories
        for name in (root, *(os.path.join(root, d) for d in dirs)):
            try:
                os.chmod(name, os.stat(name).st_mode | 0o700)
            except OSError:
                pass
    with os.fdopen(plan["export_fd"], "wb") as stream:
        with tarfile.open(fileobj=stream, mode="w|") as tar:
            for root, dirs, names in os.walk(workdir):
                for name in sorted(dirs + names):
                    path = os.path.join(root, name)
                    try:
                        tar.add(path, os.path.relpath(path, workdir), recursive=False)
                    except OSError:
                        continue  # unreadable: left behind, as the host would find it
            tar.add(workdir, ".", recursive=False)  # last: its time is restored last


def _report(plan: dict, what: dict) -> None:
    os.write(plan["report_fd"], json.dumps(what).encode() + b"\n")


def _descendants() -> set[int]:
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _kill_descendants(patience: float = 5.0) -> None:
    """Everything the command left: orphans come back to us, the child subreaper."""
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        for pid in _descendants():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def _wait(child: int, deadline: float) -> tuple[int | None, float]:
    """Wait for ``child``, reaping orphans: (status, CPU seconds), or None at the deadline."""
    try:
        wake: int | None = os.pidfd_open(child)
    except (OSError, AttributeError):
        wake = None
    while True:
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == child:
            if wake is not None:
                os.close(wake)
            return status, usage.ru_utime + usage.ru_stime
        if pid:
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, 0.0
        if wake is not None:
            select.select([wake], [], [], min(remaining, 0.25))  # orphans need reaping too
        else:
            time.sleep(min(remaining, 0.02))


def _pid_one(plan: dict, command: list[str], status_w: int) -> None:
    """PID 1 of the new PID namespace: run the command, reap, say how it ended, exit."""
    libc_call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    child = os.fork()
    if child == 0:
        os.close(status_w)
        _confine_and_exec(plan, command)
    _close_channels(plan)
    status, cpu = _wait(child, float("inf"))
    os.write(status_w, json.dumps([status, cpu]).encode())
    os._exit(0)  # the kernel now kills whatever is left in the namespace


def main(argv: list[str]) -> None:
    plan, command = json.loads(argv[0]), argv[1:]
    deadline = time.monotonic() + plan["timeout"]
    try:
        _enter(plan)
        if plan.get("bwrap"):  # outside: bubblewrap runs this launcher again, inside
            bwrap = plan["bwrap"]
            os.execv(bwrap[0], [*bwrap, json.dumps(plan["inside"]), *command])
        if plan.get("seed"):
            _seed(plan)
    except OSError as exc:
        _report(plan, {"error": f"entering the sandbox: {exc}"})
        os._exit(LAUNCH_FAILED)
    pid_ns = bool(plan["namespaces"] & NEWPID)
    status_r, status_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(status_r)
        if pid_ns:
            _pid_one(plan, command, status_w)
        os.close(status_w)
        _confine_and_exec(plan, command)
    os.close(status_w)
    status, cpu = _wait(child, deadline)
    timed_out = status is None
    _kill_descendants()
    if pid_ns and not timed_out:
        said = os.read(status_r, 4096)
        status, cpu = json.loads(said) if said else (None, 0.0)
    if plan.get("export_fd") is not None:
        try:
            _export(plan)
        except OSError:
            pass  # the host keeps the work dir as it was before this command
    _report(plan, {"status": status, "cpu": cpu, "timed_out": timed_out})
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
