"""``openai``: any OpenAI-compatible ``/v1/chat/completions`` server.

One pooled ``requests.Session`` per model (connections are reused across the
worker threads), connect/read timeouts, and retries with exponential backoff
and jitter that honour ``Retry-After`` on 429 and 5xx. Errors name the model
and the URL; the key is only ever placed in the Authorization header.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ..schema import ModelSpec
from . import Completion, Message, ProviderContext, ProviderError, describe_spec

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


class OpenAICompatibleProvider:
    endpoint = "/chat/completions"

    def __init__(
        self, spec: ModelSpec, context: ProviderContext, base_url: str | None = None
    ) -> None:
        self.spec = spec
        self.aggregate_scores = None
        base = base_url or spec.base_url
        if not base or not base.startswith(("http://", "https://")):
            raise ProviderError(
                f"model {spec.name!r}: base_url must be an http(s) URL, got {base!r}"
            )
        self.url = base.rstrip("/") + self.endpoint
        self._key = self._read_key(spec)
        self._rng = random.Random()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=spec.concurrency, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if self._key:
            self.session.headers["Authorization"] = f"Bearer {self._key}"

    @staticmethod
    def _read_key(spec: ModelSpec) -> str | None:
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

    def _where(self) -> str:
        return f"model {self.spec.name!r} at {public_url(self.url)}"

    def _redact(self, text: str) -> str:
        # Redact before truncating, so no prefix of the key can survive the cut.
        text = text.replace(self._key, "***") if self._key else text
        return text[:SNIPPET_CHARS]

    def complete(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        body = {"model": self.spec.model or self.spec.name, "messages": list(messages), **params}
        timeout = (min(10.0, self.spec.timeout_s), self.spec.timeout_s)
        last, delay = "no attempt made", 0.0
        for attempt in range(self.spec.max_retries + 1):
            if attempt:
                time.sleep(delay)
            delay = backoff_seconds(attempt, self._rng)
            try:
                response = self.session.post(self.url, json=body, timeout=timeout)
            except requests.Timeout:
                last = f"timed out after {self.spec.timeout_s:g} s"
                continue
            except requests.ConnectionError as exc:
                last = f"cannot connect ({type(exc).__name__})"
                continue
            except requests.RequestException as exc:
                # Not retried, and never str(exc): some requests errors quote the headers.
                raise ProviderError(
                    f"{self._where()}: request failed ({type(exc).__name__})"
                ) from None
            if response.status_code in RETRY_STATUSES:
                last = f"HTTP {response.status_code}"
                after = retry_after_seconds(response.headers.get("Retry-After"))
                delay = after if after is not None else delay
                continue
            if response.status_code != 200:
                raise ProviderError(
                    f"{self._where()}: HTTP {response.status_code}: {self._redact(response.text)!r}"
                )
            return self._parse(response)
        raise ProviderError(f"{self._where()}: {last} after {self.spec.max_retries + 1} attempts")

    def _parse(self, response: requests.Response) -> Completion:
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError(
                f"{self._where()}: malformed response: {self._redact(response.text)!r}"
            ) from None
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(
                f"{self._where()}: empty or non-text content: {self._redact(response.text)!r}"
            )
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return Completion(text, {k: v for k, v in usage.items() if isinstance(v, int)})

    def describe(self) -> dict[str, Any]:
        return describe_spec(self.spec, base_url=public_url(self.url.removesuffix(self.endpoint)))

    def close(self) -> None:
        self.session.close()
