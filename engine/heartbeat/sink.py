"""One sink for the block's decisions: the audio graph applies them, then each listener hears of each one with
its decision-log entry (the log, the outbox's announcements, OSC feedback, the generation scheduler)."""
from __future__ import annotations

from collections import deque
from typing import Iterator, Protocol, Sequence

from engine.events import Telemetry
from engine.machine.decisions import Decision


class Listener(Protocol):
    def decided(self, decision: Decision, entry: dict) -> None:
        """`decision` was just applied by the graph; `entry` is its decision-log line. Must not raise or wait."""


class Sink:
    def __init__(self, graph, sample_rate: int, listeners: Sequence[Listener]):
        self.graph, self.sample_rate, self.listeners = graph, sample_rate, tuple(listeners)

    def take(self, decisions: list[Decision], b0: int) -> None:
        self.graph.apply(decisions, b0)
        for d in decisions:
            entry = d.log(self.sample_rate)
            for listener in self.listeners:
                listener.decided(d, entry)


class DecisionLog:
    """Every decision and every telemetry item applied, in order, as JSON-ready entries (bounded or not)."""

    def __init__(self, sample_rate: int, limit: int | None = None):
        self.sample_rate = sample_rate
        self.entries: deque[dict] = deque(maxlen=limit)

    def decided(self, decision: Decision, entry: dict) -> None:
        self.entries.append(entry)

    def append(self, entry: dict) -> None:
        """A line of another part's own (a generated phrase starts, or could not)."""
        self.entries.append(entry)

    def telemetry(self, item: Telemetry, sample: int, value: float, count: int) -> None:
        entry = {"sample": sample, "time": round(sample / self.sample_rate, 6), "action": "telemetry",
                 "source": item.source, "kind": item.kind, "name": item.name, "value": value}
        if count > 1:
            entry["updates"] = count  # this many arrived in the block: a param's newest applied, an event raised
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries.clear()

    def __iter__(self) -> Iterator[dict]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
