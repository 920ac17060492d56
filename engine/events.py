"""Telemetry as it travels from the network to the audio block: small records in a bounded queue."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Telemetry:
    kind: str  # 'param', 'event' or 'state'
    name: str
    value: float = 0.0
    source: str = ""  # the OSC address it came from, for the decision log
    arrived_ns: int = 0  # time.perf_counter_ns() at arrival, for latency measurement
    due: float = 0.0  # wall clock (time.time()) it should take effect at: an OSC bundle's timetag; 0 = now
    sample: int = -1  # the audio sample it takes effect at, when known exactly (telemetry scripts)
    updates: int = 1  # a param's value stands for this many messages, the newest of which it is
    sender: str = ""  # the IP address a timetagged OSC bundle came from: its share of the hold for later


class EventQueue:
    """Many producers (OSC threads), one consumer (the audio block). Never blocks either side.

    A full queue refuses new items and counts them, so an overload is visible, never silent.
    """

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self._items: deque[Telemetry] = deque()
        self.accepted = 0
        self.dropped = 0

    def put(self, item: Telemetry) -> bool:
        if len(self._items) >= self.capacity:
            self.dropped += 1
            return False
        self._items.append(item)
        self.accepted += 1
        return True

    def flush(self) -> int:
        """Nothing is held back here (the ring's writer holds floods back to merge them); nothing dropped."""
        return 0

    def drain(self) -> list[Telemetry]:
        out = []
        for _ in range(len(self._items)):  # bounded: what was there when the block began
            out.append(self._items.popleft())
        return out

    def __len__(self) -> int:
        return len(self._items)
