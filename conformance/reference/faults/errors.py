"""ERR faults: error responses that refuse correctly but look wrong."""

from __future__ import annotations

from ..behaviour import Behaviour
from ..engine import Invalid
from ..wire import Headers, Reply, encode_json
from ._registry import fault


@fault("error-detail", "ERR-001", description='FastAPI-style `{"detail": "..."}` error bodies.')
class ErrorDetail(Behaviour):
    def error_body(self, message: str, kind: str, param: str | None, code: str | None) -> dict:
        return {"detail": message}


@fault("error-text-plain", "ERR-002", description="Error bodies are labelled text/plain.")
class ErrorTextPlain(Behaviour):
    error_content_type = "text/plain; charset=utf-8"


@fault("error-404-for-invalid", "ERR-003", description="Invalid request bodies are answered 404.")
class Error404ForInvalid(Behaviour):
    def invalid_status(self, problem: Invalid) -> int:
        return 404


# google.rpc status names for the HTTP statuses the reference server refuses with.
_GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
}


@fault(
    "gemini-error-list",
    "ERR-001",
    description="Error bodies are a JSON array around a Google error object, as Gemini's OpenAI "
    'compatibility endpoint sends them: `[{"error": {"code": 400, "message", "status"}}]`. '
    "Source: https://github.com/continuedev/continue/issues/8516 (a captured body).",
)
class GeminiErrorList(Behaviour):
    """generativelanguage.googleapis.com/v1beta/openai answers errors with the Google API error
    wrapped in a one-element array (seen in captured bodies, e.g. for a bad key). OpenAI clients
    read `error.message` from an object, so the documented convention (ERR-001) fails; the
    statuses stay the conforming ones (Gemini also answers a bad key with 400, not 401: that
    part is `AUTH-004`'s business and is left out here)."""

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
        google = {
            "code": status,
            "message": message,
            "status": _GOOGLE_STATUS.get(status, "INVALID_ARGUMENT"),
        }
        body = encode_json([{"error": google}]).encode()
        return Reply(status, (("content-type", self.error_content_type), *headers), body)
