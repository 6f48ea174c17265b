"""What the webhook server needs to know, checked once at start so a bad setting never half-starts it."""

from __future__ import annotations

from dataclasses import dataclass, field

from trade_executor.errors import ConfigurationError

DEFAULT_PORT = 3456
DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class ExecutorMetadata:
    """How the executor presents itself on /metadata and the dashboard."""

    executor_id: str = ""
    name: str = ""
    short_description: str = ""
    long_description: str = ""
    icon_url: str = ""


@dataclass(frozen=True)
class WebhookConfig:
    """Where to listen and who may read. The password is kept out of repr so it never reaches a log."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cors_origins: tuple[str, ...] = ()
    metadata: ExecutorMetadata = field(default_factory=ExecutorMetadata)

    def __post_init__(self) -> None:
        if self.username and not self.password:
            raise ConfigurationError(
                f"HTTP_USERNAME={self.username} is set but HTTP_PASSWORD is empty: an empty password would let anyone in. "
                "Set HTTP_PASSWORD, or unset HTTP_USERNAME to serve without authentication."
            )
        if self.password and not self.username:
            raise ConfigurationError("HTTP_PASSWORD is set but HTTP_USERNAME is empty. Set HTTP_USERNAME too, or unset HTTP_PASSWORD.")
        if not self.auth_enabled and not is_loopback(self.host):
            raise ConfigurationError(
                f"HTTP_HOST={self.host} lets other machines reach the webhook, but HTTP_USERNAME and HTTP_PASSWORD are not set: anyone "
                "could read the state, the logs and the strategy's source. Fix: set HTTP_USERNAME and HTTP_PASSWORD (in the secret env file; "
                "every path but /ping then needs them), or HTTP_HOST=127.0.0.1 to serve this machine only."
            )
        if not 0 <= self.port <= 65535:
            raise ConfigurationError(f"HTTP_PORT={self.port} is not a TCP port. Use a number from 1 to 65535 (default {DEFAULT_PORT}; 0 picks a free port).")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigurationError(f"HTTP_CORS_ORIGINS has {origin!r}, not an origin. Use full origins such as https://example.com, separated by commas.")

    @property
    def auth_enabled(self) -> bool:
        return bool(self.username)


def is_loopback(host: str) -> bool:
    """This machine only: 127.0.0.0/8, ::1 or localhost (an empty host or 0.0.0.0 means every interface)."""
    name = host.strip().strip("[]").lower()
    return name in ("localhost", "::1") or name.startswith("127.")


def parse_origins(text: str | None) -> tuple[str, ...]:
    """HTTP_CORS_ORIGINS: comma separated; blanks and a trailing slash are tolerated."""
    if not text:
        return ()
    return tuple(origin.strip().rstrip("/") for origin in text.split(",") if origin.strip())
