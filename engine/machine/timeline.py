"""The runtime's one time queue: cue actions and stingers waiting for their sample.

A heap ordered by (sample, arrival), so equal samples keep the order they were asked in; bounded in size, with an
identical request for the same sample merged into the one already waiting, so a flood of cues costs the audio
block a bounded amount of work (one heap push or a set lookup per request, one heap pop per due item).
"""
from __future__ import annotations

import heapq
from enum import Enum
from typing import Callable, Hashable

CAPACITY = 256  # waiting items; a desk fires a handful per bar, so this is only reached by a flood
DUE_PER_BLOCK = 16  # items carried out in one block at most; the rest wait, in order, for the next blocks


class Timed(Enum):
    AUTOMATE = "automate"  # payload: a desk.Automation
    STINGER = "stinger"  # payload: the stinger's name


class Timeline:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._heap: list[tuple[int, int, Timed, Hashable]] = []
        self._waiting: set[tuple[int, Timed, Hashable]] = set()
        self._arrivals = 0
        self.refused = 0  # requests turned away because the queue was full
        self.merged = 0  # requests that were already waiting for the same sample
        self.peak = 0  # the most items ever waiting at once

    def add(self, sample: int, kind: Timed, payload: Hashable) -> bool:
        """Queue an item; False if the queue is full (the request is refused and counted)."""
        key = (sample, kind, payload)
        if key in self._waiting:
            self.merged += 1
            return True
        if len(self._heap) >= self.capacity:
            self.refused += 1
            return False
        self._arrivals += 1
        heapq.heappush(self._heap, (sample, self._arrivals, kind, payload))
        self._waiting.add(key)
        self.peak = max(self.peak, len(self._heap))
        return True

    def next_sample(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[int, Timed, Hashable]:
        sample, _, kind, payload = heapq.heappop(self._heap)
        self._waiting.discard((sample, kind, payload))
        return sample, kind, payload

    def keep(self, wanted: Callable[[Timed, Hashable], bool]) -> None:
        """Drop every waiting item `wanted` refuses (a reload removed its stinger); the rest keep their order."""
        self._heap = [item for item in self._heap if wanted(item[2], item[3])]
        heapq.heapify(self._heap)
        self._waiting = {(s, k, p) for s, _, k, p in self._heap}

    def clear(self) -> None:
        self._heap.clear()
        self._waiting.clear()

    def __len__(self) -> int:
        return len(self._heap)
