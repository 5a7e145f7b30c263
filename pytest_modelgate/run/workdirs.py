"""Work dirs for model-written code: made, seeded, handed over, taken back, removed.

``workdir()`` is the host's side: a fresh temporary directory with the task's files (fixed
times, so a listing reads alike on every run), always removed, even when the code locked it.
``take_back()`` makes it what a command left in bubblewrap's private tmpfs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tarfile

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
        remove(base)


def remove(path: Path) -> None:
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


def hand_over(path: Path, uid: int) -> None:
    """Give nobody the work dir; what it makes there is its own already."""
    for root, dirs, names in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + names)]:
            if os.lstat(name).st_uid != uid:
                os.lchown(name, uid, uid)


def take_back(path: Path, export: bytes | None) -> None:
    """Make the host's work dir what the command left in its private one, so the next
    command of an agent sees it. Only files, directories and links that stay inside come
    back, without owners or setuid bits (``admissible``; tarfile's ``data`` filter too where
    this Python has it: 3.10.12, 3.11.4, 3.12); a member refused is left out. An incomplete
    stream (the launcher was killed) leaves the host's work dir as it was."""
    import io  # noqa: PLC0415 - bubblewrap only
    import tarfile  # noqa: PLC0415

    if export is None:
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(export), mode="r:") as tar:
            members = tar.getmembers()
            for entry in os.scandir(path):  # cleared only once the stream proved complete
                if entry.is_dir(follow_symlinks=False):
                    remove(Path(entry.path))
                else:
                    os.unlink(entry.path)
            data = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            for member in filter(admissible, members):
                member.mode &= 0o755 if member.isdir() else 0o777  # no setuid, setgid, sticky
                member.uid, member.gid, member.uname, member.gname = (
                    os.getuid(),
                    os.getgid(),
                    "",
                    "",
                )
                try:
                    tar.extract(member, path, **data)  # type: ignore[arg-type]
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


def admissible(member: tarfile.TarInfo) -> bool:
    """A member that may come back: a file, directory or symbolic link named inside the work
    dir, a link whose target stays inside too (judged by its text: links are not followed)."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        return False
    if member.isfile() or member.isdir():
        return True
    if not member.issym():
        return False  # hard links, devices, FIFOs: nothing an answer needs
    target = PurePosixPath(member.linkname)
    if target.is_absolute():
        return False
    depth = len(name.parent.parts)
    for part in target.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return False
    return True
