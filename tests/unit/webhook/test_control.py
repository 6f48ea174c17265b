"""POST /control/... over a real uvicorn: refused without credentials, queued (202) with them, the outcome on /status."""

from __future__ import annotations

import datetime

import httpx

from trade_executor.runner.control import ControlQueue
from trade_executor.state.control import ControlRecord, Pause
from trade_executor.webhook import StatusTracker, WebhookConfig, models

from .conftest import FakeClock, make_state, run_through_cycle

AUTH = ("alice", "a-long-password")
PATHS = ("/control/pause", "/control/resume", "/control/close-position/7", "/control/close-all")


def test_without_credentials_the_control_endpoints_are_off_and_say_how_to_turn_them_on(tracker, serve):
    queue = ControlQueue()
    url = serve(tracker, control=queue)
    for path in PATHS:
        answer = httpx.post(url + path)
        assert answer.status_code == 403
        assert "need HTTP_USERNAME and HTTP_PASSWORD" in answer.json()["detail"]
    assert len(queue) == 0 and httpx.get(url + "/status").json()["control_enabled"] is False


def test_a_command_is_queued_for_the_trader_and_its_outcome_shows_on_status(serve):
    tracker = StatusTracker(clock=FakeClock(), version="9.9.9", control_enabled=True)
    state = make_state()
    run_through_cycle(tracker, state)
    queue = ControlQueue()
    url = serve(tracker, WebhookConfig(username=AUTH[0], password=AUTH[1]), control=queue)
    assert httpx.post(url + "/control/pause").status_code == 401
    assert httpx.post(url + "/control/close-position/x", auth=AUTH).status_code == 422

    answer = httpx.post(url + "/control/pause", auth=AUTH)
    assert answer.status_code == 202
    body = answer.json()
    (command,) = [queue.next()]
    assert body == {"command_id": command.command_id, "action": "pause", "position_id": None, "status": "queued", "detail": body["detail"]}
    assert command.requested_by == "alice (webhook, 127.0.0.1)"
    (row,) = httpx.get(url + "/status", auth=AUTH).json()["control_commands"]
    assert (row["command_id"], row["status"], row["executed_at"]) == (command.command_id, "queued", None)

    # The trader ran it (what ControlRunner does on its thread): /status says done and paused.
    done_at = datetime.datetime(2026, 1, 5, 6)
    state.live.pause = Pause(done_at, command.requested_by)
    tracker.control_executed(ControlRecord(command.command_id, "pause", command.requested_by, command.requested_at, done_at, "done", "Paused."), state)
    status = httpx.get(url + "/status", auth=AUTH).json()
    assert (status["paused"], status["paused_by"], status["control_enabled"]) == (True, "alice (webhook, 127.0.0.1)", True)
    (row,) = status["control_commands"]
    assert (row["status"], row["message"], row["executed_at"]) == ("done", "Paused.", done_at.replace(tzinfo=datetime.UTC).timestamp())
    models.Status.model_validate(status)


def test_no_command_is_taken_once_the_executor_has_stopped(serve):
    tracker = StatusTracker(clock=FakeClock(), version="9.9.9", control_enabled=True)
    state = make_state()
    run_through_cycle(tracker, state)
    tracker.crashed(RuntimeError("node gone"), state)
    queue = ControlQueue()
    answer = httpx.post(serve(tracker, WebhookConfig(username=AUTH[0], password=AUTH[1]), control=queue) + "/control/close-all", auth=AUTH)
    assert answer.status_code == 409 and "The executor stopped (RuntimeError)" in answer.json()["detail"]
    assert len(queue) == 0
