"""The contract's JSON Schemas, shipped inside the package, and validators built from them."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

REQUEST = "chat-completion.request.json"
RESPONSE = "chat-completion.response.json"
CHUNK = "chat-completion.chunk.json"
ERROR = "error.json"
ALL = (REQUEST, RESPONSE, CHUNK, ERROR)


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("conformance.schemas").joinpath(name).read_text("utf-8")
    return json.loads(text)


@cache
def validator(name: str):
    """A Draft 2020-12 validator that resolves references between our schemas offline."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (load_schema(other)["$id"], Resource.from_contents(load_schema(other))) for other in ALL
    )
    return Draft202012Validator(load_schema(name), registry=registry)


def schema_errors(name: str, instance: Any) -> list[str]:
    """Readable messages, one per violation, each with the JSON path where it happened."""
    messages = []
    for error in sorted(validator(name).iter_errors(instance), key=lambda e: list(e.path)):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        messages.append(f"${path}: {error.message}")
    return messages
