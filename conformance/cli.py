"""The ``chat-conformance`` command: ``run`` the suite, ``serve`` the reference server, list the
``requirements``.

Exit codes: 0 conformant, 1 not conformant, 2 no verdict (bad arguments or config file; the
suite's preflight found a setup error: target unreachable, key or model refused; the target
throttled the run). Heavy imports wait until a subcommand needs them, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from conformance.options import (
    HEADER_NAME,
    NON_NEGATIVE_DURATION,
    OPTION,
    add_to_argparse,
    argparse_type,
)

EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_CANNOT_RUN = 0, 1, 2
INTERRUPTED = "interrupted (Ctrl+C) before the run completed: no verdict"


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
    add_to_argparse(run)
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after '--'")

    serve = commands.add_parser(
        "serve",
        help="run the reference server in the foreground",
        description="Run the embedded reference server in the foreground, to point a client or "
        "another run at it. It echoes the last message, as JSON or as a stream; --fault breaks "
        "one rule, --variation is legal but unusual. Ctrl+C stops it.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--api-key", default=None, help="the key it accepts (default: sk-reference-key)"
    )
    serve.add_argument(
        "--auth-header",
        type=argparse_type(HEADER_NAME),
        default="Authorization",
        metavar="NAME",
        help="the header it reads the key from; any but Authorization holds the bare key "
        "(default: %(default)s)",
    )
    serve.add_argument("--fault", action="append", default=[], help="break one rule (see --list)")
    serve.add_argument(
        "--variation", action="append", default=[], help="legal but unusual behaviour (see --list)"
    )
    serve.add_argument(
        "--latency",
        type=argparse_type(NON_NEGATIVE_DURATION),
        default=0.0,
        help="time to first byte of every response: 300ms, 0.3s or 0.3 (default 0)",
    )
    serve.add_argument(
        "--token-interval",
        type=argparse_type(NON_NEGATIVE_DURATION),
        default=0.0,
        help="gap between two stream events, e.g. 30ms (default 0)",
    )
    serve.add_argument(
        "--list", action="store_true", help="list the faults and variations and exit"
    )

    listing = commands.add_parser(
        "requirements",
        help="print the requirement catalog (Markdown)",
        description="Print the requirement catalog as a Markdown table: ID, level, title and "
        "statement of every requirement the suite checks.",
    )
    listing.add_argument(
        "--faults",
        action="store_true",
        help="the whole docs/requirements.md, with the faults proving each requirement",
    )
    from conformance.report.commands import add_commands

    add_commands(commands)  # merge, compare, baseline, badge
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
        if arguments.command in ("merge", "compare", "baseline", "badge"):
            from conformance.report.commands import run_command as report_command

            return report_command(arguments)
        if arguments.command == "requirements":
            from conformance.catalog_table import markdown_table, requirements_document

            print(requirements_document() if arguments.faults else markdown_table() + "\n", end="")
            return 0
    except CannotRun as problem:
        print(f"chat-conformance: error: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:  # Ctrl+C in the preflight or while pytest starts: one line
        print(f"chat-conformance: error: {INTERRUPTED}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    parser.print_help()
    return EXIT_CANNOT_RUN


def run_command(arguments: argparse.Namespace) -> int:
    import pytest

    from conformance.options import BadVariable, fill_in, pytest_arguments, secret_environment

    key_env = OPTION["api_key"].env
    arguments.key_source = "--api-key" if arguments.api_key else key_env  # named if refused
    apply_config_file(arguments)  # fills what the flags left out (a target's key: its variable)
    try:
        fill_in(arguments)  # then the CHAT_CONFORMANCE_* variables, then the defaults
    except BadVariable as error:
        raise CannotRun(str(error)) from None
    check_headers(arguments)
    if arguments.base_url is not None:
        if not arguments.models:
            raise CannotRun(f"name the model(s) to test with --model (or {OPTION['models'].env})")
        check_target_url(arguments.base_url, arguments.ca_bundle)  # reachability: the preflight
    if arguments.only:
        from conformance.catalog import load_catalog

        try:
            load_catalog().select(arguments.only)
        except KeyError as error:
            raise CannotRun(f"--only: {error.args[0]}") from None
    reports = Path(arguments.reports_dir)
    arguments.html = arguments.html or str(reports / "report.html")
    arguments.junitxml = arguments.junitxml or str(reports / "junit.xml")
    arguments.json = arguments.json or str(reports / "report.json")
    arguments.read_timeout = min(arguments.read_timeout, arguments.timeout)
    if arguments.reference_fault or arguments.reference_variation:
        if arguments.base_url:
            raise CannotRun(
                "--reference-fault/--reference-variation apply to the embedded server only"
            )
        check_reference_names(arguments.reference_fault or [], arguments.reference_variation or [])
    if arguments.no_baseline:
        arguments.baseline = None
    elif arguments.baseline:
        check_baseline(arguments.baseline)
    suite_dir = Path(__file__).parent / "suite"
    args = ["-c", str(suite_dir / "pytest.ini")]  # the user's own pytest setup stays out
    args += ["--rootdir", str(suite_dir), *pytest_arguments(arguments)]
    args += ["--self-contained-html", "--pyargs", "conformance.suite"]
    # Plugins the suite does not use: the GEN tests drive Hypothesis themselves (explicit seed,
    # settings and database), so its pytest plugin only adds startup time; anyio's only warns.
    args += ["-p", "no:hypothesispytest", "-p", "no:anyio"]
    args += ["-p", "conformance.report.catalog_terminal", *arguments.pytest_args]  # progress
    os.environ.update(secret_environment(arguments))  # the URL and key: never on a command line
    outcome = _RunOutcome()
    if arguments.base_url is not None:  # before pytest starts: a setup error is one line
        outcome.preflight = _preflight(arguments)
        exchange, verdict = outcome.preflight
        if verdict.outcome == "setup":  # (throttled: the suite reports it as incomplete)
            if arguments.request_log:
                from conformance.report import request_log

                request_log.write(arguments.request_log, [exchange])
            raise CannotRun(verdict.message)
    code = pytest.main(args, plugins=[outcome])
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(code)
    preflight = outcome.info.get("preflight") or {}
    if preflight.get("outcome") in ("setup", "throttled"):
        reason = preflight["message"]  # the suite's preflight ended the run: no verdict
    else:
        reason = _incomplete_reason(outcome.info, code, interrupted=outcome.interrupted)
    print(f"chat-conformance: error: {reason}", file=sys.stderr)
    return EXIT_CANNOT_RUN


def _preflight(arguments: argparse.Namespace):
    """The suite's preflight (``conformance/preflight.py``), sent by the CLI through the same
    bounded runner before pytest starts; the suite takes its result instead of sending it again."""
    from conformance import preflight
    from conformance.exchange import ExchangeRunner, Target
    from conformance.report.live import PreflightProgress
    from conformance.request_headers import extra_headers
    from conformance.settings import limits_from

    limits = limits_from(lambda name: getattr(arguments, name))
    target = Target(
        arguments.base_url,
        arguments.api_key,
        limits,
        arguments.ca_bundle or True,
        arguments.auth_header,
        extra_headers(arguments.headers or (), arguments.auth_header),
    )
    with PreflightProgress() as observer:  # a target that hangs or throttles: lines meanwhile
        runner = ExchangeRunner(target, concurrency=1, observer=observer)
        try:
            return preflight.run(
                runner,
                model=arguments.models[0],
                key_given=arguments.api_key is not None,
                key_source=arguments.key_source,
                limits=limits,
            )
        finally:
            runner.close()


class _RunOutcome:
    """A pytest plugin object that hands the CLI's preflight to the suite and keeps what the
    suite learnt about the run (its run info)."""

    def __init__(self) -> None:
        self.info: dict = {}
        self.preflight = None  # (exchange, verdict), when the CLI sent it
        self.interrupted = False  # Ctrl+C (pytest's exit code 2 has other causes too)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    def pytest_sessionfinish(self, session) -> None:
        from conformance.plugin import run_info_key

        self.info = session.config.stash.get(run_info_key, {})


def _incomplete_reason(info: dict, code: int, *, interrupted: bool = False) -> str:
    """Why a run that ended without a verdict did, from what this run learnt (its run info: a
    report left in the reports directory by an earlier run says nothing about this one)."""
    import pytest

    throttled = info.get("throttled")
    if throttled:
        return (
            f"the target throttled the run: {len(throttled)} request(s) still got 429/503 "
            "after every retry; this is not a conformance verdict (lower --concurrency?)"
        )
    if interrupted:
        return INTERRUPTED
    if code == pytest.ExitCode.INTERRUPTED:  # a collection error, a plugin's pytest.exit()
        return "pytest stopped the run (its reason is above): no verdict"
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return "no test was selected (by -k or another pytest argument after --): no verdict"
    if code == pytest.ExitCode.USAGE_ERROR:
        return "pytest refused its arguments (its error is above): no verdict"
    return f"the run did not complete (pytest exit code {int(code)})"


def _require_free_port(host: str, port: int) -> None:
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise CannotRun(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def check_headers(arguments: argparse.Namespace) -> None:
    """Refuse, in one line, a --header the run cannot send (never showing its value)."""
    from conformance.request_headers import HeaderError, extra_headers

    try:
        extra_headers(arguments.headers or (), arguments.auth_header)
    except HeaderError as error:
        raise CannotRun(f"--header: {error}") from None


def check_target_url(base_url: str, ca_bundle: str | None = None) -> None:
    """Refuse, in one line, a URL that cannot be a target, before pytest starts. Whether the
    target answers is the suite's preflight (``conformance/preflight.py``): one bounded request
    through the run's own exchange runner, for the CLI and the pytest route alike."""
    from urllib.parse import urlsplit

    from conformance.exchange import Target, check_url, display_url

    try:
        shown = display_url(base_url)
        check_url(Target(base_url).url("/chat/completions"))
        urlsplit(base_url).port  # noqa: B018 - raises on a port out of range
    except ValueError as error:  # urllib's or httpx's verdict, e.g. "http://[::1/v1"
        raise CannotRun(f"--base-url is not a valid URL: {error}") from None
    if not base_url.startswith(("http://", "https://")):
        raise CannotRun(f"--base-url must start with http:// or https:// (got {shown!r})")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise CannotRun(f"--ca-bundle: no such file: {ca_bundle}")


