"""Our own strict OSC parser, for packets from the network: messages and bundles.

Strict because what arrives may be hostile or broken: every byte the type tags promise must be there (python-osc
reads missing argument bytes as zeros, and a truncated packet must never set a param to zero), every bundle
element has a positive size, a multiple of 4, inside the packet (python-osc loops for ever on a size of -4),
and bundles nest at most MAX_NESTING deep. Anything else raises Malformed, whose text says why for one log line.
"""
from __future__ import annotations

import struct

MAX_NESTING = 8  # bundles inside bundles; real senders use one or two levels
BUNDLE = b"#bundle\x00"
NTP_TO_UNIX = 2_208_988_800  # seconds from 1900 (NTP's epoch, OSC timetags) to 1970 (time.time())
_TIMETAG = struct.Struct(">II")
_SIZE = struct.Struct(">i")
_SIMPLE = {tag: struct.Struct(fmt) for tag, fmt in
           {"i": ">i", "f": ">f", "d": ">d", "h": ">q", "c": ">I", "r": ">I", "t": ">II", "m": ">4B"}.items()}
_CONSTANT = {"T": True, "F": False, "N": None, "I": float("inf")}


class Malformed(ValueError):
    """A packet that is not valid OSC; the text says where and why."""


def _string_end(data: bytes, start: int) -> int:
    """Offset just past a NUL-terminated string padded to 4 bytes, or -1 if it runs off the end."""
    nul = data.find(b"\x00", start)
    if nul < 0:
        return -1
    end = (nul + 4) & ~3
    return end if end <= len(data) else -1


def parse_packet(data: bytes) -> list[tuple[float, str, list]]:
    """A message or a bundle -> [(time, address, arguments)], time in time.time() seconds, 0.0 = at once."""
    if data.startswith(BUNDLE):
        out: list[tuple[float, str, list]] = []
        _parse_bundle(data, 1, out)
        return out
    return [(0.0, *parse_message(data))]


def _parse_bundle(data: bytes, depth: int, out: list) -> None:
    if depth > MAX_NESTING:
        raise Malformed(f"bundles nested more than {MAX_NESTING} deep")
    if len(data) < 16:
        raise Malformed(f"a bundle of {len(data)} bytes, shorter than its 16-byte header")
    seconds, fraction = _TIMETAG.unpack_from(data, 8)
    when = 0.0 if (seconds, fraction) == (0, 1) else seconds - NTP_TO_UNIX + fraction / 2**32
    pos = 16
    while pos < len(data):
        if pos + 4 > len(data):
            raise Malformed(f"the bundle ends inside the size of its element at byte {pos}")
        (size,) = _SIZE.unpack_from(data, pos)
        if size <= 0 or size % 4:
            raise Malformed(f"bundle element size {size} at byte {pos} (must be a positive multiple of 4)")
        start, pos = pos + 4, pos + 4 + size
        if pos > len(data):
            raise Malformed(f"bundle element of {size} bytes at byte {start - 4} runs past the packet's end "
                            f"({len(data)} bytes)")
        element = data[start:pos]
        if element.startswith(BUNDLE):
            _parse_bundle(element, depth + 1, out)
        else:
            out.append((when, *parse_message(element)))


def parse_message(data: bytes) -> tuple[str, list]:
    """A plain OSC message (not a bundle) -> (address, arguments), every argument complete. Reads every OSC 1.0
    and 1.1 type (i f d h s S b T F N I c r m t and [arrays]); an unknown type tag is Malformed.

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
    outer: list[list] = []  # the argument lists an array ('[') opened inside
    for tag in tags:
        if tag in _SIMPLE:
            fmt = _SIMPLE[tag]
            if pos + fmt.size > len(data):
                raise Malformed(f"the packet ends before its '{tag}' argument (type tags ',{tags}')")
            value = fmt.unpack_from(data, pos)
            args.append(value[0] if len(value) == 1 else value)
            pos += fmt.size
        elif tag in _CONSTANT:
            args.append(_CONSTANT[tag])
        elif tag in "sS":
            stop = _string_end(data, pos)
            if stop < 0:
                raise Malformed(f"the packet ends inside its '{tag}' argument (type tags ',{tags}')")
            args.append(data[pos:data.index(b"\x00", pos)].decode("utf-8", "replace"))
            pos = stop
        elif tag == "b":
            size = _SIZE.unpack_from(data, pos)[0] if pos + 4 <= len(data) else -1
            stop = pos + 4 + ((size + 3) & ~3)
            if size < 0 or stop > len(data):
                raise Malformed(f"the packet ends inside its blob argument (type tags ',{tags}')")
            args.append(data[pos + 4:pos + 4 + size])
            pos = stop
        elif tag == "[":
            outer.append(args)
            args = []
            outer[-1].append(args)
        elif tag == "]" and outer:
            args = outer.pop()
        else:
            raise Malformed(f"unknown or unbalanced type tag '{tag}' (type tags ',{tags}')")
    if outer:
        raise Malformed(f"an array is not closed (type tags ',{tags}')")
    return address, args
