"""The machine while it plays: current state, pending transition, fades in flight, cooldowns.

Called once per audio block with the param values and the events of that block; returns the
decisions that take effect inside the block, each at its exact sample. Pure: no audio, no I/O.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from engine.clock import next_in_loop
from engine.machine.conditions import Compare, Latches, evaluate, walk
from engine.generate.model import Request
from engine.fades import Envelope
from engine.machine.decisions import (Automate, Decision, EnterState, Fade, GenerateLayer, LayerLevel, PlayStinger,
                                      Reloaded, Scheduled, StartSegment, StemLevel, StopLayer)
from engine import fades
from engine.machine.model import (ANY, MIN_RAMP_SECONDS, PREVIOUS, Cue, FadeSpec, Generated, Machine, Sync,
                                  Transition)
from engine.machine.timeline import DUE_PER_BLOCK, Timed, Timeline
from engine.units import ZERO, Duration


@dataclass(frozen=True)
class Ramp:
    """A gain fade; its value is known at any sample, so a new fade starts where the old one is."""

    start: int
    v0: float
    v1: float
    samples: int
    curve: str = "linear"

    def at(self, sample: int) -> float:
        return fades.value(self.curve, self.v0, self.v1, self.samples, sample - self.start)


SILENT = Ramp(0, 0.0, 0.0, 1)
PANIC = Cue("panic", "panic", gain=0.0, time=Duration(0.02, "s"))  # built in: /segue/panic always works
STINGER_DUCK_ATTACK = Duration(0.02, "s")
STINGER_DUCK_RELEASE = Duration(0.3, "s")


@dataclass(frozen=True)
class Move:
    """A resolved plan to reach `target`: how to leave (sync, fade out) and how to arrive."""

    target: str
    sync: Sync
    fade: FadeSpec
    start: str | None
    bridge: str | None
    rules: tuple[Transition, ...]
    why: str


@dataclass
class ActiveLayer:
    """A generated layer that is playing (or about to): when its next fresh phrase is due."""

    spec: Generated
    state: str
    variation: int
    next_phrase: int | None  # sample of the next regenerate point, None if it never regenerates


@dataclass(frozen=True)
class Pending:
    sample: int
    move: Move
    bridge_end: bool = False


class Runtime:
    def __init__(self, machine: Machine):
        self.machine = machine
        pack = machine.pack
        self.clock = pack.clock()
        self.sample_rate = pack.sample_rate
        self.min_ramp = max(1, round(MIN_RAMP_SECONDS * pack.sample_rate))
        self.seg_len = {name: pack.segment_samples(name) for name in pack.segments}
        self.bar = self.clock.bar_sample(1)  # samples in one bar (exact), used every block
        conditions = [t.when for t in machine.transitions] + [s.when for s in machine.stingers.values() if s.when]
        compares = [c for cond in conditions for c in walk(cond) if isinstance(c, Compare)]
        self.latches = Latches(compares, {p.name: p.hysteresis for p in machine.params})
        self.state: str = machine.initial
        self.segment: str = machine.states[machine.initial].segment
        self.origin = 0  # sample at which the current segment's position 0 played (or would have)
        self.previous: str | None = None
        self.pending: Pending | None = None
        self.bridging = False
        self.left_at: dict[str, int] = {}
        self.cooldown_until: dict[int, int] = {}
        self.ramps: dict[tuple[str, str], Ramp] = {}
        self.locks = {g.name: g.lock for s in machine.states.values() for g in s.generate.values()}
        self.generated: dict[str, ActiveLayer] = {}
        self.envelopes = {target: Envelope(0, ((0, 1.0),)) for target in ("master", "duck", "stinger_duck")}
        self.timeline = Timeline()  # cue actions and stingers waiting for their sample
        self._stinger_was_true = {name: False for name in machine.stingers}
        self.stinger_ready_at: dict[str, int] = {}
        self._values: Mapping[str, float] = {}
        self._entered = False

    # -- public ----------------------------------------------------------------------------
    def step(self, block_start: int, block_len: int, values: Mapping[str, float],
             events: frozenset[str] = frozenset(), force: str | None = None,
             cues: tuple[tuple[str, float], ...] = (), stingers: tuple[str, ...] = (),
             at: int | None = None) -> list[Decision]:
        """`at`: the sample the block's telemetry belongs to, when later than the block's start (a timetag)."""
        out: list[Decision] = []
        self._values = values
        self.latches.update(values)
        if not self._entered:
            out += self._enter(block_start, self.machine.initial, FadeSpec(ZERO, ZERO), "start", "initial state")
        now = max(block_start, at) if at is not None else block_start
        if not self.bridging:
            move = self._forced(force) if force else self._choose(events, now)
            if move is None and self.pending is None:
                move = self._auto_advance()
            if move and move.target != (self.pending.move.target if self.pending else self.state):
                when = self._boundary(move.sync, now)
                self.pending = Pending(when, move)
                out.append(Scheduled(now, self.position(now), self.state, move.why, move.target, when,
                                     str(move.sync)))
        self._auto_stingers(now, events)
        for name in stingers:
            self._schedule_stinger(name, now)
        for name, value in cues:
            out += self._cue(name, value, now)
        end, budget = block_start + block_len, DUE_PER_BLOCK
        while True:  # transitions and timed actions due in this block, in the order of their samples
            next_timed = self.timeline.next_sample() if budget and self.timeline else None
            next_timed = end if next_timed is None else next_timed
            if self.pending and self.pending.sample < end and self.pending.sample <= next_timed:
                pending, self.pending = self.pending, None
                out += self._execute(pending)
            elif next_timed < end:  # one held over from a busier block plays at this block's start
                budget -= 1
                at, kind, payload = self.timeline.pop()
                out += self._run_timed(max(at, block_start), kind, payload)
            else:
                break
        out += self._regenerate(block_start)
        return out

    def swap(self, machine: Machine, at: int, values: Mapping[str, float]) -> list[Decision]:
        """Take over a new version of the machine (same pack) at `at`, keeping what plays; `values`: its params.

        The current state stays if it still exists (its layers fade to their new gains over a beat);
        otherwise the new initial state is entered. A transition already scheduled (or a bridge playing) goes on
        if its target still exists: a designer saving the file must not cancel the move the game just asked for.
        """
        old_state = self.state
        self.machine = machine
        conditions = [t.when for t in machine.transitions] + [s.when for s in machine.stingers.values() if s.when]
        compares = [c for cond in conditions for c in walk(cond) if isinstance(c, Compare)]
        self.latches = Latches(compares, {p.name: p.hysteresis for p in machine.params})
        self._values = values
        self.latches.update(values)
        if self.pending and self.pending.move.target in machine.states:  # its rules' cooldowns were the old file's
            self.pending = dataclasses.replace(self.pending, move=dataclasses.replace(self.pending.move, rules=()))
        else:
            self.pending, self.bridging = None, False
        self.cooldown_until = {}
        self._stinger_was_true = {name: False for name in machine.stingers}
        self.timeline.keep(lambda kind, payload: kind is not Timed.STINGER or payload in machine.stingers)
        self.locks = {g.name: self.locks.get(g.name, g.lock) for s in machine.states.values()
                      for g in s.generate.values()}
        out: list[Decision] = [Reloaded(at, self.position(at), self.state, "the file changed", str(machine.path))]
        if old_state not in machine.states:
            return out + self._enter(at, machine.initial, machine.default_fade, None,
                                     f"state '{old_state}' is gone after the reload")
        if self.bridging:  # the bridge plays on; its end enters the state with the new file's gains
            return out
        state = machine.states[old_state]
        if state.segment != self.segment:
            return out + self._enter(at, old_state, machine.default_fade, "start",
                                     f"state '{old_state}' plays segment '{state.segment}' after the reload")
        beat = Duration(1.0, "beats")
        gains = {s: (state.layers[s].static_gain if s in state.layers else 0.0)
                 for s in machine.pack.segments[self.segment].stems}
        out += self._fade_segment(at, self.segment, gains, FadeSpec(beat, beat), old_state, "reloaded")
        for key, active in list(self.generated.items()):
            if machine.states[old_state].generate.get(active.spec.name) != active.spec:
                out.append(StopLayer(at, self.position(at), old_state, "reloaded", key, self.min_ramp))
                del self.generated[key]
        return out + self._start_generated(at, old_state)

    def set_lock(self, name: str, locked: bool) -> None:
        """Locked: the generated layer keeps repeating its phrase; unlocked: fresh ones at regenerate points."""
        if name in self.locks:
            self.locks[name] = locked

    def levels(self, values: Mapping[str, float]) -> dict[StemLevel | LayerLevel, float]:
        """Param-driven gain of each stem in the playing segment (1.0 where the layer is fixed) and of each
        generated layer."""
        if self.bridging:
            return {StemLevel(self.segment, s): 1.0 for s in self.machine.pack.segments[self.segment].stems}
        layers = self.machine.states[self.state].layers
        out: dict[StemLevel | LayerLevel, float] = {LayerLevel(key): self._gain(a.spec.gain, values)
                                                    for key, a in self.generated.items()}
        for stem in self.machine.pack.segments[self.segment].stems:
            layer = layers.get(stem)
            curve = layer.curve if layer else None
            out[StemLevel(self.segment, stem)] = curve.gain(values[curve.param]) if curve else 1.0
        return out

    @staticmethod
    def _gain(layer, values: Mapping[str, float]) -> float:
        return layer.curve.gain(values[layer.curve.param]) if layer.curve else layer.static_gain

    def position(self, sample: int) -> str:
        return str(self.clock.position(max(0, sample - self.origin)))

    # -- choosing where to go ----------------------------------------------------------------
    def _first_true(self, state: str, events: frozenset[str], now: int) -> Transition | None:
        for t in self.machine.transitions:
            if t.source not in (state, ANY) or t.target == state:
                continue
            if self.cooldown_until.get(t.index, -1) > now:
                continue
            if evaluate(t.when, self.latches, events):
                return t
        return None

    def _choose(self, events: frozenset[str], now: int) -> Move | None:
        """Follow every transition that holds, so a param jump lands straight in the state it implies."""
        chain: list[Transition] = []
        state, seen = self.state, {self.state}
        while (t := self._first_true(state, events, now)) is not None and t.target not in seen:
            chain.append(t)
            seen.add(t.target)
            state = t.target
            events = frozenset()  # an event is consumed by the first step it triggers
        if not chain:
            return None
        first, last = chain[0], chain[-1]
        why = " -> ".join(f"[{t.when_text}]" for t in chain)
        return Move(last.target, first.sync, first.fade, last.start, first.bridge, tuple(chain), why)

    def _forced(self, target: str) -> Move | None:
        if target == self.state and self.pending is None:
            return None
        rule = next((t for t in self.machine.transitions if t.source in (self.state, ANY) and t.target == target),
                    None)
        why = f"forced to '{target}' over OSC"
        if rule:
            return Move(target, rule.sync, rule.fade, rule.start, rule.bridge, (), why)
        return Move(target, self.machine.default_sync, self.machine.default_fade, None, None, (), why)

    def _auto_advance(self) -> Move | None:
        then = self.machine.states[self.state].then
        target = self.previous if then == PREVIOUS else then
        if not target or target == self.state:
            return None
        return Move(target, Sync("segment_end"), self.machine.default_fade, None, None, (),
                    f"segment '{self.segment}' ended (then: {then})")

    def _boundary(self, sync: Sync, now: int) -> int:
        rel = now - self.origin
        length = self.seg_len[self.segment]
        if sync.kind == "immediate":
            return now
        if sync.kind == "beat":
            return self.origin + self.clock.next_beat(rel)
        if sync.kind in ("bar", "bars"):
            return self.origin + self.clock.next_bar(rel, sync.every)
        if sync.kind == "segment_end":
            return next_in_loop(now, self.origin, length, length)
        if sync.cue not in self.machine.pack.segments[self.segment].cues:  # the loader prevents it; never raise
            return self.origin + self.clock.next_bar(rel)
        return next_in_loop(now, self.origin, length, self.machine.pack.cue_sample(self.segment, sync.cue))

    # -- carrying a move out -----------------------------------------------------------------
    def _execute(self, pending: Pending) -> list[Decision]:
        at, move = pending.sample, pending.move
        for rule in move.rules:
            self.cooldown_until[rule.index] = at + self._samples(rule.cooldown)
        if pending.bridge_end:
            self.bridging = False
            return self._enter(at, move.target, move.fade, "start", move.why)
        self.left_at[self.state] = (at - self.origin) % self.seg_len[self.segment]
        if not move.bridge:
            return self._enter(at, move.target, move.fade, move.start, move.why)
        source, position = self.state, self.position(at)
        self.previous, self.state, self.bridging = source, move.target, True
        why = f"bridge to '{move.target}'"
        out: list[Decision] = [EnterState(at, position, move.target, move.why, source, move.target, move.bridge)]
        out += self._fade_out_others(at, move.bridge, move.fade, move.target, move.why)
        out += self._stop_generated(at, move.target, move.fade, move.why)
        out += self._start_segment(at, move.bridge, 0, move.target, why)
        bridge_gains = {s: 1.0 for s in self.machine.pack.segments[move.bridge].stems}
        out += self._fade_segment(at, move.bridge, bridge_gains, FadeSpec(ZERO, ZERO, move.fade.curve), move.target,
                                  why)
        arrive = FadeSpec(move.fade.fade_in, ZERO, move.fade.curve)  # the bridge's own end is its fade out
        self.pending = Pending(at + self.seg_len[move.bridge], Move(
            move.target, Sync("immediate"), arrive, "start", None, (), f"bridge '{move.bridge}' ended"),
            bridge_end=True)
        return out

    def _enter(self, at: int, target: str, fade: FadeSpec, start: str | None, why: str) -> list[Decision]:
        state = self.machine.states[target]
        seg = state.segment
        source = self.state if self._entered else None
        same = self._entered and seg == self.segment
        mode = start or ("same_position" if same else "start")
        out: list[Decision] = [EnterState(at, self.position(at), target, why, source, target, None)]
        if source and source != target:
            self.previous = source
        self._entered = True
        if not (same and mode != "start"):
            length = self.seg_len[seg]
            offset = {"start": 0,
                      "same_position": (at - self.origin) % length,
                      "resume": self.left_at.get(target, 0) % length}[mode]
            out += self._start_segment(at, seg, offset, target, why)
        self.state = target
        out += self._fade_out_others(at, seg, fade, target, why)
        gains = {s: (state.layers[s].static_gain if s in state.layers else 0.0)
                 for s in self.machine.pack.segments[seg].stems}
        out += self._fade_segment(at, seg, gains, fade, target, why)
        out += self._stop_generated(at, target, fade, why)
        out += self._start_generated(at, target)
        return out

    # -- broadcast: cues, stingers, master and ducking ----------------------------------------------
    def _auto_stingers(self, now: int, events: frozenset[str]) -> None:
        """A stinger fires when its condition turns true (not on every block while it stays true)."""
        for name, stinger in self.machine.stingers.items():
            if stinger.when is None:
                continue
            truth = evaluate(stinger.when, self.latches, events)
            rising = truth and not self._stinger_was_true[name]
            self._stinger_was_true[name] = truth
            if rising:
                self._schedule_stinger(name, now)

    def _schedule_stinger(self, name: str, now: int) -> None:
        """However it is fired (its condition, a cue, OSC), a stinger waits out its cooldown."""
        stinger = self.machine.stingers.get(name)
        if stinger is None or self.stinger_ready_at.get(name, -1) > now:
            return
        at = self._boundary(stinger.sync, now)
        if self.timeline.add(at, Timed.STINGER, name):
            self.stinger_ready_at[name] = at + self._samples(stinger.cooldown)

    def _cue(self, name: str, value: float, now: int) -> list[Decision]:
        cue = self.machine.cues.get(name) or (PANIC if name == "panic" else None)
        if cue is None:
            return []
        why = f"cue '{name}'"
        if cue.action == "panic":  # now, fast, everything: never a click, never a wait
            self.pending = None
            self.timeline.clear()
            return [self._automate(now, "master", ((self._samples(cue.time), 0.0),), why)]
        at = self._boundary(cue.sync, now)
        if cue.action == "go":
            move = self._forced(cue.target)
            if move:
                self.pending = Pending(at, Move(cue.target, cue.sync, move.fade, move.start, move.bridge, (), why))
            if self.envelopes["master"].final == 0.0:  # after a stop or a panic, `go` brings the music back
                fade_in = move.fade.fade_in if move else self.machine.default_fade.fade_in
                length = max(self.min_ramp, self._samples(fade_in))
                self.timeline.add(at, Timed.AUTOMATE, ("master", ((length, 1.0),), why))
        elif cue.action == "stinger":
            self._schedule_stinger(cue.target, now)
        elif cue.action in ("stop", "fade_all"):
            length = max(self.min_ramp, self._samples(cue.time))
            self.timeline.add(at, Timed.AUTOMATE, ("master", ((length, cue.gain),), why))
        elif cue.action == "duck":
            on = value >= 0.5
            length = max(self.min_ramp, self._samples(cue.time if on else cue.release))
            self.timeline.add(at, Timed.AUTOMATE,
                              ("duck", ((length, cue.gain if on else 1.0),), why + (" on" if on else " off")))
        return []

    def _run_timed(self, at: int, kind: Timed, payload) -> list[Decision]:
        if kind is Timed.AUTOMATE:
            target, points, why = payload
            return [self._automate(at, target, points, why)]
        stinger = self.machine.stingers[payload]
        out: list[Decision] = [PlayStinger(at, self.position(at), self.state, f"stinger '{payload}'", payload,
                                           stinger.oneshot, stinger.gain)]
        if stinger.duck is not None:
            attack, release = self._samples(STINGER_DUCK_ATTACK), self._samples(STINGER_DUCK_RELEASE)
            hold = max(attack, stinger.samples - release)
            out.append(self._automate(at, "stinger_duck", ((attack, stinger.duck), (hold, stinger.duck),
                                                           (hold + release, 1.0)), f"stinger '{payload}' ducks"))
        return out

    def _automate(self, at: int, target: str, points: tuple[tuple[int, float], ...], why: str) -> Automate:
        """A gain envelope that starts from wherever the target is at `at`, so it never steps."""
        full = ((0, self.envelopes[target].at(at)),) + tuple(points)
        self.envelopes[target] = Envelope(at, full)
        return Automate(at, self.position(at), self.state, why, target, full)

    # -- generated layers --------------------------------------------------------------------
    def _stop_generated(self, at: int, keep: str, fade: FadeSpec, why: str) -> list[Decision]:
        """Fade out the generated layers of every state but `keep`."""
        out: list[Decision] = []
        for key, active in list(self.generated.items()):
            if active.state != keep:
                samples = max(self.min_ramp, self._samples(fade.fade_out))
                out.append(StopLayer(at, self.position(at), keep, why, key, samples))
                del self.generated[key]
        return out

    def _start_generated(self, at: int, target: str) -> list[Decision]:
        """Ask for the first phrase of each of the state's generated layers, to start on the next bar."""
        out: list[Decision] = []
        start = self.origin + self.clock.next_bar(at - self.origin + 1)
        bar = self.bar
        for name, spec in self.machine.states[target].generate.items():
            key = f"{target}.{name}"
            if key in self.generated:
                continue
            period = spec.regenerate
            self.generated[key] = ActiveLayer(spec, target, 0, start + period * bar if period else None)
            out.append(self._generate(at, key, target, spec, start, 0, f"entered '{target}'"))
        return out

    def _regenerate(self, now: int) -> list[Decision]:
        """One bar before each regenerate point, ask for the next phrase (unless the layer is locked)."""
        out: list[Decision] = []
        bar = self.bar
        for key, active in self.generated.items():
            due = active.next_phrase
            if due is None or now < due - bar:
                continue
            active.next_phrase = due + active.spec.regenerate * bar
            if self.locks.get(active.spec.name):
                continue
            active.variation += 1
            out.append(self._generate(now, key, active.state, active.spec, due, active.variation,
                                      f"regenerate every {active.spec.regenerate} bars"))
        return out

    def _generate(self, now: int, key: str, state: str, spec: Generated, start: int, variation: int,
                  why: str) -> GenerateLayer:
        segment = self.machine.pack.segments[self.machine.states[state].segment]
        first_bar = ((start - self.origin) // self.bar) % segment.bars
        chords = tuple(segment.chords[(first_bar + i) % len(segment.chords)] for i in range(spec.bars))
        density = self._values.get(spec.density_param, spec.density) if spec.density_param else spec.density
        request = Request(spec.role, self.machine.pack.key, chords, spec.bars, round(density, 4), spec.register,
                          spec.seed + variation, spec.temperature, steps_per_bar=self.machine.pack.steps_per_bar)
        return GenerateLayer(now, self.position(now), self.state, why, key, spec.name, start, variation, request,
                             spec.instrument)

    def _start_segment(self, at: int, seg: str, offset: int, state: str, why: str) -> list[Decision]:
        self.segment, self.origin = seg, at - offset
        return [StartSegment(at, self.position(at), state, why, seg, offset)]

    def _fade_out_others(self, at: int, keep: str, fade: FadeSpec, state: str, why: str) -> list[Decision]:
        out = []
        for (seg, stem), ramp in list(self.ramps.items()):
            if seg != keep and ramp.v1 > 0:
                out += self._fade(at, seg, stem, 0.0, fade.fade_out, fade.curve, state, why)
        return out

    def _fade_segment(self, at: int, seg: str, gains: dict[str, float], fade: FadeSpec, state: str,
                      why: str) -> list[Decision]:
        out = []
        for stem, gain in gains.items():
            current = self.ramps.get((seg, stem), SILENT).at(at)
            duration = fade.fade_in if gain >= current else fade.fade_out
            out += self._fade(at, seg, stem, gain, duration, fade.curve, state, why)
        return out

    def _fade(self, at: int, seg: str, stem: str, target: float, duration: Duration, curve: str, state: str,
              why: str) -> list[Decision]:
        old = self.ramps.get((seg, stem), SILENT)
        if old.v1 == target:
            return []
        samples = max(self.min_ramp, self._samples(duration))
        ramp = Ramp(at, old.at(at), target, samples, curve)
        self.ramps[(seg, stem)] = ramp
        return [Fade(at, self.position(at), state, why, seg, stem, ramp.v0, target, samples, curve)]

    def _samples(self, duration: Duration) -> int:
        return duration.samples(self.sample_rate, self.clock.samples_per_beat, self.clock.beats_per_bar)
