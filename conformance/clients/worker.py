"""The replays run in a child process: ``python -m conformance.clients.worker``.

Why a child process: ``import openai`` takes about 0.5 s and 23 MiB, a sixth of a default run's
time and a third of its memory. Started when the run starts, the child imports the SDK while
the run sends its requests, and the run's own process never loads it; each exchange is replayed
(1 to 2.5 ms) as soon as it ends, so at the end of the run only the last few remain. The child
runs at a lower priority, and its peak memory (about 60 MiB) stays below the run's own.

Protocol, one JSON object a line. In: a ``Recording`` per line, then end of input. Out: first
``{"client": "openai 3.63.0"}`` (or ``{"unavailable": why}``), then per recording
``{"key": ..., "effect": {...} | null}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from conformance.clients.effects import Effect
from conformance.clients.recording import Recording

REPLAY_TIMEOUT = 30.0  # seconds to wait at the end for the replays still running
WORKER_COMMAND = (sys.executable, "-m", "conformance.clients.worker")
WORKER_NICENESS = 10  # the run comes first: the child takes the CPU time the run leaves


@dataclass
class Replayed:
    """What the worker answered: the client's name and an effect per recording key."""

    client: str | None = None
    unavailable: str | None = None
    effects: dict[str, Effect] = field(default_factory=dict)


class ReplayWorker:
    """The parent's handle on the child: fed as exchanges end, read back at the end.

    ``send`` only queues (it is called on the exchange runner's event loop); a writer thread
    feeds the child and a reader thread collects its answers, so that neither side waits on a
    full pipe and the replays run while the run still sends.
    """

    def __init__(self, command: Sequence[str] = WORKER_COMMAND) -> None:
        self._process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self._queue: queue.SimpleQueue[Recording | None] = queue.SimpleQueue()
        self._replayed = Replayed()
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    def send(self, recording: Recording) -> None:
        self._queue.put(recording)

    def finish(self, timeout: float = REPLAY_TIMEOUT) -> Replayed:
        """Every effect, once the child has replayed all it was sent (or the timeout passed)."""
        self._queue.put(None)
        self._reader.join(timeout)
        if self._reader.is_alive():
            self.close()
            return Replayed(unavailable=f"the replays did not end within {timeout:g} s")
        try:
            code = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        if code != 0:  # a partial answer would count too few responses as parsed
            return Replayed(unavailable=f"the replay worker stopped (exit status {code})")
        if self._replayed.client is None and self._replayed.unavailable is None:
            self._replayed.unavailable = "the replay worker gave no answer"
        return self._replayed

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(OSError, ValueError):  # the child died: the reader says so
            while (recording := self._queue.get()) is not None:
                stdin.write(json.dumps(recording.to_json()) + "\n")
                stdin.flush()
        with contextlib.suppress(OSError, ValueError):
            stdin.close()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        with contextlib.suppress(OSError, ValueError):
            for line in stdout:
                read_answer(self._replayed, line)


def read_answer(replayed: Replayed, line: str) -> None:
    """One line of the child's output into ``replayed``."""
    try:
        message = json.loads(line)
    except ValueError:
        return
    if "client" in message:
        replayed.client = message["client"]
    elif "unavailable" in message:
        replayed.unavailable = message["unavailable"]
    elif message.get("effect"):
        replayed.effects[message["key"]] = Effect.from_json(message["effect"])


def main() -> None:
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no nice on Windows
        os.nice(WORKER_NICENESS)
    try:
        from conformance.clients.replay import CLIENT, replay
    except ImportError as error:
        print(json.dumps({"unavailable": f"{error.name or 'openai'} is not installed"}))
        return
    print(json.dumps({"client": CLIENT}), flush=True)
    for line in sys.stdin:
        recording = Recording.from_json(json.loads(line))
        try:
            effect = replay(recording)
        except Exception:  # a replay that breaks is no effect of the server's
            effect = None
        answer = {"key": recording.key, "effect": effect.to_json() if effect else None}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
