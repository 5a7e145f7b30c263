"""HTTP/1.1 on the wire for ``http.JSONEndpoint``: pooled connections, one response read whole.

Issue "HTTP through requests" replaces this module with a ``requests.Session`` per endpoint.

Each model gets a pool of keep-alive connections per origin, sized to its ``concurrency`` and
shared by the worker threads. A request is one ``sendall`` of head and body; the response is
read by a small HTTP/1.1 reader (status, headers, Content-Length or chunked body, 1xx
skipped). Connections are opened by ``http.client``, which also does proxy tunnels; TLS is
``ssl``'s.

Why not ``requests`` (used before): on 2 cores against a local server, a
``requests.Session`` POST cost ~0.8 ms of CPU, ``http.client`` ~0.19 ms, this ~0.04 ms;
at high concurrency that CPU, under the GIL, is what bounds a run, and importing
``requests`` cost ~0.1 s of every gate run's start. What ``requests`` did that a model
API needs is kept: https with certificate checks (``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE``, else certifi's bundle when installed, else the system's), proxies
from the environment (``HTTP(S)_PROXY``, ``NO_PROXY``), credentials in the URL,
gzip/deflate bodies, and never reusing a connection the server closed while idle.

One attempt, from connecting to the last byte of the response, ends within the model's
``timeout_s`` (less when ``deadline_s`` has less left): a server that trickles bytes or
sends 1xx forever is cut off, not waited for. The socket's timeout, set once per attempt
to the time left, bounds each read; it is lowered again only when a read could overrun
the attempt's end by more than ``OVERRUN_S`` (``settimeout`` is a system call). An attempt
costs three clock reads more than per-read timeouts did (~0.2 us of ~28 us).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import select
import ssl
import sys
import threading
import time
import urllib.parse
import zlib
from collections.abc import Mapping
from typing import Any

OVERRUN_S = 0.01  # how far one read may outlast an attempt's end before its timeout is lowered

MAX_HEAD_BYTES = 64 * 1024  # a status line and headers longer than this are not HTTP


class Headers:
    """Response headers; names are case-insensitive."""

    __slots__ = ("_fields",)

    def __init__(self) -> None:
        self._fields: dict[str, str] = {}

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        self._fields[key] = f"{self._fields[key]}, {value}" if key in self._fields else value

    def get(self, name: str, default: str = "") -> str:
        return self._fields.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


class Response:
    """A complete HTTP response: status, headers and the whole body."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.content)


