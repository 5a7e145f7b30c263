"""What this machine allows to contain model-written code, strongest first, in words.

``sandbox.available_containment()`` tries these candidates once per process and keeps the
first that works:

- always: RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, no core files; a wall timeout after which
  everything the command started is killed, even processes that left its session; a
  scrubbed environment (PATH, LANG, HOME and TMPDIR in the work dir); stdin from a file;
  output captured, head and tail kept.
- processes: RLIMIT_NPROC. It counts all processes of the real uid, and root is exempt, so:
  in a user namespace it counts this run's only; root runs as ``nobody``, or, when nobody
  cannot read the Python (a pyenv in /root), as root without any capability inside a pids
  cgroup of its own.
- a user namespace (or root's own right) gives a network namespace (loopback only: no
  network), a PID namespace (no signals out; the kernel kills leftovers) and an IPC one.
- Landlock (Linux >= 5.13): writes only in the work dir; reads only system directories and
  the Python installation (not $HOME, not the repository); no ptrace of outside processes;
  without a network namespace, Landlock >= 4 denies TCP connect and bind instead.

``SandboxError`` is defined here, below ``sandbox``, because both modules raise it.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pytest_modelgate.run.sandbox_launcher import NEWIPC, NEWNET, NEWPID, NEWUSER, landlock_abi


class SandboxError(RuntimeError):
    """The sandbox could not start (a machine or installation problem, not the code)."""


@dataclass(frozen=True)
class Containment:
    namespaces: int = 0  # CLONE_NEW* flags the launcher unshares
    landlock: int = 0  # Landlock ABI version applied; 0: none
    drop_root: str | None = None  # as root: "nobody", or "capless" (uid 0, no capabilities)
    pids_cgroup: str | None = None  # where per-run pids cgroups are made (capless root)

    def describe(self) -> tuple[str, ...]:
        ns, notes = self.namespaces, []
        if ns & NEWNET:
            notes.append("network: none (new network namespace, loopback only)")
        elif self.landlock >= 4:
            notes.append("network: TCP connect/bind denied by Landlock; no network namespace")
        else:
            notes.append("network: NOT isolated (no network namespace, no Landlock >= 4 here)")
        if self.landlock:
            notes.append(
                f"filesystem: Landlock ABI {self.landlock}: writes only in the work dir, "
                "reads only system paths and Python"
            )
        else:
            notes.append("filesystem: NOT contained (no Landlock): only cwd, HOME, TMPDIR set")
        if self.pids_cgroup:
            count = "processes: per-run pids cgroup"
        elif self.drop_root == "capless":
            count = "processes: NOT limited (root ignores RLIMIT_NPROC; no pids cgroup here)"
        elif ns & NEWUSER:
            count = "processes: RLIMIT_NPROC per run (user namespace)"
        else:
            count = "processes: RLIMIT_NPROC shared with the user's other processes"
        pid = ", PID namespace" if ns & NEWPID else ""
        notes.append(f"{count}{pid}; leftovers killed")
        if self.drop_root:
            notes.append(
                "user: root dropped to nobody"
                if self.drop_root == "nobody"
                else "user: root without capabilities (nobody cannot read this Python)"
            )
        return tuple(notes)


def candidates() -> Iterator[Containment]:
    """Every containment worth trying on this machine, strongest first."""
    full, user_net = NEWUSER | NEWNET | NEWPID | NEWIPC, NEWUSER | NEWNET
    root = os.geteuid() == 0
    pids = pids_cgroup_base() if root else None
    for landlock in dict.fromkeys((landlock_abi(), 0)):
        for ns in (full, user_net, 0):
            yield Containment(ns, landlock, "nobody" if root else None)
        if root and landlock:  # capless root still owns root's files: only under Landlock
            for ns in (NEWNET | NEWPID | NEWIPC, 0):
                yield Containment(ns, landlock, "capless", pids)


def pids_cgroup_base() -> str | None:
    """This process's cgroup directory for the pids controller, if we may make children."""
    mounts = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, (fstype, _, options) = left.split(), right.split()[:3]
        if fstype == "cgroup" and "pids" in options.split(","):
            mounts["v1"] = fields[3], fields[4]
        elif fstype == "cgroup2":
            mounts["v2"] = fields[3], fields[4]
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hierarchy, controllers, where = line.split(":", 2)
        key = "v1" if "pids" in controllers.split(",") else "v2" if hierarchy == "0" else ""
        if key in mounts:
            root, point = mounts[key]
            path = Path(point) / os.path.relpath(where, root)
            enabled = path / "cgroup.subtree_control"
            if key == "v2" and "pids" not in (enabled.read_text() if enabled.exists() else ""):
                continue
            if os.access(path, os.W_OK):
                return str(path)
    return None


_run_ids = itertools.count()


@contextmanager
def pids_limit(base: str | None, limit: int) -> Iterator[str | None]:
    """A pids cgroup of one run's own under ``base``, capped at ``limit``, removed afterwards;
    None when ``base`` is None."""
    if base is None:
        yield None
        return
    path = Path(base) / f"modelgate-{os.getpid()}-{next(_run_ids)}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(limit))
    except OSError as exc:
        raise SandboxError(f"cannot make a pids cgroup in {base}: {exc}") from exc
    try:
        yield str(path)
    finally:
        for _ in range(200):  # empty once the kernel has reaped the last process
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)
