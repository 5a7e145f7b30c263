"""The HTTP transport of the API providers (``models/http.py``, ``models/session.py``: ``requests``) against loopback servers
that write exact bytes: framing, encodings, interim responses, connection reuse, malformed
answers, timeouts and slow servers, proxies, TLS and credentials. Every failure must be a ProviderError that
names the model and the URL and quotes no credential."""

from __future__ import annotations

import base64
import gzip
import http.client
import itertools
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.http import public_url
from pytest_modelgate.models.provider import ProviderContext, ProviderError
from pytest_modelgate.models.providers.anthropic import AnthropicProvider
from pytest_modelgate.models.providers.openai import OpenAICompatibleProvider

KEY = "sk-modelgate-transport-7f3a91"
OK = json.dumps({"choices": [{"message": {"role": "assistant", "content": "hello"}}]}).encode()
JSON = "Content-Type: application/json"


def head(*lines: str) -> bytes:
    """A response head: a status line and header lines, then the empty line."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def sized(body: bytes = OK, *lines: str, status: str = "HTTP/1.1 200 OK") -> bytes:
    """A response whose body is delimited by Content-Length."""
    return head(status, JSON, f"Content-Length: {len(body)}", *lines) + body


def chunk(data: bytes, extension: bytes = b"") -> bytes:
    return b"%X%s\r\n%s\r\n" % (len(data), extension, data)


CHUNKED = head("HTTP/1.1 200 OK", JSON, "Transfer-Encoding: chunked")


def raw_deflate(data: bytes) -> bytes:
    """Deflate without the zlib wrapper, as some servers send ``Content-Encoding: deflate``."""
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


# --- a loopback server that writes exact bytes ----------------------------------------


@dataclass
class Request:
    line: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def read_request(rfile: Any) -> Request | None:
    line = rfile.readline()
    if not line:
        return None
    headers = {}
    while (field := rfile.readline()) not in (b"\r\n", b""):
        name, _, value = field.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = rfile.read(int(headers.get("content-length", 0)))
    return Request(line.decode("latin-1").rstrip("\r\n"), headers, body)


Answer = bytes | Callable[[Request], bytes | Iterable[bytes]]


class RawServer:
    """Serves on 127.0.0.1 until ``stop()``: request n gets ``answers[n]`` (the last one
    repeats), raw bytes or a function of the request that returns bytes or yields pieces,
    each sent as it comes (so a generator paces them); ``close`` ends the connection after
    each answer. Counts connections, records requests, and releases ``closed`` each time
    it ends a connection."""

    def __init__(self, *answers: Answer, close: bool = False, tls: ssl.SSLContext | None = None):
        self.answers, self.close, self.tls = list(answers), close, tls
        self.requests: list[Request] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:  # stopped
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self._open.append(sock)
            with sock.makefile("rb") as rfile:
                while request := read_request(rfile):
                    self.requests.append(request)
                    answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
                    reply = answer(request) if callable(answer) else answer
                    for piece in [reply] if isinstance(reply, bytes) else reply:
                        sock.sendall(piece)
                    if self.close:
                        break
        except OSError:  # the client hung up, or refused our certificate: its test checks why
            pass
        finally:
            sock.close()
            self.closed.release()

    def stop(self) -> None:
        self._listener.close()
        for sock in self._open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    """Start ``RawServer(*answers, **options)``; every one started is stopped after the test."""
    started: list[RawServer] = []

    def start(*answers: Answer, **options: Any) -> RawServer:
        started.append(RawServer(*answers, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def model(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build a provider (openai unless named) for ``url``: one attempt, 2 s timeout unless
    the test says otherwise. Every one built is closed after the test."""
    built: list[Any] = []

    def build(url: str, provider: str = "openai", **fields: Any) -> Any:
        fields = {"timeout_s": 2.0, "max_retries": 0, **fields}
        spec = ModelSpec(
            "candidate", provider, model="toy", base_url=url, params={"max_tokens": 4}, **fields
        )
        kind = AnthropicProvider if provider == "anthropic" else OpenAICompatibleProvider
        built.append(kind(spec, ProviderContext(tmp_path)))
        return built[-1]

    yield build
    for provider in built:
        provider.close()


