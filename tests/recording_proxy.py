"""A loopback proxy that records what each request carried (path with query, headers) and passes
it on to a real server, echoing every request header back in a response header: a target that
would leak ``--header`` values into every report if the suite did not redact them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import httpx

from tests.raw_server import http_server

HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "host"}


@dataclass
class Recorded:
    """The requests the proxy saw: (path with its query, headers with lower-case names)."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def recording_proxy(upstream_base_url: str) -> Iterator[tuple[str, Recorded]]:
    """(the proxy's base URL ending in /v1, what it recorded) for the block's duration."""
    upstream = urlsplit(upstream_base_url)
    recorded = Recorded()
    client = httpx.Client(timeout=30)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # http.server's name
            headers = {name.lower(): value for name, value in self.headers.items()}
            recorded.requests.append((self.path, headers))
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            sent = {k: v for k, v in headers.items() if k not in HOP_BY_HOP}
            url = f"{upstream.scheme}://{upstream.netloc}{self.path}"
            answer = client.post(url, content=body, headers=sent)
            payload = answer.content
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                    self.send_header(name, value)
            echoed = "; ".join(f"{k}={v}" for k, v in headers.items() if k.startswith("x-"))
            self.send_header("x-echo-headers", echoed)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet

    try:
        with http_server(Handler) as base_url:
            yield base_url, recorded
    finally:
        client.close()
