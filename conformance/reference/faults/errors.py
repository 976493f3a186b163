"""ERR faults: error responses that refuse correctly but look wrong."""

from __future__ import annotations

from ..behaviour import Behaviour
from ..engine import Invalid
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