@pytest.fixture(autouse=True)
def no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxies, CA bundles and netrc files of the machine running the tests must not change them."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name in (
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "NETRC",
        ):
            monkeypatch.delenv(name)


def ask(provider: Any) -> str:
    return provider.complete([{"role": "user", "content": "Hi"}], {}).text


def error_of(provider: Any) -> str:
    """The ProviderError an answer raises; it always names the model and the URL."""
    with pytest.raises(ProviderError) as raised:
        ask(provider)
    message = str(raised.value)
    assert f"model 'candidate' at {public_url(provider.url)}: " in message
    return message


# --- answers that are read --------------------------------------------------------------

GZIPPED = gzip.compress(OK)
READABLE = {
    "chunked, with extensions and trailers": CHUNKED
    + chunk(OK[:7], b";name=value")
    + chunk(OK[7:40], b' ; quoted="a;b"')
    + chunk(OK[40:])
    + b"0\r\nX-Checksum: abc\r\nX-Count: 3\r\n\r\n",
    "gzip": sized(GZIPPED, "Content-Encoding: gzip"),
    "gzip, chunked": head(
        "HTTP/1.1 200 OK", JSON, "Content-Encoding: gzip", "Transfer-Encoding: chunked"
    )
    + chunk(GZIPPED[:10])
    + chunk(GZIPPED[10:])
    + b"0\r\n\r\n",
    "deflate, zlib-wrapped": sized(zlib.compress(OK), "Content-Encoding: deflate"),
    "deflate, raw": sized(raw_deflate(OK), "Content-Encoding: deflate"),
    # Only 100 Continue: http.client (under requests) returns any other 1xx as the answer;
    # 103 Early Hints is a clear error below, on a connection never reused.
    "100 Continue first": head("HTTP/1.1 100 Continue") + sized(),
    "no reason phrase, lower-case names": b"HTTP/1.1 200\r\ncontent-length: %d\r\n\r\n%s"
    % (len(OK), OK),
    "HTTP/1.0 with keep-alive": sized(OK, "Connection: keep-alive", status="HTTP/1.0 200 OK"),
    "JSON labelled text/plain (the body decides)": head(
        "HTTP/1.1 200 OK", "Content-Type: text/plain", f"Content-Length: {len(OK)}"
    )
    + OK,
}


@pytest.mark.parametrize("answer", READABLE.values(), ids=READABLE.keys())
def test_well_formed_answers_are_read_to_their_exact_end(serve, model, answer):
    server = serve(answer)
    provider = model(server.url)
    assert [ask(provider), ask(provider)] == ["hello", "hello"]
    assert server.connections == 1  # nothing was left unread on the kept-alive connection


