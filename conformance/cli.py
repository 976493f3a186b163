"""The ``chat-conformance`` command: ``run`` the suite, ``serve`` the reference server, list the
``requirements``.

Exit codes: 0 conformant, 1 not conformant, 2 the run could not happen (bad arguments, target
unreachable). Heavy imports wait until a subcommand needs them, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_CANNOT_RUN = 0, 1, 2
ENV_BASE_URL = "CHAT_CONFORMANCE_BASE_URL"
ENV_API_KEY = "CHAT_CONFORMANCE_API_KEY"
ENV_MODELS = "CHAT_CONFORMANCE_MODEL"


class CannotRun(Exception):
    """The run cannot happen; the message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits with 2 as well; keep it to one line
        self.exit(EXIT_CANNOT_RUN, f"chat-conformance: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chat-conformance",
        description="Conformance test suite for OpenAI-style chat-completions APIs.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run the suite against a target (default: the embedded reference server)",
        description="Run the conformance suite. Without --base-url it starts the embedded "
        "reference server and tests that. Extra pytest arguments go after '--'.",
    )
    run.add_argument("--base-url", help=f"target URL up to and including /v1 (env {ENV_BASE_URL})")
    run.add_argument("--api-key", help=f"bearer key for the target (env {ENV_API_KEY})")
    run.add_argument(
        "--model",
        action="append",
        help=f"model to test, repeatable (env {ENV_MODELS}, comma-separated)",
    )
    run.add_argument(
        "--strict", action="store_true", help="SHOULD requirements decide conformance too"
    )
    run.add_argument(
        "--only",
        action="append",
        metavar="AREA|ID",
        help="run only these areas or requirement IDs (e.g. STREAM, SSE-002); repeatable",
    )
    run.add_argument(
        "--reports-dir",
        default="reports",
        help="where reports go by default (default: %(default)s)",
    )
    run.add_argument(
        "--html",
        metavar="PATH",
        help="self-contained HTML report (default: REPORTS_DIR/report.html)",
    )
    run.add_argument(
        "--junitxml", metavar="PATH", help="JUnit XML report (default: REPORTS_DIR/junit.xml)"
    )
    run.add_argument(
        "--json", metavar="PATH", help="JSON report (default: REPORTS_DIR/report.json)"
    )
    run.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="requests in flight at once (env CHAT_CONFORMANCE_CONCURRENCY, default 4)",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="deadline for one whole exchange, seconds (default %(default)s)",
    )
    run.add_argument(
        "--read-timeout",
        type=float,
        default=30.0,
        help="longest silence between bytes, seconds (default %(default)s)",
    )
    run.add_argument(
        "--reference-fault",
        action="append",
        default=[],
        metavar="NAME",
        help="without --base-url: the embedded server breaks this rule (see serve --list)",
    )
    run.add_argument(
        "--reference-variation",
        action="append",
        default=[],
        metavar="NAME",
        help="without --base-url: a legal but unusual embedded server (see serve --list)",
    )
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after '--'")

    serve = commands.add_parser("serve", help="run the reference server in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--api-key", default=None, help="the key it accepts (default: sk-reference-key)"
    )
    serve.add_argument("--fault", action="append", default=[], help="break one rule (see --list)")
    serve.add_argument(
        "--variation", action="append", default=[], help="legal but unusual behaviour (see --list)"
    )
    serve.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each response starts"
    )
    serve.add_argument(
        "--token-interval", type=float, default=0.0, help="seconds between stream events"
    )
    serve.add_argument(
        "--list", action="store_true", help="list the faults and variations and exit"
    )

    listing = commands.add_parser("requirements", help="print the requirement catalog (Markdown)")
    listing.add_argument("--faults", action="store_true", help="the whole docs/requirements.md, with the faults proving each requirement")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.version:
        from conformance import __version__

        print(f"chat-conformance {__version__}")
        return 0
    try:
        if arguments.command == "run":
            return run_command(arguments)
        if arguments.command == "serve":
            return serve_command(arguments)
        if arguments.command == "requirements":
            from conformance.catalog_table import markdown_table, requirements_document

            print(requirements_document() if arguments.faults else markdown_table() + "\n", end="")
            return 0
    except CannotRun as problem:
        print(f"chat-conformance: error: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    parser.print_help()
    return EXIT_CANNOT_RUN


def run_command(arguments: argparse.Namespace) -> int:
    import pytest

    base_url = arguments.base_url or os.environ.get(ENV_BASE_URL) or None
    api_key = arguments.api_key or os.environ.get(ENV_API_KEY) or None
    models = arguments.model or [
        m.strip() for m in os.environ.get(ENV_MODELS, "").split(",") if m.strip()
    ]
    if base_url is not None:
        if not models:
            raise CannotRun("name the model(s) to test with --model (or CHAT_CONFORMANCE_MODEL)")
        check_reachable(base_url)
    if arguments.only:
        from conformance.catalog import load_catalog

        try:
            load_catalog().select(arguments.only)
        except KeyError as error:
            raise CannotRun(f"--only: {error.args[0]}") from None
    reports = Path(arguments.reports_dir)
    suite_dir = Path(__file__).parent / "suite"
    options = {
        "-c": str(suite_dir / "pytest.ini"),  # the user's own pytest setup stays out of the run
        "--rootdir": str(suite_dir),
        "-p": "no:hypothesispytest",  # 1.5 s of imports the suite does not need
        "--html": arguments.html or str(reports / "report.html"),
        "--junitxml": arguments.junitxml or str(reports / "junit.xml"),
        "--chat-json": arguments.json or str(reports / "report.json"),
        "--chat-deadline": str(arguments.timeout),
        "--chat-read-timeout": str(min(arguments.read_timeout, arguments.timeout)),
    }
    args = [item for pair in options.items() for item in pair]
    args += ["--self-contained-html", "--pyargs", "conformance.suite"]
    concurrency = arguments.concurrency or os.environ.get("CHAT_CONFORMANCE_CONCURRENCY")
    if concurrency:
        args += ["--chat-concurrency", str(concurrency)]
    if base_url:
        args += ["--base-url", base_url]
    for model in models:
        args += ["--chat-model", model]
    for pattern in arguments.only or ():
        args += ["--chat-only", pattern]
    if arguments.strict:
        args.append("--chat-strict")
    if arguments.reference_fault or arguments.reference_variation:
        if base_url:
            raise CannotRun(
                "--reference-fault/--reference-variation apply to the embedded server only"
            )
        check_reference_names(arguments.reference_fault, arguments.reference_variation)
        args += [a for name in arguments.reference_fault for a in ("--chat-reference-fault", name)]
        args += [
            a
            for name in arguments.reference_variation
            for a in ("--chat-reference-variation", name)
        ]
    if api_key:
        os.environ[ENV_API_KEY] = api_key  # through the environment: never on a command line
    args += arguments.pytest_args
    code = pytest.main(args)
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(code)
    print(
        f"chat-conformance: error: the run did not complete (pytest exit code {int(code)})",
        file=sys.stderr,
    )
    return EXIT_CANNOT_RUN


def check_reachable(base_url: str) -> None:
    """Fail fast, in one line, when the target cannot be reached or is not a chat API at all."""
    import httpx

    if not base_url.startswith(("http://", "https://")):
        raise CannotRun(f"--base-url must start with http:// or https:// (got {base_url!r})")
    url = base_url.rstrip("/") + "/chat/completions"
    try:
        response = httpx.post(url, json={}, timeout=httpx.Timeout(15.0, connect=10.0))
    except httpx.HTTPError as error:
        raise CannotRun(f"cannot reach {url}: {type(error).__name__}: {error}") from None
    if response.status_code in (404, 405):
        hint = " (--base-url is the URL up to and including /v1)"
        raise CannotRun(
            f"no chat-completions endpoint at {url}: status {response.status_code}{hint}"
        )


def check_reference_names(faults: list[str], variations: list[str]) -> None:
    from conformance.reference.faults import FAULTS
    from conformance.reference.variations import VARIATIONS

    unknown = [f for f in faults if f not in FAULTS] + [
        v for v in variations if v not in VARIATIONS
    ]
    if unknown:
        raise CannotRun(f"unknown fault or variation: {', '.join(unknown)} (see serve --list)")


def serve_command(arguments: argparse.Namespace) -> int:
    from conformance.reference.config import DEFAULT_API_KEY, ServerConfig
    from conformance.reference.faults import FAULTS
    from conformance.reference.runner import serve
    from conformance.reference.variations import VARIATIONS

    if arguments.list:
        print("Faults (each breaks one rule):")
        for fault in FAULTS.values():
            print(f"  {fault.name:<28} {', '.join(fault.targets):<24} {fault.description}")
        print("Variations (legal but unusual):")
        for variation in VARIATIONS.values():
            print(f"  {variation.name:<28} {variation.description}")
        return 0
    check_reference_names(arguments.fault, arguments.variation)
    config = ServerConfig(
        api_key=arguments.api_key or DEFAULT_API_KEY,
        faults=tuple(arguments.fault),
        variations=tuple(arguments.variation),
        latency=arguments.latency,
        token_interval=arguments.token_interval,
    )
    print(
        f"chat-conformance reference server on http://{arguments.host}:{arguments.port}/v1",
        flush=True,
    )
    serve(config, arguments.host, arguments.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
