"""Secrets a run has seen, and the one redactor every written file and printed line goes through.

A secret is a value, not a key: the API key an ``api_key_env`` names, a password in a
``base_url`` (or a replica's), the credentials in a proxy variable, and the value of every
``${VAR}`` a gate file expands whose name says it is secret (``OPENAI_API_KEY``, ``HF_TOKEN``,
``DB_PASSWORD``...), wherever the file put it (``params``, ``options``). Gate files should
never need the last kind, but when one does, the value still never reaches a report.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path

from pytest_modelgate.config.source import ENV_REFERENCE
from pytest_modelgate.config.specs import GateFile

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE", re.I)
PROXY_VARIABLES = tuple(
    v for n in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY") for v in (n, n.lower())
)
# Shorter values would blank out ordinary words and numbers; no real credential is this short.
MIN_LENGTH = 4
MASK = "***"


class Redactor:
    """Replaces every secret it has been told of with ``***``. Thread-safe; grows as gate
    files load, so a value learnt late is still redacted from everything written after."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_LENGTH}
        with self._lock:
            # Longest first: a secret that contains another is replaced whole.
            self._values = tuple(sorted(fresh | set(self._values), key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text


def url_credentials(url: str | None) -> list[str]:
    """The password in ``url`` as written and decoded, and the Basic token made from it."""
    if not url:
        return []
    try:
        parts = urllib.parse.urlsplit(url)
        password = parts.password
    except ValueError:  # a malformed URL is reported elsewhere; it holds nothing we can parse
        return []
    if not password:
        return []
    user = urllib.parse.unquote(parts.username or "")
    plain = urllib.parse.unquote(password)
    token = base64.b64encode(f"{user}:{plain}".encode()).decode()
    return [password, plain, token]


def environment_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Proxy credentials: requests sends them to the proxy, and a proxy's error may echo them."""
    env = os.environ if environ is None else environ
    return [value for name in PROXY_VARIABLES for value in url_credentials(env.get(name))]


def gate_secrets(gate: GateFile, environ: Mapping[str, str] | None = None) -> list[str]:
    """The secret values a gate file brings: its models' keys and URL passwords, and every
    secret-named variable its text expands."""
    found = text_secrets(gate.path, environ)
    for spec in gate.models.values():
        found += _values([spec.api_key_env] if spec.api_key_env else [], environ)
        for url in (spec.base_url, *spec.replicas):
            found += url_credentials(url)
    return found


def text_secrets(path: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """What a gate file's text expands from secret-named variables or names as a key, known
    before (and whether or not) it parses, so its collection errors are redacted too."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")  # bad bytes: reported elsewhere
    except OSError:  # read at collection already; gone since: its models still name keys
        return []
    names = {m.group(1) for m in ENV_REFERENCE.finditer(text) if SECRET_NAME.search(m.group(1))}
    names |= set(_API_KEY_ENV.findall(text))
    return _values(sorted(names), environ)


_API_KEY_ENV = re.compile(r"api_key_env:\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)")


def _values(names: Iterable[str], environ: Mapping[str, str] | None) -> list[str]:
    env = os.environ if environ is None else environ
    return [env[name] for name in names if env.get(name)]
