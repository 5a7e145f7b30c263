"""JSON over HTTP for the API providers: one endpoint per model, with timeouts and retries.

Shared by ``openai`` and ``anthropic``; the bytes on the wire are ``requests``'s (a session
per endpoint, ``session.py``). One attempt, from connecting to the last byte of the
response, ends within the model's ``timeout_s`` (less when ``deadline_s`` has less left),
and its body may not exceed ``MAX_RESPONSE_BYTES``.

Transient faults (429, 5xx, dropped connections, timeouts, garbled framing) are retried
with capped full-jitter exponential backoff that honours ``Retry-After``: until the
answer's ``deadline_s`` when the model sets one, else up to ``max_retries`` times.
Permanent ones (other 4xx, a certificate that fails verification, an oversized answer)
are not retried: another try meets the same answer. Errors name the model and the URL
(without credentials); the key lives only in a header and is redacted from any text an
error quotes.
"""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import os
import random
import re
import time
import urllib.parse
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import requests
import urllib3

from pytest_modelgate import __version__
from pytest_modelgate.config.specs import ModelSpec
from pytest_modelgate.models.failures import HINTS, BadResponse, Permanent, describe_failure
from pytest_modelgate.models.provider import ProviderError
from pytest_modelgate.models.session import WATCHDOG, new_session

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 120.0
SNIPPET_CHARS = 200
MAX_RESPONSE_BYTES = 32 * 2**20  # answers are kilobytes; an endless body must not grow forever
READ_CHUNK_BYTES = 64 * 1024
MIN_ATTEMPT_S = 0.01  # less time than this left before the deadline: no attempt is worth it


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
    try:
        urllib.parse.urlsplit(base_url).port  # noqa: B018 - raises on a bad port or IPv6 host
    except ValueError as exc:
        shown = base_url.partition("://")[2].rpartition("@")[2]  # never the credentials
        raise ProviderError(
            f"model {spec.name!r}: base_url is not a valid URL ({exc}): {shown!r}"
        ) from None
    return base_url.rstrip("/")


def basic_auth(username: str | None, password: str | None) -> str:
    """The ``Basic`` credentials header value for a user and password as a URL writes them
    (what ``requests`` sends for ``user:pass@`` in a URL; redacted from errors)."""
    user, secret = urllib.parse.unquote(username or ""), urllib.parse.unquote(password or "")
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


class Response:
    """A complete answer: status, headers (case-insensitive) and the whole decoded body."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.content)


class KeepAuthorization(requests.auth.AuthBase):
    """Explicit auth that changes nothing: the provider's own ``Authorization`` header (its
    key) then wins over credentials in the URL and over netrc, which requests would apply."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


