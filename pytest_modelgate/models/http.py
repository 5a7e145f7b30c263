"""JSON over HTTP for the API providers: one endpoint per model, with timeouts and retries.

Shared by ``openai`` and ``anthropic``; the bytes on the wire are ``wire``'s. One attempt,
from connecting to the last byte of the response, ends within the model's ``timeout_s``
(less when ``deadline_s`` has less left).

Retries with full-jitter exponential backoff that honour ``Retry-After``; a certificate
that fails verification is not retried (another try meets the same certificate). Errors
name the model and the URL (without credentials); the key lives only in a header and is
redacted from any response text an error quotes.
"""

from __future__ import annotations

import email.utils
import http.client
import itertools
import json
import os
import random
import ssl
import time
import urllib.parse
import zlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pytest_modelgate import __version__
from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.provider import ProviderError
from pytest_modelgate.models.wire import ConnectionPool, Response, basic_auth, read_response

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 120.0
SNIPPET_CHARS = 200


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP_S)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), RETRY_AFTER_CAP_S)


def public_url(url: str) -> str:
    """The URL without credentials or query string, which may carry tokens."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2].lower()  # not .port: it raises on "host:abc"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff: spreads retries of many threads apart."""
    return rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def read_api_key(spec: ModelSpec) -> str | None:
    """The key from the variable ``api_key_env`` names; None when the entry names none."""
    if not spec.api_key_env:
        return None
    key = os.environ.get(spec.api_key_env)
    if not key:
        raise ProviderError(
            f"model {spec.name!r}: environment variable {spec.api_key_env} "
            "(named by api_key_env) is not set"
        )
    if key != key.strip() or any(c in key for c in "\r\n"):
        # A line break would end the header early; an error might quote the key.
        raise ProviderError(
            f"model {spec.name!r}: the value of {spec.api_key_env} has surrounding "
            "whitespace or a line break; store the key without them"
        )
    return key


def http_base_url(spec: ModelSpec, base_url: str | None) -> str:
    if not base_url or not base_url.startswith(("http://", "https://")):
        # Quoted without credentials: "htp://user:key@host" is a typo, not a reason to leak.
        shown = base_url and (
            public_url(base_url) if "://" in base_url else base_url.rpartition("@")[2]
        )
        raise ProviderError(f"model {spec.name!r}: base_url must be an http(s) URL, got {shown!r}")
    return base_url.rstrip("/")


