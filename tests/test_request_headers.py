"""The key's header (--auth-header) and the extra headers (--header): sent on every request,
refused when they would break the exchange, and never shown with their values.

Azure OpenAI reads the key from ``api-key``, gateways route on their own headers, and an extra
header may itself be a key (Portkey's ``x-portkey-api-key``): a run must reach such a target and
still keep every value out of what people see."""

from __future__ import annotations

import argparse
import os
import subprocess

import pytest

from conformance.cli import main, serve_banner
from conformance.exchange import INVALID_KEY, ExchangeRunner, Target
from conformance.options import OPTION, environment_value, read_config_value, secret_environment
from conformance.records import RequestSpec
from conformance.reference.config import ServerConfig
from conformance.reference.runner import running_server
from conformance.report.curl import curl_command
from conformance.request_headers import (
    HeaderError,
    check_auth_header,
    extra_headers,
    parse_header,
    variable_of,
)
from tests.recording_proxy import recording_proxy

KEY = "sk-azure-SECRET-0123456789abcdef"
CONFIG = '{"retry":{"attempts":2},"provider":"openai"}'  # a comma: no comma-separated variable
PORTKEY_KEY = "pk-SECRET-portkey-0123456789"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


# ---------------------------------------------------------------------------- parsing, refusals


def test_a_header_is_name_colon_value_tidied():
    assert parse_header("  x-portkey-config :" + CONFIG) == f"x-portkey-config: {CONFIG}"
    assert parse_header("X-Empty:") == "X-Empty: "


@pytest.mark.parametrize("text", ["no colon", ": value", "bad name: v", "x-a: one\r\ntwo"])
def test_a_malformed_header_is_refused_without_its_value(text):
    with pytest.raises(HeaderError) as refused:
        parse_header(text)
    assert "one" not in str(refused.value)  # a line break's header: named, its value not shown


@pytest.mark.parametrize(
    ("items", "auth_header"),
    [
        (["Content-Type: text/plain"], "Authorization"),
        (["accept-encoding: gzip"], "Authorization"),
        (["authorization: Bearer other"], "Authorization"),
        (["API-KEY: other"], "api-key"),
        (["x-a: 1", "X-A: 2"], "Authorization"),
    ],
)
def test_a_header_the_suite_sets_cannot_be_overridden(items, auth_header):
    with pytest.raises(HeaderError):
        extra_headers(items, auth_header)


def test_authorization_is_an_ordinary_extra_header_when_the_key_goes_elsewhere():
    assert extra_headers(["Authorization: Bearer gw"], "api-key") == (
        ("Authorization", "Bearer gw"),
    )


@pytest.mark.parametrize("name", ["content-type", "Accept-Encoding", "api key", ""])
def test_the_key_cannot_go_in_a_fixed_or_malformed_header(name):
    with pytest.raises(HeaderError):
        check_auth_header(name)


def test_a_header_variable_is_a_shell_name():
    assert variable_of("x-portkey-config") == "HEADER_X_PORTKEY_CONFIG"
    assert variable_of("HTTP-Referer") == "HEADER_HTTP_REFERER"


# ---------------------------------------------------------------------------- options


def test_the_headers_variable_holds_one_header_a_line(monkeypatch):
    text = f"x-portkey-config: {CONFIG}\nx-portkey-api-key: {PORTKEY_KEY}\n"
    monkeypatch.setenv("CHAT_CONFORMANCE_HEADERS", text)
    assert environment_value(OPTION["headers"]) == [
        f"x-portkey-config: {CONFIG}",
        f"x-portkey-api-key: {PORTKEY_KEY}",
    ]


def test_a_malformed_headers_variable_is_refused_without_showing_it(monkeypatch):
    monkeypatch.setenv("CHAT_CONFORMANCE_HEADERS", f"{PORTKEY_KEY}")
    with pytest.raises(ValueError) as refused:
        environment_value(OPTION["headers"])
    assert PORTKEY_KEY not in str(refused.value)


def test_the_config_file_takes_headers_as_a_table_or_a_list():
    table = read_config_value("headers", {"HTTP-Referer": "https://a.example", "X-Title": "A"})
    assert table == ("HTTP-Referer: https://a.example", "X-Title: A")
    assert read_config_value("headers", ["X-Title: A"]) == ("X-Title: A",)
    with pytest.raises(ValueError, match="headers"):
        read_config_value("headers", ["no colon"])
    assert read_config_value("auth-header", "api-key") == "api-key"


