"""RESP faults: a non-streaming completion whose envelope is wrong in one place."""

from __future__ import annotations

from ..behaviour import Behaviour, Completion
from ..engine import Output
from ._registry import fault


@fault("json-text-plain", "RESP-013", description="Serves the JSON completion as text/plain.")
class JsonTextPlain(Behaviour):
    completion_content_type = "text/plain; charset=utf-8"


@fault(
    "created-ms", "RESP-004", description="`created` in milliseconds, as JavaScript's Date.now()."
)
class CreatedMs(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "created": completion.created * 1000}


@fault(
    "created-float", "RESP-002", "RESP-004", description="`created` as a float, e.g. 1699000000.25."
)
class CreatedFloat(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "created": completion.created + 0.25}


@fault("created-string", "RESP-002", "RESP-004", description="`created` as a string of digits.")
class CreatedString(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "created": str(completion.created)}


@fault(
    "object-wrong",
    "RESP-003",
    "RESP-002",
    description='`object` is "text_completion" (the legacy API).',
)
class ObjectWrong(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "object": "text_completion"}


@fault(
    "nan-in-body",
    "RESP-001",
    description="An extra field is `NaN`, as Python's json.dumps writes float('nan') by default.",
)
class NanInBody(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "x_latency_score": float("nan")}


@fault("constant-id", "RESP-005", description="Every completion has the same `id`.")
class ConstantId(Behaviour):
    def new_id(self) -> str:
        return "chatcmpl-reference"


@fault("empty-choices", "RESP-006", "RESP-002", description="`choices` is an empty array.")
class EmptyChoices(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        return {**super().completion_body(completion), "choices": []}


@fault("index-from-one", "RESP-007", description="Choices are numbered from 1.")
class IndexFromOne(Behaviour):
    def completion_choice(self, index: int, output: Output) -> dict:
        return super().completion_choice(index + 1, output)


@fault(
    "role-model",
    "RESP-008",
    "STREAM-005",
    "RESP-002",
    description='The reply\'s role is Gemini\'s "model" instead of "assistant".',
)
class RoleModel(Behaviour):
    assistant_role = "model"


@fault("content-null", "RESP-008", "RESP-002", description="`message.content` is null.")
class ContentNull(Behaviour):
    def message(self, output: Output) -> dict:
        return {**super().message(output), "content": None}


@fault(
    "finish-end-turn",
    "RESP-009",
    "STREAM-006",
    "RESP-002",
    "STREAM-002",
    description='`finish_reason` is Anthropic\'s "end_turn" instead of "stop".',
)
class FinishEndTurn(Behaviour):
    def finish_reason(self, output: Output) -> str:
        reason = super().finish_reason(output)
        return "end_turn" if reason == "stop" else reason


@fault("usage-mismatch", "RESP-012", description="`total_tokens` is one more than the sum.")
class UsageMismatch(Behaviour):
    def usage(self, completion: Completion) -> dict:
        usage = super().usage(completion)
        return {**usage, "total_tokens": usage["total_tokens"] + 1}


@fault("usage-missing", "RESP-002", "RESP-010", description="The completion has no `usage`.")
class UsageMissing(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.pop("usage", None)
        return body


@fault("model-missing", "RESP-002", "RESP-011", description="The completion has no `model`.")
class ModelMissing(Behaviour):
    def completion_body(self, completion: Completion) -> dict:
        body = super().completion_body(completion)
        body.pop("model", None)
        return body


@fault(
    "finish-eos",
    "RESP-009",
    "STREAM-006",
    "RESP-002",
    "STREAM-002",
    description='`finish_reason` is Together AI\'s "eos" for a natural end, in JSON and streams. '
    "Source: https://docs.together.ai/reference/chat-completions-1 (FinishReason: stop, eos, "
    "length, tool_calls, function_call).",
)
class FinishEos(Behaviour):
    """Together AI reports a model that emitted its end-of-sequence token as "eos"; the
    documented contract allows only stop, length and content_filter."""

    def finish_reason(self, output: Output) -> str:
        reason = super().finish_reason(output)
        return "eos" if reason == "stop" else reason
