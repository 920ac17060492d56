"""The heartbeat's intake: telemetry from its inboxes (scripts, the OSC receiver's ring) and from the hold for
later (timetags), placed on its sample and turned into one typed input for the block."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence

from engine.events import Kind, Telemetry
from engine.heartbeat.health import Health
from engine.heartbeat.sink import DecisionLog
from engine.machine.runtime import BlockInput, Runtime
from engine.params import ParamBank
from engine.timetags import HORIZON, Hold


class Inbox(Protocol):
    """Where telemetry waits for the block: the in-process queue (scripts) or the OSC receiver's ring."""

    dropped: int

    def drain(self) -> list[Telemetry]: ...


@dataclass
class BlockTelemetry:
    """What one block's telemetry asks of the machine (params are applied to the bank directly)."""

    events: set[str] = field(default_factory=set)
    cues: list[tuple[str, float]] = field(default_factory=list)
    stingers: list[str] = field(default_factory=list)
    locks: list[tuple[str, bool]] = field(default_factory=list)  # generated layers (un)locked, in order
    force: str | None = None
    at: int | None = None  # the sample the telemetry belongs to, when later than the block's start
    controls: list[Telemetry] = field(default_factory=list)  # OSC clients' subscribe, unsubscribe, status

    def input(self, start: int, length: int, values: Mapping[str, float]) -> BlockInput:
        """The runtime's one typed input for the block, with the params' values for it."""
        return BlockInput(start, length, values, frozenset(self.events), self.force, tuple(self.cues),
                          tuple(self.stingers), self.at, tuple(self.locks))


class Intake:
    def __init__(self, inboxes: Sequence[Inbox], params: ParamBank, runtime: Runtime, log: DecisionLog, outbox,
                 health: Health, sample_rate: int, timetag_horizon: float = HORIZON):
        """`runtime`: the machine playing (which states it has); `outbox`: where dropped telemetry is said."""
        self.inboxes, self.params, self.runtime, self.log = tuple(inboxes), params, runtime, log
        self.outbox, self.health, self.sample_rate = outbox, health, sample_rate
        self.later = Hold(sample_rate, outbox.notices, timetag_horizon)
        self._wall_offset: float | None = None
        self._dropped_names: set[tuple[Kind, str]] = set()  # told as gone since the last reload

    @property
    def dropped(self) -> int:
        return sum(i.dropped for i in self.inboxes) + self.later.refused

    def reloaded(self) -> None:
        """A reloaded machine took over: what it lacks is told again."""
        self._dropped_names.clear()

    def take(self, b0: int, block: int) -> BlockTelemetry:
        """Everything due in the block [b0, b0 + block): params set on the bank (the newest per param), the
        rest returned; every item applied is logged, params after the others."""
        now_ns = time.perf_counter_ns()
        end = b0 + block
        self._track_wall_clock(b0)
        ask = BlockTelemetry()
        params: dict[str, tuple[Telemetry, int, int]] = {}  # newest (item, sample, count)
        for inbox in self.inboxes:
            for item in inbox.drain():
                at = self._sample_of(item, b0)
                if at >= end:
                    self.later.add(at, item, b0)
                else:
                    self._take(item, at, b0, ask, params, now_ns)
        for at, item in self.later.due(end):
            self._take(item, at, b0, ask, params, now_ns)
        for name, (item, at, count) in params.items():  # a flood costs one set per param per block
            value = self.params.set(name, item.value)
            self.log.telemetry(item, max(at, b0), value, count)
        return ask

    def _track_wall_clock(self, b0: int) -> None:
        """Where the audio clock is against the wall clock, smoothed, to place timetagged bundles."""
        offset = time.time() - b0 / self.sample_rate
        self._wall_offset = offset if self._wall_offset is None else self._wall_offset + 0.02 * (
            offset - self._wall_offset)

    def _sample_of(self, item: Telemetry, b0: int) -> int:
        if item.sample >= 0:
            return item.sample
        if item.due > 0 and self._wall_offset is not None:
            return round((item.due - self._wall_offset) * self.sample_rate)
        return b0

    def _take(self, item: Telemetry, at: int, b0: int, ask: BlockTelemetry, params: dict, now_ns: int) -> None:
        kind = item.kind
        if kind is Kind.CONTROL:
            ask.controls.append(item)
            return
        if not self._still_known(item):
            return
        self.health.taken[kind] += item.updates
        if at > b0 and (ask.at is None or at < ask.at):
            ask.at = at  # sync 'immediate' lands on this sample, not on the block's first
        value = item.value
        match kind:
            case Kind.PARAM:  # the newest value wins; applied once, after the block's telemetry is in
                if item.arrived_ns:
                    self.health.latencies.append((item.value, item.arrived_ns, now_ns))
                previous = params.get(item.name)
                params[item.name] = (item, at, item.updates + (previous[2] if previous else 0))
                return
            case Kind.EVENT:
                ask.events.add(item.name)
                value = 1.0
            case Kind.CUE:
                ask.cues.append((item.name, item.value))
            case Kind.STINGER:
                ask.stingers.append(item.name)
                value = 1.0
            case Kind.LOCK:
                ask.locks.append((item.name, item.value >= 0.5))
            case Kind.STATE:
                ask.force = item.name
                value = 1.0
        self.log.telemetry(item, max(at, b0), value, item.updates)

    def _still_known(self, item: Telemetry) -> bool:
        """Telemetry sent for a param or state a reload removed (held, or on its way) is dropped, said once."""
        if item.kind is Kind.PARAM:
            known = item.name in self.params.params
        elif item.kind is Kind.STATE:
            known = item.name in self.runtime.machine.states
        else:
            return True
        if known:
            return True
        if (item.kind, item.name) not in self._dropped_names:
            self._dropped_names.add((item.kind, item.name))
            self.outbox.notice(f"{item.source or item.kind}: dropped: the reloaded machine has no {item.kind} "
                               f"'{item.name}'")
        return False
