"""Messages between the server and its training processes: a JSON header and an optional binary
payload per frame, on a pipe. JSON and bytes only: nothing is ever unpickled.

A frame: two big-endian 32-bit lengths (header, payload), the header's UTF-8 JSON, the payload.
"""
from __future__ import annotations

import json
import struct
from typing import BinaryIO

PREFIX = struct.Struct(">II")
MAX_HEADER = 64 * 2**20  # a header holds one epoch's metrics: far less
MAX_PAYLOAD = 1024 * 2**20  # a trained model and its test split: megabytes at most


class FrameError(ValueError):
    """The pipe carried something that is not a frame (a crash mid-write, a stray print)."""


def write_frame(stream: BinaryIO, header: dict, payload: bytes = b"") -> None:
    head = json.dumps(header).encode()
    stream.write(PREFIX.pack(len(head), len(payload)) + head + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> tuple[dict, bytes] | None:
    """The next frame, or None at the end of the stream (the other side has gone)."""
    prefix = _read_exactly(stream, PREFIX.size)
    if prefix is None:
        return None
    n_head, n_payload = PREFIX.unpack(prefix)
    if n_head > MAX_HEADER or n_payload > MAX_PAYLOAD:
        raise FrameError(f"a frame of {n_head} + {n_payload} bytes is not one of ours")
    head, payload = _read_exactly(stream, n_head), _read_exactly(stream, n_payload)
    if head is None or payload is None:
        return None
    try:
        header = json.loads(head)
    except ValueError as exc:
        raise FrameError(f"a frame's header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise FrameError("a frame's header is not a JSON object")
    return header, payload


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