class JSONEndpoint:
    """POSTs JSON bodies for one model and returns the 200 responses.

    With ``replicas`` (more URLs serving the same model) attempts go round-robin, so
    load spreads and a retry lands on another replica than the one that failed.
    ``secret`` is the value to redact from quoted response text (the API key); passwords
    in the URLs are redacted too.
    """

    def __init__(
        self,
        spec: ModelSpec,
        url: str,
        headers: Mapping[str, str],
        secret: str | None,
        retry_statuses: Collection[int] = RETRY_STATUSES,
        replicas: Sequence[str] = (),
    ) -> None:
        self.spec = spec
        self.url = url
        self.urls = [url, *replicas]
        self._turn = itertools.count()  # next() is atomic under the GIL: no lock needed
        self.retry_statuses = frozenset(retry_statuses)
        self._secrets = [secret] if secret else []
        for each in self.urls:  # a URL's password, as written and inside the Basic token
            parts = urllib.parse.urlsplit(each)
            if parts.password:
                token = basic_auth(parts.username, parts.password).removeprefix("Basic ")
                self._secrets += [urllib.parse.unquote(parts.password), token]
        self._rng = random.Random()
        sent = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"pytest-modelgate/{__version__}",
            **headers,
        }
        if any(c in f"{k}{v}" for k, v in sent.items() for c in "\r\n"):
            raise ProviderError(f"model {spec.name!r}: a request header has a line break")
        pools: dict[str, ConnectionPool] = {}
        self._routes: dict[str, tuple[ConnectionPool, bytes]] = {}  # url -> pool, request head
        for each in self.urls:
            parts = urllib.parse.urlsplit(each)
            try:
                parts.port  # noqa: B018 - raises on a port that is not a number
            except ValueError:
                raise ProviderError(f"{self.where(each)}: the URL's port is not a number") from None
            origin = f"{parts.scheme}://{parts.hostname}:{parts.port}"
            pool = pools.setdefault(origin, ConnectionPool(each, spec.concurrency))
            try:
                self._routes[each] = (pool, pool.request_head(each, sent))
            except UnicodeEncodeError:
                raise ProviderError(
                    f"{self.where(each)}: a request header is not plain ASCII/latin-1"
                ) from None
        self._pools = list(pools.values())

    def where(self, url: str | None = None) -> str:
        return f"model {self.spec.name!r} at {public_url(url or self.url)}"

    def redact(self, text: str) -> str:
        # Redact before truncating, so no prefix of the key can survive the cut.
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text[:SNIPPET_CHARS]

    def _send(self, url: str, data: bytes, limit: float) -> Response:
        """One attempt: a pooled connection, the request in one write, the whole response,
        all within ``limit`` seconds (else ``TimeoutError``)."""
        end = time.monotonic() + limit
        pool, head = self._routes[url]
        conn = pool.acquire(end)
        try:
            sock = conn.sock
            assert sock is not None  # acquire() returns connected connections
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("connecting took all the time")
            sock.settimeout(left)  # sendall's timeout is for the whole write
            sock.sendall(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(data), data))
            response, reuse = read_response(sock, end)
        except BaseException:
            conn.close()
            raise
        if reuse:
            pool.release(conn)
        else:
            conn.close()
        return response

    def post(self, body: Mapping[str, Any]) -> Response:
        """The first 200 response; retries what is worth retrying, else ProviderError."""
        try:
            data = json.dumps(body).encode()
        except (TypeError, ValueError) as exc:  # YAML params always encode; a plugin's may not
            raise ProviderError(f"{self.where()}: request body is not JSON ({exc})") from None
        deadline = self.spec.deadline_s and time.monotonic() + self.spec.deadline_s
        last, delay, attempts = "no attempt made", 0.0, 0
        for attempt in range(self.spec.max_retries + 1):
            if attempt:
                if deadline and time.monotonic() + delay >= deadline:
                    last += f"; deadline_s {self.spec.deadline_s:g} reached"
                    break
                time.sleep(delay)
            delay = backoff_seconds(attempt, self._rng)
            url = self.urls[next(self._turn) % len(self.urls)]
            limit = self.spec.timeout_s
            if deadline:  # no single attempt may outlast the deadline either
                limit = max(0.001, min(limit, deadline - time.monotonic()))
            attempts += 1
            try:
                response = self._send(url, data, limit)
            except TimeoutError:
                last = f"no complete response, timed out after {limit:.3g} s"
                continue
            except ssl.SSLCertVerificationError as exc:
                # Another try meets the same certificate: say so now, not after the backoff.
                raise ProviderError(
                    f"{self.where(url)}: cannot connect ({type(exc).__name__}: "
                    f"{self.redact(str(exc))}); not retried"
                ) from None
            except (http.client.HTTPException, zlib.error) as exc:
                # Closed mid-answer, garbled framing, a body that does not decompress: worth
                # another try. Said as such: "cannot connect" sent people to check the port.
                last = f"bad response ({self.redact(str(exc)) or type(exc).__name__})"
                continue
            except OSError as exc:
                # Refused, reset, a TLS failure other than the certificate: worth another
                # try. The reason is what the reader needs, not just the exception's name.
                last = f"cannot connect ({type(exc).__name__}: {self.redact(str(exc))})"
                continue
            if response.status_code in self.retry_statuses:
                last = f"HTTP {response.status_code}"
                after = retry_after_seconds(response.headers.get("Retry-After"))
                delay = after if after is not None else delay
                continue
            if response.status_code != 200:
                snippet = self.redact(response.text)
                raise ProviderError(f"{self.where(url)}: HTTP {response.status_code}: {snippet!r}")
            return response
        raise ProviderError(f"{self.where(url)}: {last} after {attempts} attempts")

    def malformed(self, response: Response, what: str = "malformed response") -> str:
        """The message for a 200 response that is not the shape the API promises."""
        return f"{self.where()}: {what}: {self.redact(response.text)!r}"

    def close(self) -> None:
        for pool in self._pools:
            pool.close()
