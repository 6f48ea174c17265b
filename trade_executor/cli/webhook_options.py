"""Options of the webhook HTTP server and the executor's public metadata (`start`, live only)."""

from __future__ import annotations

from typing import Annotated

import typer


def _opt(name: str, env: str, help: str, **kw):
    return typer.Option(name, envvar=env, show_envvar=True, help=help, **kw)


HttpEnabled = Annotated[bool, _opt("--http-enabled", "HTTP_ENABLED", "Serve the webhook HTTP API and dashboard while trading live (/ping, /status, /state, /logs, /metrics, dashboard at /).")]
HttpPort = Annotated[int, _opt("--http-port", "HTTP_PORT", "TCP port of the webhook server.", min=0, max=65535)]
HttpHost = Annotated[str, _opt("--http-host", "HTTP_HOST", "Address the webhook server listens on; 0.0.0.0 for every interface (in Docker), which needs HTTP_USERNAME and HTTP_PASSWORD. Default: this machine only.")]
HttpUsername = Annotated[str | None, _opt("--http-username", "HTTP_USERNAME", "Require HTTP Basic authentication with this username (every path but /ping). Needs HTTP_PASSWORD.")]
HttpPassword = Annotated[str | None, _opt("--http-password", "HTTP_PASSWORD", "Password for HTTP Basic authentication. Never printed.", show_default=False)]
HttpCorsOrigins = Annotated[str | None, _opt("--http-cors-origins", "HTTP_CORS_ORIGINS", "Web origins allowed to read the API from a browser, comma separated (https://a.example,https://b.example). Default: none.")]
ExecutorId = Annotated[str | None, _opt("--executor-id", "EXECUTOR_ID", "Identifier of this executor, shown on /metadata and in metrics.")]
Name = Annotated[str | None, _opt("--name", "NAME", "Human-readable name of the strategy, shown on /metadata and the dashboard. Default: the strategy id.")]
ShortDescription = Annotated[str | None, _opt("--short-description", "SHORT_DESCRIPTION", "One line about the strategy, for /metadata and the dashboard.")]
LongDescription = Annotated[str | None, _opt("--long-description", "LONG_DESCRIPTION", "A longer description of the strategy, for /metadata.")]
IconUrl = Annotated[str | None, _opt("--icon-url", "ICON_URL", "URL of the strategy's icon, for /metadata and the dashboard.")]