def apply_config_file(arguments: argparse.Namespace) -> None:
    from conformance.config_file import ConfigError, apply_to_run
    from conformance.report.baseline import BaselineError

    try:
        apply_to_run(arguments)
    except (ConfigError, BaselineError) as problem:
        raise CannotRun(str(problem)) from None


def check_baseline(path: str) -> str:
    """Read the baseline now, so a bad file is one line and exit 2, before any request."""
    from conformance.catalog import load_catalog
    from conformance.report.baseline import BaselineError, load_baseline

    try:
        load_baseline(path, load_catalog())
    except BaselineError as problem:
        raise CannotRun(f"--baseline: {problem}") from None
    return path


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
        print(reference_listing(FAULTS.values(), VARIATIONS.values()))
        return 0
    check_reference_names(arguments.fault, arguments.variation)
    config = ServerConfig(
        api_key=arguments.api_key or DEFAULT_API_KEY,
        auth_header=arguments.auth_header,
        faults=tuple(arguments.fault),
        variations=tuple(arguments.variation),
        latency=arguments.latency,
        token_interval=arguments.token_interval,
    )
    _require_free_port(arguments.host, arguments.port)
    banner = serve_banner(arguments.host, arguments.port, config.api_key, config.auth_header)
    print(banner, flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how it stops: no traceback
        serve(config, arguments.host, arguments.port)
    return 0


LISTING_BROKEN_WIDTH = 46  # a longer list of broken requirements gets a line of its own


def reference_listing(faults, variations) -> str:
    """``serve --list``: names, the requirements each fault breaks, descriptions, in columns
    as wide as their entries (the rare very long list of requirements gets its own line)."""
    names = [*(f.name for f in faults), *(v.name for v in variations)]
    name_width = max(map(len, names), default=0)
    broken = {f.name: ", ".join(f.targets) for f in faults}
    broken_width = max(
        (len(b) for b in broken.values() if len(b) <= LISTING_BROKEN_WIDTH), default=0
    )
    indent = " " * (2 + name_width + 2 + broken_width + 2)
    lines = ["Faults (each breaks one rule; the requirements it breaks):"]
    for fault in faults:
        shown = broken[fault.name]
        if len(shown) > broken_width:
            lines.append(f"  {fault.name:<{name_width}}  {shown}")
            lines.append(f"{indent}{fault.description}")
        else:
            lines.append(
                f"  {fault.name:<{name_width}}  {shown:<{broken_width}}  {fault.description}"
            )
    lines.append("Variations (legal but unusual):")
    lines += [f"  {v.name:<{name_width}}  {v.description}" for v in variations]
    return "\n".join(lines)


def serve_banner(host: str, port: int, api_key: str, auth_header: str = "Authorization") -> str:
    """What a client needs to talk to the server: URL, key, models, and the run command."""
    from conformance.settings import EMBEDDED_MODEL

    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # an IPv6 address in a URL
    base_url = f"http://{shown}:{port}/v1"
    from conformance.request_headers import auth_value

    other_header = "" if auth_header.lower() == "authorization" else f" --auth-header {auth_header}"
    command = (
        f"{OPTION['api_key'].env}={api_key} chat-conformance run "
        f"--base-url {base_url} --model {EMBEDDED_MODEL}{other_header}"
    )
    return "\n".join(
        [
            f"chat-conformance reference server on {base_url}",
            f"  base URL  {base_url}",
            f"  key       {api_key}   (sent as: {auth_header}: {auth_value(auth_header, api_key)})",
            f"  models    any name: the server echoes the last message ({EMBEDDED_MODEL}, ...)",
            f"  test it   {command}",
            "Each request is logged below; Ctrl+C stops the server.",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
