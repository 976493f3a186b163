"""STREAM faults: the chunks of a stream are wrong, or the stream does not end."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator

from ..behaviour import Behaviour, Completion, StreamStep
from ..engine import ChatRequest
from ..wire import Pause
from ._registry import fault

# Faults that never end on their own still stop here, so a forgotten client cannot pin a server.
ENDLESS_SECONDS = 60.0
FOREVER_INTERVAL = 0.01


def _content_steps(steps: list[StreamStep]) -> list[int]:
    """Positions of the steps that carry reply text (not the role step, not a finish step)."""
    return [
        position
        for position, step in enumerate(steps)
        if step.delta.get("content") and "role" not in step.delta and step.finish_reason is None
    ]


def _has_content(chunk: dict) -> bool:
    choices = chunk.get("choices") or [{}]
    delta = choices[0].get("delta") or {}
    return bool(delta.get("content")) and "role" not in delta


@fault(
    "stream-as-json",
    "STREAM-001",
    "SSE-002",
    "STREAM-002",
    description="Answers `stream: true` with a JSON completion.",
)
class StreamAsJson(Behaviour):
    def wants_stream(self, request: ChatRequest) -> bool:
        return False


@fault(
    "stream-wrong-content-type",
    "STREAM-001",
    description="Sends a correct event stream labelled application/json.",
)
class StreamWrongContentType(Behaviour):
    stream_content_type = "application/json"


@fault(
    "chunk-object-wrong",
    "STREAM-003",
    "STREAM-002",
    description='Chunks say `object` "chat.completion".',
)
class ChunkObjectWrong(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "object": "chat.completion"}


@fault("chunk-id-changes", "STREAM-004", description="Every chunk has a fresh `id`.")
class ChunkIdChanges(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return {**super().chunk(completion, step), "id": self.new_id()}


@fault(
    "azure-first-chunk",
    "STREAM-003",
    "STREAM-004",
    "STREAM-002",
    "STREAM-008",
    description="An Azure-style first chunk with empty id, object and model and no choices.",
)
class AzureFirstChunk(Behaviour):
    def chunks(self, completion: Completion) -> Iterable[dict]:
        filters = [{"prompt_index": 0, "content_filter_results": {}}]
        first = {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": filters,
        }
        return itertools.chain([first], super().chunks(completion))


@fault("no-role", "STREAM-005", description="The first delta has no `role`.")
class NoRole(Behaviour):
    def role_delta(self) -> dict:
        return {"content": ""}


@fault(
    "finish-reason-empty-string",
    "STREAM-002",
    "STREAM-006",
    description='Chunks before the last say `finish_reason` "" instead of null.',
)
class FinishReasonEmptyString(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        return super().chunk(completion, step._replace(finish_reason=step.finish_reason or ""))


@fault(
    "finish-reason-missing",
    "STREAM-002",
    "STREAM-006",
    description="Chunks before the last have no `finish_reason` key.",
)
class FinishReasonMissing(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        for choice in chunk.get("choices", []):
            if choice.get("finish_reason") is None:
                choice.pop("finish_reason", None)
        return chunk


@fault("finish-reason-twice", "STREAM-006", description="The finishing chunk is sent twice.")
class FinishReasonTwice(Behaviour):
    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        return steps + [step for step in steps if step.finish_reason is not None]


@fault(
    "content-after-finish",
    "STREAM-006",
    description="The last piece of text arrives after the finishing chunk.",
)
class ContentAfterFinish(Behaviour):
    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        positions = _content_steps(steps)
        late = steps.pop(positions[-1]) if positions else StreamStep(0, {"content": ""}, None)
        return [*steps, late]


@fault(
    "stream-stall",
    "STREAM-007",
    "SSE-002",
    "STREAM-006",
    "PARAM-007",
    description="Sends two chunks, then nothing, holding the connection open.",
)
class StreamStall(Behaviour):
    def writes(self, events: Iterable[bytes]) -> Iterator[bytes | Pause]:
        yield from super().writes(itertools.islice(events, 2))
        yield Pause(ENDLESS_SECONDS)


@fault(
    "stream-forever",
    "STREAM-007",
    "SSE-002",
    "STREAM-006",
    "PARAM-007",
    description="Repeats content chunks every 10 ms and never finishes.",
)
class StreamForever(Behaviour):
    @property
    def token_interval(self) -> float:
        return max(super().token_interval, FOREVER_INTERVAL)

    def chunks(self, completion: Completion) -> Iterator[dict]:
        yield self.chunk(completion, StreamStep(0, self.role_delta(), None))
        deadline = time.monotonic() + ENDLESS_SECONDS
        for token in itertools.cycle(completion.outputs[0].tokens or ("again ",)):
            if time.monotonic() > deadline:
                return
            yield self.chunk(completion, StreamStep(0, {"content": token}, None))


@fault(
    "chunk-missing-created-model",
    "STREAM-008",
    description="Chunks carry neither `created` nor `model`.",
)
class ChunkMissingCreatedModel(Behaviour):
    def chunk(self, completion: Completion, step: StreamStep) -> dict:
        chunk = super().chunk(completion, step)
        chunk.pop("created", None)
        chunk.pop("model", None)
        return chunk


@fault(
    "delta-content-number",
    "STREAM-002",
    "STREAM-009",
    description="One delta's `content` is a number instead of a string.",
)
class DeltaContentNumber(Behaviour):
    def steps(self, completion: Completion) -> list[StreamStep]:
        steps = super().steps(completion)
        positions = _content_steps(steps) or [0]
        step = steps[positions[0]]
        steps[positions[0]] = step._replace(delta={**step.delta, "content": 42})
        return steps


@fault(
    "error-in-stream",
    "STREAM-002",
    "STREAM-003",
    "STREAM-004",
    "STREAM-008",
    description="An error object arrives inside the 200 stream instead of the last text chunk.",
)
class ErrorInStream(Behaviour):
    def chunks(self, completion: Completion) -> Iterator[dict]:
        # Hold back each text chunk until the next one shows whether it was the last.
        error = self.error_body("The upstream model failed.", "server_error", None, None)
        held: dict | None = None
        replaced = False
        for chunk in super().chunks(completion):
            if _has_content(chunk) and not replaced:
                if held is not None:
                    yield held
                held = chunk
                continue
            if held is not None:
                yield error
                held, replaced = None, True
            yield chunk
        if held is not None:
            yield error
