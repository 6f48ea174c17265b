"""Secrets never leave the process: one registry of secret values, masked as *** wherever text goes out.

Configuration registers every secret it reads (private key, passwords, API keys, webhook URLs,
JSON-RPC URLs that may carry an API key). Log handlers carry SecretMaskingFilter; HTTP answers,
`show-config` and error messages pass through mask(). A leaf module: anyone may import it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit, urlunsplit

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
# What a secret is replaced with when not ***, by lower-cased secret: a node URL becomes its redacted form.
_replacements: dict[str, str] = {}
_pattern: re.Pattern | None = None
# Every secret lower-cased and UTF-8 encoded, for mask_bytes's pre-check; None if one is not ASCII.
_ascii_needles: tuple[bytes, ...] | None = None

_generation = 0  # counts changes of the registry: what was masked before a change may need masking again


def secrets_generation() -> int:
    """Changes whenever a secret is registered (a cache of masked text is valid for one generation)."""
    return _generation


# Shorter values would mask ordinary words ("true", port numbers); no real secret is this short.
MIN_SECRET_LENGTH = 6


def register_secret(value: str | None, *, replacement: str = MASK) -> None:
    """Remember a value to mask (as ``replacement``); a 0x-prefixed key is masked with and without its prefix."""
    global _pattern, _ascii_needles, _generation
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    values = {value}
    if value.lower().startswith("0x") and len(value) > MIN_SECRET_LENGTH + 2:
        values.add(value[2:])
    with _lock:
        if values <= _secrets:
            return
        _secrets.update(values)
        if replacement != MASK:
            _replacements.update((v.lower(), replacement) for v in values)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first, so a prefix never half-masks
        # Needles before the pattern: mask_bytes reads the pattern first, so it never pairs a new pattern with old needles.
        _ascii_needles = tuple(s.lower().encode("ascii") for s in ordered) if all(s.isascii() for s in ordered) else None
        _pattern = re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)
        _generation += 1


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
                register_url(url)


def register_url(url: str) -> None:
    """Register a node URL's secret parts in every form an error or log line may show them.

    requests and urllib3 rarely print the whole URL: "Max retries exceeded with url: /v3/KEY",
    '"POST /v3/KEY HTTP/1.1" 200'; they re-quote it, or show it decoded. So the path, the query,
    the user part, each key-like piece of them, and their URL-encoded and decoded forms are all
    masked. The whole URL is shown redacted (scheme and host stay: they tell which node it was).
    """
    redacted = redact_url(url)
    if redacted == url:
        return
    register_secret(url, replacement=redacted)
    for piece in _secret_pieces(url):
        for form in {piece, quote(piece, safe=""), quote(piece, safe="/"), quote_plus(piece), unquote(piece), unquote_plus(piece)}:
            register_secret(form)


def _secret_pieces(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    pieces: list[str] = []
    if parts.path not in ("", "/"):
        pieces += [parts.path, *(segment for segment in parts.path.split("/") if _key_like(segment))]
    if parts.query:
        pieces.append(parts.query)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            pieces.append(f"{name}={value}")
            if _key_like(value):
                pieces.append(value)
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        pieces += [userinfo, password] + ([user] if _key_like(user) else [])
    return pieces


def _key_like(text: str) -> bool:
    """An API key rather than a word of the URL ("v3", "mainnet"): long, or letters mixed with digits."""
    return len(text) >= 24 or (len(text) >= 8 and any(c.isdigit() for c in text) and any(c.isalpha() for c in text))


def mask(text: str) -> str:
    """The text with every registered secret replaced by *** (a node URL by its redacted form)."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    if not _replacements:
        return pattern.sub(MASK, text)
    return pattern.sub(_replacement, text)


def _replacement(match: re.Match) -> str:
    return _replacements.get(match.group(0).lower(), MASK)


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
    masked, count = pattern.subn(_replacement if _replacements else MASK, text)
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
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> None:
    """Mask a record's message, exception text and stack in place (a record that cannot be formatted is left to its handler)."""
    if _pattern is None:
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - bad arguments: logging itself reports them when a handler formats the record
        return
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)


_masking_installed = False


def install_masking() -> None:
    """Mask every log record as it is made, and uncaught exceptions as they are printed.

    Handler filters mask what our handlers write; this also covers handlers added later and by
    libraries, and the tracebacks Python prints for an exception no one caught (in any thread).
    """
    global _masking_installed
    with _lock:
        if _masking_installed:
            return
        _masking_installed = True
    make_record = logging.getLogRecordFactory()

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(masked_record)
    sys.excepthook = _print_masked_exception
    threading.excepthook = _print_masked_thread_exception


def _print_masked_exception(exc_type, exc, tb) -> None:
    sys.stderr.write(mask("".join(traceback.format_exception(exc_type, exc, tb))))


def _print_masked_thread_exception(args) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    sys.stderr.write(mask(f"Exception in thread {name}:\n" + "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))))


def _reset_for_tests() -> None:
    global _pattern, _ascii_needles, _generation
    with _lock:
        _generation += 1
        _secrets.clear()
        _replacements.clear()
        _pattern = None
        _ascii_needles = None