class _Reader:
    """Buffered reads from a socket: up to a separator, or an exact number of bytes, all
    before ``end`` (a ``time.monotonic()``); ``timeout`` is the socket's timeout now."""

    __slots__ = ("sock", "buf", "end", "timeout")

    def __init__(self, sock: Any, end: float, timeout: float) -> None:
        self.sock, self.buf, self.end, self.timeout = sock, bytearray(), end, timeout

    def _recv(self) -> bytes:
        left = self.end - time.monotonic()
        if left < self.timeout - OVERRUN_S:  # this read could outlast the end: lower it
            if left <= 0:
                raise TimeoutError("no complete response in time")
            self.sock.settimeout(left)
            self.timeout = left
        return self.sock.recv(65536)

    def _fill(self) -> None:
        chunk = self._recv()
        if not chunk:  # a ConnectionResetError: retried like any dropped connection
            raise http.client.RemoteDisconnected("connection closed mid-response")
        self.buf += chunk

    def until(self, separator: bytes) -> bytes:
        start = 0
        while True:
            found = self.buf.find(separator, start)
            if found > MAX_HEAD_BYTES:  # arrived in one read: too long all the same
                raise http.client.LineTooLong("response head")
            if found >= 0:
                out = bytes(self.buf[:found])
                del self.buf[: found + len(separator)]
                return out
            if len(self.buf) > MAX_HEAD_BYTES:
                raise http.client.LineTooLong("response head")
            start = max(0, len(self.buf) - len(separator) + 1)
            self._fill()

    def exactly(self, n: int) -> bytes:
        if n < 0:  # int() takes "-5"; buf[:-5] would pass for a body
            raise ValueError("negative length")
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def peek(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        return bytes(self.buf[:n])

    def to_end(self) -> bytes:
        while chunk := self._recv():
            self.buf += chunk
        out = bytes(self.buf)
        self.buf.clear()
        return out


def read_response(sock: Any, end: float) -> tuple[Response, bool]:
    """One HTTP/1.x response from ``sock``, read before ``end`` (a ``time.monotonic()``;
    else ``TimeoutError``), and whether the connection may be reused."""
    reader = _Reader(sock, end, sock.gettimeout() or float("inf"))  # None: no timeout yet
    try:
        while True:
            # Checked before waiting for the end of the head: a server that is not HTTP
            # (an SSH banner, a TLS alert) seldom sends one, and the wait would be a timeout.
            if reader.peek(7) != b"HTTP/1.":
                raise http.client.BadStatusLine("not an HTTP/1.x response")
            head = reader.until(b"\r\n\r\n").decode("latin-1")
            status_line, _, header_lines = head.partition("\r\n")
            version, _, rest = status_line.partition(" ")
            status = int(rest[:3])
            headers = Headers()
            for line in filter(None, header_lines.split("\r\n")):
                name, colon, value = line.partition(":")
                if not colon:
                    raise http.client.BadStatusLine("malformed header line")
                headers.add(name.strip(), value.strip())
            if not 100 <= status < 200:  # 100 Continue, 103 Early Hints: the answer follows
                break
        connection = headers.get("connection", "").lower()
        reuse = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = _read_chunked(reader)
        elif "content-length" in headers:
            body = reader.exactly(int(headers["content-length"]))
        elif status in (204, 304):
            body = b""
        else:  # delimited by the server closing the connection
            body, reuse = reader.to_end(), False
    except ValueError:  # a status, length or chunk size that is not a number
        raise http.client.BadStatusLine("malformed response framing") from None
    if reader.buf:  # bytes beyond the response: never reuse such a connection
        reuse = False
    encoding = headers.get("content-encoding", "").lower()
    if body and encoding in ("gzip", "deflate"):  # a server may compress unasked
        body = _decompress(body, encoding)
    return Response(status, headers, body), reuse


def _decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return zlib.decompress(body, 47)  # 47: gzip or zlib header
    try:
        return zlib.decompress(body)  # deflate as RFC 9110 says: zlib-wrapped
    except zlib.error:
        return zlib.decompress(body, -15)  # raw deflate, as some servers send (requests reads it)


def _read_chunked(reader: _Reader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int(reader.until(b"\r\n").split(b";", 1)[0].strip(), 16)
        if size == 0:
            while reader.until(b"\r\n"):  # trailer fields, up to an empty line
                pass
            return b"".join(parts)
        parts.append(reader.exactly(size))
        if reader.exactly(2) != b"\r\n":
            raise http.client.BadStatusLine("malformed chunk")


def _proxy_for(parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult | None:
    """The proxy the environment names for this URL (as ``requests`` would use), or None."""
    if sys.platform not in ("darwin", "win32") and not any(
        name.lower().endswith("_proxy") for name in os.environ
    ):
        return None  # nothing to look up, and urllib.request is not imported for nothing
    import urllib.request

    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def basic_auth(username: str | None, password: str | None) -> str:
    """The ``Basic`` credentials header value for a user and password as a URL writes them."""
    user, secret = urllib.parse.unquote(username or ""), urllib.parse.unquote(password or "")
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _ssl_context() -> ssl.SSLContext:
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not cafile:
        try:
            import certifi  # what requests verified against; else the system's store

            cafile = certifi.where()
        except ImportError:
            cafile = None
    return ssl.create_default_context(cafile=cafile)


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection the server has closed (or sent junk on) is readable."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no poll() (Windows): trust it
        return False


class ConnectionPool:
    """Keep-alive connections to one origin, shared by threads; at most ``size`` kept idle.

    A thread takes an idle connection (or opens one), sends, reads the whole response,
    and gives it back; a connection with an error, or that the server will close, is
    closed instead. With ``size`` equal to the concurrency, a steady run opens each
    connection once.
    """

    def __init__(self, url: str, size: int) -> None:
        parts = urllib.parse.urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.size = max(1, size)
        self.proxy = _proxy_for(parts)
        self._context: ssl.SSLContext | None = None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def request_head(self, url: str, headers: Mapping[str, str]) -> bytes:
        """The request line and headers of a POST to ``url``, all but Content-Length."""
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = dict(headers)
        if self.proxy is not None and not self.https:
            # An http proxy takes the absolute URL; never with user:pass@ (RFC 9110 4.2.4),
            # which would hand the credentials to the proxy's logs.
            netloc = parts.netloc.rpartition("@")[2]
            target = urllib.parse.urlunsplit(parts._replace(netloc=netloc, fragment=""))
            if self.proxy.username is not None:
                lines["Proxy-Authorization"] = basic_auth(self.proxy.username, self.proxy.password)
        if parts.username is not None and not any(k.lower() == "authorization" for k in lines):
            lines["Authorization"] = basic_auth(parts.username, parts.password)
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.https else 80
        head = {"Host": host if self.port == default else f"{host}:{self.port}", **lines}
        text = f"POST {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
        return text.encode("latin-1")

    def _connect(self, end: float) -> http.client.HTTPConnection:
        """A new connection, TLS included, made before ``end`` (a ``time.monotonic()``).

        Only ``http.client``'s steps take the time left as a timeout of their own, not as
        an end: connecting to each of a host's addresses, reading a proxy's CONNECT reply.
        Those can overrun ``end``; the attempt then fails as timed out before sending.
        """
        if self.proxy is None:
            conn = http.client.HTTPConnection(self.host, self.port)
        else:
            conn = http.client.HTTPConnection(self.proxy.hostname or "", self.proxy.port or 8080)
            if self.https:  # CONNECT tunnel through the proxy, then TLS to the origin
                auth = {}
                if self.proxy.username is not None:
                    auth["Proxy-Authorization"] = basic_auth(
                        self.proxy.username, self.proxy.password
                    )
                conn.set_tunnel(self.host, self.port, headers=auth)
        conn.timeout = min(10.0, end - time.monotonic())
        try:
            if conn.timeout <= 0:
                raise TimeoutError("no time left to connect")
            conn.connect()
            if self.https:
                # TLS here, not in HTTPSConnection: the handshake (one timeout for all of
                # it) gets what is left of the attempt, not a second full timeout.
                if self._context is None:
                    self._context = _ssl_context()
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no time left for the TLS handshake")
                assert conn.sock is not None
                conn.sock.settimeout(left)
                conn.sock = self._context.wrap_socket(conn.sock, server_hostname=self.host)
        except BaseException:
            conn.close()
            raise
        return conn

    def acquire(self, end: float) -> http.client.HTTPConnection:
        """An idle connection the server has not closed, else a new one made before ``end``."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(end)
            if not _dropped(conn):
                return conn
            conn.close()

    def release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