URL_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]*@")


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
        origins = set()
        for each in self.urls:  # a URL's password, as written and inside the Basic token
            parts = urllib.parse.urlsplit(each)
            try:
                parts.port  # noqa: B018 - raises on a port that is not a number
            except ValueError:
                raise ProviderError(f"{self.where(each)}: the URL's port is not a number") from None
            origins.add((parts.scheme, parts.hostname, parts.port))
            if parts.password:
                token = basic_auth(parts.username, parts.password).removeprefix("Basic ")
                self._secrets += [urllib.parse.unquote(parts.password), token]
        for each in self.urls:  # requests sends what a netrc file holds for the host
            netrc = requests.utils.get_netrc_auth(each)
            if netrc and netrc[1] and not urllib.parse.urlsplit(each).password:
                token = basic_auth(*map(urllib.parse.quote, netrc)).removeprefix("Basic ")
                self._secrets += [netrc[1], token]
        self._rng = random.Random()
        sent = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"pytest-modelgate/{__version__}",
            **headers,
        }
        if any(c in f"{k}{v}" for k, v in sent.items() for c in "\r\n"):
            raise ProviderError(f"model {spec.name!r}: a request header has a line break")
        try:
            "".join(f"{k}{v}" for k, v in sent.items()).encode("latin-1")
        except UnicodeEncodeError:
            raise ProviderError(
                f"{self.where()}: a request header is not plain ASCII/latin-1"
            ) from None
        self.session = new_session(len(origins), spec.concurrency)
        self.session.headers.update(sent)
        if any(name.lower() == "authorization" for name in sent):
            self.session.auth = KeepAuthorization()
        # requests reads the environment (proxies, CA bundle, netrc) for every request: ~0.2 ms
        # of CPU each. It is read once here, per URL, by requests' own functions, and each
        # request is a copy of one prepared per URL.
        self._routes: dict[str, tuple[requests.PreparedRequest, dict[str, Any]]] = {}
        for each in self.urls:
            try:
                template = self.session.prepare_request(requests.Request("POST", each))
            except (requests.RequestException, ValueError) as exc:  # a host requests refuses
                words = self.redact(f"{type(exc).__name__}: {exc}")
                raise ProviderError(f"{self.where(each)}: not a usable URL ({words})") from None
            found = self.session.merge_environment_settings(each, {}, None, None, None)
            self._routes[each] = (template, {k: found[k] for k in ("proxies", "verify", "cert")})
            for proxy in found["proxies"].values():  # a proxy's password is a secret too
                parts = urllib.parse.urlsplit(proxy)
                if parts.password:
                    token = basic_auth(parts.username, parts.password).removeprefix("Basic ")
                    self._secrets += [urllib.parse.unquote(parts.password), token]

    def where(self, url: str | None = None) -> str:
        return f"model {self.spec.name!r} at {public_url(url or self.url)}"

    def redact(self, text: str) -> str:
        # Redact before truncating, so no prefix of the key can survive the cut.
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return URL_CREDENTIALS.sub(r"\1***@", text)[:SNIPPET_CHARS]

    def _send(self, url: str, data: bytes, limit: float) -> Response:
        """One attempt: the request and the whole response within ``limit`` seconds (else
        ``TimeoutError``), at most ``MAX_RESPONSE_BYTES`` of body (else ``Permanent``)."""
        end = time.monotonic() + limit
        with WATCHDOG.attempt(end) as attempt:
            try:
                return self._exchange(url, data, limit, end)
            except Permanent:
                raise
            except Exception as exc:
                timed_out = isinstance(exc, requests.Timeout) or attempt.expired
                if timed_out or time.monotonic() >= end:
                    raise TimeoutError("no complete response in time") from exc
                raise

    def _exchange(self, url: str, data: bytes, limit: float, end: float) -> Response:
        # Each read waits at most ``limit``; the watchdog ends the attempt at ``end``.
        template, settings = self._routes[url]
        request = template.copy()
        request.prepare_body(data, None)
        answer = self.session.send(
            request, timeout=(limit, limit), stream=True, allow_redirects=False, **settings
        )
        try:  # close() without reading the whole body drops the connection, never reuses it
            if answer.status_code < 200:
                # http.client skips 100 Continue only; the real answer would wait unread.
                raise BadResponse(f"interim HTTP {answer.status_code} where the answer belongs")
            length = answer.headers.get("Content-Length")
            if length is not None:
                # urllib3 reads a negative length as "until the server closes": a wait.
                if not all(part.strip().isdigit() for part in length.split(",")):
                    raise BadResponse("malformed response framing")
                if int(length.split(",")[0]) > MAX_RESPONSE_BYTES:
                    raise Permanent(self._too_large())
            body = bytearray()
            for piece in answer.iter_content(READ_CHUNK_BYTES):
                body += piece
                if len(body) > MAX_RESPONSE_BYTES:
                    raise Permanent(self._too_large())
                if time.monotonic() >= end:
                    raise TimeoutError("no complete response in time")
            return Response(answer.status_code, answer.headers, bytes(body))
        finally:
            answer.close()

    @staticmethod
    def _too_large() -> str:
        return (
            f"response larger than {MAX_RESPONSE_BYTES // 2**20} MiB, the most one answer "
            "may be: is base_url a model API?"
        )

    def post(self, body: Mapping[str, Any]) -> Response:
        """The first 200 response; retries what is worth retrying, else ProviderError."""
        try:
            data = json.dumps(body).encode()
        except (TypeError, ValueError) as exc:  # YAML params always encode; a plugin's may not
            raise ProviderError(f"{self.where()}: request body is not JSON ({exc})") from None
        deadline = self.spec.deadline_s and time.monotonic() + self.spec.deadline_s
        attempts = 0
        while True:
            url = self.urls[next(self._turn) % len(self.urls)]
            limit = self.spec.timeout_s
            if deadline:  # no single attempt may outlast the deadline either
                limit = max(0.001, min(limit, deadline - time.monotonic()))
            attempts += 1
            retry_after = None
            try:
                response = self._send(url, data, limit)
            except TimeoutError:
                last = f"no complete response, timed out after {limit:.3g} s"
            except Permanent as exc:
                raise ProviderError(
                    f"{self.where(url)}: {self.redact(str(exc))}; not retried"
                ) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                kind, words = describe_failure(exc)
                if kind is Permanent:
                    raise ProviderError(
                        f"{self.where(url)}: {self.redact(words)}; not retried"
                    ) from None
                # "bad response": the server answered garbage; said as such, since
                # "cannot connect" sends people to check the port.
                reason = "bad response" if kind is BadResponse else ""
                last = f"{reason} ({self.redact(words)})" if reason else self.redact(words)
            except BadResponse as exc:
                last = f"bad response ({self.redact(str(exc))})"
            else:
                status = response.status_code
                if status == 200:
                    return response
                if status not in self.retry_statuses:
                    snippet = self.redact(response.text)
                    hint = f"; {HINTS[status]}" if status in HINTS else ""
                    raise ProviderError(f"{self.where(url)}: HTTP {status}: {snippet!r}{hint}")
                last = f"HTTP {status}"
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            delay = retry_after
            if delay is None:
                delay = backoff_seconds(attempts - 1, self._rng)
            if deadline:
                # Transient faults are retried while the answer has time left, not a count.
                left = deadline - time.monotonic()
                if retry_after is None:
                    delay = min(delay, left / 2)  # leave time for the attempt itself
                if left <= delay or left < MIN_ATTEMPT_S:
                    last += f"; deadline_s {self.spec.deadline_s:g} reached"
                    break
            elif attempts > self.spec.max_retries:
                break
            time.sleep(delay)
        raise ProviderError(f"{self.where(url)}: {last} after {attempts} attempts")

    def malformed(self, response: Response, what: str = "malformed response") -> str:
        """The message for a 200 response that is not the shape the API promises."""
        return f"{self.where()}: {what}: {self.redact(response.text)!r}"

    def close(self) -> None:
        self.session.close()
