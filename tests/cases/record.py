"""Record the fixed probes' exchanges against each reference fault (and the conforming server,
and each legal variation) as case files: the checks are then tested as data, without a server.

A case is what a run recorded (request, status, headers, body, how the exchange ended) and the
requirements its checks must fail: the fault's targets, none for the conforming server and the
variations. ``tests/test_cases.py`` judges every case with the registered checks. Run by hand
when a fault, a probe or the reference server changes (the test says when a case is stale):

    python -m tests.cases.record            # every case
    python -m tests.cases.record no-done    # one fault

Faults whose exchanges are about time or size (a stream that never ends, a gzip bomb) and the
generated-request faults are left to tests/test_fault_matrix.py, which runs them end to end.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from conformance.exchange import ExchangeRunner, Limits, Target
from conformance.probes import PROBES
from conformance.records import Exchange
from conformance.reference.config import ServerConfig
from conformance.reference.faults import FAULTS
from conformance.reference.runner import running_server
from conformance.reference.variations import VARIATIONS

HERE = Path(__file__).parent
MODEL = "conformance-echo"
KEY = "sk-cases-recorder-0123456789"
LIMITS = Limits(connect_timeout=2, read_timeout=2, deadline=4)
TOO_BIG = 256 * 1024  # a case larger than this is left to the fault matrix
LEFT_OUT = {"rate-limited", "slow", "jitter", "all"}  # timing, retries, or everything at once


def _body(data: bytes) -> dict:
    """Text when the bytes are UTF-8 (readable in a diff), else base64."""
    try:
        return {"body": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(data).decode()}


def encode(exchange: Exchange) -> dict:
    request = exchange.request
    return {
        "request": {
            "body": request.body,
            "raw_body": base64.b64encode(request.raw_body).decode() if request.raw_body else None,
            "auth": request.auth,
            "reference_reply": request.reference_reply,
        },
        "status": exchange.status,
        "headers": dict(exchange.headers),
        **_body(exchange.body),
        "error": exchange.error,
        "error_type": exchange.error_type,
        "deadline_hit": exchange.deadline_hit,
        "attempts": exchange.attempts,
        "started_at": round(exchange.started_at, 3),  # created is judged against the clock
        "elapsed": round(exchange.elapsed, 3),
    }


def record(kind: str, name: str, targets: list[str], config: ServerConfig) -> Path | None:
    with running_server(config) as server:
        runner = ExchangeRunner(Target(server.base_url, KEY, LIMITS), concurrency=4)
        try:
            first = {n: p for n, p in PROBES.items() if p.after is None}
            recorded = dict(
                zip(
                    first,
                    runner.run_all((n, p.build(MODEL)) for n, p in first.items()),
                    strict=True,
                )
            )
            for probe_name, probe in PROBES.items():
                if probe.after is not None and probe.derive is not None:
                    spec = probe.derive(MODEL, recorded[probe.after])
                    recorded[probe_name] = runner.run(probe_name, spec)
        finally:
            runner.close()
    case = {
        "description": f"the fixed probes against the reference server's {kind} {name!r}",
        kind: name,
        "failing": sorted(targets),
        "exchanges": {probe: encode(recorded[probe]) for probe in PROBES},
    }
    text = json.dumps(case, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if len(text) > TOO_BIG:
        return None
    path = HERE / f"{kind}s" / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def main(names: list[str]) -> None:
    jobs = [("server", "conforming", [], ServerConfig(api_key=KEY))]
    for name, fault in FAULTS.items():
        fixed_targets = [t for t in fault.targets if not t.startswith("GEN-")]
        hostile = fault.behaviour.__module__.endswith(".hostile")  # time and size bounds
        if fixed_targets and not hostile:
            jobs.append(("fault", name, fixed_targets, ServerConfig(api_key=KEY, faults=(name,))))
    for name in VARIATIONS:
        if name not in LEFT_OUT:
            jobs.append(("variation", name, [], ServerConfig(api_key=KEY, variations=(name,))))
    for kind, name, targets, config in jobs:
        if names and name not in names:
            continue
        path = record(kind, name, targets, config)
        print(f"{kind} {name}: {path.relative_to(HERE) if path else 'too large, left out'}")


if __name__ == "__main__":
    main(sys.argv[1:])
