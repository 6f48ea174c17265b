"""What operators did to a running executor through the webhook's control endpoints, kept in the state.

The record is the audit trail: who asked (the webhook's user), when, for what, and what came of it.
The pause lives here too, so a restarted executor stays paused until someone resumes it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(slots=True)
class ControlRecord:
    """One control command, as the trader ran it.

    ``outcome`` is ``done`` (it ran), ``refused`` (nothing to do, or a safety rule said no: ``message``
    says why) or ``failed`` (some of it ran: ``message`` says what did not).
    """

    command_id: str
    action: str
    requested_by: str
    requested_at: datetime.datetime
    executed_at: datetime.datetime
    outcome: str
    message: str = ""
    position_id: int | None = None
    trade_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Pause:
    """No new positions while set: buys the strategy returns are recorded as skipped, sells go on."""

    paused_at: datetime.datetime
    paused_by: str
