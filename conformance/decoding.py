"""Content-Encoding decoding with a hard bound on output, so a compression bomb cannot inflate.

httpx decodes each raw chunk in full: a few kilobytes of gzip can become gigabytes in memory
before any size check runs. We ask for ``identity``, but a hostile server may compress anyway, so
the exchange reads raw bytes and decodes them here, never producing more than it is allowed to.
"""

from __future__ import annotations

import zlib


class DecodingError(Exception):
    """The body cannot be decoded within bounds; the message says why."""


class UnsupportedEncoding(DecodingError):
    """The server used a Content-Encoding we cannot decode safely."""


class TooLarge(DecodingError):
    """Decoding would produce more bytes than allowed."""


class BoundedDecoder:
    """Decodes identity, gzip or deflate bodies chunk by chunk, up to ``limit`` output bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise UnsupportedEncoding(f"unsupported Content-Encoding: {content_encoding!r}")
        self.limit = limit
        self.produced = 0
        # wbits 47 accepts gzip and zlib headers; raw deflate (-15) is tried if zlib fails.
        self._inflate = zlib.decompressobj(47) if encodings else None
        self._raw_deflate = encodings == ["deflate"]

    def decode(self, chunk: bytes) -> bytes:
        """The decoded bytes, at most up to the limit; check ``exceeded`` afterwards."""
        if self._inflate is None:
            return self._count(chunk)
        room = self.limit - self.produced + 1
        try:
            try:
                output = self._inflate.decompress(chunk, room)
            except zlib.error:
                if not self._raw_deflate or self.produced:
                    raise
                self._inflate, self._raw_deflate = zlib.decompressobj(-15), False
                output = self._inflate.decompress(chunk, room)
        except zlib.error as error:
            raise DecodingError(f"the compressed body is corrupt: {error}") from None
        return self._count(output)

    def _count(self, output: bytes) -> bytes:
        room = self.limit - self.produced
        self.produced += len(output)
        return output[:room] if len(output) > room else output

    @property
    def exceeded(self) -> bool:
        return self.produced > self.limit

    def check(self) -> None:
        if self.exceeded:
            raise TooLarge(f"the response exceeded the {self.limit} byte limit (after decoding)")
