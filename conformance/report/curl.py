"""A recorded request as a ``curl`` command a person can paste into a shell to see it again.

The key is never in the command: the record already shows the valid key as ``$API_KEY`` and
each extra header (``--header``) as ``$HEADER_<NAME>``; those headers are written in double
quotes so the shell fills them in from the environment, and a first comment line names the
variables to set.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.records import Exchange

KEY_PLACEHOLDER = "Bearer $API_KEY"
# A value the record shows as a variable (conformance.request_headers.placeholder)
_PLACEHOLDER = re.compile(r"(?:Bearer )?\$([A-Z_][A-Z0-9_]*)")


def header_name(name: str) -> str:
    """``content-type`` -> ``Content-Type``: how people write header names."""
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def quote_bytes(data: bytes) -> str:
    """One shell word holding exactly these bytes: quoted as is when it is printable UTF-8, else
    with bash's ANSI-C quoting, every other byte as \\xHH, so that no control, bidi or line
    separator character ever reaches a terminal raw (generated requests carry all of them)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text.isprintable():
        return shlex.quote(text)
    escaped = "".join(
        chr(b) if 0x20 <= b < 0x7F and chr(b) not in "\\'" else f"\\x{b:02x}" for b in data
    )
    return f"$'{escaped}'"


def curl_command(exchange: Exchange) -> str:
    """The recorded request as a ready-to-run command: the key is ``$API_KEY``, the body its
    exact bytes (none when the request sent none)."""
    request = exchange.request
    sends_body = request.body is not None or request.raw_body is not None
    return build_command(
        exchange.url,
        request.method,
        exchange.request_headers,
        request.encoded_body() if sends_body else None,
        stream=request.wants_stream,
    )


def build_command(
    url: str,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    stream: bool = False,
) -> str:
    """The command, one option per line, continued with backslashes."""
    first = ["curl", "-sS", "-i"]
    if stream:
        first.append("-N")  # print events as they arrive
    if method != "POST" or body is None:
        first += ["-X", method]
    first.append(shlex.quote(url))
    lines = [" ".join(first)]
    variables: list[str] = []
    for name, value in headers.items():
        shown = f"{header_name(name)}: {value}"
        variable = _PLACEHOLDER.fullmatch(value)
        if variable:
            lines.append(f'-H "{shown}"')  # double quotes: the shell expands $API_KEY
            variables.append(variable.group(1))
        else:
            lines.append(f"-H {shlex.quote(shown)}")
    if body is not None:
        lines.append(f"--data-binary {quote_bytes(body)}")
    command = " \\\n  ".join(lines)
    if any(v != "API_KEY" for v in variables):  # the key alone needs no word: it always was
        command = f"# set {', '.join(variables)} first (the values of those headers)\n{command}"
    return command
