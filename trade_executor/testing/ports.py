"""A local port where nothing answers, for tests of a node that is down.

``free_port()`` gives a port that was free a moment ago; a test that keeps it unanswered for a
whole run races every other test of the suite, which may start a node or a server on it (seen on
CI: a down node's URL reached another test's anvil, and its JSON-RPC reached a third test's
webhook stand-in). A socket bound to the port and never listening refuses every connection, and
no one else can bind the port while it is held.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def closed_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]
