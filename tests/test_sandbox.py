"""The sandbox against hostile code: each attack is contained, reported with a reason, and
through the ``code`` scorer is a failed sample while the run goes on.

Small limits keep the file fast. Where a machine lacks a mechanism (no Landlock, no network
namespace) the tests check that the result says so instead of pretending."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_modelgate.data.formats import code_item
from pytest_modelgate.run.containment import Containment
from pytest_modelgate.run.sandbox import (
    Limits,
    SandboxResult,
    available_containment,
    run,
    workdir,
)
from pytest_modelgate.run.sandbox_launcher import NEWNET, NEWUSER
from pytest_modelgate.run.scorer import ScoringContext
from pytest_modelgate.run.scorers import BUILTIN_SCORERS
from pytest_modelgate.run.solver import Sample

LIMITS = Limits(timeout_s=2, cpu_s=1, memory_mb=256, max_processes=16, max_file_mb=1)
BOX = available_containment()


def python(code: str, limits: Limits = LIMITS, **options: object) -> SandboxResult:
    with workdir() as path:
        return run([sys.executable, "-c", code], path, limits, **options)  # type: ignore[arg-type]


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


def test_every_result_names_the_containment_in_force():
    done = python("print('hi')")
    assert done.ok and done.stdout == "hi\n" and done.reason is None
    assert done.isolation == BOX.describe()
    assert [note.split(":")[0] for note in done.isolation][:3] == [
        "network",
        "filesystem",
        "processes",
    ]


def test_a_sleeping_loop_is_killed_at_the_wall_timeout():
    done = python("import time\nwhile True: time.sleep(1)", Limits(timeout_s=0.5))
    assert done.timed_out and done.reason == "timeout" and done.returncode is None
    assert not done.ok and done.seconds < 2.5


def test_a_busy_loop_is_stopped_by_the_cpu_limit():
    done = python("while True: pass", Limits(timeout_s=5, cpu_s=1))
    assert done.reason == "cpu" and not done.ok  # SIGXCPU after one second of CPU


def test_a_fork_bomb_is_held_to_max_processes_and_leaves_nothing():
    marker = f"bomb-{uuid.uuid4().hex}"
    bomb = f"""
import os, time  # {marker}
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""
    done = python(bomb, Limits(timeout_s=1.5, max_processes=16))
    assert done.timed_out and done.reason == "timeout"
    assert survivors(marker) == []
    # The parent is unharmed: it still starts processes.
    assert subprocess.run(["true"]).returncode == 0


def test_max_processes_counts_this_run_only():
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
    done = python(spawn, Limits(timeout_s=5, max_processes=8))
    assert done.ok, done.stderr
    if BOX.namespaces & NEWUSER or BOX.pids_cgroup:
        assert int(done.stdout) == 7  # the command itself is one of the 8
    else:  # RLIMIT_NPROC shared with the user's other processes, which come and go
        assert 1 <= int(done.stdout) < 16
    assert done.seconds < 3  # the sleepers were killed when the command ended


def test_a_process_that_leaves_the_session_is_killed_with_the_rest():
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
    done = python(daemon)
    assert done.ok and done.stdout == "parent done\n"
    time.sleep(0.1)
    assert survivors(marker) == []


def test_a_10_gb_allocation_fails_at_the_memory_limit():
    done = python("block = bytearray(10 * 1024**3)")
    assert done.reason == "memory" and done.returncode == 1
    assert "MemoryError" in done.stderr


def test_a_file_past_max_file_mb_is_stopped():
    done = python("open('big', 'wb').write(b'x' * 3 * 1024 * 1024)")
    assert done.reason == "file size" and not done.ok


@pytest.mark.skipif(not BOX.landlock, reason="no Landlock here: files are not contained")
def test_writes_outside_the_work_dir_do_not_happen(tmp_path):
    targets = [tmp_path / "escaped.txt", tmp_path.parent / f"escaped-{uuid.uuid4().hex}"]
    if Path.home().is_dir():
        targets.append(Path.home() / f"modelgate-escape-{uuid.uuid4().hex}")
    code = "\n".join(
        f"try:\n    open({str(t)!r}, 'w').write('x')\nexcept OSError as exc:\n    print(exc)"
        for t in targets
    )
    done = python(code + "\nopen('inside.txt', 'w').write('fine')")
    assert done.ok, done.stderr
    assert done.stdout.count("Permission denied") == len(targets)
    assert not any(t.exists() for t in targets)


@pytest.mark.skipif(not BOX.landlock, reason="no Landlock here: files are not contained")
def test_files_outside_system_paths_cannot_be_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    done = python(f"print(open({str(secret)!r}).read())")
    assert not done.ok and "Permission denied" in done.stderr
    assert "do not read" not in done.stdout


def test_no_connection_reaches_a_server_on_the_host():
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
        done = python(connect)
        accept()
    if BOX.namespaces & NEWNET or BOX.landlock >= 4:
        assert done.stdout.startswith("refused:") and accepted == []
    else:  # honest: the result says the network is open
        assert any(n.startswith("network: NOT isolated") for n in done.isolation)


def test_without_isolation_the_result_says_so():
    weak = Containment()
    done = python("print('ran')", containment=weak)
    assert done.ok
    assert "network: NOT isolated (no network namespace, no Landlock >= 4 here)" in done.isolation
    assert any(n.startswith("filesystem: NOT contained") for n in done.isolation)


def test_the_environment_holds_no_secret(monkeypatch):
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
    done = python(snoop)
    assert done.ok, done.stderr
    assert secret not in done.stdout + done.stderr
    names = eval(done.stdout.splitlines()[0])  # noqa: S307 - our own print
    assert set(names) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_CTYPE"}


def test_a_huge_output_is_cut_to_its_head_and_tail():
    done = python("print('A' * 5_000_000 + 'Z')", Limits(timeout_s=5))
    assert done.ok and done.truncated
    assert len(done.stdout) < LIMITS.output_bytes + 100
    assert done.stdout.startswith("AAAA") and done.stdout.rstrip().endswith("AZ")
    assert "bytes cut" in done.stdout


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
    "write-outside": GOOD + "open('/tmp/../escaped-' + 'x' * 3, 'w').write('x')",
    "socket": GOOD + "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)",
    "secret": GOOD + "import os\nassert os.environ['MODELGATE_TEST_SECRET']",
    "huge-output": GOOD + "print('x' * 10_000_000)\nraise SystemExit(3)",
    "signal": GOOD + "import os\nos.kill(os.getpid(), 9)",
    "early-exit": GOOD + "import sys\nsys.exit(0)\nadd = None",
    "hard-exit": "import os\nos._exit(0)",
    "wrong": "def add(a, b):\n    return a - b",
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


def test_the_work_dir_is_removed_even_when_the_code_locks_it():
    with workdir() as path:
        run(["bash", "-c", "mkdir -p d/e && touch d/e/f && chmod 000 d/e d"], path, LIMITS)
    assert not path.exists()


def test_concurrent_runs_do_not_disturb_each_other():
    results: list[SandboxResult] = []

    def one(i: int) -> None:
        results.append(python(f"print({i})"))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(r.stdout) for r in results) == list(range(6))


@pytest.mark.parametrize("sig", [9, 40])
def test_a_command_killed_by_a_signal_says_which(sig):
    done = python(f"import os\nos.kill(os.getpid(), {sig})")
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
