"""How fast a run is, against the floor and against schemathesis: prints one table.

Every figure is measured side by side in the same invocation (the runs compared are interleaved,
repeat by repeat) and the table shows the median of the repeats. What is measured:

1. ``chat-conformance --help``: wall time, and the import time of ``conformance.cli``.
2. The default run (``chat-conformance run``, embedded reference server): wall time, requests
   sent, requests per second, peak RSS of the whole process (suite and embedded server).
3. Harness overhead: the suite against a reference server in its own process, divided by a bare
   httpx loop (``benchmarks/bare_loop.py``) that replays the run's request log, same concurrency,
   same server. At no latency (the harness's own cost) and at ``--latency`` (a real provider).
4. At ``--latency``: the run's wall time against requests x latency / concurrency.
5. Per generated case: ``run --only GEN`` wall time per generated request, against schemathesis
   (in its own virtual environment, ``benchmarks/.venv-schemathesis``, created on first use)
   running the OpenAI OpenAPI document's fuzzing phase with as many examples, same server.

    python benchmarks/speed.py              # 3 repeats, 300 ms latency, schemathesis: ~3 min
    python benchmarks/speed.py --quick      # 1 repeat, quick profile, no schemathesis: smoke test

Nothing here asserts a time: machines differ. The targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OPENAPI = ROOT.parent / "shared" / "spec" / "openai-chat-completions.openapi.json"
SCHEMATHESIS_VENV = HERE / ".venv-schemathesis"
API_KEY = "sk-benchmark-key-0123456789"
MODEL = "conformance-echo"
SEED = "20261125"
CLI = [sys.executable, "-m", "conformance.cli"]


@dataclass
class Timed:
    wall: float
    peak_mib: float
    code: int
    output: str


def timed(command: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run a command to its end: wall seconds, peak RSS of it and its children, exit code."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as output:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        output.seek(0)
        text = output.read()
    return Timed(wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), text)


def checked(command: list[str], env: dict[str, str] | None = None) -> Timed:
    result = timed(command, env)
    if result.code not in (0, 1):  # 1: not conformant, still a measured run
        tail = "\n".join(result.output.splitlines()[-15:])
        raise SystemExit(f"benchmark: {' '.join(command[:4])}... exited {result.code}\n{tail}")
    return result


def environment() -> dict[str, str]:
    """The runs' environment: the benchmark's key, and no Hypothesis database to skew them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_CONFORMANCE_")}
    env["CHAT_CONFORMANCE_API_KEY"] = API_KEY
    env["CHAT_CONFORMANCE_HYPOTHESIS_DIR"] = "none"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def reference_server(latency: float) -> Iterator[str]:
    """``chat-conformance serve`` in its own process, so that it does not share the suite's CPU
    time or interpreter lock; yields its base URL."""
    port = free_port()
    command = [*CLI, "serve", "--port", str(port), "--api-key", API_KEY]
    command += ["--latency", f"{latency}s"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("benchmark: the reference server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Suite:
    """One ``chat-conformance run`` and what its reports say it sent."""

    timed: Timed
    requests: int
    generated: int
    log: Path


def run_suite(
    work: Path, profile: str, concurrency: int, base_url: str | None = None, *extra: str
) -> Suite:
    reports = Path(tempfile.mkdtemp(dir=work))
    command = [*CLI, "run", "--reports-dir", str(reports), "--seed", SEED, "--profile", profile]
    command += ["--concurrency", str(concurrency), "--request-log", str(reports / "log.jsonl")]
    if base_url:
        command += ["--base-url", base_url, "--model", MODEL]
    result = checked([*command, *extra, "--", "-q", "-p", "no:cacheprovider"], environment())
    report = json.loads((reports / "report.json").read_text("utf-8"))
    generated = (report.get("generation") or {}).get("requests_sent", 0)
    return Suite(result, report["requests_sent"], generated, reports / "log.jsonl")


def bare_loop(log: Path, base_url: str, concurrency: int) -> Timed:
    command = [sys.executable, str(HERE / "bare_loop.py"), str(log), base_url]
    return checked([*command, "--concurrency", str(concurrency)], environment())


def schemathesis_command() -> list[str] | None:
    st = SCHEMATHESIS_VENV / "bin" / "st"
    return [str(st)] if st.exists() else None


def install_schemathesis() -> list[str]:
    print(f"installing schemathesis into {SCHEMATHESIS_VENV.relative_to(ROOT)} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SCHEMATHESIS_VENV)], check=True)
    pip = [str(SCHEMATHESIS_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "schemathesis"], check=True)
    command = schemathesis_command()
    assert command is not None
    return command


def run_schemathesis(
    st: list[str], openapi: Path, base_url: str, examples: int
) -> tuple[Timed, int]:
    """The fuzzing phase (generated requests, valid and invalid, like ours) of the one operation,
    only the 5xx check so that it never stops early; returns the run and its case count."""
    command = [*st, "run", str(openapi), "--url", base_url, "--phases", "fuzzing"]
    command += ["--max-examples", str(examples), "--mode", "all", "--workers", "1"]
    command += ["--checks", "not_a_server_error", "--continue-on-failure", "--no-color"]
    command += ["--header", f"Authorization: Bearer {API_KEY}", "--seed", SEED]
    result = timed(command, environment())
    found = re.search(r"(\d+) generated", result.output)
    if found is None:
        raise SystemExit(f"benchmark: no case count in schemathesis output\n{result.output[-800:]}")
    return result, int(found[1])


def import_time_ms() -> float:
    """Cumulative import time of conformance.cli, from ``python -X importtime``."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import conformance.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in completed.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == "conformance.cli":
            return int(parts[1]) / 1000
    raise SystemExit("benchmark: conformance.cli is not in the import-time listing")


@dataclass
class Samples:
    """Repeats of every figure, by name; the table shows medians."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])


def measure(arguments: argparse.Namespace, st: list[str] | None) -> Samples:
    samples = Samples()
    latency, width, profile = arguments.latency, arguments.concurrency, arguments.profile
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for repeat in range(arguments.repeats):
            print(f"repeat {repeat + 1} of {arguments.repeats}", flush=True)
            samples.add("help", timed([*CLI, "--help"]).wall)
            samples.add("import", import_time_ms())

            default = run_suite(work, profile, width)
            samples.add("default wall", default.timed.wall)
            samples.add("default requests", default.requests)
            samples.add("default rss", default.timed.peak_mib)

            with reference_server(0.0) as url:
                suite = run_suite(work, profile, width, url)
                samples.add("fast suite", suite.timed.wall)
                samples.add("fast bare", bare_loop(suite.log, url, width).wall)
                samples.add("fast requests", suite.requests)
                generated = run_suite(work, profile, width, url, "--only", "GEN")
                samples.add("gen wall", generated.timed.wall)
                samples.add("gen cases", generated.generated)
                samples.add("gen requests", generated.requests)
                if st is not None:
                    theirs, cases = run_schemathesis(
                        st, arguments.openapi, url, generated.generated
                    )
                    samples.add("st wall", theirs.wall)
                    samples.add("st cases", cases)

            with reference_server(latency) as url:
                slow = run_suite(work, profile, width, url)
                samples.add("slow suite", slow.timed.wall)
                samples.add("slow bare", bare_loop(slow.log, url, width).wall)
                samples.add("slow requests", slow.requests)
    return samples


def versions(st: list[str] | None) -> str:
    names = ("chat-conformance", "httpx", "hypothesis", "pytest", "jsonschema", "uvicorn")
    found = [f"{name} {metadata.version(name)}" for name in names]
    if st is not None:
        completed = subprocess.run([*st, "--version"], capture_output=True, text=True)
        found.append(completed.stdout.strip().replace("st, version", "schemathesis"))
    return ", ".join(found)


def table(samples: Samples, arguments: argparse.Namespace, st: list[str] | None) -> str:
    m = samples.median
    latency, width = arguments.latency, arguments.concurrency
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, value: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "NOT met")
        rows.append((what, value, target, verdict))

    row("chat-conformance --help, wall", f"{m('help') * 1000:.0f} ms")
    row("import conformance.cli (-X importtime)", f"{m('import'):.1f} ms")
    default_wall = m("default wall")
    row("default run, wall", f"{default_wall:.2f} s", "<= 10 s", default_wall <= 10)
    row("default run, requests sent", f"{m('default requests'):.0f}")
    row("default run, requests/s", f"{m('default requests') / default_wall:.1f}")
    rss = m("default rss")
    row("default run, peak RSS", f"{rss:.0f} MiB", "<= 200 MB", rss * 1.048576 <= 200)
    fast = m("fast suite") / m("fast bare")
    row(
        "overhead, no latency: suite / bare httpx",
        f"{m('fast suite'):.2f} / {m('fast bare'):.2f} s = {fast:.2f}x",
    )
    slow = m("slow suite") / m("slow bare")
    row(
        f"overhead, {latency * 1000:.0f} ms latency: suite / bare httpx",
        f"{m('slow suite'):.2f} / {m('slow bare'):.2f} s = {slow:.2f}x",
        "<= 1.5x",
        slow <= 1.5,
    )
    ideal = m("slow requests") * latency / width
    ratio = m("slow suite") / ideal
    row(
        f"{latency * 1000:.0f} ms latency: wall / (requests x latency / concurrency)",
        f"{m('slow suite'):.2f} / ({m('slow requests'):.0f} x {latency:g} / {width}) "
        f"= {ratio:.2f}x",
        "<= 1.3x",
        ratio <= 1.3,
    )
    ours = m("gen wall") / m("gen cases")
    fixed = m("gen requests") - m("gen cases")
    row(
        "per generated case, ours (run --only GEN: start-up and fixed probes included)",
        f"{ours * 1000:.1f} ms ({m('gen cases'):.0f} cases + {fixed:.0f} fixed, "
        f"{m('gen wall'):.2f} s)",
    )
    if st is not None:
        theirs = m("st wall") / m("st cases")
        row(
            "per generated case, schemathesis (fuzzing phase)",
            f"{theirs * 1000:.1f} ms ({m('st cases'):.0f} cases, {m('st wall'):.2f} s)",
            ">= 2x slower than ours",
            theirs >= 2 * ours,
        )
        row("schemathesis / ours, per case", f"{theirs / ours:.1f}x")
    else:
        row("per generated case, schemathesis", "not measured (--quick, --no-schemathesis)")

    widths = [max(len(r[i]) for r in [*rows, ("what", "measured", "target", "")]) for i in range(4)]
    header = ("what", "measured", "target", "")
    lines = [" | ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, quick profile, 100 ms")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds (default 0.3)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--profile", default="standard", help="generation profile of the runs")
    parser.add_argument(
        "--no-schemathesis", action="store_true", help="skip the schemathesis comparison"
    )
    parser.add_argument(
        "--openapi",
        type=Path,
        default=OPENAPI,
        help="the OpenAPI document schemathesis reads (default: ../shared/spec/...)",
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.repeats, arguments.profile, arguments.latency = 1, "quick", 0.1
        arguments.no_schemathesis = True
    return arguments


def main() -> None:
    arguments = parse_arguments()
    arguments.openapi = arguments.openapi.resolve()
    with tempfile.TemporaryDirectory(prefix="chat-conformance-bench-") as scratch:
        os.chdir(scratch)  # what the tools leave in their working directory stays out of the tree
        benchmark(arguments)


def benchmark(arguments: argparse.Namespace) -> None:
    st = None
    if not arguments.no_schemathesis and not arguments.openapi.is_file():
        print(f"no OpenAPI document at {arguments.openapi}: schemathesis left out (--openapi)")
        arguments.no_schemathesis = True
    if not arguments.no_schemathesis:
        st = schemathesis_command() or install_schemathesis()
    samples = measure(arguments, st)
    cores = os.cpu_count()
    print()
    print(f"machine: {cores} cores, {platform.machine()}, {platform.system()} {platform.release()}")
    print(f"python {platform.python_version()}; {versions(st)}")
    print(
        f"settings: profile {arguments.profile}, concurrency {arguments.concurrency}, "
        f"latency {arguments.latency * 1000:.0f} ms, seed {SEED}, "
        f"median of {arguments.repeats} repeat(s)"
    )
    print()
    print(table(samples, arguments, st))


if __name__ == "__main__":
    main()
