"""Synth voices for generated layers. A note starts on its exact sample (a trigger delayed inside the
block); its pitch is set and its oscillator's phase reset to 0 at the start of that block, on a voice that has
been silent since (round-robin), so a note sounds the same whatever the voice played before. That is what lets a
voice sleep: once its note has ended and its filter rung out it is out of the block's computation (stopped), and
so is the whole layer when none of its voices sounds; the next note wakes them before its block (issue #11).

The tones are one-cycle wavetables read by pyo's Osc, whose phase is a double. pyo's own sine oscillators (FM,
SineLoop) keep their phase in float32 and wrap a phase a hair below zero to exactly 512, one past their
table: the sample read there is garbage, SineLoop feeds it back (a segfault a moment later) and FM hands it to
the low-pass filter, which then holds NaN for ever. With a positive frequency Osc's phase never goes below zero.
"""
from __future__ import annotations

import math

import numpy as np

from engine.audio.backend import boot_manual, pyo
from engine.audio.trigger import Trigger
from engine.clock import Clock
from engine.generate.model import NoteLayer
from engine.generate.schedule import NoteSchedule, TimedNote
from engine.fades import MIN_RAMP_SECONDS

VOICES = 4
# attack s, decay s, sustain level, release s, output gain
SHAPES = {"pluck": (0.003, 0.18, 0.15, 0.12, 0.35), "bass": (0.004, 0.12, 0.6, 0.06, 0.45),
          "keys": (0.008, 0.3, 0.45, 0.2, 0.3)}


WAVE_SIZE = 8192  # a power of two: the phase wraps exactly
RING = 0.05  # seconds a voice's low-pass rings on after its envelope ends before it sleeps (by then < -300 dB)