def test_the_cli_hands_headers_to_pytest_through_the_environment_only():
    arguments = argparse.Namespace(
        **{o.name: None for o in OPTION.values()},
    )
    arguments.headers = [f"x-portkey-config: {CONFIG}", "X-Title: A"]
    environment = secret_environment(arguments)
    assert environment["CHAT_CONFORMANCE_HEADERS"] == f"x-portkey-config: {CONFIG}\nX-Title: A"


@pytest.mark.parametrize(
    "arguments",
    [
        ["--header", "Content-Type: text/plain"],
        ["--header", "no colon"],
        ["--auth-header", "api-key", "--header", "api-key: other"],
        ["--header", "x-a: 1", "--header", "X-A: 2"],
    ],
)
def test_the_run_refuses_a_header_it_cannot_send(arguments, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config file of this repository
    try:
        code = main(["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", *arguments])
    except SystemExit as refused:  # argparse's refusal of a malformed value
        code = refused.code
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--header" in error
    assert "other" not in error and "text/plain" not in error  # never the value


# ---------------------------------------------------------------------------- the wire


def _send(target: Target, *specs: RequestSpec):
    runner = ExchangeRunner(target, concurrency=2)
    try:
        return runner.run_all((f"r{n}", spec) for n, spec in enumerate(specs))
    finally:
        runner.close()


def test_the_key_goes_in_the_named_header_and_the_auth_probes_use_it():
    with running_server(ServerConfig(api_key=KEY, auth_header="api-key")) as server:
        target = Target(server.base_url, KEY, auth_header="api-key")
        valid, missing, invalid = _send(
            target,
            RequestSpec(BODY),
            RequestSpec(BODY, auth="none"),
            RequestSpec(BODY, auth="invalid"),
        )
        by_default = _send(Target(server.base_url, KEY), RequestSpec(BODY))[0]
    assert (valid.status, missing.status, invalid.status) == (200, 401, 401)
    assert by_default.status == 401  # Authorization: Bearer is not where this server looks
    assert valid.request_headers["api-key"] == "$API_KEY"
    assert "api-key" not in missing.request_headers
    assert invalid.request_headers["api-key"] == INVALID_KEY  # bare, as the key would be
    assert "authorization" not in valid.request_headers
    assert '-H "Api-Key: $API_KEY"' in curl_command(valid)


def test_extra_headers_and_the_query_reach_the_server_and_show_only_as_variables():
    headers = (("x-portkey-config", CONFIG), ("x-portkey-api-key", PORTKEY_KEY))
    with (
        running_server(ServerConfig(api_key=KEY)) as server,
        recording_proxy(server.base_url) as (proxy_url, recorded),
    ):
        target = Target(f"{proxy_url}?api-version=2024-10-21", KEY, headers=headers)
        valid, missing = _send(target, RequestSpec(BODY), RequestSpec(BODY, auth="none"))
    assert valid.status == 200
    assert missing.status == 401  # the extra headers are sent on the auth probes too
    paths = sorted(path for path, _ in recorded.requests)
    assert paths == ["/v1/chat/completions?api-version=2024-10-21"] * 2
    for _, sent in recorded.requests:
        assert sent["x-portkey-config"] == CONFIG
        assert sent["x-portkey-api-key"] == PORTKEY_KEY
    assert valid.url.endswith("/v1/chat/completions?api-version=2024-10-21")
    assert valid.request_headers["x-portkey-config"] == "$HEADER_X_PORTKEY_CONFIG"
    assert valid.request_headers["x-portkey-api-key"] == "$HEADER_X_PORTKEY_API_KEY"
    echoed = valid.headers["x-echo-headers"]  # the proxy echoed both values back
    assert PORTKEY_KEY not in echoed and CONFIG not in echoed
    command = curl_command(valid)
    assert PORTKEY_KEY not in command and CONFIG not in command
    assert command.splitlines()[0] == (
        "# set HEADER_X_PORTKEY_CONFIG, HEADER_X_PORTKEY_API_KEY, API_KEY first "
        "(the values of those headers)"
    )
    assert '-H "X-Portkey-Config: $HEADER_X_PORTKEY_CONFIG"' in command
    environment = os.environ | {
        "API_KEY": KEY,
        "HEADER_X_PORTKEY_CONFIG": CONFIG,
        "HEADER_X_PORTKEY_API_KEY": PORTKEY_KEY,
    }
    echo = command.replace("curl -sS -i", "printf '%s\\n'", 1).split(" \\\n  --data-binary")[0]
    printed = subprocess.run(
        ["bash", "-c", echo.replace(" \\\n  -H ", " ")],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout
    assert f"X-Portkey-Config: {CONFIG}" in printed  # the shell fills the variables in


def test_the_serve_banner_names_the_header_it_reads():
    banner = serve_banner("127.0.0.1", 8000, "sk-reference-key", "api-key")
    assert "(sent as: api-key: sk-reference-key)" in banner
    assert "--auth-header api-key" in banner
    assert "(sent as: Authorization: Bearer sk-reference-key)" in serve_banner(
        "127.0.0.1", 8000, "sk-reference-key"
    )


# ---------------------------------------------------------------------------- whole runs


@pytest.mark.slow
def test_a_run_with_the_servers_header_passes_auth_and_leaks_no_value(tmp_path, run_cli):
    """One failure (created-ms) puts the exchanges, with the proxy's echo of every header, into
    the reports: the values must be redacted there too."""
    reports = tmp_path / "reports"
    config = ServerConfig(api_key=KEY, auth_header="api-key", faults=("created-ms",))
    with (
        running_server(config) as server,
        recording_proxy(server.base_url) as (proxy_url, recorded),
    ):
        environment = os.environ | {"CHAT_CONFORMANCE_API_KEY": KEY}
        completed = run_cli(
            "run", "--base-url", f"{proxy_url}?api-version=x",
            "--model", "echo", "--auth-header", "api-key",
            "--header", f"x-portkey-config: {CONFIG}",
            "--header", f"x-portkey-api-key: {PORTKEY_KEY}",  # to pytest: one variable, 2 lines
            "--only", "AUTH", "--only", "RESP",
            "--reports-dir", str(reports), "--request-log", str(reports / "requests.jsonl"),
            "--", "-v",
            env=environment,
        )  # fmt: skip
    assert completed.exit_code == 1, completed.stdout[-3000:] + completed.stderr
    verdicts = {row["id"]: row["status"] for row in completed.report["requirements"]}
    assert all(verdicts[f"AUTH-00{n}"] == "passed" for n in range(1, 5)), verdicts
    assert verdicts["RESP-004"] == "failed"
    assert recorded.requests and all(
        path.endswith("?api-version=x") for path, _ in recorded.requests
    )
    assert all(sent["x-portkey-config"] == CONFIG for _, sent in recorded.requests)
    assert all(sent["x-portkey-api-key"] == PORTKEY_KEY for _, sent in recorded.requests)
    artifacts = {path.name: path.read_text("utf-8") for path in reports.iterdir()}
    assert {"report.html", "report.json", "junit.xml", "requests.jsonl"} <= set(artifacts)
    artifacts |= {"stdout": completed.stdout, "stderr": completed.stderr}
    for name, text in artifacts.items():
        for secret in (KEY, PORTKEY_KEY, CONFIG):
            assert secret not in text, f"a secret leaked into {name}"
    assert "x-echo-headers" in artifacts["report.json"]  # the echo is there, redacted
    assert "$HEADER_X_PORTKEY_API_KEY" in artifacts["report.json"]


@pytest.mark.slow
def test_a_run_with_the_default_header_is_a_setup_error(tmp_path, run_cli):
    with running_server(ServerConfig(api_key=KEY, auth_header="api-key")) as server:
        completed = run_cli(
            "run", "--base-url", server.base_url, "--model", "echo",
            "--reports-dir", str(tmp_path / "r"),
            env=os.environ | {"CHAT_CONFORMANCE_API_KEY": KEY},
        )  # fmt: skip
    assert completed.exit_code == 2
    assert "key" in completed.stderr and "refused" in completed.stderr, completed.stderr
    assert KEY not in completed.stderr + completed.stdout


@pytest.mark.slow
def test_the_embedded_server_reads_the_key_where_the_run_sends_it(tmp_path, run_cli):
    completed = run_cli(
        "run", "--auth-header", "api-key", "--only", "AUTH", "--reports-dir", str(tmp_path / "r")
    )  # fmt: skip
    assert completed.exit_code == 0, completed.stdout[-3000:]
    verdicts = {row["id"]: row["status"] for row in completed.report["requirements"]}
    assert all(verdicts[f"AUTH-00{n}"] == "passed" for n in range(1, 5)), verdicts
