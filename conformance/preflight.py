"""The preflight: before the budget is spent, can this run judge the target at all?

One minimal valid request (the first model, a two-word prompt, ``max_tokens`` 1), sent through
the run's own ``ExchangeRunner``, so every bound applies to it (connect, silence, deadline, size
after decoding, retries of 429/503) and the request log shows it. Its answer sorts the run:

- **setup**: nothing about the target can be judged, the fix is on the user's side: connection
  refused, DNS or TLS failure, no HTTP answer at all, no chat-completions endpoint at the URL
  (404/405), the key refused (401/403), the model unknown (``model_not_found``). The run ends
  at once with no verdict (exit 2) and one line naming the fix.
- **throttled**: still 429/503 after every retry: no verdict either (exit 2), as for any probe.
- **unanswered**: the target accepted the connection but did not answer within the bounds.
  That *is* a verdict about the target (AUTH-003: a valid request is answered with 200), and
  sending the rest of the run would only spend every request's whole bound again: the run
  reports AUTH-003 failed, sends nothing else and exits 1.
- **ready**: anything else, even a 500 or a compression bomb: the run goes on and judges it.

Only runs against a URL given by the user have a preflight: the embedded reference server is
started by the suite itself, with a key the suite chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from conformance.records import Exchange, RequestSpec
from conformance.report.text import shortened

if TYPE_CHECKING:  # this module never sends: the runner it is given does
    from conformance.exchange import ExchangeRunner, Limits

NAME = "preflight"
PROMPT = "Say OK."
REQUIREMENT = "AUTH-003"  # a well-formed request with a valid key is answered with status 200

Outcome = Literal["ready", "setup", "throttled", "unanswered"]

# Transport failures before any HTTP answer: the URL, the network or TLS, not the target's API.
UNREACHABLE = {"ConnectError", "ConnectTimeout", "UnsupportedProtocol", "ProxyError"}
NO_HTTP_ANSWER = {"RemoteProtocolError", "ReadError", "WriteError", "LocalProtocolError"}
TIMEOUTS = {"ReadTimeout", "WriteTimeout", "PoolTimeout", "deadline"}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    message: str = ""  # one line for people: what was seen, and the fix


def request(model: str) -> RequestSpec:
    """The cheapest valid request: one short user message, one token."""
    return RequestSpec(
        {"model": model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 1}
    )


def run(
    runner: ExchangeRunner, *, model: str, key_given: bool, key_source: str, limits: Limits
) -> tuple[Exchange, Verdict]:
    """Send the preflight through ``runner`` and sort its answer."""
    exchange = runner.run(NAME, request(model))
    verdict = judge(
        exchange, model=model, key_given=key_given, key_source=key_source, limits=limits
    )
    return exchange, verdict


def _where_the_key_went(exchange: Exchange) -> str:
    """A target that reads the key from another header (Azure OpenAI's api-key) refuses it too."""
    from conformance.report.curl import header_name
    from conformance.request_headers import key_header

    header = key_header(exchange.request_headers)
    return (
        f", in the header it reads (sent in {header_name(header)}; see --auth-header)"
        if header
        else ""
    )


def judge(
    exchange: Exchange,
    *,
    model: str,
    key_given: bool,
    key_source: str,
    limits: Limits,
) -> Verdict:
    """Sort the preflight's answer (see the module docstring). ``key_source`` names where the
    key came from, as the user must fix it: ``CHAT_CONFORMANCE_API_KEY``, a config target's
    ``api-key-env`` variable, or ``--api-key``."""
    url = exchange.url
    kind = exchange.error_type
    if exchange.status is None:
        if kind in UNREACHABLE:
            return Verdict("setup", f"cannot reach {url}: {_first_line(exchange.error)}")
        if kind in NO_HTTP_ANSWER:
            hint = " (is the scheme right, http:// or https://?)"
            return Verdict("setup", f"no HTTP answer from {url}: {exchange.error}{hint}")
    if kind in TIMEOUTS or exchange.deadline_hit:
        return Verdict("unanswered", unanswered_message(exchange, limits))
    if exchange.status is None:  # a failure we have no name for: no verdict, say what it was
        return Verdict("setup", f"no answer from {url}: {_first_line(exchange.error)}")
    status = exchange.status
    said = _said(exchange)
    if exchange.throttled:
        return Verdict(
            "throttled",
            f"the target throttled the run: the preflight still got {status} after "
            f"{exchange.attempts} attempts; this is not a conformance verdict "
            "(lower --concurrency, or try later)",
        )
    if _error_code(exchange) == "model_not_found":
        return Verdict(
            "setup",
            f"the target does not know model {model!r} (status {status}, model_not_found{said}): "
            "check --model",
        )
    if status == 401 or (status == 403 and not key_given):
        if not key_given:
            return Verdict(
                "setup",
                f"no key was given and the target requires one (status {status}{said} "
                f"to a minimal valid request): set {key_source} to the target's key",
            )
        return Verdict(
            "setup",
            f"the target refused the key in {key_source} (status {status}{said} to a minimal "
            f"valid request): set {key_source} to a key the target accepts"
            + _where_the_key_went(exchange),
        )
    if status == 403:
        return Verdict(
            "setup",
            f"the target refused a minimal valid request with status 403{said}: the key in "
            f"{key_source} is not allowed this request (check the key, and --model {model!r})",
        )
    if status in (404, 405):
        return Verdict(
            "setup",
            f"no chat-completions endpoint at {url}: status {status}{said} "
            "(--base-url is the URL up to and including /v1)",
        )
    return Verdict("ready")


def unanswered_message(exchange: Exchange, limits: Limits) -> str:
    return (
        f"{REQUIREMENT} fails: the target accepted the connection but did not answer a minimal "
        f"valid request within the configured bounds ({exchange.error}; --read-timeout "
        f"{limits.read_timeout:g} s of silence, --timeout {limits.deadline:g} s per exchange); "
        "nothing else was sent"
    )


def _error_code(exchange: Exchange) -> str | None:
    try:
        error = exchange.json().get("error")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _said(exchange: Exchange, limit: int = 120) -> str:
    """What the target said, for the one line: its error message, else the start of the body."""
    text = ""
    try:
        error = exchange.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        text = message if isinstance(message, str) else ""
    except (ValueError, AttributeError, UnicodeDecodeError):
        text = exchange.text(limit)
    text = shortened(" ".join(text.split()), limit, prose=True)
    return f": {text!r}" if text else ""


def _first_line(text: str | None) -> str:
    return (text or "").splitlines()[0] if text else ""
