"""How the blocks went: the heartbeat's own cost per block, the gaps between blocks, telemetry applied by kind and
the latency of each param from its arrival to the block that applied it."""
from __future__ import annotations

from collections import Counter, deque

from engine.events import Kind


class Health:
    def __init__(self):
        self.ticks: deque[tuple[int, int]] = deque(maxlen=200_000)  # (start ns, duration ns) per block
        self.taken: Counter[Kind] = Counter()  # telemetry applied, by kind
        self.latencies: deque[tuple[float, int, int]] = deque(maxlen=100_000)  # (value, arrived_ns, applied_ns)

    def report(self, blocks: int, faults: int, dropped: int, period_ms: float) -> dict:
        ticks = list(self.ticks)
        costs = sorted(d for _, d in ticks)
        gaps = [b[0] - a[0] for a, b in zip(ticks, ticks[1:])]
        return {"blocks": blocks, "faults": faults,
                "heartbeat_p99_ms": costs[int(0.99 * (len(costs) - 1))] / 1e6 if costs else 0.0,
                "max_gap_ms": max(gaps) / 1e6 if gaps else 0.0,
                "period_ms": period_ms, "dropped": dropped, "taken": dict(self.taken)}
