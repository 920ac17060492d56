"""A strict length check for OSC messages: python-osc reads missing argument bytes as zeros
(b'/x\\0\\0,f\\0\\0' parses as 0.0), and a truncated packet must never set a param to zero.
"""
from __future__ import annotations

import struct

FIXED = {"i": 4, "f": 4, "c": 4, "r": 4, "m": 4, "h": 8, "d": 8, "t": 8, "T": 0, "F": 0, "N": 0, "I": 0,
         "[": 0, "]": 0}


def _string_end(data: bytes, start: int) -> int:
    """Offset just past a NUL-terminated string padded to 4 bytes, or -1 if it runs off the end."""
    nul = data.find(b"\x00", start)
    if nul < 0:
        return -1
    end = (nul + 4) & ~3
    return end if end <= len(data) else -1


def truncation(dgram: bytes) -> str | None:
    """Why the message is shorter than its type tags say, or None if every argument is complete."""
    pos = _string_end(dgram, 0)
    if pos < 0 or pos >= len(dgram) or dgram[pos:pos + 1] != b",":
        return None  # no type tags: nothing to check (python-osc reports real syntax errors itself)
    tags_end = _string_end(dgram, pos)
    if tags_end < 0:
        return "type tag string is not terminated"
    tags = dgram[pos + 1:dgram.index(b"\x00", pos)].decode("ascii", "replace")
    pos = tags_end
    for tag in tags:
        if tag in FIXED:
            pos += FIXED[tag]
        elif tag in "sS":
            pos = _string_end(dgram, pos)
        elif tag == "b":
            if pos + 4 > len(dgram):
                return f"blob argument '{tag}' has no size"
            (size,) = struct.unpack(">i", dgram[pos:pos + 4])
            pos += 4 + ((size + 3) & ~3) if size >= 0 else len(dgram) + 1
        else:
            return f"unknown type tag '{tag}'"
        if pos < 0 or pos > len(dgram):
            return f"the packet ends before its '{tag}' argument (type tags ',{tags}', {len(dgram)} bytes)"
    return None
