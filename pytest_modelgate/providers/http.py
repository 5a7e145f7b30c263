"""JSON over HTTP for the API providers: one pooled session, timeouts, retries.

Shared by ``openai`` and ``anthropic``: a ``requests.Session`` per model (its
connections reused by the worker threads), connect/read timeouts, and retries
with full-jitter exponential backoff that honour ``Retry-After``. Errors name
the model and the URL (without credentials); the key lives only in a header and
is redacted from any response text an error quotes.
"""

from __future__ import annotations

import email.utils
import itertools
import os
import random
import time
import urllib.parse
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ..schema import ModelSpec
from . import ProviderError

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
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
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
        # requests would reject the header and quote it, key included, in its error.
        raise ProviderError(
            f"model {spec.name!r}: the value of {spec.api_key_env} has surrounding "
            "whitespace or a line break; store the key without them"
        )
    return key


def http_base_url(spec: ModelSpec, base_url: str | None) -> str:
    if not base_url or not base_url.startswith(("http://", "https://")):
        raise ProviderError(
            f"model {spec.name!r}: base_url must be an http(s) URL, got {base_url!r}"
        )
    return base_url.rstrip("/")


class JSONEndpoint:
    """POSTs JSON bodies for one model and returns the 200 responses.

    With ``replicas`` (more URLs serving the same model) attempts go round-robin, so
    load spreads and a retry lands on another replica than the one that failed.
    ``secret`` is the value to redact from quoted response text (the API key).
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
        self._secret = secret
        self._rng = random.Random()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=spec.concurrency, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(headers)

    def where(self, url: str | None = None) -> str:
        return f"model {self.spec.name!r} at {public_url(url or self.url)}"

    def redact(self, text: str) -> str:
        # Redact before truncating, so no prefix of the key can survive the cut.
        text = text.replace(self._secret, "***") if self._secret else text
        return text[:SNIPPET_CHARS]

    def post(self, body: Mapping[str, Any]) -> requests.Response:
        """The first 200 response; retries what is worth retrying, else ProviderError."""
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
            read = self.spec.timeout_s
            if deadline:  # no single attempt may outlast the deadline either
                read = max(0.001, min(read, deadline - time.monotonic()))
            timeout = (min(10.0, read), read)
            attempts += 1
            try:
                response = self.session.post(url, json=body, timeout=timeout)
            except requests.Timeout:
                last = f"timed out after {read:.3g} s"
                continue
            except requests.ConnectionError as exc:
                last = f"cannot connect ({type(exc).__name__})"
                continue
            except requests.RequestException as exc:
                # Not retried, and never str(exc): some requests errors quote the headers.
                raise ProviderError(
                    f"{self.where(url)}: request failed ({type(exc).__name__})"
                ) from None
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

    def malformed(self, response: requests.Response, what: str = "malformed response") -> str:
        """The message for a 200 response that is not the shape the API promises."""
        return f"{self.where()}: {what}: {self.redact(response.text)!r}"

    def close(self) -> None:
        self.session.close()
