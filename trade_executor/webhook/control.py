"""POST /control/...: queue a command for the trader and answer 202; /status shows what came of it.

The route never touches the State: it puts a command in the trader's queue (runner/control.py) and
adds a "queued" row to the snapshot. The trader runs it between two steps and reports the outcome
(StatusTracker.control_executed). Control needs HTTP_USERNAME and HTTP_PASSWORD: without them anyone
who reaches the port could sell the portfolio, so the endpoints answer 403 saying so. A browser
request from another site (an Origin header that is not this server) is refused too: a browser
sends the cached Basic credentials with a cross-site form post.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from fastapi import Path, Request
from fastapi.responses import JSONResponse

from trade_executor.runner.control import ControlCommand, ControlQueue
from trade_executor.secrets import mask
from trade_executor.state import State
from trade_executor.state.control import ControlRecord
from trade_executor.webhook import models
from trade_executor.webhook.config import WebhookConfig
from trade_executor.webhook.snapshot import unix_seconds

RECENT_COMMANDS = 20
NO_STORE = {"cache-control": "no-store"}


def command_row(command: ControlCommand) -> dict:
    return {
        "command_id": command.command_id, "action": command.action, "position_id": command.position_id, "requested_by": command.requested_by,
        "requested_at": unix_seconds(command.requested_at), "status": "queued", "message": None, "executed_at": None, "trade_ids": [],
    }


def record_row(record: ControlRecord) -> dict:
    return {
        "command_id": record.command_id, "action": record.action, "position_id": record.position_id, "requested_by": record.requested_by,
        "requested_at": unix_seconds(record.requested_at), "status": record.outcome, "message": mask(record.message),
        "executed_at": unix_seconds(record.executed_at), "trade_ids": list(record.trade_ids),
    }


def with_row(rows: tuple[dict, ...], row: dict) -> tuple[dict, ...]:
    """``row`` in place of the row of the same command, or first; the newest RECENT_COMMANDS."""
    others = tuple(r for r in rows if r["command_id"] != row["command_id"])
    if len(others) < len(rows):
        return tuple(row if r["command_id"] == row["command_id"] else r for r in rows)
    return (row, *others)[:RECENT_COMMANDS]


def pause_of(state: State) -> dict | None:
    pause = state.live.pause if state.live is not None else None
    return {"since": unix_seconds(pause.paused_at), "by": pause.paused_by} if pause is not None else None


def recent_rows(state: State) -> tuple[dict, ...]:
    log = state.live.control_log if state.live is not None else []
    return tuple(record_row(r) for r in reversed(log[-RECENT_COMMANDS:]))


def refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=NO_STORE)


class ControlRoutes:
    def __init__(self, tracker, queue: ControlQueue | None, config: WebhookConfig):
        self.tracker = tracker
        self.queue = queue
        self.config = config

    async def pause(self, request: Request) -> JSONResponse:
        return self._submit(request, "pause")

    async def resume(self, request: Request) -> JSONResponse:
        return self._submit(request, "resume")

    async def close_position(self, request: Request, position_id: int = Path(description="The position's number, as /portfolio and show-positions list it.")) -> JSONResponse:
        return self._submit(request, "close-position", position_id)

    async def close_all(self, request: Request) -> JSONResponse:
        return self._submit(request, "close-all")

    def _submit(self, request: Request, action: str, position_id: int | None = None) -> JSONResponse:
        if not self.config.auth_enabled:
            return refuse(403, "Control endpoints are off: they need HTTP_USERNAME and HTTP_PASSWORD (without them anyone who reaches the port could "
                               "sell the portfolio). Fix: set both in the secret env file and restart the executor.")
        if self.queue is None:
            return refuse(503, "This server has no trader to control.")
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            return refuse(403, f"A browser request from another site ({origin}) cannot control the executor. Use the dashboard on this server, or curl.")
        snapshot = self.tracker.snapshot
        if snapshot.exception is not None and not snapshot.executor_running:
            return refuse(409, f"The executor stopped ({snapshot.exception['type']}): no command can run. Read /status, fix the cause and start it again.")
        client = request.client.host if request.client else "?"
        command = self.queue.submit(action, f"{self.config.username} (webhook, {client})", position_id)
        self.tracker.control_queued(command)
        return JSONResponse(
            {
                "command_id": command.command_id, "action": action, "position_id": position_id, "status": "queued",
                "detail": "Queued: the trader runs it after its current step. GET /status shows the outcome under control_commands.",
            },
            status_code=202, headers=NO_STORE,
        )


def add_control_routes(app, tracker, queue: ControlQueue | None, config: WebhookConfig) -> None:
    routes = ControlRoutes(tracker, queue, config)
    answers = {403: {"model": models.Problem, "description": "Control is off (no HTTP_USERNAME/HTTP_PASSWORD), or a cross-site request"}, 409: {"model": models.Problem, "description": "The executor has stopped"}}
    add = functools.partial(app.add_api_route, methods=["POST"], status_code=202, response_model=models.ControlQueued, responses=answers)
    add("/control/pause", routes.pause, summary="Pause: no new positions; stop losses, take profits and sells go on")
    add("/control/resume", routes.resume, summary="End the pause")
    add("/control/close-position/{position_id}", routes.close_position, summary="Sell one open position now (a cycle's safety rules apply)")
    add("/control/close-all", routes.close_all, summary="Sell every open position now (a cycle's safety rules apply)")
