"""Live progress in the terminal while the run's requests are in flight.

Every request of a run goes out while the first tests wait for their exchanges, so without this
the terminal is silent for as long as the target takes (seconds against the reference server at
300 ms latency, minutes against a real provider). Two pieces:

``LineGate`` is the file pytest's terminal writer writes to. pytest writes partial lines (a
module's name, then a dot per test as it ends); a progress line written from another thread
would land in the middle of one. The gate keeps every line whole:

- not a terminal (a CI log, a pipe): pytest's text is let through a whole line at a time, and a
  progress line is written only between two whole lines. No control characters are added.
- a terminal (not ``TERM=dumb``, which shows the codes as text: it is treated as a log):
  pytest's text goes through at once, and the progress is drawn after it on the current line;
  before pytest writes again it is erased (cursor back, clear to the end of the line), so
  pytest's own line reads as if it had been alone, and the last drawing is erased at the end.

``ProgressTicker`` is the thread that draws: as soon as the first request is queued (a tenth of
a second later, once the run's plan is queued too), then every ``LOG_INTERVAL`` seconds in a log
(every second, and on each change at most five times a second, on a terminal) while requests
are pending, even when none ends (a slow target shows the same counts, the seconds growing),
once more when the last one ends; idle otherwise. It is a daemon and ``stop`` waits for it
briefly, so it never keeps a run from ending.

``PreflightProgress`` covers the one request the CLI sends before pytest starts (the preflight),
which a target that never answers or always throttles can hold for a long time.

The gate also writes paths as a user reads them: the installed package's directory and any
``site-packages`` prefix are left out (a traceback from a crash shows ``conformance/...``).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TextIO

from conformance.progress import RequestCounts, Snapshot
from conformance.report.text import shortened

SETTLE = 0.1  # after the first request is queued: the rest of the plan is queued within this
TTY_REFRESH = 0.2  # a terminal's line is redrawn at most this often,
TTY_EVERY = 1.0  # and this often at least (the seconds count up)
LOG_INTERVAL = 1.5  # a log gets a progress line this often while requests are pending: under
# the 2 s a reader (or a CI watchdog) waits before thinking the run hangs, and no more often
PREFLIGHT_QUIET = 1.0  # the CLI's preflight says nothing when it is answered within this
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_INSTALLED = re.compile(r"(?:[A-Za-z]:)?[^\s'\"(\[]*[/\\](?:site|dist)-packages[/\\]")


def _package_parent() -> re.Pattern[str]:
    """The directory holding the ``conformance`` package, absolute or relative to any directory
    (pytest writes ``../../work/src/conformance/...`` when that is shorter), where a path into
    the package follows: in an editable install it is the checkout, whose other paths (the
    reports written there) must stay as they are."""
    parent = Path(__file__).resolve().parents[2]
    tails = ["/".join(parent.parts[i:]) for i in range(1, len(parent.parts))]
    relative = "|".join(re.escape(tail) for tail in sorted(tails, key=len, reverse=True))
    start = r"(?<![\w.\-/\\])"  # not inside a longer path
    package = r"(?=conformance[/\\])"  # only paths into the package: a report's path stays whole
    return re.compile(
        rf"{start}(?:(?:\.\.[/\\])+(?:{relative})|{re.escape(str(parent))})[/\\]{package}"
    )


_PACKAGE_PARENT = _package_parent()


def relative_paths(text: str) -> str:
    """``text`` with installed paths as a user reads them: ``conformance/suite/x.py``."""
    return _INSTALLED.sub("", _PACKAGE_PARENT.sub("", text))


def visible_width(text: str) -> int:
    """Columns the text takes on the current line (colours take none; a carriage return starts
    the line again)."""
    return len(_ANSI.sub("", text).rsplit("\r", 1)[-1])


def progress_text(snapshot: Snapshot, now: float | None = None) -> str:
    """One line: ``requests 57/150 done, 4 in flight, retried 3 (429: 2, 503: 1), 5 s``; per
    model when there are several."""
    text = f"requests {snapshot.done}/{snapshot.planned} done"
    named = {m: c for m, c in snapshot.models.items() if m}
    if len(named) > 1:
        text += " (" + ", ".join(f"{m} {c.done}/{c.planned}" for m, c in named.items()) + ")"
    text += f", {snapshot.in_flight} in flight"
    retried = sum(snapshot.retries.values())
    if retried:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(snapshot.retries.items()))
        text += f", retried {retried} ({reasons})"
    if snapshot.throttled:
        text += f", {snapshot.throttled} still throttled after every retry"
    if snapshot.first_request_at is not None:
        seconds = (time.monotonic() if now is None else now) - snapshot.first_request_at
        text += f", {seconds:.0f} s"
    return text


def redraws(out: TextIO) -> bool:
    """Whether a line can be redrawn on ``out``: a terminal that understands cursor movement
    (``TERM=dumb``, as in an editor's shell buffer, prints the escape codes as text)."""
    return out.isatty() and os.environ.get("TERM") != "dumb"


class LineGate:
    """A text file for pytest's terminal writer; see the module docstring."""

    def __init__(self, out: TextIO, *, tty: bool | None = None, width: int = 80) -> None:
        self._out = out
        self._tty = redraws(out) if tty is None else tty
        self._width = width
        self._lock = threading.RLock()
        self._pending = ""  # the current line, as far as pytest has written it
        self._status = ""  # the progress drawn after it (a terminal only)
        self._gone = False  # the reader went away (``| head``): nothing more is written

    @property
    def encoding(self) -> str:
        return getattr(self._out, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        return self._out.fileno()

    def write(self, text: str) -> int:
        with self._lock:
            shown = relative_paths(text)
            if self._tty:
                self._erase_status()
                self._emit(shown)
                self._pending = (self._pending + shown).rsplit("\n", 1)[-1]
            else:
                whole, _, self._pending = (self._pending + shown).rpartition("\n")
                if whole or _:
                    self._emit(whole + "\n")
            self._flush_out()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._flush_out()

    def show(self, status: str | None, short: str | None = None) -> None:
        """A terminal: draw ``status`` after the current line (None erases it), or ``short``
        where the whole status does not fit (``-v``'s long test names leave little room). A
        log: write ``status`` as a line of its own, between pytest's lines."""
        with self._lock:
            if not self._tty:
                if status:
                    self._emit(status + "\n")
            else:
                self._erase_status()
                room = self._width - visible_width(self._pending) - 3
                if status and len(status) > room and short and len(short) <= room:
                    status = short  # the counts and the seconds, rather than a cut sentence
                if status and (room >= 20 or status is short):
                    self._status = ("  " if self._pending else "") + shortened(
                        status, room, prose=True
                    )
                    self._emit(self._status)
            self._flush_out()

    def _emit(self, text: str) -> None:
        """Write, unless the reader has gone: a closed pipe (``run | head``) is no reason to
        stop the run, whose reports are still written, nor to spew tracebacks."""
        if not self._gone:
            try:
                self._out.write(text)
            except BrokenPipeError:
                self._gone = True

    def _flush_out(self) -> None:
        if not self._gone:
            try:
                self._out.flush()
            except BrokenPipeError:
                self._gone = True

    def _erase_status(self) -> None:
        if self._status:
            self._emit(f"\x1b[{len(self._status)}D\x1b[K")
            self._status = ""

    def close(self) -> None:
        """Erase the progress, and let out what pytest left unfinished."""
        with self._lock:
            self._erase_status()
            if self._pending and not self._tty:
                self._emit(self._pending)
                self._pending = ""
            self._flush_out()


class ProgressTicker:
    """Draws the run's request counts on a gate while requests are pending.

    Lines are spaced by ``every`` seconds, the run's first excepted: requests sent one after
    another (the shrinking of a generated failure) show as one line every ``every`` seconds, not
    two per request. When the last pending request ends, its line is owed and comes when due.
    """

    def __init__(self, gate: LineGate, *, every: float | None = None) -> None:
        self.gate = gate
        self.counts = RequestCounts(on_change=self.poke)
        self.tty = gate.isatty()
        self.every = every or (TTY_EVERY if self.tty else LOG_INTERVAL)
        self.pause = TTY_REFRESH if self.tty else 0.0  # a terminal: at most this often
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chat-progress", daemon=True)
        self._sending = False  # requests are pending
        self._owed = False  # counts not shown yet (while sending, and once after)
        self._last_shown: float | None = None
        self._last_counts = ""

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Something changed (called on the runner's thread: only sets an event)."""
        self._wake.set()

    def stop(self) -> None:
        """Draw the last counts (a log) or erase them (a terminal), and end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._owed and self._last_shown is not None:
                self._wake.wait(max(0.0, self._last_shown + self.every - time.monotonic()))
            else:
                self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                break
            self._tick(time.monotonic())
            self._stopping.wait(self.pause)
        if self._owed:
            self._draw(self.counts.snapshot(), time.monotonic(), final=True)

    def _tick(self, now: float) -> None:
        snapshot = self.counts.snapshot()
        if snapshot.pending > 0 and self._last_shown is None:
            self._stopping.wait(SETTLE)  # the run's first request: the plan follows at once
            snapshot, now = self.counts.snapshot(), time.monotonic()
            self._owed = True  # once, even if every request has ended by now
        if snapshot.pending > 0:
            self._sending = self._owed = True
        elif self._sending:
            self._sending = False  # the last pending request ended: its counts are owed
        if not self._owed:
            return
        due = self._last_shown is None or now - self._last_shown >= self.every
        changed = self.tty and self._sending and progress_text(snapshot, now=0) != self._last_counts
        if due or changed:
            self._draw(snapshot, now, final=not self._sending)

    def _draw(self, snapshot: Snapshot, now: float, *, final: bool) -> None:
        """The counts; at the end of the pending requests, a log gets them once more and a
        terminal's line is cleared."""
        self._last_shown = now
        self._last_counts = progress_text(snapshot, now=0)
        self._owed = not final
        if final and self.tty:
            self.gate.show(None)
        else:
            self.gate.show(progress_text(snapshot, now), short=short_progress_text(snapshot, now))


def short_progress_text(snapshot: Snapshot, now: float | None = None) -> str:
    """``57/150, 12 s``: the counts and the seconds, for a terminal line with little room."""
    seconds = (time.monotonic() if now is None else now) - (snapshot.first_request_at or 0)
    timing = f", {seconds:.0f} s" if snapshot.first_request_at is not None else ""
    return f"{snapshot.done}/{snapshot.planned}{timing}"


def preflight_text(snapshot: Snapshot, now: float | None = None, *, short: bool = False) -> str:
    """``preflight: waiting for the target's first answer, 4 s, retried 2 (429: 2)``; short:
    ``preflight: waiting, 4 s``."""
    text = "preflight: waiting" + ("" if short else " for the target's first answer")
    if snapshot.first_request_at is not None:
        seconds = (time.monotonic() if now is None else now) - snapshot.first_request_at
        text += f", {seconds:.0f} s"
    retried = sum(snapshot.retries.values())
    if retried and not short:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(snapshot.retries.items()))
        text += f", retried {retried} ({reasons})"
    return text


class PreflightProgress:
    """Progress while the CLI's preflight waits, before pytest (and ``ProgressTicker``) starts.

    The preflight is one request, but a target that accepts and never answers holds it for the
    whole ``--read-timeout``, and one that answers 429 for every retry and its backoff: without
    this the terminal would be silent for all that time. A quick answer shows nothing; after
    ``PREFLIGHT_QUIET`` seconds, a line every ``LOG_INTERVAL`` in a log (a redrawn one on a
    terminal, erased when the answer comes). Use as ``with PreflightProgress() as observer``
    and hand ``observer`` to the runner.
    """

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        quiet: float = PREFLIGHT_QUIET,
        every: float | None = None,
    ) -> None:
        out = out or sys.stdout
        self.gate = LineGate(out, width=shutil.get_terminal_size().columns)
        self.counts = RequestCounts()
        self.quiet = quiet
        self.every = every or (TTY_EVERY if self.gate.isatty() else LOG_INTERVAL)
        self._answered = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chat-preflight", daemon=True)

    def __enter__(self) -> RequestCounts:
        self._thread.start()
        return self.counts

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._answered.set()
        self._thread.join(timeout=2)
        self.gate.close()

    def _run(self) -> None:
        if self._answered.wait(self.quiet):
            return
        while True:
            snapshot, now = self.counts.snapshot(), time.monotonic()
            self.gate.show(preflight_text(snapshot, now), preflight_text(snapshot, now, short=True))
            if self._answered.wait(self.every):
                break
        self.gate.show(None)  # a terminal: erased; a log keeps its lines
