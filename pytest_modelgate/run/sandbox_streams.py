"""What comes back from a sandboxed command: its output (head and tail kept), the launcher's
report and, under bubblewrap, its work dir as a tar stream; read together, so no pipe fills
and blocks the others, until the launcher is done or its backstop time has passed."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time


class Capture:
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


def collect(
    proc: subprocess.Popen[bytes],
    report_r: int,
    export_r: int | None,
    export_cap: int,
    output_bytes: int,
    backstop: float,
) -> tuple[tuple[Capture, Capture], dict, bytes | None]:
    out, err = Capture(output_bytes), Capture(output_bytes)
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
