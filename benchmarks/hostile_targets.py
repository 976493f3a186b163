"""Wall time and peak memory of a full run against each hostile reference-server fault.

Each run is a fresh ``chat-conformance run --reference-fault NAME`` with the default bounds (or
the ones given after ``--``); the table shows that every run ends, within which time, at what
peak resident memory (of the whole process: the suite plus the embedded hostile server), and with
which exit code and failed requirements.

    python benchmarks/hostile_targets.py                # default bounds: up to about a minute each
    python benchmarks/hostile_targets.py -- --timeout 6 --read-timeout 2
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTILE = (
    "headers-withheld",
    "drip",
    "stream-stall",
    "stream-forever",
    "huge-stream",
    "gzip-bomb",
    "reset-mid-stream",
    "invalid-utf8",
)


def measure(fault: str, extra: list[str]) -> tuple[float, float, int, list[str]]:
    """(wall seconds, peak RSS in MiB, exit code, failed requirement IDs) of one run."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "conformance.cli", "run", "--reference-fault", fault]
        command += ["--reports-dir", reports, *extra, "--", "-q"]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        report = json.loads((Path(reports) / "report.json").read_text())
    failed = [r["id"] for r in report["requirements"] if r["status"] == "failed"]
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), failed


def main() -> None:
    extra = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    print(f"bounds: {' '.join(extra) or 'defaults (--timeout 60 --read-timeout 30)'}")
    print(f"{'fault':<18} {'wall s':>7} {'peak MiB':>9} {'exit':>5}  failed requirements")
    for fault in HOSTILE:
        wall, peak, code, failed = measure(fault, extra)
        print(f"{fault:<18} {wall:>7.1f} {peak:>9.1f} {code:>5}  {', '.join(failed)}")


if __name__ == "__main__":
    main()