def mtof(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def wave(instrument: str) -> np.ndarray:
    """One cycle of the instrument's tone: pluck is FM (modulator at twice the carrier, index 2.5, a whole
    number ratio, so one cycle holds it exactly); keys a sine with a little feedback (0.08), as SineLoop played it."""
    phase = np.arange(WAVE_SIZE) / WAVE_SIZE
    if instrument == "pluck":
        # pyo's FM, integrated: carrier and modulator both start at phase 0
        return np.sin(2 * np.pi * phase + 2.5 * (1 - np.cos(2 * np.pi * 2 * phase)))
    y = np.zeros(WAVE_SIZE)
    for _ in range(60):  # y = sin(2 pi (phase + 0.08 y)): a contraction (2 pi 0.08 < 1), so this converges
        y = np.sin(2 * np.pi * (phase + 0.08 * y))
    return y


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant power: -1 left, 0 centre (both sides at -3 dB), 1 right."""
    angle = (min(1.0, max(-1.0, pan)) + 1) * math.pi / 4
    return math.cos(angle), math.sin(angle)


class Voice:
    def __init__(self, p, instrument: str, sample_rate: int, block: int, table=None):
        """`table`: the instrument's one-cycle wave (pluck, keys), shared by a layer's voices."""
        self._sr = sample_rate
        self._shape = SHAPES[instrument]
        self.freq = p.Sig(440.0)
        self._trigger = Trigger(p, sample_rate, block)
        self.env = p.TrigLinseg(self._trigger.out, [(0, 0.0), (MIN_RAMP_SECONDS, 0.0)])
        if instrument == "bass":  # sources kept on self: pyo runs an object only while Python holds it
            self._source = p.LFO(freq=self.freq, sharp=0.6, type=2, mul=self.env)
            self.out = p.ButLP(self._source, freq=900)
        elif instrument == "pluck":
            self._source = p.Osc(table, freq=self.freq, mul=self.env)
            self.out = p.ButLP(self._source, freq=4500)
        else:
            self.out = self._source = p.Osc(table, freq=self.freq, mul=self.env)
        self._parts = [self.freq, self._trigger.out, self.env, self._source]
        if self.out is not self._source:
            self._parts.append(self.out)
        self.until = 0  # the sample from which it is silent: its note's release over and its filter rung out
        self.awake = True
        self.sleep()

    def play(self, note: TimedNote, k: int) -> None:
        attack, decay, sustain, release, gain = self._shape
        length = max(note.samples / self._sr, attack + 0.01)
        peak = note.velocity * gain
        if not self.awake:
            for part in self._parts:
                part.play()
            self.awake = True
        self.freq.value = mtof(note.pitch)
        self._source.reset()  # the note's tone from phase 0 (at the block's start: k samples before the note)
        self.env.setList([(0, 0.0), (attack, peak), (min(attack + decay, length), peak * sustain),
                          (length, peak * sustain), (length + release, 0.0)])
        self._trigger.fire(k)
        self.until = note.sample + math.ceil((length + release + RING) * self._sr)

    def sleep(self) -> None:
        if self.awake:
            for part in self._parts:
                part.stop()
            self.awake = False


class NotePlayer:
    """One generated layer: a few voices, a level, one place in the stereo field (`pan`, -1..1). Asleep (out of
    the block) while none of its voices sounds; what `follow`s it in the mix (its gate) sleeps and wakes with it.
    Its level runs on meanwhile, so a ramp set while it sleeps arrives on time."""

    def __init__(self, instrument: str, sample_rate: int, block: int, pan: float = 0.0):
        p = pyo()
        self.table = None if instrument == "bass" else p.DataTable(WAVE_SIZE, init=wave(instrument).tolist())
        self.voices = [Voice(p, instrument, sample_rate, block, self.table) for _ in range(VOICES)]
        self._next = 0
        self.level = p.SigTo(0.0, time=max(block / sample_rate, MIN_RAMP_SECONDS), init=0.0)
        self._mono = p.Mix([v.out for v in self.voices], voices=1)
        self._sides = p.Sig(list(pan_gains(pan)), mul=self.level)
        self.out = self._mono * self._sides
        self._after: list = []  # objects fed by `out` alone (its gate): asleep and awake with it
        self.awake = True
        self.sleep()

    def follow(self, part) -> None:
        """`part` (fed by `out` alone) sleeps and wakes with the layer from now on, starting as the layer is."""
        self._after.append(part)
        if not self.awake:
            part.stop()

    def play(self, notes: list[TimedNote], block_start: int, block: int) -> None:
        if notes and not self.awake:
            for part in self._parts():
                part.play()
            self.awake = True
        for note in notes:
            voice = self.voices[self._next]
            self._next = (self._next + 1) % len(self.voices)
            voice.play(note, min(max(note.sample - block_start, 0), block - 1))

    def settle(self, block_start: int) -> bool:
        """Once per block while awake: voices whose note has rung out sleep, and the layer with the last of them.
        Returns whether it is still awake."""
        for voice in self.voices:
            if voice.awake and voice.until <= block_start:
                voice.sleep()
        if not any(voice.awake for voice in self.voices):
            self.sleep()
        return self.awake

    def sleep(self) -> None:
        if self.awake:
            for part in self._parts():
                part.stop()
            self.awake = False

    def _parts(self) -> list:
        return [self._mono, self._sides, self.out, *self._after]


def render_phrase(layer: NoteLayer, clock: Clock, instrument: str) -> np.ndarray:
    """A generated phrase alone, with its instrument, rendered offline (deterministic); stereo float32."""
    block = 256
    server = boot_manual(clock.sample_rate, block)
    try:
        p = pyo()
        player = NotePlayer(instrument, clock.sample_rate, block)
        player.level.value = 1.0
        frames = clock.step_sample(layer.steps, layer.steps_per_bar) + clock.sample_rate  # one second to ring out
        table = p.NewTable(length=frames / clock.sample_rate, chnls=2)
        recorder = p.TableRec(player.out, table).play()
        schedule = NoteSchedule(layer, 0, clock)
        server.start()
        for b0 in range(0, table.getSize(), block):
            player.play(schedule.due(b0, block), b0, block)
            server.process()
        audio = np.stack([np.asarray(table.getBuffer(c)) for c in range(2)], axis=1).copy()
        recorder.stop()
        return audio
    finally:
        server.stop()
        server.shutdown()
