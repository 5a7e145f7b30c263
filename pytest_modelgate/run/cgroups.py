"""Per-run cgroups: one run's processes together held to a count and to a memory total.

RLIMIT_AS bounds one process and RLIMIT_NPROC is ignored for root, so neither bounds a
run as a whole; a cgroup of the run's own does, where this process may make one (root in
a container, or a delegated cgroup v2 subtree). ``cgroup_bases()`` finds where, once per
process; ``run_cgroups()`` makes the run's own under each, sets its limits, yields the
directories the launcher joins (before it drops root or starts bubblewrap, so everything
it starts is inside) and removes them afterwards.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("pids", "memory")


class CgroupError(OSError):
    """A cgroup of the run's own could not be made where the probe found room for one."""


@dataclass(frozen=True)
class CgroupBases:
    """Where this process may make child cgroups, per controller (v1: a directory each; v2:
    one directory that has both)."""

    bases: dict[str, str] = field(default_factory=dict)  # controller -> directory
    version: dict[str, int] = field(default_factory=dict)  # controller -> 1 or 2

    def has(self, controller: str) -> bool:
        return controller in self.bases


def cgroup_bases() -> CgroupBases:
    """This process's cgroup directories for the pids and memory controllers, where we may
    make children (writable, and on v2 the controller enabled for children)."""
    mounts: dict[str, tuple[str, str]] = {}
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text()
        membership = Path("/proc/self/cgroup").read_text()
    except OSError:
        return CgroupBases()
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, (fstype, _, options) = left.split(), right.split()[:3]
        for controller in CONTROLLERS:
            if fstype == "cgroup" and controller in options.split(","):
                mounts[f"v1:{controller}"] = fields[3], fields[4]
        if fstype == "cgroup2":
            mounts["v2"] = fields[3], fields[4]
    found = CgroupBases()
    for line in membership.splitlines():
        hierarchy, controllers, where = line.split(":", 2)
        for controller in CONTROLLERS:
            if controller in found.bases:
                continue
            v1 = controller in controllers.split(",")
            key = f"v1:{controller}" if v1 else "v2" if hierarchy == "0" else ""
            if key not in mounts:
                continue
            root, point = mounts[key]
            path = Path(point) / os.path.relpath(where, root)
            if not v1:
                enabled = path / "cgroup.subtree_control"
                if controller not in (enabled.read_text() if enabled.exists() else ""):
                    continue
            if os.access(path, os.W_OK):
                found.bases[controller] = str(path)
                found.version[controller] = 1 if v1 else 2
    return found


_run_ids = itertools.count()


def _limit_files(controller: str, version: int, limit: int) -> list[tuple[str, str]]:
    if controller == "pids":
        return [("pids.max", str(limit))]
    if version == 2:  # no swap: the limit is on memory, not on memory the kernel moved out
        return [("memory.max", str(limit)), ("memory.swap.max", "0")]
    return [("memory.limit_in_bytes", str(limit)), ("memory.memsw.limit_in_bytes", str(limit))]


@contextmanager
def run_cgroups(found: CgroupBases, limits: dict[str, int]) -> Iterator[list[str]]:
    """The run's own cgroups, ``limits`` (controller -> pids or bytes) set, removed afterwards.

    Yields the directories to join: none where no controller has room. A limit file the
    kernel lacks (memsw without swap accounting) is skipped; any other failure raises."""
    made: dict[str, Path] = {}  # base -> the run's directory there
    name = f"modelgate-{os.getpid()}-{next(_run_ids)}"
    try:
        for controller, limit in limits.items():
            base = found.bases.get(controller)
            if base is None:
                continue
            path = made.setdefault(base, Path(base) / name)
            path.mkdir(exist_ok=True)
            for filename, value in _limit_files(controller, found.version[controller], limit):
                target = path / filename
                if filename.startswith("memory.memsw") and not target.exists():
                    continue
                target.write_text(value)
    except OSError as exc:
        _remove(made.values())
        raise CgroupError(f"cannot make the run's cgroup under {base}: {exc}") from exc
    try:
        yield [str(p) for p in made.values()]
    finally:
        _remove(made.values())


def memory_exceeded(paths: list[str]) -> bool:
    """Whether the kernel killed a process of the run for its memory cgroup's limit."""
    for path in paths:
        for name, word in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
            try:
                text = Path(path, name).read_text()
            except OSError:
                continue
            counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
            if int(counts.get(word, "0")) > 0:
                return True
        try:  # v1 without oom_kill counts: the limit was hit and allocations failed
            if int(Path(path, "memory.failcnt").read_text()) > 0:
                return True
        except (OSError, ValueError):
            pass
    return False


def _remove(paths: object) -> None:
    for path in list(paths):  # type: ignore[call-overload]
        for _ in range(200):  # empty once the kernel has reaped the last process
            try:
                path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)
