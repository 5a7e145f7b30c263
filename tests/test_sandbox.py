"""The sandbox against hostile code: each attack is contained, reported with a reason, and
through the ``code`` scorer is a failed sample while the run goes on.

Small limits keep the file fast. Each attack runs against both containments: bubblewrap
(where installed; .ci/run installs it) and the fallback (namespaces, Landlock, rlimits),
which ``fallback_containment()`` gives even where bubblewrap is installed. Where a machine
lacks a mechanism (no Landlock, no network namespace, no cgroup) the tests check that the
result says so instead of pretending."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_modelgate.data.formats import code_item
from pytest_modelgate.run.bubblewrap import HIDE
from pytest_modelgate.run.containment import Containment, SandboxError
from pytest_modelgate.run.sandbox import (
    Limits,
    SandboxResult,
    available_containment,
    fallback_containment,
    run,
    workdir,
)
from pytest_modelgate.run.sandbox_launcher import NEWNET
from pytest_modelgate.run.scorer import ScoringContext
from pytest_modelgate.run.scorers import BUILTIN_SCORERS
from pytest_modelgate.run.solver import Sample
from pytest_modelgate.run.workdirs import admissible

LIMITS = Limits(timeout_s=2, cpu_s=1, memory_mb=256, max_processes=16, max_file_mb=1)
BOX = available_containment()
FALLBACK = fallback_containment()
NO_BWRAP = pytest.mark.skipif(not BOX.strong, reason="no working bubblewrap here")
BOXES = [pytest.param(BOX, id="bubblewrap", marks=NO_BWRAP), pytest.param(FALLBACK, id="fallback")]


@pytest.mark.skipif(not os.environ.get("CI"), reason="a developer's machine may lack bwrap")
def test_ci_with_bwrap_installed_tests_the_strong_path():
    # .ci/run installs bubblewrap: a probe that fails there (as it once did for a venv under
    # /tmp) would silently skip every bubblewrap test above.
    if shutil.which("bwrap"):
        assert BOX.strong, BOX.describe()


@pytest.fixture(params=BOXES)
def box(request) -> Containment:
    """Each test that takes ``box`` runs under bubblewrap and under the fallback."""
    return request.param


def python(
    code: str, limits: Limits = LIMITS, box: Containment | None = None, **options: object
) -> SandboxResult:
    with workdir() as path:
        return run([sys.executable, "-c", code], path, limits, containment=box, **options)  # type: ignore[arg-type]


def survivors(marker: str) -> list[int]:
    """Processes whose command line carries ``marker``: what a run left behind."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


def test_every_result_names_the_containment_in_force(box):
    done = python("print('hi')", box=box)
    assert done.ok and done.stdout == "hi\n" and done.reason is None
    assert done.isolation == box.describe()
    assert [note.split(":")[0] for note in done.isolation][:5] == [
        "isolation",
        "network",
        "filesystem",
        "processes",
        "memory",
    ]
    which = "bubblewrap" if box.strong else "fallback, NOT bubblewrap"
    assert done.isolation[0].startswith(f"isolation: {which}")


def test_a_sleeping_loop_is_killed_at_the_wall_timeout(box):
    done = python("import time\nwhile True: time.sleep(1)", Limits(timeout_s=0.5), box=box)
    assert done.timed_out and done.reason == "timeout" and done.returncode is None
    assert not done.ok and done.seconds < 2.5


def test_a_busy_loop_is_stopped_by_the_cpu_limit(box):
    done = python("while True: pass", Limits(timeout_s=5, cpu_s=1), box=box)
    assert done.reason == "cpu" and not done.ok  # SIGXCPU after one second of CPU


def test_a_fork_bomb_is_held_to_max_processes_and_leaves_nothing(box):
    marker = f"bomb-{uuid.uuid4().hex}"
    bomb = f"""
import os, time  # {marker}
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""
    done = python(bomb, Limits(timeout_s=1.5, max_processes=16), box=box)
    assert done.timed_out and done.reason == "timeout"
    assert survivors(marker) == []
    # The parent is unharmed: it still starts processes.
    assert subprocess.run(["true"]).returncode == 0


def test_max_processes_counts_this_run_only(box):
    spawn = """
