"""The strong sandbox: bubblewrap's command line for one run (``bwrap_argv``).

Inside, the command sees a root of its own: the system directories and the Python running
us, read-only; a private /proc (own PID namespace) and a minimal /dev; its work dir in a
tmpfs of ``max_disk_mb`` (the only writable place: /tmp is a directory in it too); no host
/tmp, /run, /home, /root, no host UNIX socket, no network (own network namespace), no
IPC or UTS shared, no environment but what we set. The work dir's files come in through a
read-only bind of the host's work dir (``SEED``), which the launcher copies into the tmpfs;
what the command leaves goes back as a tar stream the host unpacks (``sandbox``), so an
agent's successive commands share one work dir while the host's never grows past the bound.

``MODELGATE_SANDBOX_NO_BWRAP=1`` hides bubblewrap, so the fallback can be tested (and used)
on a machine that has it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HIDE = "MODELGATE_SANDBOX_NO_BWRAP"
INSTALL = "install the bubblewrap package (apt-get install bubblewrap, dnf install bubblewrap)"

# Inside the sandbox: the work dir (and /tmp) live in one tmpfs at ROOT, the host's work dir
# is visible read-only at SEED until copied, the launcher is a single read-only file.
ROOT = "/sandbox"
WORKDIR = f"{ROOT}/task"
SEED = "/.modelgate/seed"
LAUNCHER = "/.modelgate/launcher.py"

# /etc is not bound whole (shadow, ssh keys, the host's secrets): only what programs read to
# start and to name users, resolve libraries and print dates.
ETC = (
    "alternatives",
    "bash.bashrc",
    "group",
    "inputrc",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "passwd",
    "profile",
    "python3",
)
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def find_bwrap() -> str | None:
    """The bwrap executable, unless hidden by ``MODELGATE_SANDBOX_NO_BWRAP``."""
    if os.environ.get(HIDE, "") not in ("", "0"):
        return None
    return shutil.which("bwrap")


def python_roots() -> list[str]:
    """The Python running us, wherever it is installed (a venv, pyenv under /root, ...)."""
    roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    roots.append(os.path.dirname(os.path.realpath(sys.executable)))
    roots.append(os.path.dirname(os.path.abspath(sys.executable)))
    kept: list[str] = []
    for root in sorted(dict.fromkeys(roots), key=len):
        if os.path.isdir(root) and not any(root.startswith(k.rstrip("/") + "/") for k in kept):
            if not any(root == s or root.startswith(s + "/") for s in SYSTEM):
                kept.append(root)
    return kept


def bwrap_argv(
    bwrap: str,
    host_workdir: Path,
    launcher: str,
    disk_bytes: int,
    env: dict[str, str],
    *,
    map_nobody: bool,
) -> list[str]:
    """bwrap and its options, up to the command it runs (the launcher inside is appended)."""
    argv = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"]
    argv += ["--clearenv"]
    if map_nobody:  # started as root: inside, the code is nobody in a user namespace
        argv += ["--uid", "65534", "--gid", "65534"]
    argv += ["--disable-userns"]  # no nested namespaces to widen what it may do
    for path in SYSTEM:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for name in ETC:
        if os.path.exists(f"/etc/{name}"):
            argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    roots = python_roots()
    for root in roots:
        argv += ["--ro-bind", root, root]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(disk_bytes), "--perms", "0755", "--tmpfs", ROOT]
    argv += ["--dir", WORKDIR, "--dir", f"{ROOT}/tmp"]
    if not any(r == "/tmp" or r.startswith("/tmp/") for r in roots):
        argv += ["--symlink", f"{ROOT}/tmp", "/tmp"]
    # else a Python installed under /tmp (a CI venv) is bound there, which a symlink at /tmp
    # would replace: /tmp stays read-only and TMPDIR alone leads into the bounded tmpfs.
    argv += ["--ro-bind", str(host_workdir), SEED, "--ro-bind", launcher, LAUNCHER]
    # /proc read-only as a whole: started by root, the code is uid 0 on the host in a user
    # namespace, and /proc/sys (core_pattern!) and /proc/sysrq-trigger check only the owner.
    argv += ["--remount-ro", "/", "--remount-ro", "/proc", "--chdir", WORKDIR]
    for name, value in env.items():
        argv += ["--setenv", name, value]
    return argv


def inside_environment(host_env: dict[str, str]) -> dict[str, str]:
    """The command's environment inside: the host's scrubbed one, with paths moved inside."""
    return {**host_env, "HOME": WORKDIR, "TMPDIR": f"{ROOT}/tmp"}
