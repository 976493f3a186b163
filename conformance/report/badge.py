"""A report's verdict as a README badge: a static SVG, or the JSON a shields.io endpoint reads.

A badge is read in passing and trusted, so it claims no more than the run showed. The message
says the verdict and how many MUST requirements passed out of all the MUST requirements the
report lists: one skipped (could not be judged) or not run (``--only``, a shard) counts in the
total, not as passed. A strict run's SHOULD requirements decide too, so their tally follows.
Four states, each its own colour:

    conformant       every deciding requirement that failed: none         green
    known failures   not conformant, but every failure is in the baseline amber
    not conformant   a new failure at a deciding level                    red
    no verdict       throttled, a setup error, or nothing judged          grey

A merged report gets one badge for all its runs, as its verdict is: conformant only if every
target and model is, and the message says how many targets it covers. For one badge per
provider, draw one from each run's own report.

Same report, same bytes: widths come from a fixed table (``text_width``), numbers are integers
in tenths of a pixel, nothing is read from the clock or the fonts installed. The SVG names no
external resource; it carries ``role="img"``, an ``aria-label`` and a ``<title>`` with the whole
text, and every colour behind white text reaches 4.5:1 contrast (WCAG AA).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser imports this module for its defaults: nothing heavy at run time
    from conformance.report.shape import Report

DEFAULT_LABEL = "OpenAI API conformance"
FORMATS = ("svg", "shields")

CONFORMANT = "conformant"
KNOWN_FAILURES = "known failures"
NOT_CONFORMANT = "not conformant"
NO_VERDICT = "no verdict"

# The message side's colour per state (hex: the SVG and shields.io draw the same badge).
COLOURS = {
    CONFORMANT: "#2e7d32",
    KNOWN_FAILURES: "#9a6700",
    NOT_CONFORMANT: "#cb2431",
    NO_VERDICT: "#6a737d",
}
LABEL_COLOUR = "#555555"
TEXT_COLOUR = "#ffffff"


@dataclass(frozen=True)
class BadgeVerdict:
    state: str  # one of the four states above
    message: str  # the badge's right side: "conformant · 46/46 MUST"

    @property
    def colour(self) -> str:
        return COLOURS[self.state]


# ------------------------------------------------------------------------------- the verdict


def badge_verdict(report: Report) -> BadgeVerdict:
    """What the badge says about a (possibly merged) JSON report."""
    requirements = [r for r in report.get("requirements", []) if isinstance(r, dict)]
    levels = ("MUST", "SHOULD") if report.get("strict") else ("MUST",)
    preflight = (report.get("preflight") or {}).get("outcome")
    if report.get("complete") is False or preflight == "throttled":
        return BadgeVerdict(NO_VERDICT, f"{NO_VERDICT} · throttled")
    if preflight == "setup":
        return BadgeVerdict(NO_VERDICT, f"{NO_VERDICT} · setup error")
    judged = [
        r
        for r in requirements
        if r.get("level") in levels and r.get("status") in ("passed", "failed")
    ]
    if not judged:
        return BadgeVerdict(NO_VERDICT, f"{NO_VERDICT} · nothing judged")

    tallies = []
    for level in levels:
        listed = [r for r in requirements if r.get("level") == level]
        passed = sum(1 for r in listed if r.get("status") == "passed")
        tallies.append(f"{passed}/{len(listed)} {level}")
    tally = ", ".join(tallies)
    targets = len({str(run.get("label")) for run in report.get("runs") or []})
    if targets > 1:
        tally += f" · {targets} targets"

    if report.get("conformant"):
        return BadgeVerdict(CONFORMANT, f"{CONFORMANT} · {tally}")
    if report.get("gate_passed") and report.get("baseline"):
        known = int((report.get("summary") or {}).get("known_failed", 0))
        failures = "failure" if known == 1 else "failures"
        return BadgeVerdict(KNOWN_FAILURES, f"{known} known {failures} · {tally}")
    return BadgeVerdict(NOT_CONFORMANT, f"{NOT_CONFORMANT} · {tally}")


def clean_text(text: str) -> str:
    """One line of text XML can hold: control characters and whitespace runs become one space."""
    spaced = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs") or c in "\ufffe\uffff" else c for c in text
    )
    return " ".join(spaced.split())


# ------------------------------------------------------------------------------- text widths

# Advance widths of Verdana's glyphs in font units (2048 to the em), approximated for this
# table. A badge only needs its boxes to fit the text; ``textLength`` in the SVG then stretches
# or squeezes whatever font the viewer has to exactly this width.
_UNITS_PER_EM = 2048
_WIDTHS: dict[int, str] = {
    550: "'",
    560: "il",
    700: "j",
    718: "f",
    720: " ",
    745: ",.·",
    806: "!",
    807: "t",
    862: "I",
    874: "r",
    930: "()-/:;[\\]|",
    931: "J",
    940: '"',
    1051: "z",
    1061: "c",
    1066: "s",
    1117: "?",
    1141: "L",
    1178: "F",
    1185: "x",
    1186: "kvy",
    1202: "e",
    1229: "a",
    1232: "o",
    1235: "P",
    1237: "T",
    1239: "Y",
    1271: "bdgpq",
    1294: "E",
    1296: "hnu",
    1300: "{}",
    1302: "0123456789$*_`\u2013",  # and the en dash
    1396: "S",
    1400: "Z",
    1401: "AV",
    1403: "X",
    1405: "B",
    1419: "K",
    1424: "R",
    1430: "C",
    1488: "&",
    1499: "U",
    1532: "N",
    1540: "H",
    1577: "D",
    1587: "G",
    1612: "OQ",
    1647: "w",
    1676: "#+<=>^~",
    1726: "M",
    1989: "m",
    2025: "W",
    2048: "@—…",
    2204: "%",
}
_WIDTH_OF = {char: units for units, chars in _WIDTHS.items() for char in chars}
_OTHER = 1302  # a letter the table lacks: as wide as a digit
_WIDE = 2048  # CJK and other full-width characters: one em


def _units(char: str) -> int:
    if char in _WIDTH_OF:
        return _WIDTH_OF[char]
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _WIDE
    return _OTHER


def text_width(text: str, font_px: int = 11) -> int:
    """The width of ``text`` in Verdana at ``font_px``, in tenths of a pixel, rounded."""
    units = sum(_units(c) for c in text)
    return (units * font_px * 10 + _UNITS_PER_EM // 2) // _UNITS_PER_EM


# ---------------------------------------------------------------------------------- the SVG

_HEIGHT = 20  # px
_PADDING = 60  # tenths of a pixel either side of a text
_CORNER = 3  # px
_FONT = "Verdana,Geneva,DejaVu Sans,sans-serif"


def _px(tenths: int) -> str:
    """A length in tenths of a pixel as SVG writes it: 123 -> "12.3", 120 -> "12"."""
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


def _xml(text: str) -> str:
    """Text for an XML attribute or element, in ASCII (character references beyond it)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    return "".join(c if ord(c) < 127 else f"&#x{ord(c):x};" for c in escaped)


