"""The floor a harness is measured against: replay a run's request log with bare httpx.

It sends the very requests a ``chat-conformance run --request-log PATH`` sent, to the same
server, with the same concurrency, reads every response to its end and checks nothing. Only
``httpx`` is imported, so its wall time is the network and the server, plus an interpreter.

    CHAT_CONFORMANCE_API_KEY=sk-... python benchmarks/bare_loop.py requests.jsonl \\
        http://127.0.0.1:8000/v1 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from typing import Any

import httpx

WRONG_KEY = "sk-bare-loop-wrong-key-000000000000"


def body_bytes(record: dict[str, Any]) -> bytes:
    if "raw_body_base64" in record:
        return base64.b64decode(record["raw_body_base64"])
    return json.dumps(record["body"], ensure_ascii=False).encode("utf-8")


def headers(record: dict[str, Any], api_key: str) -> dict[str, str]:
    sent = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
    if record["auth"] == "valid":
        sent["Authorization"] = f"Bearer {api_key}"
    elif record["auth"] == "invalid":
        sent["Authorization"] = f"Bearer {WRONG_KEY}"
    return sent


async def replay(records: list[dict[str, Any]], base_url: str, api_key: str, width: int) -> int:
    slots = asyncio.Semaphore(width)
    timeout = httpx.Timeout(60.0)
    pool = httpx.Limits(max_connections=width, max_keepalive_connections=width)

    async with httpx.AsyncClient(timeout=timeout, limits=pool) as client:

        async def one(record: dict[str, Any]) -> int:
            async with slots:
                request = client.build_request(
                    record["method"],
                    base_url.rstrip("/") + record["path"],
                    content=body_bytes(record),
                    headers=headers(record, api_key),
                )
                response = await client.send(request, stream=True)
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                await response.aclose()
                return size

        sizes = await asyncio.gather(*(one(record) for record in records))
    return sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", help="a request log written by chat-conformance run")
    parser.add_argument("base_url")
    parser.add_argument("--concurrency", type=int, default=4)
    arguments = parser.parse_args()
    with open(arguments.log, encoding="utf-8") as log:
        records = [json.loads(line) for line in log if line.strip()]
    api_key = os.environ.get("CHAT_CONFORMANCE_API_KEY", "")
    started = time.monotonic()
    received = asyncio.run(replay(records, arguments.base_url, api_key, arguments.concurrency))
    print(f"{len(records)} requests, {received} bytes, {time.monotonic() - started:.3f} s")


if __name__ == "__main__":
    main()
