"""Bounded exchanges: the only place the suite talks to a target.

A target may hang, drip bytes, stream forever or send garbage. Every exchange here is bounded in
time (connect, silence between bytes, and a deadline for the whole exchange) and in bytes and
events, and it always ends with a record (``conformance.records.Exchange``): what was sent, what
came back, and what went wrong, redacted (``conformance.redaction``) before anyone sees it.
Checks then work on that record alone, never on a live connection.

This module holds the machine and nothing the checks need: the limits, the retries of 429/503,
the httpx client and ``ExchangeRunner``, which drives the exchanges (coroutines, so that many can
be in flight at once: a run against a real provider is mostly waiting) on a private event loop
thread for synchronous code such as pytest fixtures. Every request of a run, the preflight
included, goes through one runner.

The records, ``strict_json`` and the redaction helpers are re-exported here for older imports;
new code imports them from ``conformance.records`` and ``conformance.redaction``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from conformance.decoding import BoundedDecoder, DecodingError
from conformance.options import DEFAULTS
from conformance.records import DONE, RETRY_STATUSES, Auth, Exchange, RequestSpec, strict_json
from conformance.redaction import (
    MIN_SECRET_LENGTH,
    REDACTED,
    display_url,
    redact,
    redact_exchange,
    url_secrets,
)
from conformance.request_headers import (
    DEFAULT_AUTH_HEADER,
    KEY_VARIABLE,
    auth_value,
    placeholder,
    variable_of,
)
from conformance.sse import SseParser

__all__ = [
    "INVALID_KEY",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "RETRY_STATUSES",
    "Auth",
    "Exchange",
    "ExchangeObserver",
    "ExchangeRunner",
    "Limits",
    "RequestSpec",
    "Target",
    "check_url",
    "display_url",
    "new_client",
    "perform",
    "redact",
    "retry_delay",
    "strict_json",
    "tls_verification",
    "url_secrets",
]

INVALID_KEY = "sk-chat-conformance-invalid-key-0000000000000000"


@dataclass(frozen=True)
class Limits:
    """Bounds on one exchange. Defaults suit a real provider with a small max_tokens."""

    connect_timeout: float = DEFAULTS["connect_timeout"]
    read_timeout: float = DEFAULTS["read_timeout"]  # longest silence allowed between two reads
    deadline: float = DEFAULTS["timeout"]  # whole exchange, headers to last byte
    done_grace: float = 2.0  # how long to keep listening after data: [DONE] for stray events
    max_bytes: int = DEFAULTS["max_bytes"]  # after decoding: a compression bomb stops here too
    max_events: int = 2000  # a completion of max_tokens 24 takes about 30
    retries: int = DEFAULTS["retries"]  # for 429 and 503, with backoff or the Retry-After
    max_retry_wait: float = 30.0


@dataclass(frozen=True)
class Target:
    """Where to send and how: base URL in the OpenAI SDK convention (up to and including /v1).

    ``verify`` is True (system trust store), False, or the path of a CA bundle. The key is kept
    out of the repr so that no traceback or log line can show it.
    """

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits)
    verify: bool | str = True
    auth_header: str = DEFAULT_AUTH_HEADER  # Azure OpenAI: "api-key", the key bare
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may hold secrets

    def url(self, path: str) -> str:
        """The path appended to the base URL's; its query (Azure's ``?api-version=``) kept."""
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))

    @property
    def secrets(self) -> tuple[str, ...]:
        extra = (value for _, value in self.headers)
        return tuple(s for s in (self.api_key, *url_secrets(self.base_url), *extra) if s)

    @property
    def display_url(self) -> str:
        return display_url(self.base_url)


def check_url(url: str) -> None:
    """Raise ValueError, saying why, when the HTTP client cannot send to this URL at all."""
    try:
        httpx.URL(url)
    except httpx.InvalidURL as error:
        raise ValueError(str(error)) from None


def _headers(spec: RequestSpec, target: Target) -> dict[str, str]:
    headers = {name.lower(): value for name, value in target.headers}
    headers |= {"content-type": "application/json", "accept-encoding": "identity"}
    auth = target.auth_header.lower()
    if spec.auth == "valid" and target.api_key:
        headers[auth] = auth_value(auth, target.api_key)
    elif spec.auth == "invalid":
        headers[auth] = auth_value(auth, INVALID_KEY)
    return headers


def _shown_headers(headers: dict[str, str], target: Target) -> dict[str, str]:
    """The headers as records keep them: the key and every extra header's value as a variable."""
    shown = dict(headers)
    auth = target.auth_header.lower()
    if target.api_key and shown.get(auth) == auth_value(auth, target.api_key):
        shown[auth] = placeholder(KEY_VARIABLE, auth)
    for name, _ in target.headers:
        shown[name.lower()] = placeholder(variable_of(name))
    return shown


