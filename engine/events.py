"""Telemetry as it travels from the network to the audio block: small records in a bounded queue."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a telemetry item asks of the block. The OSC ring stores a kind as its index in this order."""

    PARAM = "param"  # set a param (the newest value of a block wins)
    EVENT = "event"  # raise an event (once a block)
    STATE = "state"  # force a state, on the sync of the machine's rule to it if any
    LOCK = "lock"  # lock (1) or unlock (0) a generated layer
    CUE = "cue"  # fire a cue action (a duck cue: 1 holds, 0 releases)
    STINGER = "stinger"  # play a stinger on its sync point
    CONTROL = "control"  # an OSC client's subscribe, unsubscribe or status (never reaches the machine)


@dataclass(frozen=True)
class Telemetry:
    kind: Kind  # a string naming one is taken too; any other raises ValueError here, never later in the block
    name: str
    value: float = 0.0
    source: str = ""  # the OSC address it came from, for the decision log
    arrived_ns: int = 0  # time.perf_counter_ns() at arrival, for latency measurement
    due: float = 0.0  # wall clock (time.time()) it should take effect at: an OSC bundle's timetag; 0 = now
    sample: int = -1  # the audio sample it takes effect at, when known exactly (telemetry scripts)
    updates: int = 1  # a param's value stands for this many messages, the newest of which it is
    sender: str = ""  # the IP address a timetagged OSC bundle came from: its share of the hold for later

    def __post_init__(self) -> None:
        if type(self.kind) is not Kind:
            object.__setattr__(self, "kind", Kind(self.kind))


class EventQueue:
    """Many producers (OSC threads), one consumer (the audio block). Never blocks either side.

    A full queue refuses new items and counts them, so an overload is visible, never silent.
    """

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self._items: deque[Telemetry] = deque()
        self.dropped = 0

    def put(self, item: Telemetry) -> bool:
        if len(self._items) >= self.capacity:
            self.dropped += 1
            return False
        self._items.append(item)
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
