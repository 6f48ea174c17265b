"""Run the webhook app with uvicorn on its own thread, beside the live trader in the same process."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from trade_executor.errors import ConfigurationError
from trade_executor.webhook.limits import ConnectionLimits, GuardedListener, guarded_protocol, limits_for_this_process

logger = logging.getLogger(__name__)


class WebhookServer:
    """Start, wait until it accepts connections, stop. Port 0 picks a free port (see ``port``)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 3456, *, limits: ConnectionLimits | None = None):
        self.host = host
        self.requested_port = port
        self.limits = limits or limits_for_this_process()
        # No access log: at a thousand requests a second it would cost more than the answers.
        # log_config=None: our logging set-up stays as it is; uvicorn's records go to the root logger.
        # proxy_headers=False: no answer depends on the client's address, so X-Forwarded-For parsing is a cost per request for nothing.
        # The connection limits (limits.py) accept through our listening socket object, which the asyncio loop uses and uvloop does not.
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off", server_header=False, proxy_headers=False, timeout_graceful_shutdown=5,
            loop="asyncio", http=guarded_protocol(self.limits), timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        return self._bound_port or self.requested_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 15.0) -> WebhookServer:
        """Return once a TCP connection to the server succeeds; a server that cannot listen is a ConfigurationError."""
        self._socket = self._bind()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, name="webhook-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not (self._server.started and self._accepts()):
            if not self._thread.is_alive():
                self.stop()
                raise ConfigurationError(f"The webhook server on {self.host}:{self.port} stopped while starting; see the log above.")
            if time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"The webhook server did not accept connections on {self.host}:{self.requested_port} within {timeout:.0f} s.")
            time.sleep(0.01)
        logger.info("Webhook server listening on %s", self.url)
        return self

    def _bind(self) -> socket.socket:
        """Bind here, on the caller's thread, so a busy port is one clear error (not a dying server thread)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = GuardedListener(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # the protocol named, or asyncio leaves Nagle on (40 ms per answer)
        sock.limits = self.limits
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as e:
            sock.close()
            raise ConfigurationError(
                f"The webhook server could not listen on {self.host}:{self.requested_port}: {e.strerror}. "
                "Set HTTP_PORT to a free port and HTTP_HOST to an address of this machine."
            ) from None
        sock.set_inheritable(True)
        self._bound_port = sock.getsockname()[1]
        return sock

    def _accepts(self) -> bool:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else "::1" if self.host == "::" else self.host
        try:
            with socket.create_connection((host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._thread = None
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