async def perform(
    client: httpx.AsyncClient,
    target: Target,
    name: str,
    spec: RequestSpec,
    on_retry: Callable[[str], None] | None = None,
) -> Exchange:
    """Send one request and record its response within the target's limits. Never raises.

    429 and 503 are retried (``limits.retries`` times) after the server's Retry-After or an
    exponential backoff, both capped; the record keeps the last attempt. ``on_retry`` hears of
    each new attempt and why ("429", "503", or "resent" after a connection closed unanswered).
    """
    limits = target.limits
    attempt = 0
    resent_after: str | None = None
    while True:
        attempt += 1
        exchange = await _attempt(client, target, name, spec, attempt)
        if _closed_before_answering(exchange) and resent_after is None:
            resent_after = exchange.error or exchange.error_type  # once, and it is kept
            if on_retry is not None:
                on_retry("resent")
            continue
        if exchange.status not in RETRY_STATUSES or attempt > limits.retries:
            return dataclasses.replace(exchange, resent_after=resent_after)
        if on_retry is not None:
            on_retry(str(exchange.status))
        retry_after = exchange.headers.get("retry-after")
        await asyncio.sleep(retry_delay(retry_after, attempt, limits.max_retry_wait))


# The connection ended before any byte of an answer. Mostly a kept-alive connection the server
# closed while the request was on its way (uvicorn closes idle connections after 5 s): the
# server never read it, and HTTP clients send it again once on a new connection (RFC 9112
# section 9.3.1). It can also be a server that read the request and died: sent again, it costs
# one more request, and the first failure stays on the record (``resent_after``) and in the
# request log. A server that closes every connection unanswered is judged on the second try.
CLOSED_BEFORE_ANSWER = frozenset({"RemoteProtocolError", "ReadError", "WriteError"})


def _closed_before_answering(exchange: Exchange) -> bool:
    return exchange.status is None and exchange.error_type in CLOSED_BEFORE_ANSWER


def retry_delay(retry_after: str | None, attempt: int, cap: float) -> float:
    """Seconds to wait before retry number ``attempt``: Retry-After if given, else backoff."""
    delay = 0.5 * 2 ** (attempt - 1)
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            delay = float(value)
        else:
            with contextlib.suppress(TypeError, ValueError):  # unparsable: keep the backoff
                delay = parsedate_to_datetime(value).timestamp() - time.time()
    return max(0.0, min(delay, cap))


async def _attempt(
    client: httpx.AsyncClient, target: Target, name: str, spec: RequestSpec, attempt: int
) -> Exchange:
    """One try: the wire read into locals, then one finished, redacted record."""
    limits = target.limits
    headers = _headers(spec, target)
    started_at = time.time()
    start = time.monotonic()
    status: int | None = None
    first_byte_at: float | None = None
    response_headers: dict[str, str] = {}
    body = bytearray()
    parser = SseParser() if spec.wants_stream else None
    error: str | None = None
    error_type: str | None = None
    deadline_hit = False
    try:
        async with asyncio.timeout(limits.deadline):
            async with client.stream(
                spec.method, target.url(spec.path), content=spec.encoded_body(), headers=headers
            ) as response:
                first_byte_at = time.monotonic() - start  # httpx has read the headers, no body
                status = response.status_code
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                async with contextlib.aclosing(response.aiter_raw()) as chunks:
                    await _read_body(response, chunks, body, parser, limits, start)
    except TimeoutError:
        deadline_hit = True
        error = f"the exchange did not end within the {limits.deadline:g} s deadline"
        error_type = "deadline"
    except httpx.ConnectTimeout:
        error = f"connecting timed out ({limits.connect_timeout:g} s)"
        error_type = "ConnectTimeout"
    except httpx.TimeoutException as timeout:
        error = f"{_timeout_phase(timeout)} ({limits.read_timeout:g} s without data)"
        error_type = type(timeout).__name__
    except httpx.HTTPError as failure:
        error = _describe(failure)
        error_type = type(failure).__name__
    except (_BoundHit, DecodingError) as bound:
        error = str(bound)
        error_type = "bound"
    elapsed = time.monotonic() - start
    exchange = Exchange(
        name=name,
        url=display_url(target.url(spec.path)),
        request=spec,
        request_headers=_shown_headers(headers, target),
        status=status,
        headers=response_headers,
        body=bytes(body),
        sse=parser.finish(elapsed) if parser is not None else None,
        error=error,
        error_type=error_type,
        deadline_hit=deadline_hit,
        attempts=attempt,
        started_at=started_at,
        elapsed=elapsed,
        first_byte_at=first_byte_at,
    )
    return redact_exchange(exchange, target.secrets)


