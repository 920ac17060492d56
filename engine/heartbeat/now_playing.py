"""The heartbeat's one door into the machine's runtime: every call the engine makes into it is here, so a change
of the runtime's interface is a change in this file only."""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from engine.machine.decisions import Decision
from engine.machine.model import Machine
from engine.machine.runtime import BlockInput, Runtime

if TYPE_CHECKING:
    from engine.heartbeat.intake import BlockTelemetry


class NowPlaying:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.sample_rate = runtime.sample_rate

    def step(self, b0: int, block: int, values: Mapping[str, float], ask: "BlockTelemetry") -> list[Decision]:
        for name, locked in ask.locks:
            self.runtime.set_lock(name, locked)
        return self.runtime.step(BlockInput(b0, block, values, frozenset(ask.events), ask.force, tuple(ask.cues),
                                            tuple(ask.stingers), ask.at))

    def levels(self, values: Mapping[str, float]) -> dict:
        return self.runtime.levels(values)

    def swap(self, machine: Machine, at: int, values: Mapping[str, float]) -> list[Decision]:
        return self.runtime.swap(machine, at, values)

    def refused(self) -> tuple[int, int]:
        """(cue actions and stingers refused so far, the time queue's capacity)."""
        return self.runtime.timeline.refused, self.runtime.timeline.capacity

    # -- what the parts read ---------------------------------------------------------------------
    @property
    def machine(self) -> Machine:
        return self.runtime.machine

    @property
    def state(self) -> str:
        return self.runtime.state

    @property
    def clock(self):
        return self.runtime.clock

    @property
    def origin(self) -> int:
        return self.runtime.origin

    @property
    def bar(self) -> int:
        return self.runtime.bar

    @property
    def pending(self):
        return self.runtime.pending

    def position(self, sample: int) -> str:
        return self.runtime.position(sample)

    def next_bar(self, sample: int) -> int:
        """The first bar line at or after `sample`, in the music playing now."""
        return self.runtime.origin + self.runtime.clock.next_bar(max(0, sample - self.runtime.origin))

    def next_beat(self, sample: int) -> int:
        return self.runtime.origin + self.runtime.clock.next_beat(max(0, sample - self.runtime.origin))

    def bar_beat(self, sample: int) -> tuple[int, int]:
        """(bar, beat), both from 1, of `sample` in the music playing now."""
        position = self.runtime.clock.position(max(0, sample - self.runtime.origin))
        return position.bar + 1, position.beat + 1
