"""How often one sender may be written about: hostile traffic must not become a flood of log lines (each one
crosses a pipe and costs the engine a moment of the GIL)."""
from __future__ import annotations

import time

MAX_KEYS = 1024  # senders remembered; the oldest is forgotten beyond that


class Throttle:
    """At most `per_key` lines per key and `total` lines in all per `interval` seconds. A line held back is
    counted; the count is said with that key's next line, or by `overdue` once its interval is over."""

    def __init__(self, interval: float = 1.0, per_key: int = 10, total: int = 50):
        self.interval, self.per_key, self.total = interval, per_key, total
        self._keys: dict[str, list] = {}  # key -> [window start, lines in the window, held back since last line]
        self._window, self._lines = -interval, 0
        self._swept = 0.0

    def admit(self, key: str, now: float | None = None) -> int | None:
        """None: stay quiet. A number: log this line, saying that many more were held back since the last."""
        now = time.monotonic() if now is None else now
        if now - self._window >= self.interval:
            self._window, self._lines = now, 0
        entry = self._keys.get(key)
        if entry is None:
            if len(self._keys) >= MAX_KEYS:
                self._keys.pop(next(iter(self._keys)))
            entry = self._keys[key] = [now, 0, 0]
        if now - entry[0] >= self.interval:
            entry[0], entry[1] = now, 0
        if entry[1] >= self.per_key or self._lines >= self.total:
            entry[2] += 1
            return None
        entry[1] += 1
        self._lines += 1
        held, entry[2] = entry[2], 0
        return held

    def overdue(self, now: float | None = None) -> list[tuple[str, int]]:
        """(key, count) of lines held back in intervals now over, each said once, so a flood that stops still
        has its size told. Looks at most once an interval: cheap to call on every wake-up."""
        now = time.monotonic() if now is None else now
        if now - self._swept < self.interval:
            return []
        self._swept = now
        out = []
        for key, entry in list(self._keys.items()):  # a copy: another receiving thread may add a key meanwhile
            if entry[2] and now - entry[0] >= self.interval:
                out.append((key, entry[2]))
                entry[2] = 0
        return out


def held_note(held: int) -> str:
    """What to add to a line when others like it were held back."""
    return f" (and {held} more like it not logged)" if held else ""