class _BoundHit(Exception):
    """A size or event bound was reached; the exchange stops there."""


async def _read_body(
    response: httpx.Response,
    chunks: AsyncIterator[bytes],
    body: bytearray,
    parser: SseParser | None,
    limits: Limits,
    start: float,
) -> None:
    decoder = BoundedDecoder(response.headers.get("content-encoding", ""), limits.max_bytes)
    done_at: float | None = None
    examined = 0
    while True:
        try:
            if done_at is None:
                chunk = await anext(chunks)
            else:
                remaining = max(0.0, done_at + limits.done_grace - time.monotonic())
                async with asyncio.timeout(remaining):
                    chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            if done_at is None:
                raise
            return  # the server kept the connection open after [DONE]; a client stops here
        chunk = decoder.decode(chunk)
        body.extend(chunk)
        if parser is not None:
            _feed_bounded(parser, chunk, limits.max_events, time.monotonic() - start)
        decoder.check()  # after keeping what fits, so the record shows where it went wrong
        if parser is None:
            continue
        if done_at is None and any(e.data == DONE for e in parser.events[examined:]):
            done_at = time.monotonic()
        examined = len(parser.events)


def _feed_bounded(parser: SseParser, data: bytes, max_events: int, now: float) -> None:
    """Feed in slices, so one decoded megabyte of tiny events cannot pass the event bound."""
    for offset in range(0, len(data), _FEED_SLICE):
        parser.feed(data[offset : offset + _FEED_SLICE], now)
        if len(parser.events) > max_events:
            raise _BoundHit(f"the stream exceeded the {max_events} event limit")


_FEED_SLICE = 16 * 1024


def _describe(error: BaseException) -> str:
    """The error and, when it says more, its root cause ("All connection attempts failed"
    hides "Connection refused")."""
    text = f"{type(error).__name__}: {error}"
    root = error
    for _ in range(10):  # a cause chain is short; never follow a cycle for long
        deeper = root.__cause__ or root.__context__
        if deeper is None:
            break
        root = deeper
    if root is not error and str(root) and str(root) not in text:
        text += f" ({root})"
    return text


def _timeout_phase(error: httpx.TimeoutException) -> str:
    if isinstance(error, httpx.PoolTimeout):
        return "waiting for a connection timed out"
    return "reading the response timed out"


async def _cancel_pending() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def new_client(target: Target, concurrency: int) -> httpx.AsyncClient:
    limits = target.limits
    timeout = httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.read_timeout,
        pool=limits.deadline,
    )
    pool = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        timeout=timeout, limits=pool, follow_redirects=False, verify=tls_verification(target.verify)
    )