def _part(text: str, start: int) -> tuple[int, str]:
    """One side of the badge: its width in tenths (whole pixels) and its ``<text>`` element."""
    width = text_width(text)
    box = -(-(width + 2 * _PADDING) // 10) * 10  # up to a whole pixel: crisp edges
    element = (
        f'<text x="{_px(start + box // 2)}" y="14" textLength="{_px(width)}">{_xml(text)}</text>'
    )
    return box, element


def svg_badge(verdict: BadgeVerdict, label: str = DEFAULT_LABEL) -> str:
    """The badge as a self-contained SVG document (ASCII, ends with a newline)."""
    label, message = clean_text(label), clean_text(verdict.message)
    title = f"{label}: {message}" if label else message
    label_box, label_text = _part(label, 0) if label else (0, "")
    message_box, message_text = _part(message, label_box)
    width = _px(label_box + message_box)
    shapes = [f'<rect width="{width}" height="{_HEIGHT}" rx="{_CORNER}" fill="{verdict.colour}"/>']
    if label:
        shapes += [
            f'<rect width="{_px(label_box)}" height="{_HEIGHT}" rx="{_CORNER}" '
            f'fill="{LABEL_COLOUR}"/>',
            # squares the label's right corners where it meets the message
            f'<rect x="{_px(label_box - 10 * _CORNER)}" width="{_CORNER}" height="{_HEIGHT}" '
            f'fill="{LABEL_COLOUR}"/>',
        ]
    texts = [t for t in (label_text, message_text) if t]
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_HEIGHT}" '
        f'viewBox="0 0 {width} {_HEIGHT}" role="img" aria-label="{_xml(title)}">',
        f"<title>{_xml(title)}</title>",
        *shapes,
        f'<g fill="{TEXT_COLOUR}" text-anchor="middle" font-family="{_FONT}" font-size="11">',
        *texts,
        "</g>",
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ the shields endpoint


def shields_endpoint(verdict: BadgeVerdict, label: str = DEFAULT_LABEL) -> str:
    """The JSON a shields.io endpoint badge reads (https://shields.io/badges/endpoint-badge):
    ``schemaVersion`` 1, ``label`` (may be empty), ``message`` (never empty), ``color``."""
    document = {
        "schemaVersion": 1,
        "label": clean_text(label),
        "message": clean_text(verdict.message),
        "color": verdict.colour,
    }
    return json.dumps(document, indent=2) + "\n"


def render(report: Report, badge_format: str = "svg", label: str = DEFAULT_LABEL) -> str:
    """The badge of ``report`` in ``badge_format`` (one of ``FORMATS``)."""
    verdict = badge_verdict(report)
    if badge_format == "shields":
        return shields_endpoint(verdict, label)
    return svg_badge(verdict, label)
