"""What this machine allows to contain model-written code, strongest first, in words.

``sandbox.available_containment()`` tries these candidates once per process and keeps the
first that works. The strong one is bubblewrap (``bubblewrap``: a root of its own, a
size-bounded tmpfs work dir, every namespace unshared); the rest are the fallback where it
is missing, each weaker than the one before:

- always: RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, no core files; a wall timeout after which
  everything the command started is killed, even processes that left its session; a
  scrubbed environment (PATH, LANG, HOME and TMPDIR in the work dir); stdin from a file;
  output captured, head and tail kept.
- the run's own cgroups where this process may make them (``cgroups``): a pids cgroup and a
  memory cgroup hold all its processes together to ``max_processes`` and ``memory_mb``.
  Without them the total is only bounded as RLIMIT_AS x RLIMIT_NPROC (memory_mb for each
  of up to max_processes processes).
- processes: RLIMIT_NPROC. It counts all processes of the real uid, and root is exempt, so:
  in a user namespace it counts this run's only; root runs as ``nobody``, or, when nobody
  cannot read the Python (a pyenv in /root), as root without any capability inside a pids
  cgroup of its own (bubblewrap: as nobody mapped in a user namespace, likewise).
- a user namespace (or root's own right) gives a network namespace (loopback only: no
  network), a PID namespace (no signals out; the kernel kills leftovers) and an IPC one.
- Landlock (Linux >= 5.13): writes only in the work dir; reads only system directories and
  the Python installation (not $HOME, not the repository); no ptrace of outside processes;
  without a network namespace, Landlock >= 4 denies TCP connect and bind instead. Landlock
  does not stop connecting to a host's pathname UNIX socket that its rules let it reach,
  nor total disk use in the work dir: only bubblewrap does.

``SandboxError`` is defined here, below ``sandbox``, because both modules raise it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from pytest_modelgate.run.bubblewrap import INSTALL, find_bwrap
from pytest_modelgate.run.cgroups import CgroupBases, cgroup_bases
from pytest_modelgate.run.sandbox_launcher import NEWIPC, NEWNET, NEWPID, NEWUSER, landlock_abi


class SandboxError(RuntimeError):
    """The sandbox could not start (a machine or installation problem, not the code)."""


@dataclass(frozen=True)
class Containment:
    namespaces: int = 0  # CLONE_NEW* flags the launcher unshares (fallback)
    landlock: int = 0  # Landlock ABI version applied; 0: none (fallback)
    # as root: "nobody", "capless" (uid 0, no capabilities; fallback) or "mapped" (bubblewrap
    # started as root, the code nobody in its user namespace)
    drop_root: str | None = None
    cgroups: CgroupBases = field(default_factory=CgroupBases)  # where run cgroups are made
    bubblewrap: str | None = None  # the bwrap executable: the strong sandbox

    @property
    def strong(self) -> bool:
        return self.bubblewrap is not None

    @property
    def counts_processes_per_run(self) -> bool:
        """Whether max_processes counts this run's processes only (not the uid's others)."""
        return self.cgroups.has("pids") or self.strong or bool(self.namespaces & NEWUSER)

    def describe(self) -> tuple[str, ...]:
        notes = [self._isolation(), *self._network_and_files(), self._processes()]
        if self.cgroups.has("memory"):
            notes.append("memory: memory_mb for all processes together (memory cgroup)")
        else:
            notes.append(
                "memory: memory_mb per process (RLIMIT_AS); total NOT bounded below "
                "memory_mb x max_processes (no memory cgroup here)"
            )
        if self.drop_root:
            notes.append(
                {
                    "nobody": "user: root dropped to nobody",
                    "capless": "user: root without capabilities (nobody cannot read this Python)",
                    "mapped": "user: nobody in a user namespace (bubblewrap started by root)",
                }[self.drop_root]
            )
        return tuple(notes)

    def _isolation(self) -> str:
        if self.strong:
            return (
                "isolation: bubblewrap (own mount, PID, network, IPC, UTS and user namespaces; "
                "read-only minimal root)"
            )
        return f"isolation: fallback, NOT bubblewrap (for the strong sandbox, {INSTALL})"

    def _network_and_files(self) -> list[str]:
        if self.strong:
            return [
                "network: none (new network namespace, loopback only)",
                "filesystem: system dirs and Python read-only; work dir a private tmpfs of "
                "max_disk_mb; no host /tmp, /run, /home or UNIX sockets",
            ]
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
                "reads only system paths and Python; total disk use NOT bounded"
            )
        else:
            notes.append("filesystem: NOT contained (no Landlock): only cwd, HOME, TMPDIR set")
        return notes

    def _processes(self) -> str:
        if self.cgroups.has("pids"):
            count = "processes: per-run pids cgroup"
        elif self.drop_root == "capless":
            count = "processes: NOT limited (root ignores RLIMIT_NPROC; no pids cgroup here)"
        elif self.strong or self.namespaces & NEWUSER:
            count = "processes: RLIMIT_NPROC per run (user namespace)"
        else:
            count = "processes: RLIMIT_NPROC shared with the user's other processes"
        pid = ", PID namespace" if self.strong or self.namespaces & NEWPID else ""
        return f"{count}{pid}; leftovers killed"


def candidates(strong: bool = True) -> Iterator[Containment]:
    """Every containment worth trying on this machine, strongest first; ``strong=False``
    leaves bubblewrap out (the fallback alone)."""
    root = os.geteuid() == 0
    cgroups = cgroup_bases()
    bwrap = find_bwrap() if strong else None
    if bwrap:
        yield Containment(drop_root="nobody" if root else None, cgroups=cgroups, bubblewrap=bwrap)
        if root and cgroups.has("pids"):  # nobody cannot read this Python: count in a cgroup
            yield Containment(drop_root="mapped", cgroups=cgroups, bubblewrap=bwrap)
    full, user_net = NEWUSER | NEWNET | NEWPID | NEWIPC, NEWUSER | NEWNET
    for landlock in dict.fromkeys((landlock_abi(), 0)):
        for ns in (full, user_net, 0):
            yield Containment(ns, landlock, "nobody" if root else None, cgroups)
        if root and landlock:  # capless root still owns root's files: only under Landlock
            for ns in (NEWNET | NEWPID | NEWIPC, 0):
                yield Containment(ns, landlock, "capless", cgroups)
