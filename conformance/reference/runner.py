"""Run the reference server: in a background thread for tests and `run`, or in the foreground.

The background server binds its own socket on a free loopback port before starting, so the URL is
known at once and two servers never race for a port.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from .app import ReferenceApp
from .config import ServerConfig

STARTUP_TIMEOUT = 10.0
# Streams end themselves on shutdown (see ReferenceApp.close); this only bounds a stuck request.
GRACEFUL_SHUTDOWN_SECONDS = 1


@dataclass(frozen=True)
class RunningServer:
    """Where a started server listens; `base_url` ends in /v1, as the OpenAI SDKs expect."""

    base_url: str
    api_key: str
    config: ServerConfig

    @property
    def completions_url(self) -> str:
        return f"{self.base_url}/chat/completions"


class _Server(uvicorn.Server):
    """A uvicorn server that ends the app's open streams as soon as shutdown begins."""

    def __init__(self, config: uvicorn.Config, app: ReferenceApp) -> None:
        super().__init__(config)
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.app.close()
        await super().shutdown(sockets)


def _uvicorn_config(app: ReferenceApp, embedded: bool, **options: object) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        lifespan="off",
        access_log=not embedded,  # `serve` shows each request; the embedded server is quiet
        log_level="warning",
        # Embedded, leave the host process's logging configuration alone.
        log_config=None if embedded else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **options,
    )


class _DeliberateAbortFilter(logging.Filter):
    """Uvicorn logs an error when a response is cut; for a fault that cuts on purpose, noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _quiet_deliberate_aborts(app: ReferenceApp) -> None:
    if app.behaviour.aborts_connection:
        logger = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, _DeliberateAbortFilter) for f in logger.filters):
            logger.addFilter(_DeliberateAbortFilter())


@contextlib.contextmanager
def running_server(
    config: ServerConfig | None = None, tls: tuple[str, str] | None = None
) -> Iterator[RunningServer]:
    """Serve `config` on 127.0.0.1 in a daemon thread for the duration of the block; over HTTPS
    with `tls` = (certificate file, key file)."""
    config = config or ServerConfig()
    app = ReferenceApp(config)
    _quiet_deliberate_aborts(app)
    # The explicit protocol matters: asyncio sets TCP_NODELAY only on sockets that name TCP, and
    # without it every response waits 40 ms on a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    options = {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]} if tls else {}
    server = _Server(_uvicorn_config(app, embedded=True, **options), app)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [listener]},
        name=f"reference-server-{port}",
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the reference server did not start")
            time.sleep(0.005)
        scheme = "https" if tls else "http"
        yield RunningServer(f"{scheme}://127.0.0.1:{port}/v1", config.api_key, config)
    finally:
        server.should_exit = True
        thread.join(timeout=GRACEFUL_SHUTDOWN_SECONDS + 4)
        listener.close()


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve `config` in the foreground until interrupted (Ctrl+C)."""
    app = ReferenceApp(config)
    _quiet_deliberate_aborts(app)
    server_config = _uvicorn_config(app, embedded=False, host=host, port=port)
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)  # one line per request
    _Server(server_config, app).run()
