"""The replays run in a child process: ``python -m conformance.clients.worker``.

Why a child process: ``import openai`` takes about 0.5 s and 23 MiB, a sixth of a default run's
time and a third of its memory. Started when the run starts, the child imports the SDK while
the run sends its requests, and the run's own process never loads it; the replays (about 1.5 ms
each) run there at the end. Its peak memory (about 60 MiB) stays below the run's own.

Protocol, one JSON object a line. In: a ``Recording`` per line, then end of input. Out: first
``{"client": "openai 3.63.0"}`` (or ``{"unavailable": why}``), then per recording
``{"key": ..., "effect": {...} | null}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.clients.effects import Effect
from conformance.clients.recording import Recording

REPLAY_TIMEOUT = 60.0  # seconds for the whole batch; a replay takes milliseconds


@dataclass
class Replayed:
    """What the worker answered: the client's name and an effect per recording key."""

    client: str | None = None
    unavailable: str | None = None
    effects: dict[str, Effect] = field(default_factory=dict)


class ReplayWorker:
    """The parent's handle on the child: started early, fed once, then it exits."""

    def __init__(self) -> None:
        command = [sys.executable, "-m", "conformance.clients.worker"]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )

    def replay_all(self, recordings: Iterable[Recording]) -> Replayed:
        lines = "".join(json.dumps(r.to_json()) + "\n" for r in recordings)
        try:
            output, _ = self._process.communicate(lines, timeout=REPLAY_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError) as error:
            self.close()
            return Replayed(unavailable=f"the replay worker failed: {type(error).__name__}")
        return parse_output(output)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def parse_output(output: str) -> Replayed:
    replayed = Replayed()
    for line in output.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "client" in message:
            replayed.client = message["client"]
        elif "unavailable" in message:
            replayed.unavailable = message["unavailable"]
        elif message.get("effect"):
            replayed.effects[message["key"]] = Effect.from_json(message["effect"])
    if replayed.client is None and replayed.unavailable is None:
        replayed.unavailable = "the replay worker gave no answer"
    return replayed


def main() -> None:
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
        print(json.dumps(answer))


if __name__ == "__main__":
    main()
