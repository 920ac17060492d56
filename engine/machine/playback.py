"""Playback: where the music is and where it goes next. The current state and segment, the sample the segment's
start played at (origin), the move waiting for its sync point (pending), a bridge in progress, each stem's gain
envelope, and the rules' cooldowns. It chooses moves from the machine's transition table and carries them out."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from engine.clock import next_in_loop
from engine.fades import MIN_RAMP_SECONDS, Envelope, FadeCurve
from engine.machine.conditions import Latches, evaluate
from engine.machine.decisions import Decision, EnterState, Fade, Scheduled, StartSegment, StemLevel
from engine.machine.layers import Layers
from engine.machine.model import PREVIOUS, FadeSpec, Machine, StartMode, State, Sync, SyncKind, Transition
from engine.machine.reach import arrival
from engine.units import ZERO, Duration

SILENT = Envelope.constant(0.0)


@dataclass(frozen=True)
class Move:
    """A resolved plan to reach `target`: how to leave (sync, fade out) and how to arrive."""

    target: str
    sync: Sync
    fade: FadeSpec
    start: StartMode | None
    bridge: str | None
    rules: tuple[Transition, ...]  # the rules followed (their cooldowns start when the move happens)
    why: str


@dataclass(frozen=True)
class Pending:
    sample: int
    move: Move
    bridge_end: bool = False


def state_gains(machine: Machine, state: State) -> dict[str, float]:
    """Each stem of the state's segment at its fixed gain; stems the state does not list are silent."""
    return {s: (state.layers[s].static_gain if s in state.layers else 0.0)
            for s in machine.pack.segments[state.segment].stems}


