"""Serve a GGUF model with xllamacpp on 127.0.0.1 until SIGTERM.

Run as ``python -m pytest_modelgate.models.providers.local_server MODEL.gguf``: prints
one line ``listening <url>`` on stdout once ready. llama.cpp's own logs go to
stderr, which the caller sends to a file. A separate process keeps llama.cpp's
threads and memory out of pytest and makes stopping it certain: it exits on
SIGTERM, and when its standard input closes, which happens when the parent
dies however it dies (even SIGKILL), so no server outlives its pytest run.

llama.cpp's threads wait for each other hundreds of times per token. By default they spin
while waiting, the fastest choice on idle cores, but when another busy process shares the
cores a spinning thread holds the core its partner needs: on 2 cores with one busy process,
generation fell from 68 to 24 tokens/s. Sleeping waits (``OMP_WAIT_POLICY=PASSIVE``) kept
37 tokens/s there, at a cost of about 13% on idle cores (benchmarks/serving_levers.py). So
the server looks, once at start, at how busy the machine is, and sleeps only when it has to
share.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

BUSY_CORES = 0.5  # other processes' load, in cores, above which llama.cpp's threads sleep


def busy_cores(window_s: float = 0.3) -> float | None:
    """How many cores other processes kept busy over ``window_s`` (None off Linux)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        return busy, int(own[11]) + int(own[12])  # utime + stime, in the same ticks

    try:
        busy0, own0 = sample()
        time.sleep(window_s)
        busy1, own1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK") * window_s
    return max(0.0, (busy1 - busy0) - (own1 - own0)) / ticks


def choose_wait_policy() -> str:
    """Sets OMP_WAIT_POLICY for llama.cpp's OpenMP threads unless the user already did."""
    if "OMP_WAIT_POLICY" in os.environ:
        return f"{os.environ['OMP_WAIT_POLICY']} (set by the environment)"
    busy = busy_cores()
    policy = "PASSIVE" if busy is not None and busy > BUSY_CORES else "ACTIVE"
    os.environ["OMP_WAIT_POLICY"] = policy
    seen = "unknown" if busy is None else f"{busy:.1f}"
    return f"{policy} (other processes kept {seen} cores busy at start)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=2048, help="context per slot")
    parser.add_argument("--slots", type=int, default=1)
    args = parser.parse_args()
    print(f"modelgate: OpenMP wait policy {choose_wait_policy()}", file=sys.stderr, flush=True)

    import xllamacpp  # after the wait policy: OpenMP reads it when it starts

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the OS picks a free port; the server reports it
    # Several slots answer requests together in one batch: faster generation, but an answer
    # may then round differently from run to run (benchmark `concurrency: 1` avoids it).
    params.n_parallel = args.slots
    params.n_ctx = args.ctx * args.slots  # llama.cpp splits the context among the slots
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    server = xllamacpp.Server(params)
    print(f"listening {server.listening_address}", flush=True)
    while not stop.wait(0.5):
        pass
    os._exit(0)  # llama.cpp's threads would otherwise hold the interpreter at exit


if __name__ == "__main__":
    main()
