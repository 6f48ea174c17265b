"""Keep the webhook from taking what the trader needs: file descriptors, memory, the event loop.

The server shares its process with the trader. Each open connection holds a file descriptor,
and a process that runs out of them cannot save its state, so the trader stops. uvicorn holds a
connection that never finishes its request head for ever (its keep-alive timeout starts only after
a first answer). So, here:

- connections are counted per client address as they are accepted, and one beyond
  ``per_client`` (or beyond ``total`` for all clients) is answered 503 and closed within the
  accept call itself: refused connections never pile up, whatever their number;
- a request head (request line and headers) must arrive within ``head_timeout`` seconds of the
  connection or of the previous answer, and within ``MAX_HEAD_BYTES``;
- an answer the client does not read for ``write_stall_timeout`` seconds ends the connection.

The limits are per process and need the asyncio event loop: it accepts through the listening
socket object (``GuardedListener.accept``), which uvloop does not.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections import Counter

from uvicorn.protocols.http.auto import AutoHTTPProtocol

logger = logging.getLogger(__name__)

MAX_CONNECTIONS = 64
MAX_CONNECTIONS_PER_CLIENT = 16
HEAD_TIMEOUT_SECONDS = 10.0
WRITE_STALL_TIMEOUT_SECONDS = 30.0
MAX_HEAD_BYTES = 64 * 1024
# File descriptors kept for the trader (node connections, the state file and its temporary, notifications, logs).
RESERVED_FILE_DESCRIPTORS = 128
REFUSALS_PER_ACCEPT = 64  # then back to the event loop, so a flood cannot keep it in accept()
REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\nretry-after: 5\r\nconnection: close\r\n\r\nToo many connections\n"


class ConnectionLimits:
    """Open connections by client address; used on the server's event loop thread only."""

    def __init__(self, total: int = MAX_CONNECTIONS, per_client: int = MAX_CONNECTIONS_PER_CLIENT,
                 head_timeout: float = HEAD_TIMEOUT_SECONDS, write_stall_timeout: float = WRITE_STALL_TIMEOUT_SECONDS):
        self.total = total
        self.per_client = per_client
        self.head_timeout = head_timeout
        self.write_stall_timeout = write_stall_timeout
        self.open: Counter[str] = Counter()
        self.refused = 0
        self._warned_at = float("-inf")

    def admit(self, client: str) -> bool:
        if self.open[client] >= self.per_client or sum(self.open.values()) >= self.total:
            self.refused += 1
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                logger.warning(
                    "Webhook: refusing connections (%d open from %s, %d in all; limits %d per client, %d in all); %d refused so far",
                    self.open[client], client, sum(self.open.values()), self.per_client, self.total, self.refused,
                )
            return False
        self.open[client] += 1
        return True

    def release(self, client: str) -> None:
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]


def limits_for_this_process() -> ConnectionLimits:
    """Raise the soft open-file limit to the hard one, and size the connection cap to leave the trader its reserve."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    total = MAX_CONNECTIONS if soft == resource.RLIM_INFINITY else max(8, min(MAX_CONNECTIONS, (soft - RESERVED_FILE_DESCRIPTORS) // 2))
    return ConnectionLimits(total=total, per_client=min(MAX_CONNECTIONS_PER_CLIENT, total))


class GuardedListener(socket.socket):
    """A listening socket whose accept() answers 503 and closes what the limits refuse, before the server sees it."""

    limits: ConnectionLimits

    def accept(self):
        for _ in range(REFUSALS_PER_ACCEPT):
            connection, address = super().accept()  # BlockingIOError when none is waiting: the loop waits again
            if self.limits.admit(_client(address)):
                return connection, address
            _refuse(connection)
        raise BlockingIOError("refused enough connections for one turn of the event loop")


def _client(address) -> str:
    return address[0] if isinstance(address, tuple) else str(address)


def _refuse(connection: socket.socket) -> None:
    try:
        connection.setblocking(False)
        connection.send(REFUSAL)
    except OSError:
        pass
    finally:
        connection.close()


def guarded_protocol(limits: ConnectionLimits) -> type:
    """uvicorn's HTTP protocol with the head timeout, head size limit and write-stall timeout, releasing its place on close."""
    return type("GuardedHTTPProtocol", (GuardedHTTPProtocol,), {"limits": limits})


class GuardedHTTPProtocol(AutoHTTPProtocol):
    limits: ConnectionLimits

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._client = _client(transport.get_extra_info("peername"))
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self.limits.release(self._client)
        for timer in (self._head_timer, self._stall_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        waiting = self._waiting_for_head()
        super().data_received(data)
        if not self._waiting_for_head():
            self._head_bytes = 0
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
        elif waiting:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self.transport.abort()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.limits.write_stall_timeout, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _await_head(self) -> None:
        self._head_bytes = 0
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.abort()
