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


class Malformed(ValueError):
    pass


_SIMPLE = {"i": (">i", 4), "f": (">f", 4), "d": (">d", 8), "h": (">q", 8)}
_CONSTANT = {"T": True, "F": False, "N": None}


def parse_message(data: bytes) -> tuple[str, list]:
    """A plain OSC message (not a bundle) -> (address, arguments), strictly: every byte its type tags promise
    must be there. Handles the types games and consoles send (i f d h s S T F N); raises Malformed, or
    NotImplementedError for the rarer ones (blobs, arrays...) so the caller can hand those to python-osc.

    This is the hot path of a flood: a few microseconds a message, where a general parser takes several times
    as long, and every microsecond here is one the audio thread may be waiting for the GIL.
    """
    end = _string_end(data, 0)
    if end < 0 or not data.startswith(b"/"):
        raise Malformed("not an OSC message (no address)")
    address = data[:data.index(b"\x00")].decode("utf-8", "replace")
    if end == len(data):
        return address, []
    if data[end:end + 1] != b",":
        raise Malformed("type tag string must start with ','")
    tags_end = _string_end(data, end)
    if tags_end < 0:
        raise Malformed("type tag string is not terminated")
    tags = data[end + 1:data.index(b"\x00", end)].decode("ascii", "replace")
    pos, args = tags_end, []
    for tag in tags:
        if tag in _SIMPLE:
            fmt, size = _SIMPLE[tag]
            if pos + size > len(data):
                raise Malformed(f"the packet ends before its '{tag}' argument (type tags ',{tags}')")
            args.append(struct.unpack_from(fmt, data, pos)[0])
            pos += size
        elif tag in _CONSTANT:
            args.append(_CONSTANT[tag])
        elif tag in "sS":
            stop = _string_end(data, pos)
            if stop < 0:
                raise Malformed(f"the packet ends inside its '{tag}' argument (type tags ',{tags}')")
            args.append(data[pos:data.index(b"\x00", pos)].decode("utf-8", "replace"))
            pos = stop
        else:
            raise NotImplementedError(tag)
    return address, args
