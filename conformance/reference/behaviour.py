"""The conforming behaviour of the reference server, cut into small overridable steps.

A request flows: route -> authenticate -> parse -> validate -> complete, then either
completion_reply (JSON) or stream_reply (chunks -> payloads -> event_bytes -> writes). Every step
is a method, so a fault or a variation is a subclass that overrides one or two of them and calls
`super()` for the rest. Subclasses combine by multiple inheritance: with cooperative `super()`
calls, `type("Combined", (FaultA, VariationB, Behaviour), {})` applies both.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from . import engine
from .config import ServerConfig
from .engine import ChatRequest, Invalid, Output
from .wire import Headers, HttpRequest, Pause, Reply, StreamReply, encode_json

PATH = "/v1/chat/completions"
DONE = "[DONE]"


@dataclass(frozen=True)
class Completion:
    """One answered request: what every response body and chunk is built from."""

    id: str
    created: int
    model: str
    request: ChatRequest
    outputs: tuple[Output, ...]


class StreamStep(NamedTuple):
    """One chunk's worth of a stream, before it is dressed as a chunk object."""

    choice: int
    delta: dict
    finish_reason: str | None


class Behaviour:
    """A fully conforming server. Class attributes are the simplest hooks."""

    assistant_role = "assistant"
    choice_count = 1
    keep_stop_sequence = False
    newline = "\n"
    auth_failure_status = 401
    completion_content_type = "application/json"
    stream_content_type = "text/event-stream"
    error_content_type = "application/json"
    aborts_connection = False  # a fault that cuts connections on purpose (see runner's log filter)

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    @property
    def latency(self) -> float:
        return self.config.latency

    @property
    def token_interval(self) -> float:
        return self.config.token_interval

    def start_delay(self, reply: Reply | StreamReply) -> float:
        """Seconds before the response's headers go out."""
        return self.latency

    # ------------------------------------------------------------------------------ request

    def handle(self, request: HttpRequest) -> Reply | StreamReply:
        refusal = self.route(request)
        refusal = refusal or self.authenticate(request.headers.get(self.auth_header))
        if refusal:
            return refusal
        payload = self.parse(request.body)
        chat = payload if isinstance(payload, Invalid) else self.validate(payload)
        if isinstance(chat, Invalid):
            return self.invalid(chat)
        completion = self.complete(chat)
        if self.wants_stream(chat):
            return self.stream_reply(completion)
        return self.completion_reply(completion)

    def route(self, request: HttpRequest) -> Reply | None:
        if request.path != PATH:
            message = f"Unknown request URL: {request.method} {request.path}."
            return self.error(404, message, code="unknown_url")
        if request.method != "POST":
            message = f"Method {request.method} is not allowed on {PATH}; use POST."
            return self.error(405, message, code="method_not_allowed", headers=(("allow", "POST"),))
        if request.too_large:
            limit = self.config.max_body_bytes
            return self.error(413, f"Request body exceeds {limit} bytes.", code="request_too_large")
        return None

    @property
    def auth_header(self) -> str:
        return self.config.auth_header.lower()

    def authenticate(self, authorization: str | None) -> Reply | None:
        """``authorization``: the value of the key's header (``auth_header``), if sent."""
        if authorization is None:
            return self.unauthorized(
                f"You didn't provide an API key in the {self.config.auth_header} header."
            )
        scheme, key = "bearer", authorization
        if self.auth_header == "authorization":
            scheme, _, key = authorization.strip().partition(" ")
        expected = self.config.api_key.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), expected):
            return self.unauthorized("Incorrect API key provided.")
        return None

    def unauthorized(self, message: str) -> Reply:
        return self.error(self.auth_failure_status, message, code="invalid_api_key")

    def parse(self, body: bytes) -> object | Invalid:
        return engine.parse_json(body)

    def validate(self, payload: object) -> ChatRequest | Invalid:
        return engine.validate(payload)

    def invalid(self, problem: Invalid) -> Reply:
        status = self.invalid_status(problem)
        return self.error(status, problem.message, param=problem.param, code=problem.code)

    def invalid_status(self, problem: Invalid) -> int:
        return 400

    def wants_stream(self, request: ChatRequest) -> bool:
        return bool(request.stream)

    # ---------------------------------------------------------------------------- generation

    def stop_sequences(self, request: ChatRequest) -> tuple[str, ...]:
        return request.stop_sequences

    def token_limit(self, request: ChatRequest) -> int | None:
        return request.max_tokens

    def generate(self, request: ChatRequest) -> Output:
        return engine.generate(
            request.reply_text,
            self.stop_sequences(request),
            self.token_limit(request),
            keep_stop=self.keep_stop_sequence,
        )

    def complete(self, request: ChatRequest) -> Completion:
        outputs = tuple(self.generate(request) for _ in range(self.choice_count))
        return Completion(self.new_id(), int(time.time()), request.model, request, outputs)

    def new_id(self) -> str:
        return f"chatcmpl-{secrets.token_hex(12)}"

    def finish_reason(self, output: Output) -> str:
        return output.finish_reason

    def usage(self, completion: Completion) -> dict:
        prompt = engine.count_prompt_tokens(completion.request)
        emitted = sum(len(output.tokens) for output in completion.outputs)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": emitted,
            "total_tokens": prompt + emitted,
        }

    # ------------------------------------------------------------------------ JSON completion

    def completion_reply(self, completion: Completion) -> Reply:
        body = encode_json(self.completion_body(completion)).encode()
        return Reply(200, (("content-type", self.completion_content_type),), body)

    def completion_body(self, completion: Completion) -> dict:
        choices = [self.completion_choice(i, g) for i, g in enumerate(completion.outputs)]
        return {
            "id": completion.id,
            "object": "chat.completion",
            "created": completion.created,
            "model": completion.model,
            "choices": choices,
            "usage": self.usage(completion),
        }

    def completion_choice(self, index: int, output: Output) -> dict:
        return {
            "index": index,
            "message": self.message(output),
            "finish_reason": self.finish_reason(output),
        }

    def message(self, output: Output) -> dict:
        return {"role": self.assistant_role, "content": output.text}

    # -------------------------------------------------------------------------------- stream

    def stream_reply(self, completion: Completion) -> StreamReply:
        payloads = self.payloads(self.chunks(completion))
        events = (self.event_bytes(number, payload) for number, payload in enumerate(payloads))
        return StreamReply(200, self.stream_headers(), self.writes(events))

    def stream_headers(self) -> Headers:
        return (("content-type", self.stream_content_type), ("cache-control", "no-cache"))

    def steps(self, completion: Completion) -> list[StreamStep]:
        """Role first, then the tokens of all choices interleaved, then one finish per choice."""
        outputs = completion.outputs
        steps = [StreamStep(choice, self.role_delta(), None) for choice in range(len(outputs))]
        longest = max((len(output.tokens) for output in outputs), default=0)
        for position in range(longest):
            for choice, output in enumerate(outputs):
                if position < len(output.tokens):
                    steps.append(StreamStep(choice, {"content": output.tokens[position]}, None))
        for choice, output in enumerate(outputs):
            steps.append(StreamStep(choice, {}, self.finish_reason(output)))
        return steps

    def role_delta(self) -> dict:
        return {"role": self.assistant_role, "content": ""}

    def chunks(self, completion: Completion) -> Iterable[dict]:
        return [self.chunk(completion, step) for step in self.steps(completion)]

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        choice = {"index": step.choice, "delta": step.delta, "finish_reason": step.finish_reason}
        return {
            "id": completion.id,
            "object": "chat.completion.chunk",
            "created": completion.created,
            "model": completion.model,
            "choices": [choice],
        }

    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        """The text of each event's data: one JSON document per chunk, then the terminator."""
        for chunk in chunks:
            yield encode_json(chunk)
        yield DONE

    def event_bytes(self, number: int, payload: str) -> bytes:
        lines = "".join(line + self.newline for line in self.event_lines(number, payload))
        return (lines + self.event_end(payload)).encode()

    def event_lines(self, number: int, payload: str) -> list[str]:
        return [self.data_field(payload)]

    def data_field(self, payload: str) -> str:
        return f"data: {payload}"

    def event_end(self, payload: str) -> str:
        """The blank line that dispatches an event."""
        return self.newline

    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        for number, event in enumerate(events):
            if number and self.token_interval:
                yield Pause(self.token_interval)
            yield event

    # -------------------------------------------------------------------------------- errors

    def error(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
        headers: Headers = (),
    ) -> Reply:
        body = encode_json(self.error_body(message, kind, param, code)).encode()
        return Reply(status, (("content-type", self.error_content_type), *headers), body)

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        return {"error": {"message": message, "type": kind, "param": param, "code": code}}
