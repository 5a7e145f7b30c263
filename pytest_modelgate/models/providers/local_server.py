"""Serve a GGUF model with xllamacpp on 127.0.0.1 until SIGTERM.

Run as ``python -m pytest_modelgate.models.providers.local_server MODEL.gguf``: prints
one line ``listening <url>`` on stdout once ready. llama.cpp's own logs go to
stderr, which the caller sends to a file. A separate process keeps llama.cpp's
threads and memory out of pytest and makes stopping it certain: it exits on
SIGTERM, and when its standard input closes, which happens when the parent
dies however it dies (even SIGKILL), so no server outlives its pytest run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=2048)
    args = parser.parse_args()

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the OS picks a free port; the server reports it
    params.n_parallel = 1  # one slot: temperature-0 answers stay repeatable
    params.n_ctx = args.ctx
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