class Playback:
    def __init__(self, machine: Machine):
        self.machine = machine
        pack = machine.pack
        self.clock = pack.clock()
        self.sample_rate = pack.sample_rate
        self.min_ramp = max(1, round(MIN_RAMP_SECONDS * pack.sample_rate))
        self.seg_len = {name: pack.segment_samples(name) for name in pack.segments}
        self.bar = self.clock.bar_sample(1)  # samples in one bar (exact), used every block
        self.state: str = machine.initial
        self.segment: str = machine.states[machine.initial].segment
        self.origin = 0  # sample at which the current segment's position 0 played (or would have)
        self.previous: str | None = None
        self.pending: Pending | None = None
        self.bridging = False
        self._curves_for: tuple = ()  # (state, segment, bridging) that _curves was made for
        self._curves_machine: Machine | None = None  # and the machine (a reload replaces it)
        self._curves: list = []  # (key, its layer's curve) of each param-driven stem of that segment
        self._unit: dict[StemLevel, float] = {}  # 1.0 for each of its stems, in its order
        self.entered = False
        self.left_at: dict[str, int] = {}  # state -> position in its segment when it was last left
        self.cooldown_until: dict[int, int] = {}  # rule index -> sample
        self.ramps: dict[tuple[str, str], Envelope] = {}  # (segment, stem) -> its fade envelope

    # -- time ----------------------------------------------------------------------------------
    def position(self, sample: int) -> str:
        return str(self.clock.position(max(0, sample - self.origin)))

    def next_bar(self, sample: int) -> int:
        """The first bar line of the playing segment at or after `sample`."""
        return self.origin + self.clock.next_bar(sample - self.origin)

    def next_beat(self, sample: int) -> int:
        """The first beat of the playing segment at or after `sample`."""
        return self.origin + self.clock.next_beat(max(0, sample - self.origin))

    def bar_beat(self, sample: int) -> tuple[int, int]:
        """(bar, beat), both from 1, of `sample` in the music playing now."""
        position = self.clock.position(max(0, sample - self.origin))
        return position.bar + 1, position.beat + 1

    def samples(self, duration: Duration) -> int:
        return duration.samples(self.sample_rate, self.clock.samples_per_beat, self.clock.beats_per_bar)

    def ramp(self, duration: Duration) -> int:
        """A gain change's length: never below the minimum ramp."""
        return max(self.min_ramp, self.samples(duration))

    def boundary(self, sync: Sync, now: int) -> int:
        """The first sample at or after `now` where `sync` lets a move happen."""
        rel = now - self.origin
        length = self.seg_len[self.segment]
        kind = sync.kind
        if kind == SyncKind.IMMEDIATE:
            return now
        if kind == SyncKind.BEAT:
            return self.origin + self.clock.next_beat(rel)
        if kind in (SyncKind.BAR, SyncKind.BARS):
            return self.origin + self.clock.next_bar(rel, sync.every)
        if kind == SyncKind.SEGMENT_END:
            return next_in_loop(now, self.origin, length, length)
        if sync.point not in self.machine.pack.segments[self.segment].cue_points:  # the loader prevents it
            return self.origin + self.clock.next_bar(rel)
        return next_in_loop(now, self.origin, length, self.machine.pack.cue_point_sample(self.segment, sync.point))

    # -- choosing where to go --------------------------------------------------------------------
    def _first_true(self, state: str, latches: Latches, events: frozenset[str], now: int) -> Transition | None:
        for t in self.machine.table.candidates(state):
            if self.cooldown_until.get(t.index, -1) > now:
                continue
            if evaluate(t.when, latches, events):
                return t
        return None

    def choose(self, latches: Latches, events: frozenset[str], now: int) -> Move | None:
        """Follow every transition that holds, so a param jump lands straight in the state it implies."""
        chain: list[Transition] = []
        state, seen = self.state, {self.state}
        while (t := self._first_true(state, latches, events, now)) is not None and t.target not in seen:
            chain.append(t)
            seen.add(t.target)
            state = t.target
            events = frozenset()  # an event is consumed by the first step it triggers
        if not chain:
            return None
        first, last = chain[0], chain[-1]
        why = " -> ".join(f"[{t.when_text}]" for t in chain)
        return Move(last.target, first.sync, first.fade, last.start, first.bridge, tuple(chain), why)

    def forced(self, target: str, why: str | None = None) -> Move | None:
        """A move asked for by name (OSC, a `go` cue): the sync and fade of the rule that leads there, if any,
        else the machine's defaults."""
        if target == self.state and self.pending is None:
            return None
        rule = self.machine.table.rule(self.state, target)
        why = why or f"forced to '{target}' over OSC"
        if rule:
            return Move(target, rule.sync, rule.fade, rule.start, rule.bridge, (), why)
        return Move(target, self.machine.default_sync, self.machine.default_fade, None, None, (), why)

    def auto_advance(self) -> Move | None:
        """A state's `then`: at its segment's end, with the machine's default fade."""
        then = self.machine.states[self.state].then
        target = self.previous if then == PREVIOUS else then
        if not target or target == self.state:
            return None
        return Move(target, Sync(SyncKind.SEGMENT_END), self.machine.default_fade, None, None, (),
                    f"segment '{self.segment}' ended (then: {then})")

    def schedule(self, move: Move, now: int) -> list[Decision]:
        """Wait for the move's sync point, unless the machine is going there already."""
        if move.target == (self.pending.move.target if self.pending else self.state):
            return []
        when = self.boundary(move.sync, now)
        self.pending = Pending(when, move)
        return [Scheduled(now, self.position(now), self.state, move.why, move.target, when, str(move.sync))]

    def retarget(self, machine: Machine) -> None:
        """A reloaded machine: a move already scheduled (or a bridge playing) goes on if its target still exists;
        its rules' cooldowns were the old file's."""
        self.machine = machine
        if self.pending and self.pending.move.target in machine.states:
            self.pending = dataclasses.replace(self.pending, move=dataclasses.replace(self.pending.move, rules=()))
        else:
            self.pending, self.bridging = None, False
        self.cooldown_until = {}

    # -- carrying a move out -----------------------------------------------------------------
    def execute(self, pending: Pending, layers: Layers) -> list[Decision]:
        at, move = pending.sample, pending.move
        for rule in move.rules:
            self.cooldown_until[rule.index] = at + self.samples(rule.cooldown)
        if pending.bridge_end:
            self.bridging = False
            return self.enter(at, move.target, move.fade, StartMode.START, move.why, layers)
        self.left_at[self.state] = (at - self.origin) % self.seg_len[self.segment]
        if not move.bridge:
            return self.enter(at, move.target, move.fade, move.start, move.why, layers)
        source, position = self.state, self.position(at)
        self.previous, self.state, self.bridging = source, move.target, True
        why = f"bridge to '{move.target}'"
        out: list[Decision] = [EnterState(at, position, move.target, move.why, source, move.target, move.bridge)]
        out += self._fade_out_others(at, move.bridge, move.fade, move.target, move.why)
        out += layers.stop(at, move.target, self.ramp(move.fade.fade_out), move.why)
        out += self._start_segment(at, move.bridge, 0, move.target, why)
        bridge_gains = {s: 1.0 for s in self.machine.pack.segments[move.bridge].stems}
        out += self.fade_segment(at, move.bridge, bridge_gains, FadeSpec(ZERO, ZERO, move.fade.curve), move.target,
                                 why)
        arrive = FadeSpec(move.fade.fade_in, ZERO, move.fade.curve)  # the bridge's own end is its fade out
        self.pending = Pending(at + self.seg_len[move.bridge], Move(
            move.target, Sync(SyncKind.IMMEDIATE), arrive, StartMode.START, None, (),
            f"bridge '{move.bridge}' ended"), bridge_end=True)
        return out

    def enter(self, at: int, target: str, fade: FadeSpec, start: StartMode | None, why: str,
              layers: Layers) -> list[Decision]:
        state = self.machine.states[target]
        seg = state.segment
        source = self.state if self.entered else None
        mode = arrival(start, self.entered and seg == self.segment)
        out: list[Decision] = [EnterState(at, self.position(at), target, why, source, target, None)]
        if source and source != target:
            self.previous = source
        self.entered = True
        if mode is not None:
            out += self._start_segment(at, seg, self.start_offset(mode, target, at), target, why)
        self.state = target
        out += self._fade_out_others(at, seg, fade, target, why)
        out += self.fade_segment(at, seg, state_gains(self.machine, state), fade, target, why)
        out += layers.stop(at, target, self.ramp(fade.fade_out), why)
        out += layers.start(at, target)
        return out

    def start_offset(self, mode: StartMode, target: str, at: int) -> int:
        """Where `target`'s segment starts if it starts at `at` in `mode` (the segment playing now is the one a
        same_position start maps from)."""
        length = self.seg_len[self.machine.states[target].segment]
        if mode == StartMode.SAME_POSITION:
            return (at - self.origin) % length
        return self.left_at.get(target, 0) % length if mode == StartMode.RESUME else 0

    def levels(self, values: Mapping[str, float]) -> dict[StemLevel, float]:
        """Param-driven gain of each stem in the playing segment (1.0 where the layer is fixed: its gain is in
        its fade envelope). Every block, so only the param-driven stems cost anything: the keys and curves are
        looked up once per state and segment, and without a curve the one dict of 1.0s is returned as it is
        (callers read it, never change it)."""
        where = (self.state, self.segment, self.bridging)
        if where != self._curves_for or self.machine is not self._curves_machine:  # a reload brings new curves
            stems = self.machine.pack.segments[self.segment].stems
            layers = {} if self.bridging else self.machine.states[self.state].layers
            self._curves_for, self._curves_machine = where, self.machine
            self._unit = {StemLevel(self.segment, s): 1.0 for s in stems}
            self._curves = [(key, layers[key.stem].curve) for key in self._unit
                            if key.stem in layers and layers[key.stem].curve is not None]
        if not self._curves:
            return self._unit
        out = dict(self._unit)
        for key, curve in self._curves:
            out[key] = curve.gain(values[curve.param])
        return out

    # -- segments and stem fades ---------------------------------------------------------------
    def _start_segment(self, at: int, seg: str, offset: int, state: str, why: str) -> list[Decision]:
        self.segment, self.origin = seg, at - offset
        return [StartSegment(at, self.position(at), state, why, seg, offset)]

    def _fade_out_others(self, at: int, keep: str, fade: FadeSpec, state: str, why: str) -> list[Decision]:
        out = []
        for (seg, stem), ramp in list(self.ramps.items()):
            if seg != keep and ramp.end > 0:
                out += self._fade(at, seg, stem, 0.0, fade.fade_out, fade.curve, state, why)
        return out

    def fade_segment(self, at: int, seg: str, gains: dict[str, float], fade: FadeSpec, state: str,
                     why: str) -> list[Decision]:
        out = []
        for stem, gain in gains.items():
            current = self.ramps.get((seg, stem), SILENT).at(at)
            duration = fade.fade_in if gain >= current else fade.fade_out
            out += self._fade(at, seg, stem, gain, duration, fade.curve, state, why)
        return out

    def _fade(self, at: int, seg: str, stem: str, target: float, duration: Duration, curve: FadeCurve, state: str,
              why: str) -> list[Decision]:
        old = self.ramps.get((seg, stem), SILENT)
        if old.end == target:
            return []
        samples = self.ramp(duration)
        start = old.at(at)
        self.ramps[(seg, stem)] = Envelope.fade(at, start, target, samples, curve)
        return [Fade(at, self.position(at), state, why, seg, stem, start, target, samples, curve)]
