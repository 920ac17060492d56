"""The desk's cue actions and stingers waiting for their sample, on the one time queue (engine/timequeue.py).

An identical request for the same sample is merged into the one already waiting, so a flood of cues costs the
audio block a set lookup per request, and at most DUE_PER_BLOCK items are carried out in one block.
"""
from __future__ import annotations

from enum import Enum
from typing import Callable, Hashable

from engine.timequeue import TimeQueue

CAPACITY = 256  # waiting items; a desk fires a handful per bar, so this is only reached by a flood
DUE_PER_BLOCK = 16  # items carried out in one block at most; the rest wait, in order, for the next blocks


class Timed(Enum):
    AUTOMATE = "automate"  # payload: a desk.Automation
    STINGER = "stinger"  # payload: the stinger's name


class Timeline:
    def __init__(self, capacity: int = CAPACITY):
        self._queue: TimeQueue[tuple[Timed, Hashable]] = TimeQueue(capacity)
        self._waiting: set[tuple[int, Timed, Hashable]] = set()
        self.refused = 0  # requests turned away because the queue was full
        self.merged = 0  # requests that were already waiting for the same sample

    @property
    def capacity(self) -> int:
        return self._queue.capacity

    @property
    def peak(self) -> int:
        return self._queue.peak

    def add(self, sample: int, kind: Timed, payload: Hashable) -> bool:
        """Queue an item; False if the queue is full (the request is refused and counted)."""
        key = (sample, kind, payload)
        if key in self._waiting:
            self.merged += 1
            return True
        if not self._queue.push(sample, (kind, payload)):
            self.refused += 1
            return False
        self._waiting.add(key)
        return True

    def next_sample(self) -> int | None:
        return self._queue.next_sample()

    def pop(self) -> tuple[int, Timed, Hashable]:
        sample, (kind, payload) = self._queue.pop()
        self._waiting.discard((sample, kind, payload))
        return sample, kind, payload

    def keep(self, wanted: Callable[[Timed, Hashable], bool]) -> None:
        """Drop every waiting item `wanted` refuses (a reload removed its stinger); the rest keep their order."""
        self._queue.keep(lambda item: wanted(*item))
        self._waiting = {(sample, kind, payload) for sample, (kind, payload) in self._queue}

    def clear(self) -> None:
        self._queue.clear()
        self._waiting.clear()

    def __len__(self) -> int:
        return len(self._queue)
