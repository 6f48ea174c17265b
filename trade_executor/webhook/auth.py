"""HTTP Basic authentication for every path but the open ones, as plain ASGI (cheap per request)."""

from __future__ import annotations

import base64
import binascii
import secrets

OPEN_PATHS = frozenset({"/ping"})


class BasicAuthMiddleware:
    """Answers 401 unless the request carries the configured username and password.

    Both are compared with secrets.compare_digest, so the time taken tells nothing about them.
    """

    def __init__(self, app, username: str, password: str, realm: str = "trade-executor"):
        self.app = app
        self._username = username.encode("utf-8")
        self._password = password.encode("utf-8")
        self._challenge = f'Basic realm="{realm}", charset="UTF-8"'.encode("latin-1")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self.authorised(scope):
            await self.app(scope, receive, send)
            return
        await self.refuse(send)

    async def refuse(self, send) -> None:
        """The 401 answer, with the challenge that makes a browser ask for credentials."""
        body = b'{"detail":"Authentication required: use HTTP Basic with HTTP_USERNAME and HTTP_PASSWORD."}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", self._challenge),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def authorised(self, scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return self.check(value)
        return False

    def check(self, header: bytes) -> bool:
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        username, separator, password = decoded.partition(b":")
        # Both comparisons always run: which one failed must not show in the timing.
        username_ok = secrets.compare_digest(username, self._username)
        password_ok = secrets.compare_digest(password, self._password)
        return bool(separator) and username_ok and password_ok
