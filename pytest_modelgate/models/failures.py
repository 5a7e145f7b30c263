"""What a failed attempt means, from the exceptions ``requests`` and urllib3 raise: worth
another try or not, and the words an error gives people (what happened, what to fix)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

from requests.exceptions import ChunkedEncodingError, ContentDecodingError
from urllib3.exceptions import (
    DecodeError,
    IncompleteRead,
    InvalidChunkLength,
    ProtocolError,
    ProxyError,
)


class BadResponse(Exception):
    """An answer that is not well-formed HTTP; worth another try."""


class Permanent(Exception):
    """A failure another try would meet again: said at once, not after backoff."""


HINTS = {
    400: "the server refused the request: check the model's params and model name",
    401: "the server refused the credentials: check the key in api_key_env",
    403: "the key may not use this model or endpoint: check api_key_env and model",
    404: "nothing at this URL: check base_url (for openai, up to and including /v1) and model",
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests and urllib3 keep the cause in ``args`` or
    ``reason``, the standard library in ``__cause__``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        inner = [a for a in current.args if isinstance(a, BaseException)]
        if isinstance(reason, BaseException):
            current = reason
        elif inner:
            current = inner[-1]
        else:
            current = current.__cause__


def describe_failure(exc: BaseException) -> tuple[type[Exception], str]:
    """What an attempt's exception means: ``Permanent``, ``BadResponse`` (the server
    answered, but not well-formed HTTP) or ``OSError`` (no connection), and the words."""
    chain = list(_causes(exc))
    root = chain[-1]
    for each in chain:
        if isinstance(each, ssl.SSLCertVerificationError):
            return Permanent, (
                f"cannot connect ({type(each).__name__}: {each}): the server's certificate "
                "is not trusted; name the CA that signed it in REQUESTS_CA_BUNDLE"
            )
    answered = any(
        isinstance(e, (ProtocolError, DecodeError, ChunkedEncodingError, ContentDecodingError))
        for e in chain
    )
    if not answered:
        through = " through the proxy" if any(isinstance(e, ProxyError) for e in chain) else ""
        return OSError, f"cannot connect{through} ({type(root).__name__}: {root})"
    if isinstance(root, (ConnectionResetError, IncompleteRead)) or (
        isinstance(root, OSError) and not str(root)
    ):
        return BadResponse, "connection closed mid-response"
    if isinstance(root, InvalidChunkLength):
        return BadResponse, "malformed response framing"
    line = getattr(root, "line", None)  # http.client's BadStatusLine
    if isinstance(line, str):
        if line.startswith("HTTP/"):
            return BadResponse, "malformed response framing"
        return BadResponse, "not an HTTP/1.x response"
    return BadResponse, str(root) or type(root).__name__
