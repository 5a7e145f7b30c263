"""A ``requests.Session`` per endpoint, whose attempts end when their time is up.

``requests`` bounds each read (a socket timeout) but not a whole response: a server that
trickles a byte a second, or sends ``100 Continue`` forever, keeps every read short and the
answer endless. So each attempt is registered with a ``Watchdog`` under its end (a
``time.monotonic()``); the connections the attempt uses report their sockets to it (our
urllib3 connection classes do, when they connect and before they read a response head), and
at the end the watchdog shuts those sockets down, which wakes the blocked read. The caller
then reports the attempt as timed out. One daemon thread serves every endpoint; it sleeps
until the earliest end, so it costs nothing between attempts.

Everything else is ``requests``'s own: pooled keep-alive connections (an ``HTTPAdapter``
sized to the model's ``concurrency``), ``HTTP(S)_PROXY`` / ``NO_PROXY``,
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, netrc, credentials in the URL, gzip/deflate
(``JSONEndpoint`` reads the environment once per URL rather than per request).
SOCKS proxies use urllib3's own connections, which report no sockets: there each read is
bounded by ``timeout_s`` but a trickling answer is not cut off.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class Attempt:
    """One attempt's end and the sockets it uses; ``expired`` once the watchdog cut it off."""

    __slots__ = ("end", "socks", "expired")

    def __init__(self, end: float) -> None:
        self.end, self.expired = end, False
        self.socks: list[Any] = []

    def watch(self, sock: Any) -> None:
        self.socks.append(sock)
        if self.expired:  # cut off while connecting: this socket goes too
            _shut(sock)

    def cut(self) -> None:
        self.expired = True
        for sock in self.socks:
            _shut(sock)


def _shut(sock: Any) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):  # already closed
        pass


class Watchdog:
    """Cuts off the attempts that outlast their end."""

    def __init__(self) -> None:
        self._attempts: set[Attempt] = set()
        self._changed = threading.Condition()
        self._next = float("inf")  # when the thread wakes next
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def attempt(self, end: float) -> Iterator[Attempt]:
        """Registers an attempt on this thread until the block ends."""
        attempt = Attempt(end)
        with self._changed:
            self._attempts.add(attempt)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="modelgate-watchdog", daemon=True
                )
                self._thread.start()
            if end < self._next:
                self._changed.notify()
        _local.attempt = attempt
        try:
            yield attempt
        finally:
            _local.attempt = None
            with self._changed:
                self._attempts.discard(attempt)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for attempt in [a for a in self._attempts if a.end <= now]:
                    self._attempts.discard(attempt)
                    attempt.cut()
                self._next = min((a.end for a in self._attempts), default=float("inf"))
                self._changed.wait(None if self._next == float("inf") else self._next - now)


WATCHDOG = Watchdog()


def _watch(sock: Any) -> None:
    attempt = getattr(_local, "attempt", None)
    if attempt is not None and sock is not None:
        attempt.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def getresponse(self) -> Any:  # type: ignore[override]
        _watch(self.sock)  # a kept-alive connection was connected by an earlier attempt
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def getresponse(self) -> Any:  # type: ignore[override]
        _watch(self.sock)
        return super().getresponse()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections report their sockets to the ``WATCHDOG``."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


def new_session(origins: int, size: int) -> requests.Session:
    """A session keeping up to ``size`` connections to each of ``origins`` hosts; it never
    retries by itself (``JSONEndpoint`` decides) and follows no redirect of a POST."""
    session = requests.Session()
    adapter = WatchedAdapter(pool_connections=max(1, origins), pool_maxsize=max(1, size))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
