"""The JSON report's shape, written out once: what ``json_report`` writes and every reader reads.

The report is the record later tools read (``merge``, ``compare``, the HTML, the terminal
summary), and other people's tools too, so its shape is a contract: these types say it. A field
a report may lack is ``NotRequired``; readers still use ``.get`` for those, since a report may
come from an older release (``json_report.REPORT_FORMAT`` says when a field changes meaning).

    Report
      tool, target, summary, baseline (BaselineSummary)
      profile, seed, config_file, generation (GenerationSummary), preflight,
      latency (LatencySection)              (a run's per model; merged: per target and model)
      merged_catalog_versions, runs (ShardSummary)                             (a merged report's)
      requirements: RequirementEntry
        tests: TestEntry
          evidence: Evidence
            violations: ViolationRecord
            exchanges: ExchangeRecord
              stream: StreamRecord
                events: EventRecord
              client: ClientEffectRecord
      clients: ClientsSummary
        beyond_failures: ClientBreakRecord
          evidence: ExchangeRecord
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from conformance.report.latency import LatencySection

Status = Literal["passed", "failed", "skipped"]
BaselineStatus = Literal["failing", "passing", "not run"]


class Tool(TypedDict):
    name: str
    version: str


class Target(TypedDict):
    """Where the run went: the configured name, the URL with credentials redacted."""

    name: str | None
    base_url: str | None
    embedded: bool
    models: list[str]


class Summary(TypedDict):
    passed: int
    failed: int
    skipped: int
    not_run: int  # left out (--only, a shard)
    must_failed: int
    should_failed: int
    known_failed: int


class BaselineEntry(TypedDict):
    requirement: str
    model: str | None
    reason: str
    status: BaselineStatus


class BaselineSummary(TypedDict):
    source: str
    entries: list[BaselineEntry]


# ------------------------------------------------------------------------------ the evidence


class ViolationRecord(TypedDict):
    message: str
    expected: str
    actual: str
    exchange: str
    event_index: int | None


class EventRecord(TypedDict):
    """One shown event of a transcript, or a run of left-out events (``left_out`` alone)."""

    index: NotRequired[int]
    at: NotRequired[float]
    raw: NotRequired[str]
    marked: NotRequired[bool]
    left_out: NotRequired[bool]


class StreamRecord(TypedDict):
    event_count: int
    events: list[EventRecord]
    marked: list[int]
    discarded_tail: str
    comments: int
    invalid_utf8: bool
    line_endings: list[str]
    ended: NotRequired[str]  # how it ended: report/stream_end.py (done, closed, bound, ...)


class ClientEffectRecord(TypedDict):
    """What a client did with a recorded response (``conformance.clients``)."""

    client: str  # "openai 3.63.0"
    kind: str  # parsed, http_error (raised for an error status), raised, silent
    text: str  # "yields 0 chunks, no error"
    error_type: NotRequired[str]
    after_chunks: NotRequired[int]  # a stream it raised on: the chunks it yielded first


class ExchangeRecord(TypedDict):
    """One exchange as a failure's evidence; ``body`` or ``stream`` holds the response."""

    name: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    curl: str
    status: int | None
    headers: dict[str, str]
    error: str | None
    elapsed_seconds: float
    attempts: int
    body_bytes: int
    body: str | None
    body_utf8: bool
    stream: StreamRecord | None
    client: NotRequired[ClientEffectRecord]  # the openai SDK's effect, when it was replayed


class Evidence(TypedDict):
    violations: list[ViolationRecord]
    exchanges: list[ExchangeRecord]


# ---------------------------------------------------------------------------- requirements


class TestEntry(TypedDict):
    nodeid: str
    model: str | None
    outcome: Status
    target: NotRequired[str]  # in a merged report, the run it came from
    messages: NotRequired[list[str]]
    known: NotRequired[str]  # the baseline's reason, when it knew the failure
    evidence: NotRequired[Evidence]


class RequirementEntry(TypedDict):
    id: str
    area: str
    level: str
    title: str
    statement: str
    aliases: list[str]
    status: Status
    known: bool
    messages: list[str]
    models: dict[str, str]  # model -> status
    tests: list[TestEntry]


# ------------------------------------------------------------------------ the generated half


class PropertySummary(TypedDict):
    """One GEN property; a failing one shows its (minimal) request and the response it got."""

    property: str
    examples: int  # drawn
    answered: int
    judged: int
    failed: bool
    minimal: NotRequired[bool]
    request: NotRequired[str]  # a curl command
    response: NotRequired[str]  # status, Content-Type and the body's start
    notes: list[str]


class GenerationSummary(TypedDict):
    profile: str
    seed: int
    max_requests: int
    requests_sent: int
    budget_reached: bool
    max_tokens: int | None
    example_database: str | None
    properties: list[PropertySummary]


class PreflightSummary(TypedDict):
    outcome: str
    message: str


class ShardSummary(TypedDict):
    """What a merged report keeps of each run it merged."""

    label: str
    target: Target
    models: list[str]
    tool: NotRequired[Tool]
    catalog_version: NotRequired[str]
    strict: NotRequired[bool]
    started_at: NotRequired[str]
    duration_seconds: NotRequired[float]
    profile: NotRequired[str]
    seed: NotRequired[int]
    requests_sent: int
    baseline: str | None


class RunFields(TypedDict, total=False):
    """What describes one run (or, merged, where it came from), beside the verdicts."""

    profile: str
    seed: int
    config_file: str | None
    generation: GenerationSummary
    preflight: PreflightSummary
    latency: LatencySection  # conformance/report/latency.py
    merged_catalog_versions: list[str]
    runs: list[ShardSummary]


class ClientsSummary(TypedDict):
    """Every answered chat request replayed through a client; ``client`` None: not installed."""

    client: str | None
    replayed: int
    parsed: NotRequired[int]
    http_error: NotRequired[int]
    raised: NotRequired[int]
    silent: NotRequired[int]
    line: str  # the run's one-line summary, or how to enable the replay
    beyond_failures: NotRequired[list[ClientBreakRecord]]  # none: no such exchange
    alike_failures: NotRequired[int]  # more broken alike an exchange beside a failure: unlisted


class ClientBreakRecord(TypedDict):
    """An exchange the client raised on or mangled that no failure shows (``clients/beyond``):
    not a verdict, the checks passed."""

    exchange: str
    model: str | None
    status: int | None
    content_type: str | None
    client: ClientEffectRecord
    where: str | None  # a stream: "after 1 chunk: at or before event #1 of 5"
    event_index: int | None  # that event, marked in the evidence's transcript
    raw_at_break: NotRequired[str]  # a stream's bytes from the last yielded event to that one
    evidence: NotRequired[ExchangeRecord]  # left out past the first few of one effect


class Report(RunFields):
    report_format: int
    tool: Tool
    catalog_version: str
    target: Target
    strict: bool
    conformant: bool
    gate_passed: bool
    started_at: str
    duration_seconds: float
    requests_sent: int
    complete: bool  # False: the target throttled us; no conformance verdict
    throttled: list[str]
    summary: Summary
    baseline: BaselineSummary | None
    requirements: list[RequirementEntry]
    clients: NotRequired[ClientsSummary]
