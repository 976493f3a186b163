"""Text as people read it in a report line, a terminal or a CI log: escaped and cut.

Everything a target sent is hostile to a terminal (control, bidi and line separator characters)
and may be any length. ``printable`` escapes what would garble a terminal; ``shortened`` is the
one place text is cut, so every cut looks the same and says that it is one.

A leaf module: checks, the preflight and the reports all use it, and it imports nothing of theirs.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"


def printable(text: str, keep_newlines: bool = False) -> str:
    """Text safe for a terminal and a report: control, format (bidi), separator and unassigned
    characters escaped (spaces and, if asked, newlines kept), the rest as is."""
    kept = " \n" if keep_newlines else " "
    return "".join(
        char
        if char in kept or unicodedata.category(char)[0] not in "CZ"
        else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def unicode_safe(text: str) -> str:
    """Lone surrogates (a server may send "\\ud800": legal JSON, not Unicode) as their escape,
    so that text from a response can be written as UTF-8 in every report."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def shortened(text: str, limit: int, *, tail: int = 0, prose: bool = False) -> str:
    """``text`` with at most ``limit`` of its characters: all of it when it fits, else its start,
    an ellipsis and, when ``tail`` is given, its last ``tail`` characters, with a line between
    them saying how many characters were left out (for bodies, whose end matters too).

    ``prose`` cuts at a word boundary, so that no word is shown half; a value (a body, a repr, an
    event) is cut exactly where the limit falls. A cut that would not make the text shorter is
    not made.
    """
    text = unicode_safe(text)
    limit = max(limit, 0)
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - tail)]
    if prose:
        space = head.rfind(" ")
        if not text[len(head)].isspace() and space > len(head) // 2:
            head = head[:space]  # (a word longer than half the room is cut where it falls)
        head = head.rstrip()
    end = text[len(text) - tail :] if tail else ""
    left_out = len(text) - len(head) - len(end)
    marker = f"\n{ELLIPSIS} [{left_out} characters left out] {ELLIPSIS}\n" if tail else ELLIPSIS
    if left_out <= len(marker):
        return text
    return head + marker + end
