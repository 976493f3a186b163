"""The headers a run adds to every request: the key's header and the user's extra headers.

Providers disagree on where the key goes: OpenAI reads ``Authorization: Bearer <key>``, Azure
OpenAI ``api-key: <key>``, and gateways route on headers of their own (Portkey's
``x-portkey-*``, OpenRouter's ``HTTP-Referer``). Here they are parsed, refused when they would
break the exchange, and shown without their values: an extra header may be a secret
(``x-portkey-api-key``), so every one is shown as a shell variable, like the key.

Standard library only: the option table imports this for ``--help``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = [
    "DEFAULT_AUTH_HEADER",
    "KEY_VARIABLE",
    "HeaderError",
    "auth_value",
    "check_auth_header",
    "extra_headers",
    "key_header",
    "parse_header",
    "placeholder",
    "variable_of",
]

DEFAULT_AUTH_HEADER = "Authorization"
KEY_VARIABLE = "API_KEY"
# The exchange sets these itself: a JSON body, and bytes it can bound (no compression).
FIXED = frozenset({"content-type", "accept-encoding"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 section 5.6.2


class HeaderError(ValueError):
    """A header the run cannot send; the message is one line and never holds the value."""


def check_auth_header(name: str) -> str:
    """The key's header name, stripped; refused when it is no header name or a fixed one."""
    name = name.strip()
    if not _TOKEN.fullmatch(name):
        raise HeaderError(f"not a header name: {name!r}")
    if name.lower() in FIXED:
        raise HeaderError(f"the key cannot go in {name}: the suite sets it")
    return name


def parse_header(text: str) -> str:
    """``NAME: VALUE`` checked and tidied (``NAME: VALUE`` again, one space after the colon)."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _TOKEN.fullmatch(name):
        raise HeaderError("expected 'NAME: VALUE' with a header name before the colon")
    if any(c in value for c in "\r\n\0"):
        raise HeaderError(f"the value of {name} holds a line break or NUL")
    return f"{name}: {value}"


def extra_headers(items: Iterable[str], auth_header: str) -> tuple[tuple[str, str], ...]:
    """The extra headers as (name, value) pairs, refused when one would replace a header the
    suite sets (Content-Type, Accept-Encoding, the key's) or another extra header."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in items:
        name, _, value = parse_header(item).partition(": ")
        lowered = name.lower()
        if lowered in FIXED or lowered == auth_header.lower():
            raise HeaderError(f"{name} cannot be set with --header: the suite sets it")
        if lowered in seen:
            raise HeaderError(f"{name} is given twice")
        seen.add(lowered)
        pairs.append((name, value))
    return tuple(pairs)


def auth_value(auth_header: str, key: str) -> str:
    """The key as its header carries it: a bearer token in Authorization, else bare."""
    return f"Bearer {key}" if auth_header.lower() == "authorization" else key


def variable_of(name: str) -> str:
    """The shell variable a report names for an extra header: ``x-portkey-config`` ->
    ``HEADER_X_PORTKEY_CONFIG``."""
    return "HEADER_" + re.sub(r"[^A-Z0-9]", "_", name.upper())


def placeholder(variable: str, auth_header: str | None = None) -> str:
    """A value as shown: ``$VARIABLE`` (``Bearer $API_KEY`` for the key in Authorization)."""
    shown = f"${variable}"
    return auth_value(auth_header, shown) if auth_header else shown


def key_header(shown: Mapping[str, str]) -> str | None:
    """The header that carried the key in a record's headers (shown as ``$API_KEY``), if any."""
    key = placeholder(KEY_VARIABLE)
    return next((name for name, value in shown.items() if value.endswith(key)), None)
