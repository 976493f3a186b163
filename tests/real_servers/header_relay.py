"""A byte relay that adds request headers: how the suite reaches a gateway that needs them.

The suite sends only ``Authorization`` and a base URL. Portkey's gateway refuses every request
without ``x-portkey-provider`` (or ``x-portkey-config``), so until the CLI can send extra headers
(a ``--header NAME:VALUE`` option), this relay sits between the suite and the gateway. It adds
the headers to each request head and otherwise copies bytes untouched in both directions: the
response the suite judges is the gateway's, byte for byte. Each request gets its own upstream
connection (``connection: close`` upstream), so request framing is never guessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

HEAD_LIMIT = 64 * 1024


class HeaderRelay:
    """Listens on 127.0.0.1:port (0 = free), forwards to upstream_port with extra headers."""

    def __init__(self, upstream_port: int, headers: dict[str, str]) -> None:
        self.upstream_port = upstream_port
        self.extra = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers.items())
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HeaderRelay:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("header relay did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            name = line.split(b":", 1)[0].strip().lower()
            if name == b"content-length":
                length = int(line.split(b":", 1)[1])
            if name in (b"connection", b"keep-alive", b"transfer-encoding"):
                if name == b"transfer-encoding":  # the suite never sends chunked bodies
                    writer.write(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n")
                    return False
                continue
            kept.append(line)
        body = await reader.readexactly(length) if length else b""
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            up_writer.write(b"\r\n".join(kept) + b"\r\n" + self.extra)
            up_writer.write(b"connection: close\r\n\r\n" + body)
            await up_writer.drain()
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            up_writer.close()
        return False  # the gateway closed after its response: close the client's too
