"""host:port settings (STATSD_HOST, LOGSTASH_SERVER) read once, with one clear error when malformed."""

from __future__ import annotations

from trade_executor.errors import ConfigurationError


def parse_host_port(value: str, variable: str, default_port: int | None = None) -> tuple[str, int]:
    """``host:port`` (or ``host`` alone when there is a default port) from the setting ``variable``."""
    host, colon, port = value.strip().rpartition(":")
    if not colon:
        host, port = value.strip(), ""
    if not port and default_port is not None:
        port = str(default_port)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        form = "host or host:port" if default_port is not None else "host:port"
        raise ConfigurationError(f"{variable}={value!r} is not {form} (for example 127.0.0.1:{default_port or 5000}).")
    return host, int(port)
