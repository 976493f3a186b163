"""Legal but unusual behaviours: a conforming client and a correct checker must accept all of them.

Each variation is a Behaviour subclass that overrides a step or two and calls `super()`, so any
set of them (and any faults) combine into one class. `all` switches on every variation that can
combine with the others (`cr` and `crlf` exclude each other; `all` takes `crlf`).
"""

from __future__ import annotations

import itertools
import random
import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace

from .behaviour import Behaviour, Completion, StreamStep
from .config import ServerConfig
from .engine import ChatRequest, Invalid, Output, tokenize
from .wire import HttpRequest, Pause, Reply, StreamReply

VENDOR_NOTE = {"note": "ünïcødé ✓ 🚀"}


@dataclass(frozen=True)
class Variation:
    name: str
    description: str
    behaviour: type[Behaviour] | None = None
    includes: tuple[str, ...] = ()


VARIATIONS: dict[str, Variation] = {}


def variation(name: str, description: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    def register(cls: type[Behaviour]) -> type[Behaviour]:
        VARIATIONS[name] = Variation(name, description, cls)
        return cls

    return register


def expand_variations(names: Iterable[str]) -> list[str]:
    """Replace group names such as `all` by their members, keeping order and dropping repeats."""
    expanded: dict[str, None] = {}
    for name in names:
        for member in VARIATIONS[name].includes or (name,):
            expanded[member] = None
    return list(expanded)


@variation(
    "sse-comments",
    "`: keep-alive` comment blocks before the first event, a comment line inside every event, "
    "`id:` on every event and `retry:` on the first.",
)
class SseComments(Behaviour):
    """Comment-only blocks come only before the first `id:`: after one, the openai SDKs dispatch
    each blank line as an empty event (SSE-004, the fault `sse-id-keepalive`)."""

    def event_bytes(self, number: int, payload: str) -> bytes:
        event = super().event_bytes(number, payload)
        if number:
            return event
        return f": keep-alive{self.newline}{self.newline}".encode() * 2 + event

    def event_lines(self, number: int, payload: str) -> list[str]:
        fields = [": keep-alive", f"id: {number}"] + (["retry: 3000"] if number == 0 else [])
        return fields + super().event_lines(number, payload)


@variation("crlf", "Event stream lines end with CR LF.")
class CrLf(Behaviour):
    newline = "\r\n"


@variation("cr", "Event stream lines end with a lone CR.")
class Cr(Behaviour):
    newline = "\r"


def _write_size(rng: random.Random) -> int:
    # Mostly small writes, sometimes one that holds several events.
    return rng.choice((1, 2, 3, 5, 8, 13, rng.randint(4, 48), rng.randint(150, 900)))


def _cut(pending: bytes, size: int, rng: random.Random) -> int:
    """Where the next write ends: `size`, or often just inside a multi-byte UTF-8 character."""
    lead = next((at for at, byte in enumerate(pending[:size]) if byte >= 0xC0), None)
    return lead + 1 if lead is not None and rng.random() < 0.5 else size


@variation("split-writes", "The event stream is re-cut into writes at seeded random offsets.")
class SplitWrites(Behaviour):
    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        rng = random.Random(self.config.seed)
        size = _write_size(rng)
        pending = b""
        for item in super().writes(events):
            if isinstance(item, Pause):
                # Flush before waiting, so a pause never withholds bytes already due.
                if pending:
                    yield pending
                    pending = b""
                yield item
                continue
            pending += item
            while len(pending) >= size:
                cut = _cut(pending, size, rng)
                yield pending[:cut]
                pending = pending[cut:]
                size = _write_size(rng)
        if pending:
            yield pending


@variation("no-space", "`data:{...}` without the optional space after the colon.")
class NoSpace(Behaviour):
    def data_field(self, payload: str) -> str:
        return f"data:{payload}"


@variation("extra-fields", "Unknown fields at every level of bodies, chunks and errors.")
class ExtraFields(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.update(system_fingerprint="fp_reference", service_tier="default", x_vendor=VENDOR_NOTE)
        return body

    def completion_choice(self, index: int, output: Output) -> dict:
        return {**super().completion_choice(index, output), "logprobs": None}

    def message(self, output: Output) -> dict:
        return {**super().message(output), "refusal": None, "x_vendor": VENDOR_NOTE}

    def usage(self, completion: Completion) -> dict:
        details = {"reasoning_tokens": 0, "x_vendor": VENDOR_NOTE}
        return {**super().usage(completion), "completion_tokens_details": details}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        if "content" in step.delta:
            step = step._replace(delta={**step.delta, "x_vendor": VENDOR_NOTE})
        chunk = super().chunk(completion, step)
        chunk.update(system_fingerprint="fp_reference", x_vendor=VENDOR_NOTE)
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        return chunk

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        body = super().error_body(message, kind, param, code)
        if isinstance(body.get("error"), dict):
            body["error"]["x_vendor"] = VENDOR_NOTE
        return {**body, "request_id": "req_reference"}


@variation("plain-ids", "Ids are bare UUIDs, without the `chatcmpl-` prefix.")
class PlainIds(Behaviour):
    def new_id(self) -> str:
        return str(uuid.uuid4())


@variation("two-choices", "Two complete choices (index 0 and 1), interleaved in streams.")
class TwoChoices(Behaviour):
    choice_count = 2


@variation("slow", "0.2 s before each response starts and 0.05 s between stream events.")
class Slow(Behaviour):
    @property
    def latency(self) -> float:
        return max(super().latency, 0.2)

    @property
    def token_interval(self) -> float:
        return max(super().token_interval, 0.05)


@variation("jitter", "Each response starts after a random extra 0 to 0.15 s: answers overtake.")
class Jitter(Behaviour):
    """Real targets answer out of order; the suite's results must not depend on that order.
    Unseeded on purpose: two runs see two different orders."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._rng = random.Random()

    def start_delay(self, reply: Reply | StreamReply) -> float:
        return super().start_delay(reply) + self._rng.uniform(0.0, 0.15)


@variation("usage-null-chunks", 'Every stream chunk carries `"usage": null`.')
class UsageNullChunks(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "usage": None}


@variation(
    "echo-key",
    "Echoes the Authorization header: in error messages, a response header and an extra field.",
)
class EchoKey(Behaviour):
    """Debug modes of real gateways do this; the suite must keep the key out of every report."""

    _authorization = ""

    def handle(self, request: HttpRequest) -> Reply | StreamReply:
        self._authorization = request.headers.get("authorization", "")
        reply = super().handle(request)
        return replace(
            reply, headers=(*reply.headers, ("x-echo-authorization", self._authorization))
        )

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        message = f"{message} (received: {self._authorization!r})"
        return super().error_body(message, kind, param, code)

    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "x_echo": self._authorization}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "x_echo": self._authorization}


@variation(
    "rate-limited",
    "The first attempt of every request gets 429 (with or without Retry-After); retries succeed.",
)
class RateLimited(Behaviour):
    """Providers throttle; a polite client retries, and the retried answer is what counts."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(config)
        self._seen: set[int] = set()

    def handle(self, request: HttpRequest) -> Reply | StreamReply:
        fingerprint = hash((request.headers.get("authorization"), request.body))
        if fingerprint in self._seen:
            return super().handle(request)
        self._seen.add(fingerprint)
        headers = (("retry-after", "0"),) if len(self._seen) % 2 else ()
        message = "Rate limit reached; retry."
        return self.error(
            429, message, code="rate_limit_exceeded", kind="requests", headers=headers
        )


# ------------------------------------------------------------ real providers' wire formats
#
# Each of these sends what one real provider or server sends on the wire, restricted to what the
# documented contract allows: where the real format breaks the contract, that part is a fault
# instead (see the docstrings), and the rest stays here. The description names the source; the
# docstring says what was copied. Facts (field names, shapes, orders) were copied, not code.

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _random_text(length: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class _UsageRequest(ChatRequest):
    """A request that set `stream_options.include_usage` (the conforming server ignores it)."""

    include_usage: bool = False


def _asks_for_usage(payload: object) -> bool:
    options = payload.get("stream_options") if isinstance(payload, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _wants_usage(completion: Completion) -> bool:
    return getattr(completion.request, "include_usage", False)


class _StreamOptions(Behaviour):
    """Honours `stream_options.include_usage` as OpenAI documents it: one more chunk before
    `[DONE]`, with `choices: []` and the usage of the whole request. Providers that copy this
    inherit it; `usage_on_every_chunk` adds OpenAI's `"usage": null` to the other chunks."""

    usage_on_every_chunk = False

    def validate(self, payload: object) -> ChatRequest | Invalid:
        chat = super().validate(payload)
        fresh = isinstance(chat, ChatRequest) and not isinstance(chat, _UsageRequest)
        if fresh and _asks_for_usage(payload):
            values = {f.name: getattr(chat, f.name) for f in fields(ChatRequest)}
            chat = _UsageRequest(**values, include_usage=True)
        return chat

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        if self.usage_on_every_chunk and _wants_usage(completion):
            chunk.setdefault("usage", None)
        return chunk

    def chunks(self, completion: Completion) -> Iterator[dict]:
        yield from super().chunks(completion)
        if _wants_usage(completion):
            yield self.usage_chunk(completion)

    def usage_chunk(self, completion: Completion) -> dict:
        chunk = self.chunk(completion, StreamStep(0, {}, None))
        return {**chunk, "choices": [], "usage": self.usage(completion)}


def _stop_matched(completion: Completion, output: Output) -> str | None:
    """The stop sequence that ended a output, found the way the engine finds it."""
    if output.finish_reason != "stop":
        return None
    text = completion.request.reply_text
    found = [(text.find(s), s) for s in completion.request.stop_sequences if s in text]
    return min(found)[1] if found else None


def _keys_sorted(value: object) -> object:
    if isinstance(value, dict):
        return {key: _keys_sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_keys_sorted(item) for item in value]
    return value


def _prefixed(events: Iterable[bytes], prefix: bytes) -> Iterator[bytes]:
    """The events with `prefix` (SSE comments) written before the first one."""
    yield prefix
    yield from events


@variation(
    "openai",
    "OpenAI today: `obfuscation` on chunks, `service_tier`, `system_fingerprint`, `refusal`, "
    "`annotations`, usage details; with include_usage, `usage: null` chunks and a `choices: []` "
    "usage chunk. Source: openai/openai-openapi:openapi.yaml (CreateChatCompletionResponse, "
    "CreateChatCompletionStreamResponse, ChatCompletionStreamOptions), "
    "https://platform.openai.com/docs/api-reference/chat-streaming",
)
class OpenAIFormat(_StreamOptions):
    """Copied from OpenAI's API description: the response's `service_tier` ("default") and
    `system_fingerprint`, each choice's `logprobs: null`, the message's `refusal: null` and
    `annotations: []`, usage's `prompt_tokens_details` and `completion_tokens_details` (all
    zero here), the role delta `{"role", "content": "", "refusal": null}`, chunks with the same
    `service_tier` and `system_fingerprint`, and the `obfuscation` field: random characters of
    random length on every chunk, to pad payload sizes (on by default since 2025). With
    `stream_options.include_usage`, every chunk carries `"usage": null` and a last chunk has
    `choices: []` and the usage. Ids are `chatcmpl-` and 29 letters and digits, as observed."""

    usage_on_every_chunk = True
    fingerprint = "fp_560af6e559"

    def new_id(self) -> str:
        return f"chatcmpl-{_random_text(29)}"

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.update(service_tier="default", system_fingerprint=self.fingerprint)
        return body

    def completion_choice(self, index: int, output: Output) -> dict:
        return {**super().completion_choice(index, output), "logprobs": None}

    def message(self, output: Output) -> dict:
        return {**super().message(output), "refusal": None, "annotations": []}

    def usage(self, completion: Completion) -> dict:
        return {
            **super().usage(completion),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def role_delta(self) -> dict:
        return {**super().role_delta(), "refusal": None}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        chunk.update(service_tier="default", system_fingerprint=self.fingerprint)
        chunk["obfuscation"] = _random_text(secrets.randbelow(16) + 1)
        return chunk


_SAFE = {"filtered": False, "severity": "safe"}
_CONTENT_FILTERS = {name: _SAFE for name in ("hate", "self_harm", "sexual", "violence")}
_PROMPT_FILTERS = {**_CONTENT_FILTERS, "jailbreak": {"filtered": False, "detected": False}}


@variation(
    "azure",
    "Azure OpenAI: `prompt_filter_results`, `content_filter_results` on every choice, keys in "
    "alphabetical order, `obfuscation`, `system_fingerprint: null` on chunks. Source: "
    "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/concepts/content-filter",
)
class AzureFormat(_StreamOptions):
    """Copied from Azure OpenAI's documented annotations and captured streams: the response's
    `prompt_filter_results` ([{prompt_index: 0, content_filter_results: {hate, jailbreak,
    self_harm, sexual, violence}}]), `content_filter_results` on each choice ({hate: {filtered:
    false, severity: "safe"}, ...}; `{}` on the role and finishing chunks of a stream), the
    message's `annotations: []` and `refusal: null`, `logprobs: null`, the usage details, and
    every object's keys in alphabetical order, as Azure serialises them. Chunks carry
    `obfuscation` and `"system_fingerprint": null`.

    Not copied: the chunk Azure sends first, with `"id": ""`, `"object": ""`, `"model": ""`,
    `"created": 0` and `choices: []` to carry `prompt_filter_results`. The documented stream
    gives every chunk the same non-empty id and `object` "chat.completion.chunk" (STREAM-003,
    STREAM-004): that chunk is the fault `azure-first-chunk`."""

    usage_on_every_chunk = True

    def new_id(self) -> str:
        return f"chatcmpl-{_random_text(29)}"

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": _PROMPT_FILTERS}
        ]
        body["system_fingerprint"] = "fp_c79ab13e31"
        return _keys_sorted(body)

    def completion_choice(self, index: int, output: Output) -> dict:
        choice = super().completion_choice(index, output)
        return {**choice, "content_filter_results": _CONTENT_FILTERS, "logprobs": None}

    def message(self, output: Output) -> dict:
        return {**super().message(output), "annotations": [], "refusal": None}

    def usage(self, completion: Completion) -> dict:
        return {
            **super().usage(completion),
            "completion_tokens_details": {
                "accepted_prediction_tokens": 0,
                "audio_tokens": 0,
                "reasoning_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
            "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        }

    def role_delta(self) -> dict:
        return {**super().role_delta(), "refusal": None}

    def usage_chunk(self, completion: Completion) -> dict:
        return _keys_sorted(super().usage_chunk(completion))

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        text = step.delta.get("content") and "role" not in step.delta
        for choice in chunk.get("choices", []):
            choice["content_filter_results"] = _CONTENT_FILTERS if text else {}
            choice["logprobs"] = None
        chunk.update(obfuscation=_random_text(secrets.randbelow(8) + 3), system_fingerprint=None)
        return _keys_sorted(chunk)


@variation(
    "groq",
    "Groq: `x_groq` with the request id on the first chunk and with id and timed usage on the "
    "last, timed usage (`queue_time`, ...) in JSON, `service_tier: on_demand`. Source: "
    "https://console.groq.com/docs/api-reference#chat-create",
)
class GroqFormat(Behaviour):
    """Copied from Groq's API reference and captured responses: ids `chatcmpl-<uuid>`; in JSON,
    usage with `queue_time`, `prompt_time`, `completion_time` and `total_time` (seconds, floats)
    between the counts, `usage_breakdown: null`, `system_fingerprint`, `x_groq: {"id":
    "req_..."}` and `service_tier: "on_demand"`, `logprobs: null` on choices. In streams,
    `x_groq: {"id"}` on the first chunk and `x_groq: {"id", "usage": {...timed usage}}` on the
    finishing chunk (Groq's own place for stream usage), `logprobs: null` on choices."""

    fingerprint = "fp_179b0f92c9"

    def new_id(self) -> str:
        return f"chatcmpl-{uuid.uuid4()}"

    def request_id(self, completion: Completion) -> str:
        # One x_groq id per completion, derived from it so that every chunk agrees.
        return "req_01" + uuid.uuid5(uuid.NAMESPACE_URL, completion.id).hex[:24]

    def usage(self, completion: Completion) -> dict:
        counts = super().usage(completion)
        timed = {
            "queue_time": 0.037,
            "prompt_tokens": counts["prompt_tokens"],
            "prompt_time": 0.0007,
            "completion_tokens": counts["completion_tokens"],
            "completion_time": 0.046,
            "total_tokens": counts["total_tokens"],
            "total_time": 0.0467,
        }
        return {**timed, **counts}

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.update(
            usage_breakdown=None,
            system_fingerprint=self.fingerprint,
            x_groq={"id": self.request_id(completion)},
            service_tier="on_demand",
        )
        return body

    def completion_choice(self, index: int, output: Output) -> dict:
        return {**super().completion_choice(index, output), "logprobs": None}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        chunk["system_fingerprint"] = self.fingerprint
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        return chunk

    def chunks(self, completion: Completion) -> Iterator[dict]:
        x_groq = {"id": self.request_id(completion)}
        previous: dict | None = None
        for number, chunk in enumerate(super().chunks(completion)):
            if number == 0:
                chunk = {**chunk, "x_groq": x_groq}
            if previous is not None:
                yield previous
            previous = chunk
        if previous is not None:
            yield {**previous, "x_groq": {**x_groq, "usage": self.usage(completion)}}


_REASONING = "Echo it."


@variation(
    "deepseek",
    "DeepSeek (reasoner): `reasoning_content` before the text, sharing max_tokens, "
    "`: keep-alive` comments, blank lines before JSON, cache-hit usage, UUID ids. Source: "
    "https://api-docs.deepseek.com/api/create-chat-completion, "
    "https://api-docs.deepseek.com/quick_start/rate_limit",
)
class DeepSeekFormat(_StreamOptions):
    """Copied from DeepSeek's API documentation and captured deepseek-reasoner streams: ids are
    bare UUIDs; the message has `reasoning_content` (the chain of thought) beside `content`;
    usage has `prompt_tokens_details.cached_tokens`, `prompt_cache_hit_tokens`,
    `prompt_cache_miss_tokens` and `completion_tokens_details.reasoning_tokens`, the reasoning
    counted in `completion_tokens` and in the `max_tokens` budget; `system_fingerprint`
    `fp_..._prod0820_fp8_kvcache`; `logprobs: null`. The stream's role delta is `{"role":
    "assistant", "content": null, "reasoning_content": ""}`, then deltas `{"content": null,
    "reasoning_content": "..."}`, then `{"content": "...", "reasoning_content": null}`. While a
    request waits for the scheduler DeepSeek writes blank lines before a JSON body and
    `: keep-alive` comments before a stream's events (rate-limit page): two of each here."""

    usage_on_every_chunk = True
    fingerprint = "fp_ffc7281d48_prod0820_fp8_kvcache"

    def reasoning(self, request: ChatRequest) -> tuple[str, ...]:
        tokens = tuple(tokenize(_REASONING))
        limit = super().token_limit(request)
        return tokens if limit is None else tokens[:limit]

    def token_limit(self, request: ChatRequest) -> int | None:
        limit = super().token_limit(request)
        return None if limit is None else limit - len(self.reasoning(request))

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def usage(self, completion: Completion) -> dict:
        usage = super().usage(completion)
        thought = len(self.reasoning(completion.request)) * len(completion.outputs)
        completion_tokens = usage["completion_tokens"] + thought
        prompt = usage["prompt_tokens"]
        return {
            **usage,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": thought},
            "prompt_cache_hit_tokens": 0,
            "prompt_cache_miss_tokens": prompt,
        }

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        thought = "".join(self.reasoning(completion.request))
        for choice in body.get("choices", []):
            if isinstance(choice.get("message"), dict):
                choice["message"]["reasoning_content"] = thought
            choice["logprobs"] = None
        body["system_fingerprint"] = self.fingerprint
        return body

    def completion_reply(self, completion: Completion) -> Reply | StreamReply:
        reply = super().completion_reply(completion)
        if isinstance(reply, StreamReply):
            return replace(reply, writes=itertools.chain([b"\n", b"\n"], reply.writes))
        return StreamReply(reply.status, reply.headers, iter((b"\n", b"\n", reply.body)))

    def role_delta(self) -> dict:
        return {**super().role_delta(), "content": None, "reasoning_content": ""}

    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        choices = range(len(completion.outputs))
        thought = [
            StreamStep(choice, {"content": None, "reasoning_content": token}, None)
            for token in self.reasoning(completion.request)
            for choice in choices
        ]
        roles = [step for step in steps if "role" in step.delta]
        rest = [step for step in steps if "role" not in step.delta]
        for position, step in enumerate(rest):
            if "content" in step.delta and "reasoning_content" not in step.delta:
                rest[position] = step._replace(delta={**step.delta, "reasoning_content": None})
            elif step.finish_reason is not None and not step.delta:
                rest[position] = step._replace(delta={"content": "", "reasoning_content": None})
        return roles + thought + rest

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        chunk["system_fingerprint"] = self.fingerprint
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        return chunk

    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        keep_alive = f": keep-alive{self.newline}{self.newline}".encode()
        return super().writes(_prefixed(events, keep_alive * 2))


@variation(
    "openrouter",
    "OpenRouter: `: OPENROUTER PROCESSING` comments, `provider`, `native_finish_reason` (the "
    "upstream's own words), `gen-` ids, a usage chunk with `choices: []` at the end of every "
    "stream. Source: https://openrouter.ai/docs/api/reference/streaming, "
    "https://openrouter.ai/docs/api/reference/overview",
)
class OpenRouterFormat(Behaviour):
    """Copied from OpenRouter's API reference: ids `gen-<unix time>-<20 letters and digits>`;
    `provider` (here "Anthropic") on the response and every chunk; each choice's
    `finish_reason` normalised to OpenAI's words and `native_finish_reason` with the
    upstream's (Anthropic's "end_turn", "max_tokens", "stop_sequence"), `logprobs: null`; the
    message's `refusal: null` and `reasoning: null`; usage with `cost`, `is_byok` and token
    details; in streams, `: OPENROUTER PROCESSING` comments while the upstream has not answered
    and, always, a last chunk with `choices: []` and the usage."""

    provider = "Anthropic"

    def new_id(self) -> str:
        return f"gen-{int(time.time())}-{_random_text(20)}"

    def native_finish_reason(self, completion: Completion, output: Output) -> str:
        if output.finish_reason == "length":
            return "max_tokens"
        return "stop_sequence" if _stop_matched(completion, output) else "end_turn"

    def usage(self, completion: Completion) -> dict:
        return {
            **super().usage(completion),
            "cost": 0.000042,
            "is_byok": False,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        for choice, output in zip(body.get("choices", []), completion.outputs, strict=False):
            choice["native_finish_reason"] = self.native_finish_reason(completion, output)
            choice["logprobs"] = None
        return {"id": body.pop("id"), "provider": self.provider, **body}

    def message(self, output: Output) -> dict:
        return {**super().message(output), "refusal": None, "reasoning": None}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        for choice in chunk.get("choices", []):
            native = None
            if step.finish_reason is not None:
                output = completion.outputs[step.choice]
                native = self.native_finish_reason(completion, output)
            choice.update(native_finish_reason=native, logprobs=None)
        return {"id": chunk.pop("id"), "provider": self.provider, **chunk}

    def chunks(self, completion: Completion) -> Iterator[dict]:
        yield from super().chunks(completion)
        last = self.chunk(completion, StreamStep(0, {}, None))
        yield {**last, "choices": [], "usage": self.usage(completion)}

    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        comment = f": OPENROUTER PROCESSING{self.newline}{self.newline}".encode()
        return super().writes(_prefixed(events, comment * 2))


@variation(
    "vllm",
    "vLLM: `stop_reason` beside `finish_reason`, every optional field as null in JSON, the last "
    "token's text in the finishing chunk. Source: "
    "vllm-project/vllm:vllm/entrypoints/openai/chat_completion/protocol.py",
)
class VllmFormat(_StreamOptions):
    """Copied from vLLM's response models (ChatCompletionResponse, ChatMessage,
    ChatCompletionResponseStreamChoice, UsageInfo): ids `chatcmpl-<uuid hex>`; JSON responses
    list every optional field, null when unset (`refusal`, `annotations`, `audio`,
    `function_call`, `reasoning`, `logprobs`, `token_ids`, `routed_experts`, `service_tier`,
    `system_fingerprint`, `prompt_logprobs`, `prompt_token_ids`, `prompt_text`,
    `kv_transfer_params`, `ec_transfer_params`, `metrics`, usage's `prompt_tokens_details`);
    usage in vLLM's key order (prompt, total, completion); `stop_reason`: the matched stop
    string, or null. Stream chunks leave unset fields out, carry `logprobs: null`, and the
    finishing chunk holds the last piece of text (`{"content": ""}` after a natural stop) with
    `finish_reason` and `stop_reason`, as vLLM emits the last token's delta with its end."""

    def new_id(self) -> str:
        return f"chatcmpl-{uuid.uuid4().hex}"

    def usage(self, completion: Completion) -> dict:
        usage = super().usage(completion)
        order = ("prompt_tokens", "total_tokens", "completion_tokens")
        return {**{k: usage[k] for k in order}, **usage, "prompt_tokens_details": None}

    def message(self, output: Output) -> dict:
        nulls = ("refusal", "annotations", "audio", "function_call", "reasoning")
        return {**super().message(output), **dict.fromkeys(nulls)}

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        for choice, output in zip(body.get("choices", []), completion.outputs, strict=False):
            choice.update(
                logprobs=None,
                stop_reason=_stop_matched(completion, output),
                token_ids=None,
                routed_experts=None,
            )
        nulls = ("service_tier", "system_fingerprint")
        extra = ("prompt_logprobs", "prompt_token_ids", "prompt_text", "kv_transfer_params")
        usage = body.pop("usage", None)
        body.update(dict.fromkeys(nulls))
        body["usage"] = usage
        body.update(dict.fromkeys((*extra, "ec_transfer_params", "metrics")))
        return body

    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        for position, step in enumerate(steps):
            if step.finish_reason is None or step.delta:
                continue
            last = self._last_text(steps, position, step.choice)
            if step.finish_reason == "length" and last is not None:
                steps[position] = step._replace(delta=steps[last].delta)
                steps[last] = steps[last]._replace(delta={})  # dropped below
            else:
                steps[position] = step._replace(delta={"content": ""})
        return [s for s in steps if s.delta or s.finish_reason is not None]

    @staticmethod
    def _last_text(steps: list[StreamStep], end: int, choice: int) -> int | None:
        for position in range(end - 1, -1, -1):
            step = steps[position]
            if step.choice == choice and step.delta.get("content") and "role" not in step.delta:
                return position
        return None

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        for choice in chunk.get("choices", []):
            reason = choice.pop("finish_reason", None)
            choice.update(logprobs=None, finish_reason=reason)
            if reason is not None:
                output = completion.outputs[step.choice]
                choice["stop_reason"] = _stop_matched(completion, output)
        return chunk


_TIMINGS_KEYS = ("prompt", "predicted")
# llama-server's error types and the status it puts in `code` (server-common.cpp).
_LLAMA_CPP_ERRORS = {
    "invalid_api_key": (401, "authentication_error"),
    "unknown_url": (404, "not_found_error"),
    "method_not_allowed": (405, "invalid_request_error"),
    "request_too_large": (413, "invalid_request_error"),
    "rate_limit_exceeded": (503, "unavailable_error"),
}


@variation(
    "llama-cpp",
    "llama.cpp's llama-server: `timings` on the response and the last chunk, build "
    "`system_fingerprint`, `content: null` in the role delta, its own key order, numeric error "
    "`code`. Source: ggml-org/llama.cpp:tools/server/server-task.cpp, "
    "ggml-org/llama.cpp:tools/server/server-common.cpp",
)
class LlamaCppFormat(_StreamOptions):
    """Copied from llama-server's to_json_oaicompat_chat, to_json_oaicompat_chat_stream and the
    partial result's to_json_oaicompat_chat: keys in its order (choices, created, model,
    system_fingerprint, object, usage, id, then `timings`), choices as {finish_reason, index,
    message|delta}, usage as {completion_tokens, prompt_tokens, total_tokens},
    `system_fingerprint` the build ("b<number>-<commit>"), ids `chatcmpl-` and 32 letters and
    digits, the role delta `{"role": "assistant", "content": null}` in a chunk of its own, the
    finishing chunk `delta: {}`, the usage chunk (`choices: []`) only with include_usage, and
    `timings` (cache_n, prompt_n, prompt_ms, ..., predicted_per_second) on the last chunk.
    Errors are server-common.cpp's format_error_response: `{"error": {"code": <the HTTP status
    as a number>, "message", "type"}}`, no `param` (schemas/error.json allows a numeric code)."""

    build = "b6097-9515c613"

    def new_id(self) -> str:
        return f"chatcmpl-{_random_text(32)}"

    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        status, kind = _LLAMA_CPP_ERRORS.get(code, (400, "invalid_request_error"))
        return {"error": {"code": status, "message": message, "type": kind}}

    def timings(self, completion: Completion) -> dict:
        usage = Behaviour.usage(self, completion)
        counts = {"prompt": usage["prompt_tokens"], "predicted": usage["completion_tokens"]}
        timings: dict = {"cache_n": 0}
        for kind in _TIMINGS_KEYS:
            count = counts[kind]
            timings |= {
                f"{kind}_n": count,
                f"{kind}_ms": 1.5 * count,
                f"{kind}_per_token_ms": 1.5,
                f"{kind}_per_second": 666.6666666666666,
            }
        return timings

    def usage(self, completion: Completion) -> dict:
        usage = super().usage(completion)
        order = ("completion_tokens", "prompt_tokens", "total_tokens")
        return {**{k: usage[k] for k in order}, **usage}

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        ordered = {
            "choices": body.pop("choices"),
            "created": body.pop("created"),
            "model": body.pop("model"),
            "system_fingerprint": self.build,
            "object": body.pop("object"),
            "usage": body.pop("usage"),
            "id": body.pop("id"),
        }
        return {**ordered, **body, "timings": self.timings(completion)}

    def completion_choice(self, index: int, output: Output) -> dict:
        choice = super().completion_choice(index, output)
        order = ("finish_reason", "index", "message")
        return {**{k: choice[k] for k in order if k in choice}, **choice}

    def role_delta(self) -> dict:
        return {**super().role_delta(), "content": None}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        choices = []
        for choice in chunk.pop("choices", []):
            order = ("finish_reason", "index", "delta")
            choices.append({**{k: choice[k] for k in order if k in choice}, **choice})
        ordered = {
            "choices": choices,
            "created": chunk.pop("created", completion.created),
            "id": chunk.pop("id", completion.id),
            "model": chunk.pop("model", completion.model),
            "system_fingerprint": self.build,
            "object": chunk.pop("object", "chat.completion.chunk"),
        }
        return {**ordered, **chunk}

    def chunks(self, completion: Completion) -> Iterator[dict]:
        previous: dict | None = None
        for chunk in super().chunks(completion):
            if previous is not None:
                yield previous
            previous = chunk
        if previous is not None:
            yield {**previous, "timings": self.timings(completion)}


def _go_json(text: str) -> str:
    """JSON as Go's encoding/json writes it: <, >, & and U+2028/U+2029 escaped (they only occur
    inside strings, so the document means the same)."""
    for character, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(character, escape)
    return text


@variation(
    "ollama",
    "Ollama's /v1 layer: role and first text in one delta, `fp_ollama`, Go's JSON escapes "
    "(`\\u003c` for <), a trailing newline after JSON, a bare `delta: {}` finish chunk. Source: "
    "ollama/ollama:openai/openai.go, ollama/ollama:middleware/openai.go",
)
class OllamaFormat(_StreamOptions):
    """Copied from Ollama's OpenAI compatibility layer (openai.go's ChatCompletion,
    ChatCompletionChunk, toChunk, FinishChunk; middleware's ChatWriter): ids `chatcmpl-<number>`,
    `system_fingerprint: "fp_ollama"` on the response and every chunk, choices without
    `logprobs`, JSON written by Go (`<`, `>`, `&` as \\u003c, \\u003e, \\u0026) and, for a
    completion, followed by a newline (json.Encoder). In a stream the role comes with the first
    piece of text (no empty role chunk), later deltas carry only `content`, the finish comes
    in a chunk of its own with `delta: {}`, and with include_usage a `choices: []` usage chunk.

    Not copied: Ollama draws the number in the id below 999 (`rand.Intn(999)`), so two
    completions share an id about once in a thousand pairs, which breaks RESP-005 at random;
    here the number has nine digits."""

    def new_id(self) -> str:
        return f"chatcmpl-{secrets.randbelow(10**9)}"

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        usage = body.pop("usage", None)
        choices = body.pop("choices", None)
        return {**body, "system_fingerprint": "fp_ollama", "choices": choices, "usage": usage}

    def completion_reply(self, completion: Completion) -> Reply | StreamReply:
        reply = super().completion_reply(completion)
        if isinstance(reply, StreamReply):  # another variation writes the body in pieces
            pieces = (
                _go_json(w.decode()).encode() if isinstance(w, bytes) else w for w in reply.writes
            )
            return replace(reply, writes=itertools.chain(pieces, [b"\n"]))
        return replace(reply, body=(_go_json(reply.body.decode()) + "\n").encode())

    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        for choice in range(len(completion.outputs)):
            role = next((p for p, s in enumerate(steps) if s.choice == choice), None)
            first = next(
                (
                    p
                    for p, s in enumerate(steps)
                    if s.choice == choice and s.delta.get("content") and "role" not in s.delta
                ),
                None,
            )
            if role is None or first is None or "role" not in steps[role].delta:
                continue
            steps[first] = steps[first]._replace(
                delta={"role": steps[role].delta["role"], **steps[first].delta}
            )
            steps[role] = steps[role]._replace(delta={})  # dropped below
        return [s for s in steps if s.delta or s.finish_reason is not None]

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        choices = chunk.pop("choices", [])
        return {**chunk, "system_fingerprint": "fp_ollama", "choices": choices}

    def payloads(self, chunks: Iterable[dict]) -> Iterator[str]:
        return (_go_json(payload) for payload in super().payloads(chunks))


_BASE64URL = _ALNUM + "-_"


@variation(
    "anthropic",
    "Anthropic's OpenAI SDK compatibility layer: `msg_` ids, `refusal`, `audio`, `logprobs` and "
    "`service_tier` present but empty, usage details left out, include_usage honoured. Source: "
    "https://docs.anthropic.com/en/api/openai-sdk (Response fields)",
)
class AnthropicFormat(_StreamOptions):
    """Copied from the "Response fields" table of Anthropic's OpenAI SDK compatibility page:
    `id`, `choices[].finish_reason` (OpenAI's words: Claude's end_turn and stop_sequence become
    "stop", max_tokens "length"), `index`, `message.role`, `message.content`, `object`,
    `created`, `model` and the three usage counts are "Fully supported"; `choices[]` "Will
    always have a length of 1"; `stream_options` is "Fully supported" (the usage chunk with
    `choices: []`). The fields the page calls "Always empty" are sent as null where OpenAI's
    schema lets them be null (`message.refusal`, `message.audio`, `logprobs`, `service_tier`)
    and left out where it does not (`usage.completion_tokens_details`,
    `usage.prompt_tokens_details`, `system_fingerprint`): that reading of "empty" is ours.

    Not from a captured response: the id format. The page only says `id` is "Fully supported";
    `msg_01` and 22 letters and digits is the form of the Messages API's ids, assumed passed
    through. The page's other rules (temperature capped at 1, `n` must be 1, whitespace-only
    stop sequences do not work) change nothing this suite's probes can see: its stop probes
    stop at words, so a whitespace-stop fault would fail no requirement and is not added."""

    def new_id(self) -> str:
        return f"msg_01{_random_text(22)}"

    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "service_tier": None}

    def completion_choice(self, index: int, output: Output) -> dict:
        return {**super().completion_choice(index, output), "logprobs": None}

    def message(self, output: Output) -> dict:
        return {**super().message(output), "refusal": None, "audio": None}

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        for choice in chunk.get("choices", []):
            choice["logprobs"] = None
        return {**chunk, "service_tier": None}


@variation(
    "gemini",
    "Google Gemini's OpenAI compatibility endpoint: keys in alphabetical order, 23-character "
    "response ids, role on every delta and no role-only chunk, the finish in the last text "
    "chunk, running usage on every chunk. Source: https://ai.google.dev/gemini-api/docs/openai, "
    "Drunk-Dream/gemini-balance:record.md (a captured exchange)",
)
class GeminiFormat(Behaviour):
    """Copied from an exchange with generativelanguage.googleapis.com/v1beta/openai captured in
    gemini-balance's record.md (gemini-2.5-flash-lite, September 2025; a captured response, not
    documentation; the Google page only gives the endpoint and SDK usage): every
    object's keys in alphabetical order (choices, created, id, model, object, usage; a choice's
    delta|message, finish_reason, index), ids that are Gemini's responseId (23 characters of
    base64url, no prefix), no `logprobs`, usage as {completion_tokens, prompt_tokens,
    total_tokens}. In streams, every delta is `{"content", "role": "assistant"}`: there is no
    empty role chunk, the first chunk carries text; the finish arrives in the chunk with the
    last text; and every chunk carries `usage` with the counts so far, whether or not
    `stream_options.include_usage` was sent (so no `choices: []` usage chunk). Then `[DONE]`.

    Not copied: the captured chunks before the last have no `finish_reason` key at all; the
    documented chunk has `"finish_reason": null` (STREAM-002, STREAM-006), which is the fault
    `finish-reason-missing`. Gemini's errors, a JSON array around a Google error object, are
    the fault `gemini-error-list`."""

    def new_id(self) -> str:
        return _random_text(23, _BASE64URL)

    def completion_body(self, completion: Completion) -> dict:
        return _keys_sorted(super().completion_body(completion))

    def steps(self, completion: Completion) -> list[StreamStep]:
        role = self.assistant_role
        merged: list[StreamStep] = []
        for step in super().steps(completion):
            delta = step.delta
            if (
                step.finish_reason is None
                and "role" in delta
                and not any(v for k, v in delta.items() if k != "role")
            ):
                continue  # the role-only chunk: Gemini puts the role on every delta instead
            if step.finish_reason is not None and not delta:
                last = next(
                    (p for p in range(len(merged) - 1, -1, -1) if merged[p].choice == step.choice),
                    None,
                )
                if last is not None and merged[last].finish_reason is None:
                    merged[last] = merged[last]._replace(finish_reason=step.finish_reason)
                    continue
                delta = {"content": ""}
            merged.append(step._replace(delta={**delta, "role": role}))
        return merged

    def chunks(self, completion: Completion) -> Iterator[dict]:
        usage = self.usage(completion)
        emitted = 0
        previous: dict | None = None
        for chunk in super().chunks(completion):
            if previous is not None:
                yield previous
            for choice in chunk.get("choices") or []:
                if isinstance(choice.get("delta"), dict) and choice["delta"].get("content"):
                    emitted += 1
            done = min(emitted, usage["completion_tokens"])
            running = {
                "completion_tokens": done,
                "prompt_tokens": usage["prompt_tokens"],
                "total_tokens": usage["prompt_tokens"] + done,
            }
            previous = _keys_sorted({**chunk, "usage": running})
        if previous is not None:
            yield {**previous, "usage": _keys_sorted(usage)}


@variation(
    "mistral",
    "Mistral AI: 32-hex ids, the `p` padding field on chunks, usage (with `service_tier` inside) "
    "on the finishing chunk of every stream, `tool_calls: null`, its key order. Source: "
    "vercel/ai:packages/mistral/src/__fixtures__/mistral-usage-raw-live.chunks.txt, "
    "vercel/ai:packages/mistral/src/__fixtures__/mistral-usage-raw-live.json",
)
class MistralFormat(Behaviour):
    """Copied from responses of api.mistral.ai recorded live in the Vercel AI SDK's fixtures
    (mistral-small-latest; captured responses, not documentation): ids are 32 lowercase hex
    digits without prefix; a completion's keys in the order id, created, model, usage, object,
    choices; a choice as {index, finish_reason, message}, the message as {role,
    `tool_calls: null`, content}; usage as {prompt_tokens, total_tokens, completion_tokens,
    `prompt_tokens_details: {cached_tokens}`, `service_tier: "standard"`}. In streams the role
    delta is `{"role": "assistant", "content": ""}`, text chunks carry a padding field `p` of
    random letters and digits, and the finishing chunk has `delta: {"content": ""}`, `p` and
    the usage, whether or not `stream_options.include_usage` was sent (no `choices: []` usage
    chunk); then `[DONE]`. Mistral's other finish reasons (`model_length`, `error`) need a
    context window or a failure this server does not have and are not copied."""

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def usage(self, completion: Completion) -> dict:
        usage = super().usage(completion)
        order = ("prompt_tokens", "total_tokens", "completion_tokens")
        return {
            **{k: usage[k] for k in order},
            **usage,
            "prompt_tokens_details": {"cached_tokens": 0},
            "service_tier": "standard",
        }

    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        ordered = {
            k: body.pop(k) for k in ("id", "created", "model", "usage", "object") if k in body
        }
        return {**ordered, **body}

    def completion_choice(self, index: int, output: Output) -> dict:
        choice = super().completion_choice(index, output)
        order = ("index", "finish_reason", "message")
        return {**{k: choice[k] for k in order if k in choice}, **choice}

    def message(self, output: Output) -> dict:
        message = super().message(output)
        return {"role": message.pop("role"), "tool_calls": None, **message}

    def steps(self, completion: Completion) -> list[StreamStep]:
        return [
            step._replace(delta={"content": ""})
            if step.finish_reason is not None and not step.delta
            else step
            for step in super().steps(completion)
        ]

    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        if "role" in step.delta:
            return chunk
        chunk["p"] = _random_text(secrets.randbelow(36) + 1, _LOWER_ALNUM)
        if step.finish_reason is not None:
            usage = self.usage(completion)
            chunk = {
                **{k: v for k, v in chunk.items() if k != "p"},
                "usage": usage,
                "p": chunk["p"],
            }
        return chunk


SMALL_CONTEXT_BYTES = 600


@variation(
    "small-context",
    f"A model with a small context: a request whose messages hold more than "
    f"{SMALL_CONTEXT_BYTES} UTF-8 bytes is refused with 400 `context_length_exceeded`, as "
    "OpenAI refuses a prompt beyond the model's context. Source: OpenAI's error code "
    "context_length_exceeded (platform.openai.com/docs/guides/error-codes).",
)
class SmallContext(Behaviour):
    """Refusing a prompt that does not fit is legal: generated requests longer than this must
    be counted as refused for context length, never failed (GEN-001, GEN-005)."""

    def validate(self, payload: object) -> ChatRequest | Invalid:
        result = super().validate(payload)
        if isinstance(result, ChatRequest):
            size = sum(len(m.content.encode("utf-8", "surrogatepass")) for m in result.messages)
            if size > SMALL_CONTEXT_BYTES:
                message = (
                    f"This model's maximum context length is {SMALL_CONTEXT_BYTES} tokens. "
                    f"However, your messages resulted in {size} tokens."
                )
                return Invalid(message, "messages", "context_length_exceeded")
        return result


# `cr` and `crlf` exclude each other; `rate-limited` needs a retrying client, not a plain request.
_COMBINABLE = tuple(name for name in VARIATIONS if name not in ("cr", "rate-limited"))
VARIATIONS["all"] = Variation("all", f"All of: {', '.join(_COMBINABLE)}.", includes=_COMBINABLE)
