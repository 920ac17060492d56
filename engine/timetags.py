"""Telemetry dated later (OSC bundles' timetags, script lines handed over ahead) waits here for its sample, on the
one time queue (engine/timequeue.py: a heap, one pop per due item), bounded three ways so no sender can disable it for the others: in
size, in reach (a timetag years ahead would otherwise hold its slot for years), and per sender (a fair share)."""
from __future__ import annotations

from collections import Counter, deque

from engine.events import Telemetry
from engine.osc.throttle import Throttle, held_note
from engine.timequeue import TimeQueue

HORIZON = 60.0  # seconds ahead a timetag may reach (segue run --timetag-horizon)
CAPACITY = 1024  # items held in all
SHARE = 256  # items one sender may hold: four senders at least always find room


class Hold:
    def __init__(self, sample_rate: int, notices: deque[str], horizon: float = HORIZON, capacity: int = CAPACITY,
                 share: int = SHARE):
        self.sample_rate, self.notices = sample_rate, notices
        self.horizon, self.share = horizon, share
        self._queue: TimeQueue[Telemetry] = TimeQueue(capacity)
        self._held: Counter[str] = Counter()  # sender -> items it holds (no entry once it holds none)
        self._told = Throttle(per_key=1)  # in seconds of audio, so an offline render stays deterministic
        self.refused = 0

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, at: int, item: Telemetry, now: int) -> None:
        """Hold `item` for sample `at` (`now` is the block's first sample), or refuse it: counted and said."""
        if at - now > self.horizon * self.sample_rate:
            self._refuse(item, now, f"dated {(at - now) / self.sample_rate:.0f} s ahead, more than "
                                    f"{self.horizon:g} s (--timetag-horizon)")
        elif self._held[item.sender] >= self.share:
            self._refuse(item, now, f"it already holds {self.share} items for later, its share")
        elif not self._queue.push(at, item):
            self._refuse(item, now, f"{self._queue.capacity} items for later are held already")
        else:
            self._held[item.sender] += 1

    def due(self, end: int) -> list[tuple[int, Telemetry]]:
        """Items due before sample `end`, in time order, out of the hold."""
        out = []
        while (at := self._queue.next_sample()) is not None and at < end:
            at, item = self._queue.pop()
            self._held[item.sender] -= 1
            if not self._held[item.sender]:
                del self._held[item.sender]
            out.append((at, item))
        for who, held in self._told.overdue(end / self.sample_rate):
            self.notices.append(f"{who}: {held} more items for later refused")
        return out

    def _refuse(self, item: Telemetry, now: int, why: str) -> None:
        self.refused += 1
        who = f"OSC from {item.sender}" if item.sender else "telemetry script"
        held = self._told.admit(who, now / self.sample_rate)
        if held is not None:
            self.notices.append(f"{who}: {item.kind} '{item.name}' for later refused: {why}{held_note(held)}")