def test_threads_share_a_pool_sized_to_concurrency(serve, model):
    server = serve(sized())
    provider = model(server.url, concurrency=4)
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.extend(ask(provider) for _ in range(10)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["hello"] * 40
    assert server.connections <= 4  # each kept alive and reused, none opened per request


def test_anthropic_uses_the_same_transport(serve, model):
    body = gzip.compress(json.dumps({"content": [{"type": "text", "text": "hello"}]}).encode())
    server = serve(
        head("HTTP/1.1 200 OK", JSON, "Content-Encoding: gzip", "Transfer-Encoding: chunked")
        + chunk(body[:9], b";x=1")
        + chunk(body[9:])
        + b"0\r\n\r\n"
    )
    assert ask(model(server.url, "anthropic")) == "hello"
    assert server.requests[0].line == "POST /v1/messages HTTP/1.1"


# --- connections the server ends ------------------------------------------------------

CLOSING = {
    "HTTP/1.0, body until close": (head("HTTP/1.0 200 OK", JSON) + OK, True),
    "Connection: close, body until close": (
        head("HTTP/1.1 200 OK", "Connection: close") + OK,
        True,
    ),
    "HTTP/1.0 with a length, left open": (sized(status="HTTP/1.0 200 OK"), False),
    "Connection: close with a length, left open": (sized(OK, "Connection: close"), False),
}


@pytest.mark.parametrize("answer, close", CLOSING.values(), ids=CLOSING.keys())
def test_a_connection_the_server_ends_is_never_reused(serve, model, answer, close):
    server = serve(answer, close=close)
    provider = model(server.url)
    assert [ask(provider), ask(provider)] == ["hello", "hello"]
    assert server.connections == 2 and len(server.requests) == 2


def test_a_kept_alive_connection_the_server_closed_while_idle_is_replaced(serve, model):
    server = serve(sized(), close=True)  # answers, then hangs up without saying it would
    provider = model(server.url)  # a single attempt: sending on the dead connection would fail
    assert ask(provider) == "hello"
    assert server.closed.acquire(timeout=2)
    time.sleep(0.05)  # let the FIN cross loopback
    assert ask(provider) == "hello"
    assert server.connections == 2 and len(server.requests) == 2


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_request_the_server_read_and_dropped_is_sent_once_per_allowed_attempt(
    serve, model, max_retries
):
    server = serve(b"", close=True)  # it may have acted on the request: no silent resend
    message = error_of(model(server.url, max_retries=max_retries, timeout_s=0.5))
    assert "bad response (connection closed mid-response)" in message
    assert len(server.requests) == max_retries + 1


# --- malformed answers ------------------------------------------------------------------

MALFORMED = {
    "not HTTP at all": (
        b"SSH-2.0-OpenSSH_9.6\r\n",
        False,
        "bad response (not an HTTP/1.x response)",
    ),
    "status not a number": (
        head("HTTP/1.1 OK", JSON),
        False,
        "bad response (malformed response framing)",
    ),
    "body cut short": (
        head("HTTP/1.1 200 OK", JSON, "Content-Length: 500") + OK,
        True,
        "bad response (connection closed mid-response)",
    ),
    "negative Content-Length": (
        head("HTTP/1.1 200 OK", JSON, "Content-Length: -5") + OK + b"junk!",
        False,
        "bad response (malformed response framing)",
    ),
    "chunk size not hex": (
        CHUNKED + b"zz\r\n" + OK,
        False,
        "bad response (malformed response framing)",
    ),
    "103 Early Hints before the answer": (
        head("HTTP/1.1 103 Early Hints", "Link: </a.css>; rel=preload") + sized(),
        False,
        "bad response (interim HTTP 103 where the answer belongs)",
    ),
    "head over 64 KiB": (
        # http.client's words (the hand-written reader said "response head").
        head("HTTP/1.1 200 OK", JSON, "X-Pad: " + "a" * 100_000, f"Content-Length: {len(OK)}") + OK,
        False,
        "bad response (got more than 65536 bytes when reading header line)",
    ),
    "gzip label on a plain body": (
        sized(OK, "Content-Encoding: gzip"),
        False,
        "bad response (Error -3 while decompressing data",
    ),
    "body not JSON": (
        sized(b"<html>busy</html>"),
        False,
        "malformed response: '<html>busy</html>'",
    ),
    "error status, empty gzip body": (
        head("HTTP/1.1 401 Unauthorized", "Content-Encoding: gzip", "Content-Length: 0"),
        False,
        "HTTP 401: ''",
    ),
}


@pytest.mark.parametrize("answer, close, expected", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_a_clear_error_and_never_a_wait(
    serve, model, answer, close, expected
):
    server = serve(answer, close=close)
    start = time.monotonic()
    assert expected in error_of(model(server.url, timeout_s=5.0))
    assert time.monotonic() - start < 2.0  # not by running out the read timeout


def test_a_chunk_longer_than_its_size_is_never_read_as_an_answer(serve, model):
    # urllib3 does not check the CRLF after a chunk's data (the hand-written reader did, and
    # failed at once): the rest is read as the next size line, which never ends. Still an
    # error, never an answer, and within timeout_s.
    server = serve(CHUNKED + b"2\r\n" + OK)
    start = time.monotonic()
    message = error_of(model(server.url, timeout_s=1.0))
    assert "no complete response, timed out after 1 s after 1 attempts" in message
    assert time.monotonic() - start < 2.5


def test_an_interim_103_is_an_error_and_its_connection_is_never_reused(serve, model):
    stale = sized(OK.replace(b"hello", b"stale"))  # read by the next request if reused
    server = serve(head("HTTP/1.1 103 Early Hints") + stale, sized())
    provider = model(server.url)
    assert "interim HTTP 103" in error_of(provider)
    assert ask(provider) == "hello"
    assert server.connections == 2


ENDLESS = {
    "chunks forever": (CHUNKED, chunk(b"x" * 65536)),
    "no length, bytes until close": (
        head("HTTP/1.1 200 OK", JSON, "Connection: close"),
        b"x" * 65536,
    ),
    "a length over the limit": (
        sized(b"x" * 65536, status="HTTP/1.1 200 OK").replace(
            b"Content-Length: 65536", b"Content-Length: 999999999999"
        ),
        b"",
    ),
}


@pytest.mark.parametrize("first, then", ENDLESS.values(), ids=ENDLESS.keys())
def test_an_answer_over_the_size_limit_is_refused_not_buffered(serve, model, first, then):
    def answer(request: Request) -> Iterator[bytes]:
        yield first
        while then:
            yield then

    server = serve(answer)
    start = time.monotonic()
    message = error_of(model(server.url, timeout_s=20.0, max_retries=3))
    assert "response larger than 32 MiB, the most one answer may be" in message
    assert message.endswith("; not retried") and len(server.requests) == 1
    assert time.monotonic() - start < 10.0


@pytest.mark.parametrize("scheme", ["http", "https"])  # https: the handshake never ends
def test_a_server_that_never_answers_times_out_within_timeout_s(model, scheme):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody reads
        provider = model(f"{scheme}://127.0.0.1:{silent.getsockname()[1]}/v1", timeout_s=0.3)
        start = time.monotonic()
        message = error_of(provider)
    assert 0.3 <= time.monotonic() - start < 1.8
    assert "no complete response, timed out after 0.3 s after 1 attempts" in message


# --- slow servers: timeout_s bounds a whole attempt, not each read ---------------------


def paced(*pieces: bytes, every_s: float, forever: bytes = b"") -> Answer:
    """An answer sent a piece at a time, ``every_s`` apart; then ``forever`` repeated."""

    def answer(request: Request) -> Iterator[bytes]:
        for piece in itertools.chain(pieces, itertools.repeat(forever) if forever else ()):
            yield piece
            time.sleep(every_s)

    return answer


def one_byte_each(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


NEVER_COMPLETE = {
    # Each read gets a byte well within the 1 s timeout; the whole never arrives in it.
    "head one byte every 0.2 s": paced(*one_byte_each(sized()), every_s=0.2),
    "body one byte every 0.2 s": paced(
        head("HTTP/1.1 200 OK", JSON, f"Content-Length: {len(OK)}"), *one_byte_each(OK), every_s=0.2
    ),
    "100 Continue every 0.2 s, forever": paced(every_s=0.2, forever=head("HTTP/1.1 100 Continue")),
    "a chunk every 0.2 s, forever": paced(CHUNKED, every_s=0.2, forever=chunk(b" ")),
}


@pytest.mark.parametrize("answer", NEVER_COMPLETE.values(), ids=NEVER_COMPLETE.keys())
def test_a_response_that_never_completes_is_cut_off_at_timeout_s(serve, model, answer):
    server = serve(answer)
    provider = model(server.url, timeout_s=1.0)
    start = time.monotonic()
    message = error_of(provider)
    assert 0.95 <= time.monotonic() - start < 2.5  # 1 s, and slack for a loaded machine
    assert "no complete response, timed out after 1 s after 1 attempts" in message
    assert len(server.requests) == 1


def test_a_slow_response_that_completes_within_timeout_s_is_read(serve, model):
    # Pieces about 0.15 s apart, 1.5 s in all: each read re-checks the time left.
    data = sized()
    pieces = [data[i : i + 15] for i in range(0, len(data), 15)]
    server = serve(paced(*pieces, every_s=1.5 / len(pieces)), sized())
    provider = model(server.url, timeout_s=3.0)
    start = time.monotonic()
    assert ask(provider) == "hello"
    assert time.monotonic() - start >= 1.2
    assert ask(provider) == "hello"  # and the connection is kept
    assert server.connections == 1


# --- proxies ---------------------------------------------------------------------------


def forward(request: Request) -> bytes:
    """What a forward proxy does with an absolute-form request: ask the origin, relay."""
    method, target, _ = request.line.split(" ")
    parts = urllib.parse.urlsplit(target)
    origin = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        origin.request(method, parts.path, request.body, request.headers)
        reply = origin.getresponse()
        return sized(reply.read(), status=f"HTTP/1.1 {reply.status} {reply.reason}")
    finally:
        origin.close()


def test_http_proxy_from_the_environment_gets_the_absolute_url_and_no_proxy_bypasses_it(
    serve, model, monkeypatch
):
    origin, proxy = serve(sized()), serve(forward)
    monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/v1"))
    assert ask(model(origin.url.replace("//", "//user:pa%20ss@"))) == "hello"
    # Absolute form, and without the credentials: they travel in Authorization only.
    assert proxy.requests[0].line == f"POST {origin.url}/chat/completions HTTP/1.1"
    expected = "Basic " + base64.b64encode(b"user:pa ss").decode()
    assert origin.requests[0].headers["authorization"] == expected

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert ask(model(origin.url)) == "hello"
    assert len(proxy.requests) == 1 and len(origin.requests) == 2
    assert origin.requests[1].line == "POST /v1/chat/completions HTTP/1.1"


def test_an_unreachable_proxy_is_named_and_its_password_never_quoted(serve, model, monkeypatch):
    origin = serve(sized())
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://proxyuser:s3cret-proxy@127.0.0.1:{port}")
    message = error_of(model(origin.url))
    assert "cannot connect through the proxy (" in message
    assert "s3cret-proxy" not in message and origin.requests == []


# --- https ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (``cryptography`` is not a
    dependency, so the ``openssl`` command makes them)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + [
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(serve, certificate) -> RawServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return serve(sized(), tls=context)


def test_https_to_an_unknown_certificate_is_a_certificate_error_not_retried(tls_server, model):
    message = error_of(model(tls_server.url, max_retries=3))
    assert "cannot connect (SSLCertVerificationError: " in message
    assert "certificate verify failed" in message and message.endswith("; not retried")
    # The server counts a connection before its handshake, which the failure needs.
    assert tls_server.connections == 1 and tls_server.requests == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_https_trusts_the_ca_bundle_the_environment_names(
    tls_server, certificate, model, monkeypatch, variable
):
    monkeypatch.setenv(variable, str(certificate[0]))
    provider = model(tls_server.url)
    assert [ask(provider), ask(provider)] == ["hello", "hello"]
    assert tls_server.connections == 1  # kept alive over TLS too


# --- credentials ----------------------------------------------------------------------


def echo_credentials(status: str) -> Callable[[Request], bytes]:
    """An answer that quotes the request's Authorization header, decoded when Basic."""

    def answer(request: Request) -> bytes:
        sent = request.headers.get("authorization", "")
        kind, _, token = sent.partition(" ")
        decoded = base64.b64decode(token).decode() if kind == "Basic" else ""
        return sized(f"rejected {sent} ({decoded})".encode(), status=status)

    return answer


@pytest.mark.parametrize("status", ["HTTP/1.1 401 Unauthorized", "HTTP/1.1 200 OK"])
def test_credentials_the_server_echoes_never_reach_an_error(serve, model, monkeypatch, status):
    monkeypatch.setenv("TOY_KEY", KEY)
    server = serve(echo_credentials(status))
    with_key = error_of(model(server.url, api_key_env="TOY_KEY"))
    with_password = error_of(model(server.url.replace("//", "//user:hunter2@")))
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert server.requests[1].headers["authorization"].startswith("Basic ")
    for message in (with_key, with_password):
        assert "rejected" in message and "***" in message
        assert KEY not in message and "hunter2" not in message
        assert base64.b64encode(b"user:hunter2").decode() not in message


def test_netrc_credentials_are_sent_and_never_reach_an_error(serve, model, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))  # requests reads it when the URL has no credentials
    server = serve(echo_credentials("HTTP/1.1 401 Unauthorized"))
    message = error_of(model(server.url))
    token = base64.b64encode(b"user:hunter2").decode()
    assert server.requests[0].headers["authorization"] == f"Basic {token}"
    assert "rejected" in message and "***" in message
    assert "hunter2" not in message and token not in message
    # A key in the environment wins over netrc, as over credentials in the URL.
    monkeypatch.setenv("TOY_KEY", KEY)
    error_of(model(server.url, api_key_env="TOY_KEY"))
    assert server.requests[1].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "url",
    [
        "htp://user:hunter2@127.0.0.1:9/v1",
        "http://user:hunter2@127.0.0.1:port/v1",
        "http://user:hunter2@[::1/v1",
        "http://user:hunter2@ex ample.com/v1",
    ],
)
def test_a_bad_base_url_is_refused_without_quoting_its_credentials(model, url):
    with pytest.raises(ProviderError, match="model 'candidate'") as raised:
        model(url)
    assert "hunter2" not in str(raised.value)


# --- retries: transient faults until the deadline, permanent ones never --------------------

BUSY = sized(b'{"error": "busy"}', "Retry-After: 0", status="HTTP/1.1 503 Service Unavailable")


def test_transient_faults_are_retried_until_the_deadline_not_a_count(serve, model):
    server = serve(*[BUSY] * 12, sized())
    assert ask(model(server.url, max_retries=2, deadline_s=10.0)) == "hello"
    assert len(server.requests) == 13


def test_dropped_connections_are_retried_until_the_deadline(serve, model):
    server = serve(b"", b"", sized(), close=True)
    assert ask(model(server.url, max_retries=0, deadline_s=10.0)) == "hello"
    assert len(server.requests) == 3


def test_without_a_deadline_max_retries_caps_the_attempts(serve, model):
    server = serve(BUSY)
    assert "HTTP 503 after 3 attempts" in error_of(model(server.url, max_retries=2))
    assert len(server.requests) == 3


def test_retries_stop_at_the_deadline(serve, model):
    server = serve(BUSY)
    start = time.monotonic()
    message = error_of(model(server.url, max_retries=0, deadline_s=0.5))
    assert "HTTP 503; deadline_s 0.5 reached after" in message
    assert 0.4 <= time.monotonic() - start < 1.5
    assert len(server.requests) > 2


PERMANENT = {
    "400 Bad Request": "check the model's params",
    "401 Unauthorized": "check the key in api_key_env",
    "403 Forbidden": "check api_key_env and model",
    "404 Not Found": "check base_url",
}


@pytest.mark.parametrize("status, hint", PERMANENT.items(), ids=PERMANENT.keys())
def test_permanent_errors_are_not_retried_and_say_what_to_fix(serve, model, status, hint):
    server = serve(sized(b'{"error": "no"}', status=f"HTTP/1.1 {status}"))
    message = error_of(model(server.url, max_retries=3, deadline_s=10.0))
    assert f"HTTP {status[:3]}: " in message and hint in message
    assert len(server.requests) == 1