import os, time
n = 0
for _ in range(40):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    except OSError:
        break
print(n)
"""
    done = python(spawn, Limits(timeout_s=5, max_processes=8), box=box)
    assert done.ok, done.stderr
    if box.counts_processes_per_run:
        assert int(done.stdout) == 7  # the command itself is one of the 8
    else:  # RLIMIT_NPROC shared with the user's other processes, which come and go
        assert 1 <= int(done.stdout) < 16
    assert done.seconds < 3  # the sleepers were killed when the command ended


def test_a_process_that_leaves_the_session_is_killed_with_the_rest(box):
    marker = f"daemon-{uuid.uuid4().hex}"
    daemon = f"""
import os, time  # {marker}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("parent done")
"""
    done = python(daemon, box=box)
    assert done.ok and done.stdout == "parent done\n"
    time.sleep(0.1)
    assert survivors(marker) == []


def test_a_10_gb_allocation_fails_at_the_memory_limit(box):
    done = python("block = bytearray(10 * 1024**3)", box=box)
    assert done.reason == "memory" and done.returncode == 1
    assert "MemoryError" in done.stderr


def test_a_file_past_max_file_mb_is_stopped(box):
    done = python("open('big', 'wb').write(b'x' * 3 * 1024 * 1024)", box=box)
    assert done.reason == "file size" and not done.ok


def test_writes_outside_the_work_dir_do_not_happen(box, tmp_path):
    if not (box.strong or box.landlock):
        pytest.skip("no bubblewrap, no Landlock here: files are not contained")
    targets = [tmp_path / "escaped.txt", tmp_path.parent / f"escaped-{uuid.uuid4().hex}"]
    if Path.home().is_dir():
        targets.append(Path.home() / f"modelgate-escape-{uuid.uuid4().hex}")
    code = "\n".join(
        f"try:\n    open({str(t)!r}, 'w').write('x')\nexcept OSError as exc:\n    print('no:', exc)"
        for t in targets
    )
    done = python(code + "\nopen('inside.txt', 'w').write('fine')", box=box)
    assert done.ok, done.stderr
    # Landlock denies; under bubblewrap the host's directories are not there or read-only.
    denied = ("Permission denied", "No such file or directory", "Read-only file system")
    lines = done.stdout.splitlines()
    assert len(lines) == len(targets) and all(any(d in x for d in denied) for x in lines)
    assert not any(t.exists() for t in targets)


def test_files_outside_system_paths_cannot_be_read(box, tmp_path):
    if not (box.strong or box.landlock):
        pytest.skip("no bubblewrap, no Landlock here: files are not contained")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    done = python(f"print(open({str(secret)!r}).read())", box=box)
    why = "No such file or directory" if box.strong else "Permission denied"
    assert not done.ok and why in done.stderr
    assert "do not read" not in done.stdout


def test_no_connection_reaches_a_server_on_the_host(box):
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    port = server.getsockname()[1]
    accepted = []

    def accept() -> None:
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    connect = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"leak")
    print("connected")
except OSError as exc:
    print("refused:", exc)
"""
    with server:
        done = python(connect, box=box)
        accept()
    if box.strong or box.namespaces & NEWNET or box.landlock >= 4:
        assert done.stdout.startswith("refused:") and accepted == []
    else:  # honest: the result says the network is open
        assert any(n.startswith("network: NOT isolated") for n in done.isolation)


def test_without_isolation_the_result_says_so():
    weak = Containment()
    done = python("print('ran')", box=weak)
    assert done.ok
    assert "network: NOT isolated (no network namespace, no Landlock >= 4 here)" in done.isolation
    assert any(n.startswith("filesystem: NOT contained") for n in done.isolation)


