"""The machine while it plays: a thin coordinator of its parts, called once per audio block.

Each block's input (a BlockInput: param values, events, a forced state, cues, stingers) goes to the parts
in a fixed order; what comes back are the decisions that take effect inside the block, each at its exact sample.

- engine/machine/model.py: the authored machine, immutable, with its precomputed transition table (table.py)
- playback.py: state, segment, origin, the pending move, stem fades, cooldowns
- desk.py: cue actions, stingers, master and duck envelopes, and the time queue (timeline.py)
- layers.py: generated layers and their phrase requests
Pure: no audio, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from engine.clock import Clock
from engine.machine.conditions import Compare, Latches, walk
from engine.machine.decisions import Decision, LayerLevel, Reloaded, StemLevel
from engine.machine.desk import Desk
from engine.machine.layers import Layers
from engine.machine.model import NO_FADE, FadeSpec, Machine, StartMode
from engine.machine.playback import Pending, Playback, state_gains
from engine.machine.timeline import DUE_PER_BLOCK, Timeline
from engine.units import Duration


@dataclass(frozen=True)
class BlockInput:
    """What one audio block asks of the machine."""

    start: int  # the block's first sample
    length: int  # samples in the block
    values: Mapping[str, float]  # every param's value for this block
    events: frozenset[str] = frozenset()
    force: str | None = None  # a state asked for by name (/segue/state/<name>)
    cues: tuple[tuple[str, float], ...] = ()  # (cue name, value), in arrival order
    stingers: tuple[str, ...] = ()  # stingers fired by name
    at: int | None = None  # the sample the block's telemetry belongs to, when later than `start` (a timetag)
    locks: tuple[tuple[str, bool], ...] = ()  # generated layers (un)locked by name, in arrival order


def machine_latches(machine: Machine) -> Latches:
    """The latches of every comparison in the machine's rules and stingers (with each param's hysteresis)."""
    conditions = [t.when for t in machine.transitions] + [s.when for s in machine.stingers.values() if s.when]
    compares = [c for cond in conditions for c in walk(cond) if isinstance(c, Compare)]
    return Latches(compares, {p.name: p.hysteresis for p in machine.params})


class Runtime:
    def __init__(self, machine: Machine):
        self.machine = machine
        self.latches = machine_latches(machine)
        self.playback = Playback(machine)
        self.layers = Layers(machine, self.playback)
        self.desk = Desk(machine, self.playback)

    # -- what the rest of the engine reads ------------------------------------------------------
    @property
    def state(self) -> str:
        return self.playback.state

    @property
    def segment(self) -> str:
        return self.playback.segment

    @property
    def origin(self) -> int:
        return self.playback.origin

    @property
    def pending(self) -> Pending | None:
        return self.playback.pending

    @property
    def clock(self) -> Clock:
        return self.playback.clock

    @property
    def bar(self) -> int:
        return self.playback.bar

    @property
    def sample_rate(self) -> int:
        return self.playback.sample_rate

    @property
    def timeline(self) -> Timeline:
        return self.desk.timeline

    def position(self, sample: int) -> str:
        return self.playback.position(sample)

    def next_bar(self, sample: int) -> int:
        return self.playback.next_bar(sample)

    def next_beat(self, sample: int) -> int:
        return self.playback.next_beat(sample)

    def bar_beat(self, sample: int) -> tuple[int, int]:
        return self.playback.bar_beat(sample)

    def levels(self, values: Mapping[str, float]) -> dict[StemLevel | LayerLevel, float]:
        """Param-driven gain of each generated layer and of each stem in the playing segment (read it, never change
        it: without layers it is Playback's own)."""
        stems = self.playback.levels(values)
        if not self.layers.active:
            return stems
        out: dict[StemLevel | LayerLevel, float] = self.layers.levels(values)
        out.update(stems)
        return out

    def set_lock(self, name: str, locked: bool) -> None:
        self.layers.set_lock(name, locked)

    # -- once per block ------------------------------------------------------------------------
    def step(self, block: BlockInput) -> list[Decision]:
        playback, desk, layers = self.playback, self.desk, self.layers
        out: list[Decision] = []
        for name, locked in block.locks:
            layers.set_lock(name, locked)
        layers.values = block.values
        self.latches.update(block.values)
        if not playback.entered:
            out += playback.enter(block.start, self.machine.initial, NO_FADE, StartMode.START, "initial state",
                                  layers)
        now = max(block.start, block.at) if block.at is not None else block.start
        if not playback.bridging:
            move = playback.forced(block.force) if block.force else playback.choose(self.latches, block.events, now)
            if move is None and playback.pending is None:
                move = playback.auto_advance()
            if move:
                out += playback.schedule(move, now)
        desk.auto_stingers(now, self.latches, block.events)
        for name in block.stingers:
            desk.schedule_stinger(name, now)
        for name, value in block.cues:
            out += desk.cue(name, value, now)
        end, budget = block.start + block.length, DUE_PER_BLOCK
        while True:  # moves and timed actions due in this block, in the order of their samples
            timeline = desk.timeline
            next_timed = timeline.next_sample() if budget and timeline else None
            next_timed = end if next_timed is None else next_timed
            pending = playback.pending
            if pending and pending.sample < end and pending.sample <= next_timed:
                playback.pending = None
                out += playback.execute(pending, layers)
            elif next_timed < end:
                budget -= 1
                out += desk.run_next(block.start)
            else:
                break
        out += layers.regenerate(block.start)
        return out

    def swap(self, machine: Machine, at: int, values: Mapping[str, float]) -> list[Decision]:
        """Take over a new version of the machine (same pack) at `at`, keeping what plays; `values`: its params.

        The current state stays if it still exists (its layers fade to their new gains over a beat);
        otherwise the new initial state is entered. A transition already scheduled (or a bridge playing) goes on
        if its target still exists: a designer saving the file must not cancel the move the game just asked for.
        """
        playback, layers = self.playback, self.layers
        old_state = playback.state
        self.machine = machine
        self.latches = machine_latches(machine)
        layers.values = values
        self.latches.update(values)
        playback.retarget(machine)
        self.desk.retarget(machine)
        layers.retarget(machine)
        out: list[Decision] = [Reloaded(at, playback.position(at), old_state, "the file changed", str(machine.path))]
        if old_state not in machine.states:
            return out + playback.enter(at, machine.initial, machine.default_fade, None,
                                        f"state '{old_state}' is gone after the reload", layers)
        if playback.bridging:  # the bridge plays on; its end enters the state with the new file's gains
            return out
        state = machine.states[old_state]
        if state.segment != playback.segment:
            return out + playback.enter(at, old_state, machine.default_fade, StartMode.START,
                                        f"state '{old_state}' plays segment '{state.segment}' after the reload",
                                        layers)
        beat = Duration(1.0, "beats")
        out += playback.fade_segment(at, playback.segment, state_gains(machine, state), FadeSpec(beat, beat),
                                     old_state, "reloaded")
        out += layers.stop_changed(at, old_state, playback.min_ramp)
        return out + layers.start(at, old_state)
