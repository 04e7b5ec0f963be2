"""Request body limit for our HTTP servers (the marketplace sandboxes and the console):
a body over the limit is refused with 413 before any route reads it.

A declared Content-Length is checked without reading; a chunked body is read up to the
limit and replayed to the app. Limits: `SANDBOX_MAX_BODY` (10 MiB, far above the largest
request a connector sends, an image upload; the marketplaces' own image limits are a few MB)
and `CONSOLE_MAX_BODY` (1 MiB: the console only takes forms).
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SANDBOX_MAX_BODY = 10 * 1024 * 1024
CONSOLE_MAX_BODY = 1024 * 1024


class BodyLimit:
    """ASGI middleware: 413 for HTTP requests whose body is larger than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            bounded = await self._bounded(scope, receive)
            if bounded is None:
                await self._refuse(scope, receive, send)
                return
            receive = bounded
        await self.app(scope, receive, send)

    async def _bounded(self, scope: Scope, receive: Receive) -> Receive | None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            return receive if declared.isdigit() and int(declared) <= self.max_bytes else None
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            return receive
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"error": "request_too_large", "message": f"request body over {self.max_bytes} bytes"},
            status_code=413,
            headers={"connection": "close"},  # the unread body must not be taken for a request
        )
        await response(scope, receive, send)