def test_the_environment_holds_no_secret(box, monkeypatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("MODELGATE_TEST_SECRET", secret)
    snoop = f"""
import os
print(sorted(os.environ))
for pid in (os.getppid(), {os.getpid()}):
    try:
        print(open(f"/proc/{{pid}}/environ").read())
    except OSError as exc:
        print("no:", exc)
"""
    done = python(snoop, box=box)
    assert done.ok, done.stderr
    assert secret not in done.stdout + done.stderr
    names = eval(done.stdout.splitlines()[0])  # noqa: S307 - our own print
    assert set(names) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_CTYPE", "PWD"}  # bwrap: PWD


def test_a_huge_output_is_cut_to_its_head_and_tail(box):
    done = python("print('A' * 5_000_000 + 'Z')", Limits(timeout_s=5), box=box)
    assert done.ok and done.truncated
    assert len(done.stdout) < LIMITS.output_bytes + 100
    assert done.stdout.startswith("AAAA") and done.stdout.rstrip().endswith("AZ")
    assert "bytes cut" in done.stdout


# --- what only a sandbox as a whole can hold: bubblewrap, and cgroups where delegated ----


def test_several_processes_together_are_held_to_memory_mb(box):
    """Each of 4 processes stays under memory_mb (RLIMIT_AS alone lets them all live); the
    run's memory cgroup holds them together to it."""
    hog = """
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(90 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1  # touch every page: memory really used, not only reserved
        time.sleep(1.5)
        os._exit(0)
    pids.append(pid)
held = sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids)
print("held", held)
"""
    done = python(hog, Limits(timeout_s=10, cpu_s=5, memory_mb=200, max_processes=16), box=box)
    if not box.cgroups.has("memory"):  # honest: the result says the total is not bounded
        assert any("total NOT bounded" in note for note in done.isolation)
        pytest.skip("no memory cgroup here: the total is bounded only per process")
    assert done.stdout.strip() != "held 4", done.stdout  # 360 MB together never fit in 200
    assert done.reason == "memory" or "held" in done.stdout


@NO_BWRAP
def test_a_host_unix_socket_is_unreachable(tmp_path):
    """A Docker socket or any local daemon: a listening pathname socket, open to all."""
    where = Path(tempfile.mkdtemp(prefix="modelgate-sock-"))
    where.chmod(0o755)
    path = where / "daemon.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        path.chmod(0o777)
        server.listen(1)
        server.settimeout(0.2)
        code = f"""
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect({str(path)!r})
    s.sendall(b"leak")
    print("connected")
except OSError as exc:
    print("refused:", exc)
"""
        done = python(code, box=BOX)
        with pytest.raises(OSError):
            server.accept()
    finally:
        server.close()
        shutil.rmtree(where)
    assert done.stdout.startswith("refused:"), done.stdout


@NO_BWRAP
def test_host_secrets_and_other_processes_are_not_visible():
    marker = f"host-process-{uuid.uuid4().hex}"
    home_secret = Path.home() / f".modelgate-secret-{uuid.uuid4().hex}"
    home_secret.write_text("a host secret")
    home_secret.chmod(0o644)  # even one the world may read
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", marker])
    snoop = f"""
import os
seen = []
for entry in filter(str.isdigit, os.listdir("/proc")):
    try:
        if b"{marker[:8]}" + b"{marker[8:]}" in open(f"/proc/{{entry}}/cmdline", "rb").read():
            seen.append(entry)
    except OSError:
        pass
print("seen", seen)
for secret in ("/etc/shadow", "/etc/gshadow", "{home_secret}"):
    try:
        open(secret).read()
        print("read", secret)
    except OSError as exc:
        print("no", secret, exc.strerror)
"""
    try:
        for _ in range(100):  # until it has exec'd: the host sees it, the marker is real
            if survivors(marker) == [other.pid]:
                break
            time.sleep(0.02)
        assert survivors(marker) == [other.pid]
        done = python(snoop, box=BOX)
    finally:
        other.kill()
        other.wait()
        home_secret.unlink()
    assert done.ok, done.stderr
    assert "seen []" in done.stdout
    assert "read " not in done.stdout, done.stdout


@NO_BWRAP
def test_the_hosts_kernel_settings_cannot_be_written():
    """Started by root, the code is uid 0 on the host inside its user namespace; files that
    check only their owner (/proc/sys: core_pattern runs a program as root) stay read-only.
    Each write puts back the value read, so nothing changes even where it succeeds."""
    probe = """
for name in ("kernel/core_pattern", "vm/swappiness", "kernel/pid_max"):
    path = "/proc/sys/" + name
    try:
        value = open(path).read()
        with open(path, "w") as f:
            f.write(value)
        print("wrote", name)
    except OSError as exc:
        print("no", name, exc.strerror)
"""
    done = python(probe, box=BOX)
    assert "wrote" not in done.stdout and done.stdout.count("no ") == 3, done.stdout


@NO_BWRAP
def test_total_disk_use_is_bounded():
    """Many files, each under max_file_mb, together past max_disk_mb: the disk fills."""
    fill = """
import os
written = 0
try:
    for i in range(100):
        with open(f"part-{i}", "wb") as f:
            f.write(b"x" * 512 * 1024)
        written += 1
except OSError as exc:
    print("stopped:", exc.strerror)
print("written", written)
"""
    limits = Limits(timeout_s=10, max_file_mb=1, max_disk_mb=8)
    with workdir() as path:
        done = run([sys.executable, "-c", fill], path, limits, containment=BOX)
        on_host = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert "stopped: No space left on device" in done.stdout, done.stdout
    assert done.reason is None  # it caught the error and went on; one that does not:
    big = "open('x', 'wb').write(b'x' * 9 * 2**20)"  # under max_file_mb, over max_disk_mb
    with workdir() as path:
        limits = Limits(max_file_mb=16, max_disk_mb=8)
        full = run([sys.executable, "-c", big], path, limits, containment=BOX)
    assert full.reason == "disk" and not full.ok
    assert int(done.stdout.split()[-1]) <= 16  # 16 half-megabyte files fill 8 MB
    assert on_host <= 8 * 2**20  # what came back to the host is bounded too


def test_the_network_is_unreachable(box):
    reach = """
import socket
for address in (("192.0.2.1", 80), ("10.255.255.1", 443), ("127.0.0.53", 53)):
    try:
        socket.create_connection(address, timeout=1)
        print("reached", address)
    except OSError as exc:
        print("no", exc)
"""
    done = python(reach, Limits(timeout_s=6), box=box)
    if box.strong or box.namespaces & NEWNET or box.landlock >= 4:
        lines = done.stdout.splitlines()
        assert len(lines) == 3 and all(line.startswith("no ") for line in lines), lines
    else:
        assert any(n.startswith("network:") and "NOT" in n for n in done.isolation)


@NO_BWRAP
def test_an_agents_work_dir_persists_across_commands_and_stays_its_own(tmp_path):
    """Successive commands see one work dir; links out of it do not come back to the host."""
    outside = tmp_path / "host-file"
    outside.write_text("host")
    with workdir({"notes.txt": "start\n"}) as path:
        first = run(
            [
                "bash",
                "-c",
                f"mkdir -p d && echo two > d/f && ln -s {outside} link && ln -s /etc/passwd pw"
                " && chmod 000 d && echo more >> notes.txt",
            ],
            path,
            LIMITS,
            containment=BOX,
        )
        assert first.ok, first.stderr
        second = run(
            ["bash", "-c", "chmod 755 d; cat notes.txt d/f"], path, LIMITS, containment=BOX
        )
        assert second.stdout == "start\nmore\ntwo\n", second.stderr
        assert not (path / "link").is_symlink() and not (path / "pw").is_symlink()
    assert outside.read_text() == "host"


@pytest.mark.parametrize(
    "name, kind, link, ok",
    [
        ("notes.txt", tarfile.REGTYPE, "", True),
        ("d/e", tarfile.DIRTYPE, "", True),
        ("d/up", tarfile.SYMTYPE, "../notes.txt", True),
        ("d/e/f", tarfile.SYMTYPE, "../../../etc/passwd", False),
        ("pw", tarfile.SYMTYPE, "/etc/passwd", False),
        ("/etc/cron.d/x", tarfile.REGTYPE, "", False),
        ("../escaped", tarfile.REGTYPE, "", False),
        ("hard", tarfile.LNKTYPE, "notes.txt", False),
        ("dev", tarfile.CHRTYPE, "", False),
        ("fifo", tarfile.FIFOTYPE, "", False),
    ],
)
def test_only_what_stays_inside_comes_back_from_bubblewrap(name, kind, link, ok):
    """Works on Pythons without tarfile's data filter too (before 3.10.12, 3.11.4)."""
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, link
    assert admissible(member) is ok


def test_hiding_bubblewrap_gives_the_fallback_and_says_so(monkeypatch):
    monkeypatch.setenv(HIDE, "1")
    box = available_containment()
    assert not box.strong and box == FALLBACK
    assert box.describe()[0].startswith("isolation: fallback, NOT bubblewrap")


def test_strong_isolation_refuses_the_fallback():
    with workdir() as path, pytest.raises(SandboxError, match="needs bubblewrap"):
        run(["true"], path, Limits(isolation="strong"), containment=FALLBACK)


@NO_BWRAP
def test_strong_isolation_runs_under_bubblewrap():
    done = python("print('ok')", Limits(isolation="strong"), box=BOX)
    assert done.ok and done.isolation[0].startswith("isolation: bubblewrap")


# --- the same attacks, as answers to a code item: each a 0, the run goes on -------------

ITEM = code_item(
    {"id": "add", "prompt": "Write add(a, b).", "tests": "assert add(2, 3) == 5"}, "add"
)
SCORE = BUILTIN_SCORERS["code"].bind(
    ScoringContext(sandbox={"timeout_s": 1, "cpu_s": 1, "memory_mb": 256, "max_processes": 16})
)
GOOD = "def add(a, b):\n    return a + b\n"


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```\n"


HOSTILE = {
    "loop": GOOD + "while True:\n    pass",
    "fork-bomb": GOOD
    + "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    "memory": GOOD + "block = bytearray(10 * 1024**3)",
    "write-outside": GOOD + "open('/tmp/../../escaped-' + 'x' * 3, 'w').write('x')",
    "socket": GOOD + "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)",
    "secret": GOOD + "import os\nassert os.environ['MODELGATE_TEST_SECRET']",
    "huge-output": GOOD + "print('x' * 10_000_000)\nraise SystemExit(3)",
    "signal": GOOD + "import os\nos.kill(os.getpid(), 9)",
    "early-exit": GOOD + "import sys\nsys.exit(0)\nadd = None",
    "hard-exit": "import os\nos._exit(0)",
    "wrong": "def add(a, b):\n    return a - b",
}

# Wrong answers that try to make the runner report a pass instead of passing its tests.
WRONG = "def add(a, b):\n    return a - b\n"
FORGERS = {
    # the old runner printed a nonce after the tests; the answer finds it and prints it
    "prints-the-token": WRONG
    + "import sys, gc\n"
    + "for f in gc.get_objects():\n"
    + "    if isinstance(f, dict) and 'nonce' in f: print('\\n' + f['nonce'], flush=True)\n"
    + "frame = sys._getframe()\n"
    + "while frame:\n"
    + "    if 'nonce' in frame.f_locals:\n"
    + "        print('\\n' + frame.f_locals['nonce'], flush=True); import os; os._exit(0)\n"
    + "    frame = frame.f_back\n",
    "exit-0-at-exit": WRONG + "import atexit, os\natexit.register(lambda: os._exit(0))",
    "swallow-assertion": WRONG
    + "import sys, os\n"
    + "sys.excepthook = lambda *a: os._exit(0)\n"
    + "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})",
    "always-equal": "class Any:\n    def __eq__(self, other): return True\n"
    + "def add(a, b):\n    return Any()",
    "truthy-int": "class Five(int):\n    def __eq__(self, other): return True\n"
    + "def add(a, b):\n    return Five(0)",
    "kill-parent-ok": WRONG + "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)",
    "rewrite-tests": WRONG + "open('tests.py', 'w').write('pass')",
    "trace-parent": WRONG
    + "import ctypes, os\n"
    + "libc = ctypes.CDLL(None)\n"
    + "assert libc.ptrace(16, os.getppid(), 0, 0) != 0  # PTRACE_ATTACH refused\n"
    + "open(f'/proc/{os.getppid()}/mem', 'rb')",
    "exit-status": WRONG + "raise SystemExit(0)",
}


def test_hostile_answers_are_failed_samples_and_the_run_goes_on(monkeypatch):
    monkeypatch.setenv("MODELGATE_TEST_SECRET", "not for the sandbox")
    answers = {name: fenced(code) for name, code in HOSTILE.items()}
    answers["no-code"] = "I would rather not write code."
    answers["good"] = fenced(GOOD)
    # As in an evaluation: concurrent samples, scored by one bound scorer.
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(SCORE, Sample(a), ITEM) for name, a in answers.items()}
        scores = {name: future.result() for name, future in futures.items()}
    assert scores == {**{name: 0.0 for name in answers}, "good": 1.0}


def test_answers_that_forge_the_verdict_fail(monkeypatch):
    """Printing the runner's token, patching its process, exiting 0, objects that equal
    anything, rewriting the tests, tracing the runner: each a 0 (the verdict is the exit
    status of a process the answer's code does not run in)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {n: pool.submit(SCORE, Sample(fenced(c)), ITEM) for n, c in FORGERS.items()}
        scores = {name: future.result() for name, future in futures.items()}
    assert scores == {name: 0.0 for name in FORGERS}
    assert SCORE(Sample(fenced(GOOD)), ITEM) == 1.0


def test_the_tests_reach_the_solution_only_as_data():
    """Plain data crosses and compares as itself; solution objects are usable handles;
    exceptions come back with their type; `from solution import` is remote too."""
    item = code_item(
        {
            "id": "shapes",
            "prompt": "x",
            "tests": "from solution import Stack\n"
            "s = Stack()\ns.push(3)\nassert s.pop() == 3 and len(s) == 0\n"
            "assert pairs(2) == [(0, 0.5), (1, 1.5)] and pairs(0) == []\n"
            "assert table() == {'a': {1, 2}, b'k': None}\n"
            "assert list(gen(3)) == [0, 1, 2]\n"
            "try:\n    pairs(-1)\n    raise AssertionError('no error')\n"
            "except ValueError as exc:\n    assert 'negative' in str(exc)\n"
            "assert float('inf') == big() and LIMIT == 10",
        },
        "shapes",
    )
    solution = (
        "LIMIT = 10\n"
        "class Stack:\n    def __init__(self): self.items = []\n"
        "    def push(self, x): self.items.append(x)\n"
        "    def pop(self): return self.items.pop()\n"
        "    def __len__(self): return len(self.items)\n"
        "def pairs(n):\n    if n < 0: raise ValueError('negative n')\n"
        "    return [(i, i + 0.5) for i in range(n)]\n"
        "def table(): return {'a': {1, 2}, b'k': None}\n"
        "def gen(n): return (i for i in range(n))\n"
        "def big(): return float('inf')\n"
    )
    assert SCORE(Sample(fenced(solution)), item) == 1.0
    # An object of the solution's has no truth value: `assert is_even(4)` needs a plain True.
    truth = code_item({"id": "even", "prompt": "x", "tests": "assert is_even(4)"}, "even")
    assert SCORE(Sample(fenced("def is_even(n):\n    return object()")), truth) == 0.0
    assert SCORE(Sample(fenced("def is_even(n):\n    return n % 2 == 0")), truth) == 1.0


def test_the_work_dir_is_removed_even_when_the_code_locks_it():
    with workdir() as path:
        run(["bash", "-c", "mkdir -p d/e && touch d/e/f && chmod 000 d/e d"], path, LIMITS)
    assert not path.exists()


def test_concurrent_runs_do_not_disturb_each_other(box):
    results: list[SandboxResult] = []

    def one(i: int) -> None:
        results.append(python(f"print({i})", box=box))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(r.stdout) for r in results) == list(range(6))


@pytest.mark.parametrize("sig", [9, 40])
def test_a_command_killed_by_a_signal_says_which(box, sig):
    done = python(f"import os\nos.kill(os.getpid(), {sig})", box=box)
    assert done.returncode == -sig and done.reason.startswith(f"killed by signal {sig} (")


def test_a_task_dir_lists_the_same_on_every_run():
    """No clock and no count of /tmp's entries in `ls -la`: a model at temperature 0 sees the
    same first observation every run, so its answers repeat and a resumed run finds them."""
    listings = []
    for _ in range(2):
        with workdir({"readme.txt": "hello", "logs/app.log": "x"}) as path:
            done = run(["ls", "-la", "--time-style=full-iso"], path, Limits())
            assert done.ok, done.stderr
            listings.append(done.stdout)
        time.sleep(1.1)  # a second apart: a clock in the listing would show
    assert listings[0] == listings[1]
    assert "2000-01-01" in listings[0]
