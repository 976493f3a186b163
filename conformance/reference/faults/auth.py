"""AUTH faults: how gateways get the bearer key check wrong."""

from __future__ import annotations

from ..behaviour import Behaviour
from ..wire import Reply
from ._registry import fault


@fault(
    "auth-missing-accepted",
    "AUTH-001",
    description="Serves requests that carry no Authorization header at all.",
)
class AuthMissingAccepted(Behaviour):
    def authenticate(self, authorization: str | None) -> Reply | None:
        return None if authorization is None else super().authenticate(authorization)


@fault(
    "auth-any-key-accepted",
    "AUTH-002",
    description="Checks that a key is present but not that it is valid.",
)
class AuthAnyKeyAccepted(Behaviour):
    def authenticate(self, authorization: str | None) -> Reply | None:
        return super().authenticate(authorization) if authorization is None else None


@fault(
    "auth-403",
    "AUTH-004",
    description="Refuses missing or wrong keys with 403 Forbidden instead of 401.",
)
class Auth403(Behaviour):
    auth_failure_status = 403


@fault(
    "auth-rejects-all",
    "AUTH-003",
    "REQ-012",
    "STREAM-001",
    "ERR-003",
    description="Refuses every key, the valid one included (a broken key store).",
)
class AuthRejectsAll(Behaviour):
    def authenticate(self, authorization: str | None) -> Reply | None:
        return super().authenticate(authorization) or self.unauthorized(
            "Incorrect API key provided."
        )
