"""Generated layers while the machine plays: which are sounding, when each asks the model for a fresh phrase,
which are locked. Each request is a PhraseRequest in a GenerateLayer decision, for a bar line ahead."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Protocol

from engine.machine.decisions import Decision, GenerateLayer, LayerLevel, RevoiceLayer, StopLayer
from engine.machine.model import Generated, Layer, Machine
from engine.machine.phrase import PhraseRequest


class Where(Protocol):
    """Where the music is (the playback): what a layer's phrases line up with."""

    state: str
    origin: int
    bar: int

    def position(self, sample: int) -> str: ...

    def next_bar(self, sample: int) -> int: ...


@dataclass
class ActiveLayer:
    """A generated layer that is playing (or about to): when its next fresh phrase is due."""

    spec: Generated
    state: str
    variation: int
    next_phrase: int | None  # sample of the next regenerate point, None if it never regenerates


def layer_gain(layer: Layer, values: Mapping[str, float]) -> float:
    return layer.curve.gain(values[layer.curve.param]) if layer.curve else layer.static_gain


class Layers:
    def __init__(self, machine: Machine, where: Where):
        self.machine, self.where = machine, where
        self.active: dict[str, ActiveLayer] = {}  # by '<state>.<name>'
        self.locks = {g.name: g.lock for s in machine.states.values() for g in s.generate.values()}
        self.values: Mapping[str, float] = {}  # this block's params (a density may follow one)

    def retarget(self, machine: Machine) -> None:
        """A reloaded machine: a lock set over OSC stays set."""
        self.machine = machine
        self.locks = {g.name: self.locks.get(g.name, g.lock) for s in machine.states.values()
                      for g in s.generate.values()}

    def set_lock(self, name: str, locked: bool) -> None:
        """Locked: the generated layer keeps repeating its phrase; unlocked: fresh ones at regenerate points."""
        if name in self.locks:
            self.locks[name] = locked

    def levels(self, values: Mapping[str, float]) -> dict[LayerLevel, float]:
        return {LayerLevel(key): layer_gain(a.spec.gain, values) for key, a in self.active.items()}

    def stop(self, at: int, keep: str, fade_samples: int, why: str) -> list[Decision]:
        """Fade out the generated layers of every state but `keep`."""
        out: list[Decision] = []
        for key, active in list(self.active.items()):
            if active.state != keep:
                out.append(StopLayer(at, self.where.position(at), keep, why, key, fade_samples))
                del self.active[key]
        return out

    def stop_changed(self, at: int, state: str, fade_samples: int) -> list[Decision]:
        """After a reload: stop the layers whose spec the new file changed (start() brings them back), except one
        whose instrument alone changed: its phrase plays on, every note as it was, on the new instrument."""
        out: list[Decision] = []
        specs = self.machine.states[state].generate
        for key, active in list(self.active.items()):
            spec = specs.get(active.spec.name)
            if spec is not None and spec != active.spec and replace(active.spec, program=spec.program) == spec:
                out.append(RevoiceLayer(at, self.where.position(at), state, "reloaded: a new instrument", key,
                                        spec.program))
                active.spec = spec
            elif spec != active.spec:
                out.append(StopLayer(at, self.where.position(at), state, "reloaded", key, fade_samples))
                del self.active[key]
        return out

    def start(self, at: int, target: str) -> list[Decision]:
        """Ask for the first phrase of each of the state's generated layers, to start on the next bar."""
        out: list[Decision] = []
        start = self.where.next_bar(at + 1)
        bar = self.where.bar
        # a layer that answers another is asked for after it: phrases are written in the order asked
        for name, spec in sorted(self.machine.states[target].generate.items(), key=lambda item: bool(item[1].answers)):
            key = f"{target}.{name}"
            if key in self.active:
                continue
            period = spec.regenerate
            self.active[key] = ActiveLayer(spec, target, 0, start + period * bar if period else None)
            out.append(self._generate(at, key, target, spec, start, 0, f"entered '{target}'"))
        if out:  # regenerate() asks in this order too, also for a called layer a reload started again
            self.active = dict(sorted(self.active.items(), key=lambda item: bool(item[1].spec.answers)))
        return out

    def regenerate(self, now: int) -> list[Decision]:
        """One bar before each regenerate point, ask for the next phrase (unless the layer is locked)."""
        out: list[Decision] = []
        bar = self.where.bar
        for key, active in self.active.items():
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
        pack = self.machine.pack
        segment = pack.segments[self.machine.states[state].segment]
        first_bar = ((start - self.where.origin) // self.where.bar) % segment.bars
        chords = tuple(segment.chords[(first_bar + i) % len(segment.chords)] for i in range(spec.bars))
        density = self.values.get(spec.density_param, spec.density) if spec.density_param else spec.density
        request = PhraseRequest(spec.role, pack.key, chords, spec.bars, round(density, 4), spec.register,
                                spec.seed + variation, spec.temperature, meter=(pack.beats_per_bar, pack.beat_unit),
                                style=spec.style, motif=spec.motif, motif_steps=spec.motif_steps)
        return GenerateLayer(now, self.where.position(now), self.where.state, why, key, spec.name, start, variation,
                             request, spec.program, spec.continues, f"{state}.{spec.answers}" if spec.answers else None)
