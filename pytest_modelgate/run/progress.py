"""Live progress of a benchmark's evaluation: answers done of total, calls per second,
cached answers, errors and the time left; and of the whole gate run, when it has more than
one benchmark to evaluate: benchmarks done of how many, and the time left for all of them.

On a terminal one line is rewritten in place, at most ten times a second. In CI logs
(not a TTY) a plain line is written every ``interval_s`` and when the benchmark ends,
with no control codes. Pure: the caller hands in the writers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

TTY_REFRESH_S = 0.1


class RunProgress:
    """The whole run: the answers every benchmark plans, and those done so far. Its time left
    assumes the answers still to come take as long as those done (judging and sandbox time
    included), the one rate a run can measure before it ends."""

    def __init__(self, planned: int, benchmarks: int, clock: Callable[[], float] = time.monotonic):
        self.planned, self.benchmarks, self._clock = planned, benchmarks, clock
        self._started = clock()
        self._lock = threading.Lock()
        self.finished = 0  # benchmarks done
        self._answered = 0  # answers of the finished benchmarks

    def finish(self, answers: int) -> None:
        with self._lock:
            self.finished += 1
            self._answered += answers

    def tail(self, current: int) -> str:
        """``; run: 2/7 benchmarks, ETA 95 s`` while a benchmark has ``current`` answers."""
        with self._lock:
            done = self._answered + current
            elapsed = self._clock() - self._started
            left = max(self.planned - done, 0)
            eta = f"ETA {left * elapsed / done:.0f} s" if done else "ETA -"
            return f"; run: {self.finished}/{self.benchmarks} benchmarks, {eta}"


class Progress:
    def __init__(
        self,
        name: str,
        total: int,
        *,
        write_line: Callable[[str], None],
        rewrite: Callable[[str], None] | None = None,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        run: RunProgress | None = None,
    ) -> None:
        """``rewrite`` given: a terminal (update one line); else periodic ``write_line``."""
        self.name, self.total, self.run = name, total, run
        self._write_line, self._rewrite = write_line, rewrite
        self._every = TTY_REFRESH_S if rewrite else interval_s
        self._clock = clock
        self._started = self._last = clock()
        self._lock = threading.Lock()
        self._state = (0, 0, 0, 0)

    def update(self, done: int, calls: int, cached: int, errors: int) -> None:
        """Called by the evaluation's worker threads after every answer."""
        with self._lock:
            self._state = (done, calls, cached, errors)
            now = self._clock()
            if now - self._last < self._every:
                return
            self._last = now
            line = self.line(now)
            if self._rewrite is not None:
                self._rewrite(line)
            else:
                self._write_line(line)

    def finish(self) -> None:
        with self._lock:
            if self.run is not None:
                self.run.finish(self._state[0])
            line = self.line(self._clock(), final=True)
            if self._rewrite is not None:
                self._rewrite(line)
            self._write_line("" if self._rewrite is not None else line)

    def line(self, now: float, final: bool = False) -> str:
        done, calls, cached, errors = self._state
        elapsed = max(now - self._started, 1e-9)
        rate = calls / elapsed
        if final:
            tail = f"done in {elapsed:.1f} s"
        elif done:
            tail = f"ETA {(self.total - done) * elapsed / done:.0f} s"
        else:
            tail = "ETA -"
        whole = "" if self.run is None else self.run.tail(0 if final else done)
        return (
            f"modelgate {self.name}: {done}/{self.total} answers, {rate:.1f} calls/s, "
            f"{cached} cached, {errors} errors, {tail}{whole}"
        )
