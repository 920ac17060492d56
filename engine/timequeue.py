"""The one time queue: whatever waits for its sample (the desk's cue actions and stingers, telemetry dated later).

A heap ordered by (sample, arrival), so items due on the same sample keep the order they were asked in, and a due
item costs one pop; bounded, so a flood costs the audio block a bounded amount of work. Its users add their own
admission rules (merging a repeated request, a sender's fair share) and count what they refuse.
"""
from __future__ import annotations

import heapq
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class TimeQueue(Generic[T]):
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._heap: list[tuple[int, int, T]] = []
        self._arrivals = 0
        self.peak = 0  # the most items ever waiting at once

    def __len__(self) -> int:
        return len(self._heap)

    def __iter__(self) -> Iterator[tuple[int, T]]:
        """(sample, item) of everything waiting, in no particular order."""
        return ((sample, item) for sample, _, item in self._heap)

    @property
    def full(self) -> bool:
        return len(self._heap) >= self.capacity

    def push(self, sample: int, item: T) -> bool:
        """Queue `item` for `sample`; False (and nothing queued) when the queue is full."""
        if self.full:
            return False
        self._arrivals += 1
        heapq.heappush(self._heap, (sample, self._arrivals, item))
        self.peak = max(self.peak, len(self._heap))
        return True

    def next_sample(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[int, T]:
        sample, _, item = heapq.heappop(self._heap)
        return sample, item

    def keep(self, wanted: Callable[[T], bool]) -> None:
        """Drop every waiting item `wanted` refuses; the rest keep their order."""
        self._heap = [entry for entry in self._heap if wanted(entry[2])]
        heapq.heapify(self._heap)

    def clear(self) -> None:
        self._heap.clear()