def tls_verification(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx's verify argument: a CA bundle path becomes a context trusting that bundle."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


class ExchangeObserver(Protocol):
    """Hears what the runner does as it happens, so that a progress display can count without
    the runner printing anything. Called on the runner's event loop thread: it must be quick and
    must not block. ``model`` is the request body's model (None when it has none)."""

    def queued(self, model: str | None) -> None:
        """A request was submitted: it will be sent, or ``dropped``."""

    def dropped(self, model: str | None) -> None:
        """A held request will not be sent after all (its gate stayed closed)."""

    def started(self, model: str | None) -> None:
        """A request took a slot and is in flight."""

    def retrying(self, model: str | None, reason: str) -> None:
        """The request in flight is sent again: "429" or "503" (throttled), or "resent"."""

    def finished(self, model: str | None, exchange: Exchange) -> None:
        """A request ended, with this record."""


class _Silent:
    """The observer of a runner nobody watches."""

    def queued(self, model: str | None) -> None:
        pass

    def dropped(self, model: str | None) -> None:
        pass

    def started(self, model: str | None) -> None:
        pass

    def retrying(self, model: str | None, reason: str) -> None:
        pass

    def finished(self, model: str | None, exchange: Exchange) -> None:
        pass


def _model_of(spec: RequestSpec) -> str | None:
    model = spec.body.get("model") if isinstance(spec.body, dict) else None
    return model if isinstance(model, str) else None


class ExchangeRunner:
    """Runs exchanges on a private event loop thread, at most ``concurrency`` at a time.

    Synchronous callers (pytest fixtures) submit requests and get futures, so a whole plan of
    independent requests overlaps while each test still reads its own result. ``observer``
    hears of every request queued, started, retried and finished (a progress display).
    """

    def __init__(
        self, target: Target, concurrency: int = 4, observer: ExchangeObserver | None = None
    ) -> None:
        self.target = target
        self.concurrency = max(1, concurrency)
        self.observer: ExchangeObserver = observer or _Silent()
        self.sent = 0
        self.submitted: list[Future[Any]] = []  # exchanges, in submission order: the request log
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client = self._call(self._make_client())
        self._slots = asyncio.Semaphore(self.concurrency)

    async def _make_client(self) -> httpx.AsyncClient:
        return new_client(self.target, self.concurrency)

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _limited(self, name: str, spec: RequestSpec) -> Exchange:
        model = _model_of(spec)
        async with self._slots:
            self.sent += 1
            self.observer.started(model)
            exchange = await perform(
                self._client,
                self.target,
                name,
                spec,
                on_retry=lambda reason: self.observer.retrying(model, reason),
            )
            self.observer.finished(model, exchange)
            return exchange

    def submit(self, name: str, spec: RequestSpec) -> Future[Exchange]:
        self.observer.queued(_model_of(spec))
        future = asyncio.run_coroutine_threadsafe(self._limited(name, spec), self._loop)
        self.submitted.append(future)
        return future

    def submit_when(
        self,
        name: str,
        spec: RequestSpec,
        gate: Future[bool],
        on_held: Callable[[], None] = lambda: None,
    ) -> Future[Exchange | None]:
        """Send once ``gate`` says True; if it says False (or fails), send nothing, call
        ``on_held`` and answer None. Waiting for the gate takes no slot."""
        self.observer.queued(_model_of(spec))

        async def gated() -> Exchange | None:
            try:
                is_open = await asyncio.wrap_future(gate)
            except Exception:  # a gate that cannot decide stays closed
                is_open = False
            if not is_open:
                self.observer.dropped(_model_of(spec))
                on_held()
                return None
            return await self._limited(name, spec)

        future = asyncio.run_coroutine_threadsafe(gated(), self._loop)
        self.submitted.append(future)
        return future

    def submit_after(
        self,
        name: str,
        prior: Future[Exchange],
        build: Callable[[Exchange | None], RequestSpec],
        model: str | None = None,
    ) -> Future[Exchange]:
        """Send the request ``build`` makes from ``prior``'s exchange (None if it failed), once
        ``prior`` has ended. Waiting takes no slot. ``model``: the one it will name, for the
        observer (the request is not built yet)."""
        self.observer.queued(model)

        async def after() -> Exchange:
            try:
                exchange: Exchange | None = await asyncio.wrap_future(prior)
            except Exception:  # the request is still sent, built without a reference
                exchange = None
            return await self._limited(name, build(exchange))

        future = asyncio.run_coroutine_threadsafe(after(), self._loop)
        self.submitted.append(future)
        return future

    def when_done(
        self, futures: Iterable[Future[Exchange]], decide: Callable[[list[Exchange]], bool]
    ) -> Future[bool]:
        """A gate: ``decide`` over these exchanges once they have all ended, off the event loop
        (judging takes CPU time that would otherwise delay every exchange in flight)."""
        pending = list(futures)

        async def wait() -> bool:
            exchanges = [await asyncio.wrap_future(future) for future in pending]
            return await asyncio.get_running_loop().run_in_executor(None, decide, exchanges)

        return asyncio.run_coroutine_threadsafe(wait(), self._loop)

    def completed(self) -> list[Exchange]:
        """Every finished exchange, in the order it was submitted (not the order it ended)."""
        finished = [f for f in self.submitted if f.done() and not f.cancelled()]
        return [f.result() for f in finished if f.exception() is None and f.result() is not None]

    def run(self, name: str, spec: RequestSpec) -> Exchange:
        return self.submit(name, spec).result()

    def run_all(self, requests: Iterable[tuple[str, RequestSpec]]) -> list[Exchange]:
        futures = [self.submit(name, spec) for name, spec in requests]
        return [f.result() for f in futures]

    def close(self) -> None:
        """Cancel what is still queued or in flight (a run stopped early by ``-x``), then close."""
        if self._loop.is_closed():
            return
        self._call(_cancel_pending())
        self._call(self._client.aclose())
        self._call(self._loop.shutdown_asyncgens())  # streams abandoned at a bound
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
