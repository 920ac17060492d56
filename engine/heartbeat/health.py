"""How the blocks went: the heartbeat's own cost per block, the gaps between blocks, telemetry applied by kind and
the latency of each param from its arrival to the block that applied it.

The per-block tables are fixed rings of numbers allocated once: appending never allocates in the audio thread,
and a run of any length holds the same few MB (a deque of tuples grew to about 24 MB of Python objects)."""
from __future__ import annotations

from collections import Counter
from typing import Iterator

import numpy as np

from engine.events import Kind

TICKS = 200_000  # blocks remembered (17 min at 256 frames, 48 kHz)
LATENCIES = 100_000  # param arrivals remembered


class Ring:
    """The newest `size` records of a structured dtype; iterates oldest first as tuples of Python numbers (as the
    deque of tuples it replaces did)."""

    def __init__(self, size: int, dtype: np.dtype):
        self._rows = np.zeros(size, dtype=dtype)
        self._next = 0  # rows appended in all

    def append(self, row) -> None:
        self._rows[self._next % len(self._rows)] = row
        self._next += 1

    def __len__(self) -> int:
        return min(self._next, len(self._rows))

    def array(self) -> np.ndarray:
        """A copy of the rows held, oldest first."""
        size = len(self._rows)
        if self._next <= size:
            return self._rows[:self._next].copy()
        cut = self._next % size
        return np.concatenate([self._rows[cut:], self._rows[:cut]])

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.array().tolist())


class Health:
    def __init__(self):
        self.ticks = Ring(TICKS, np.dtype([("start", np.int64), ("cost", np.int64)]))  # (start ns, duration ns) per block
        self.taken: Counter[Kind] = Counter()  # telemetry applied, by kind
        self.latencies = Ring(LATENCIES, np.dtype([("value", np.float64), ("arrived", np.int64),
                                                   ("applied", np.int64)]))  # (value, arrived_ns, applied_ns)

    def report(self, blocks: int, faults: int, dropped: int, period_ms: float) -> dict:
        ticks = self.ticks.array()
        costs = np.sort(ticks["cost"])
        gaps = np.diff(ticks["start"])
        return {"blocks": blocks, "faults": faults,
                "heartbeat_p99_ms": float(costs[int(0.99 * (len(costs) - 1))]) / 1e6 if len(costs) else 0.0,
                "max_gap_ms": float(gaps.max()) / 1e6 if len(gaps) else 0.0,
                "period_ms": period_ms, "dropped": dropped, "taken": dict(self.taken)}
