"""Calibration: the LiteLLM proxy, in front of the reference server.

LiteLLM 1.106.12 (``litellm[proxy]``, its own venv), one model ``openai/gpt-4o-mini`` whose
``api_base`` is the reference server, a ``master_key`` and no database: the smallest proxy set-up
its documentation gives. Every failure below was checked by hand with curl against the proxy.
"""

from __future__ import annotations

import os

import pytest

from tests.real_servers.harness import (
    TRUE,
    Expected,
    check_verdict,
    free_port,
    http_ok,
    installation,
    reference_server,
    run_suite,
    running,
)

pytestmark = [pytest.mark.real_servers, pytest.mark.slow]

MODEL = "gpt-4o-mini"
MASTER_KEY = "sk-litellm-master-key"
UPSTREAM_KEY = "sk-reference-upstream"

EXPECTED_FAILED = {
    "AUTH-001": Expected(
        TRUE,
        "no Authorization header: 500 text/plain 'Internal Server Error'. The proxy's auth "
        "raises 'No api key passed in.', then its exception handler imports `prisma`, which "
        "litellm[proxy] does not install (ModuleNotFoundError), and Starlette answers 500.",
    ),
    "AUTH-004": Expected(
        TRUE,
        "a wrong key: 400 {'error': {'message': 'No connected db.', 'type': "
        "'no_db_connection'}}: without a database any non-master key is 'no db', never a 401.",
    ),
    "REQ-003": Expected(
        TRUE,
        '"stream": "sometimes" is served 200 as a non-streamed completion: the proxy reads '
        "`stream` by truthiness and never forwards it when not True; the upstream never sees it.",
    ),
    "REQ-007": Expected(
        TRUE,
        "five stop sequences are served 200: litellm.utils.validate_openai_optional_params "
        "deliberately truncates `stop` to its first 4 before calling the upstream.",
    ),
    "REQ-009": Expected(
        TRUE,
        '"content": 42 gets 500 {"error": {"message": "litellm.APIConnectionError: ... '
        '\'int\' object is not iterable", "type": "internal_server_error"}}: the proxy '
        "iterates the content while building the upstream call, before any validation.",
    ),
    "STREAM-002": Expected(
        TRUE,
        "every chunk before the last omits `finish_reason` (the key is absent, not null): "
        'data: {..."choices":[{"index":0,"delta":{"content":"hi"}}]}; OpenAI\'s chunk '
        "schema requires the key (nullable), as in the documentation's stream example.",
    ),
    "STREAM-006": Expected(TRUE, "the same chunks: `finish_reason` missing instead of null."),
    "GEN-002": Expected(
        TRUE,
        "a body that is JSON but not an object (a JSON string) gets 500 text/plain "
        "'Internal Server Error' from the proxy; the reference server answers 400.",
    ),
}


def test_litellm_proxy_verdict(tmp_path):
    stamp = installation("litellm")
    with reference_server(tmp_path, UPSTREAM_KEY) as upstream:
        config = tmp_path / "litellm.yaml"
        config.write_text(
            "model_list:\n"
            f"  - model_name: {MODEL}\n"
            "    litellm_params:\n"
            f"      model: openai/{MODEL}\n"
            f"      api_base: http://127.0.0.1:{upstream}/v1\n"
            f"      api_key: {UPSTREAM_KEY}\n"
            "general_settings:\n"
            f"  master_key: {MASTER_KEY}\n"
        )
        port = free_port()
        command = [stamp["executable"], "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        # The model cost map is fetched from the internet unless told to use the bundled one.
        env = dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR")
        with running(
            command,
            ready=http_ok(f"http://127.0.0.1:{port}/health/liveliness"),
            log=tmp_path / "litellm.log",
            timeout=90,
            env=env,
        ):
            verdict = run_suite(tmp_path, f"http://127.0.0.1:{port}/v1", MODEL, MASTER_KEY)
    check_verdict(verdict, EXPECTED_FAILED)
