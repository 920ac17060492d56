"""SLIP framing (RFC 1055) for OSC 1.1 over TCP: frames end with 0xC0; 0xC0 and 0xDB inside are escaped."""
from __future__ import annotations

END, ESC, ESC_END, ESC_ESC = b"\xc0", b"\xdb", b"\xdc", b"\xdd"


def encode(packet: bytes) -> bytes:
    return END + packet.replace(ESC, ESC + ESC_ESC).replace(END, ESC + ESC_END) + END


def decode_frame(frame: bytes) -> bytes:
    return frame.replace(ESC + ESC_END, END).replace(ESC + ESC_ESC, ESC)


class Decoder:
    """Feed bytes as they arrive; get whole frames back. A frame that decodes to more than `limit` bytes is dropped
    and counted once; no more than about twice `limit` is ever buffered (escaping at most doubles a packet)."""

    def __init__(self, limit: int = 65536):
        self.limit = limit
        self._pending = b""
        self._skipping = False  # inside an oversized frame (already counted): drop bytes until its END
        self.oversized = 0

    def feed(self, data: bytes) -> list[bytes]:
        parts = (self._pending + data).split(END)
        self._pending = parts.pop()  # what follows the last END is not complete yet
        frames = []
        for part in parts:
            if self._skipping:
                self._skipping = False
                continue
            if part:
                frame = decode_frame(part)
                if len(frame) > self.limit:
                    self.oversized += 1
                    continue
                frames.append(frame)
        if len(self._pending) > 2 * self.limit:  # it cannot decode to `limit` bytes or fewer
            self.oversized += 0 if self._skipping else 1
            self._pending = b""
            self._skipping = True
        return frames
