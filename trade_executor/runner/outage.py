"""Ride out a node that stops answering: outages of seconds or minutes are normal on a real chain.

A cycle or trigger check that fails because the node does not answer (connection refused, a
timeout, HTTP 5xx) is tried again, with back-off, until the node answers or the outage has lasted
longer than the budget (RPC_OUTAGE_TOLERANCE_SECONDS). Before each retry the trader resolves its
unfinished trades from the chain (receipts first): a signed transaction is never sent again
without that check. One warning and one notification when the outage starts, one when it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import requests

from trade_executor.errors import StopError

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_TOLERANCE_SECONDS = 300.0
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0


class NodeOutageTooLong(StopError):
    """The node has not answered for longer than the outage budget."""


class OutageStopped(Exception):
    """A stop was asked for (SIGTERM) while waiting for the node to come back."""


def is_node_outage(error: BaseException) -> bool:
    """The node did not answer (as opposed to answering with an error): worth waiting for."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, requests.HTTPError):
            response = error.response
            return response is None or response.status_code >= 500 or response.status_code == 429
        if isinstance(error, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


class OutageBudget:
    """Retries a step through node outages up to ``tolerance_seconds``; see the module."""

    def __init__(
        self,
        tolerance_seconds: float,
        node: str,
        *,
        on_started: Callable[[BaseException], None],
        on_ended: Callable[[float], None],
        wait: Callable[[float], bool],
        clock: Callable[[], float] = time.monotonic,
    ):
        """``wait(seconds)`` sleeps and returns True when a stop was asked for; ``node`` is the redacted URL."""
        self.tolerance_seconds = tolerance_seconds
        self.node = node
        self.on_started = on_started
        self.on_ended = on_ended
        self.wait = wait
        self.clock = clock
        self.since: float | None = None

    def call(self, step: Callable[[], T], before_retry: Callable[[], None]) -> T:
        """``step()``; after an outage, ``before_retry()`` and ``step()`` again, until they succeed or the budget is spent."""
        delay = FIRST_DELAY_SECONDS
        retrying = False
        while True:
            try:
                if retrying:
                    before_retry()
                result = step()
            except Exception as error:
                if not is_node_outage(error):
                    raise
                self._waiting(error, delay)
                delay = min(delay * 2, MAX_DELAY_SECONDS)
                retrying = True
                continue
            if self.since is not None:
                lasted = self.clock() - self.since
                self.since = None
                logger.warning("The node at %s answers again after %.0f s; trading goes on.", self.node, lasted)
                self.on_ended(lasted)
            return result

    def _waiting(self, error: Exception, delay: float) -> None:
        now = self.clock()
        if self.since is None:
            self.since = now
            logger.warning(
                "The node at %s does not answer (%s); retrying for up to %.0f s (RPC_OUTAGE_TOLERANCE_SECONDS).",
                self.node, type(error).__name__, self.tolerance_seconds,
            )
            self.on_started(error)
        lasted = now - self.since
        if lasted > self.tolerance_seconds:
            raise NodeOutageTooLong(
                f"The node at {self.node} has not answered for {lasted:.0f} s, more than RPC_OUTAGE_TOLERANCE_SECONDS={self.tolerance_seconds:g}: "
                "trading stopped. Check the node (or list a fallback node after it in the JSON_RPC_ variable), then start again: "
                "unfinished trades are resolved from the chain at start."
            ) from error
        if self.wait(min(delay, self.tolerance_seconds - lasted + 0.01)):
            raise OutageStopped("stopped while waiting for the node")
