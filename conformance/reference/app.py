"""The ASGI app: turns ASGI messages into an HttpRequest and a behaviour's reply back into bytes.

All protocol decisions live in the behaviour; this module only moves bytes and keeps time. It
watches for the client leaving and for server shutdown, so a stream that never ends on purpose
(a fault) still ends as soon as nobody listens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .assemble import build_behaviour
from .config import ServerConfig
from .wire import Abort, HttpRequest, Pause, Reply, StreamReply

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def read_request(scope: Scope, receive: Receive, limit: int) -> HttpRequest | None:
    """Read the whole body, keeping at most `limit` bytes. None if the client left meanwhile."""
    body = bytearray()
    too_large = False
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        # Keep draining past the limit, so the client can read the 413 instead of a reset.
        too_large = too_large or len(body) + len(chunk) > limit
        if not too_large:
            body += chunk
        if not message.get("more_body", False):
            break
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return HttpRequest(scope["method"], scope["path"], headers, bytes(body), too_large)


class _Watch:
    """Answers 'should this response stop?': the client disconnected, or the server is closing."""

    def __init__(self, receive: Receive, closing: asyncio.Event) -> None:
        self._disconnected = asyncio.ensure_future(receive())
        self._closing = asyncio.ensure_future(closing.wait())

    @property
    def client_gone(self) -> bool:
        return self._disconnected.done()

    @property
    def over(self) -> bool:
        return self.client_gone or self._closing.done()

    async def sleep(self, seconds: float) -> bool:
        """Sleep unless interrupted; True when the response should stop."""
        if seconds > 0 and not self.over:
            await asyncio.wait(
                {self._disconnected, self._closing},
                timeout=seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        return self.over

    def cancel(self) -> None:
        self._disconnected.cancel()
        self._closing.cancel()


class ReferenceApp:
    """An ASGI 3 app serving one ServerConfig."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.behaviour = build_behaviour(config)
        self._closing = asyncio.Event()

    def close(self) -> None:
        """End every open stream cleanly. Call it from the server's event loop."""
        self._closing.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive, self.config.max_body_bytes)
        if request is None:
            return
        try:
            reply = self.behaviour.handle(request)
        except Exception:
            # A bug here must still look like an API error, not like a fault under test.
            logger.exception("reference server failed on %s %s", request.method, request.path)
            reply = self.behaviour.error(500, "The reference server failed.", kind="server_error")
        watch = _Watch(receive, self._closing)
        try:
            await watch.sleep(self.behaviour.start_delay(reply))
            if watch.client_gone:
                return
            if isinstance(reply, StreamReply):
                await _send_stream(reply, send, watch)
            else:
                await _send_reply(reply, send)
        finally:
            watch.cancel()


def _encode_headers(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


async def _send_reply(reply: Reply, send: Send) -> None:
    headers = (*reply.headers, ("content-length", str(len(reply.body))))
    await send(
        {"type": "http.response.start", "status": reply.status, "headers": _encode_headers(headers)}
    )
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


async def _send_stream(reply: StreamReply, send: Send, watch: _Watch) -> None:
    start = {
        "type": "http.response.start",
        "status": reply.status,
        "headers": _encode_headers(reply.headers),
    }
    await send(start)
    for item in reply.writes:
        if watch.over:
            break
        if isinstance(item, Abort):
            return  # uvicorn closes a connection whose response never completed
        if isinstance(item, Pause):
            await watch.sleep(item.seconds)
        elif item:
            await send({"type": "http.response.body", "body": item, "more_body": True})
            await asyncio.sleep(0)  # let the loop see a disconnect and serve other requests
    await send({"type": "http.response.body", "body": b"", "more_body": False})
