"""Secrets never leave the process: one registry of secret values, masked as *** wherever text goes out.

Configuration registers every secret it reads (private key, passwords, API keys, webhook URLs,
JSON-RPC URLs that may carry an API key). Log handlers carry SecretMaskingFilter; HTTP answers,
`show-config` and error messages pass through mask(). A leaf module: anyone may import it.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Environment variables whose whole value is a secret.
SECRET_VARIABLES = frozenset(
    {
        "PRIVATE_KEY",
        "KEYSTORE_PASSWORD",
        "HTTP_PASSWORD",
        "TELEGRAM_API_KEY",
        "DISCORD_WEBHOOK_URL",
        "TRADING_STRATEGY_API_KEY",
    }
)
# Variables holding URLs whose path, query or user part may carry a key (node providers put it there).
URL_VARIABLE_PREFIXES = ("JSON_RPC_",)

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern | None = None
# Every secret lower-cased and UTF-8 encoded, for mask_bytes's pre-check; None if one is not ASCII.
_ascii_needles: tuple[bytes, ...] | None = None

# Shorter values would mask ordinary words ("true", port numbers); no real secret is this short.
MIN_SECRET_LENGTH = 6


def register_secret(value: str | None) -> None:
    """Remember a value to mask; a 0x-prefixed key is masked with and without its prefix."""
    global _pattern, _ascii_needles
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    values = {value}
    if value.lower().startswith("0x") and len(value) > MIN_SECRET_LENGTH + 2:
        values.add(value[2:])
    with _lock:
        if values <= _secrets:
            return
        _secrets.update(values)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first, so a prefix never half-masks
        # Needles before the pattern: mask_bytes reads the pattern first, so it never pairs a new pattern with old needles.
        _ascii_needles = tuple(s.lower().encode("ascii") for s in ordered) if all(s.isascii() for s in ordered) else None
        _pattern = re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)


def is_secret_variable(name: str) -> bool:
    return name in SECRET_VARIABLES or name.endswith(("_PASSWORD", "_PRIVATE_KEY", "_API_KEY", "_SECRET", "_TOKEN"))


def register_environment(environ: dict[str, str]) -> None:
    """Register the secret values of an environment (variables named as secrets, URLs with keys)."""
    for name, value in environ.items():
        if not value:
            continue
        if is_secret_variable(name):
            register_secret(value)
        elif name.startswith(URL_VARIABLE_PREFIXES):
            for url in value.split():
                redacted = redact_url(url)
                if redacted != url:
                    register_secret(url)


def mask(text: str) -> str:
    """The text with every registered secret replaced by ***."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_bytes(data: bytes) -> bytes:
    """UTF-8 ``data`` with every registered secret replaced by ***; ``data`` itself when none occurs.

    A fast path for large documents (the webhook's 14 MB state): the case-insensitive regex holds
    the GIL for ~0.2 s over such a document, while lower-casing the bytes and searching for each
    secret takes a few milliseconds. ASCII case folding equals the regex's only when both the
    secrets and the text are ASCII, so anything else goes straight to the regex.
    """
    pattern = _pattern
    needles = _ascii_needles
    if pattern is None or not data:
        return data
    if needles is not None and data.isascii():
        lowered = data.lower()
        if not any(needle in lowered for needle in needles):
            return data
    text = data.decode("utf-8")
    masked, count = pattern.subn(MASK, text)
    return masked.encode("utf-8") if count else data


def show_value(name: str, value: str | None) -> str:
    """How a configuration value may be shown: *** for secrets, URLs without their key parts."""
    if value is None or value == "":
        return "" if value is None else value
    if is_secret_variable(name):
        return MASK
    if name.startswith(URL_VARIABLE_PREFIXES):
        return " ".join(redact_url(url) for url in value.split())
    return mask(value)


def redact_url(url: str) -> str:
    """Scheme and host only: node providers put API keys in the path, query or user part."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return MASK if url else url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{MASK}@{host}"
    path = "/" + MASK if parts.path not in ("", "/") else parts.path
    query = MASK if parts.query else ""
    return urlunsplit((parts.scheme, host, path, query, ""))


class SecretMaskingFilter(logging.Filter):
    """Masks registered secrets in a log record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _pattern is None:
            return True
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def _reset_for_tests() -> None:
    global _pattern, _ascii_needles
    with _lock:
        _secrets.clear()
        _pattern = None
        _ascii_needles = None
