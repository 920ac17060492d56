"""A phrase's notes played on a SoundFont instrument, in the generation process ("generate symbolically,
synthesise locally"): the mix then plays the phrase like a stem, so no note is synthesised in the audio callback.

Each note plays its region's sample (linear interpolation, the sample's loop while the key is held), through
its two-pole low-pass where the SoundFont sets one, then its volume envelope (delay, attack, hold, decay to
sustain, release). A sample resampled to a key and filtered is kept for the next note of that key. Velocity scales the level as General MIDI's default curve does (40 log10 v/127 dB).
Not played: modulation envelopes, LFOs (vibrato), reverb and chorus sends. Deterministic: numpy, no clock.
"""
from __future__ import annotations

import importlib.util
import math
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from engine.clock import Clock
from engine.errors import SegueError
from engine.generate.model import NoteLayer
from engine.generate.soundfont import FILTER_OFF, Region, SoundFont

MAX_FRAMES = 2 ** 22  # a phrase and its tail, at most (87 s at 48 kHz): what one table of the mix plays exactly
TAIL_SECONDS = 2.0  # after a phrase's last bar: the longest its notes' releases ring on into the next
REFERENCE = (60, 127, 0.3)  # every program's middle C at velocity 127 peaks at 0.3 (the old synth voices' level):
# SoundFonts balance their presets for a GM song's mix, a layer's instrument should not change its level by 20 dB
CONTROL = 64  # frames a step of the envelope (interpolated between): FluidSynth's own control rate
WAVE_CACHE_FRAMES = 16 * 2 ** 20  # resampled note waves kept for reuse (64 MB of float32): a line plays few pitches
FULL_DB = 100.0  # a SoundFont's decay and release times are the times to fall this far
SILENT_DB = 72.0  # a note ends this far below where its release began: under every other note, no audible step


@dataclass(frozen=True)
class Voicing:
    """How a phrase is to sound: the General MIDI program, and the tempo and rate it is placed at."""

    program: int
    sample_rate: int
    bpm: float
    beats_per_bar: int

    def clock(self) -> Clock:
        return Clock(self.sample_rate, self.bpm, self.beats_per_bar)

    def frames(self, layer: NoteLayer) -> int:
        """The phrase's loop length: it repeats every this many frames (its tail rings on over the next)."""
        return self.clock().step_sample(layer.steps, layer.steps_per_bar)


@dataclass(frozen=True)
class SoundingPhrase:
    """A phrase's notes and their sound: mono float32, `loop` frames (it repeats every this many), then its tail."""

    layer: NoteLayer
    audio: np.ndarray
    loop: int


def default_soundfont() -> Path:
    """TimGM6mb, the General MIDI SoundFont (GPL-2, by Tim Brechbill) that the pretty_midi package ships: installed
    with the engine's dependencies, so nothing is downloaded at run time."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise SegueError("no SoundFont: the pretty_midi package (which ships TimGM6mb.sf2) is not installed")
    return Path(spec.submodule_search_locations[0]) / "TimGM6mb.sf2"


def tail_frames(sample_rate: int) -> int:
    return math.ceil(TAIL_SECONDS * sample_rate)


def synthesise(font: SoundFont, layer: NoteLayer, voicing: Voicing) -> np.ndarray:
    """The phrase, mono float32: its loop length (Voicing.frames) then the tail its last notes ring on into."""
    clock, sr = voicing.clock(), voicing.sample_rate
    frames = voicing.frames(layer) + tail_frames(sr)
    if frames > MAX_FRAMES:
        raise SegueError(f"a phrase of {layer.steps // layer.steps_per_bar} bars at {voicing.bpm:g} bpm lasts "
                         f"{frames / sr:.0f} s with its tail; at most {MAX_FRAMES / sr:.0f} s")
    regions = font.regions(voicing.program)
    gain = _program_gain(font, voicing.program, sr)
    mix = np.zeros(frames, dtype=np.float32)
    for note in layer.notes:
        begin = clock.step_sample(note.step, layer.steps_per_bar)
        held = clock.step_sample(note.step + note.length, layer.steps_per_bar) - begin
        velocity = max(1, min(127, round(note.velocity * 127)))
        for region in regions:
            if region.plays(note.pitch, velocity):
                sound = _note(font, region, note.pitch, velocity, held, sr, frames - begin, gain)
                mix[begin:begin + len(sound)] += sound
    return mix


@lru_cache(maxsize=512)
def _program_gain(font: SoundFont, program: int, sr: int) -> float:
    """What brings the program's REFERENCE note to its peak (1 for a program that has no such note)."""
    key, velocity, peak = REFERENCE
    held = sr // 2
    mix = np.zeros(held, dtype=np.float32)
    for region in font.regions(program):
        if region.plays(key, velocity):
            sound = _note(font, region, key, velocity, held, sr, held, 1.0)
            mix[:len(sound)] += sound
    loudest = float(np.max(np.abs(mix)))
    return peak / loudest if loudest > 1e-6 else 1.0


def _note(font: SoundFont, region: Region, key: int, velocity: int, held: int, sr: int, room: int,
          gain: float) -> np.ndarray:
    """One region of one note: `held` frames with the key down, then its release, at most `room` frames."""
    frames = min(room, held + math.ceil(region.release * sr * SILENT_DB / FULL_DB) + 1)
    wave = _WAVES.get(font, region, key, sr, frames)
    level = gain * 10 ** (-(region.attenuation + 40 * math.log10(127 / velocity)) / 20)
    return wave[:frames] * _envelope(region, held, min(frames, len(wave)), sr, level)


class _Waves:
    """The region's sample resampled to a key and through its low-pass, kept (least recently used out,
    WAVE_CACHE_FRAMES in all): each wave is computed from its start (the filter is causal), so a kept one's first
    frames are exactly a new one's."""

    def __init__(self):
        self._kept: OrderedDict[tuple, tuple[np.ndarray, bool]] = OrderedDict()
        self._frames = 0

    def get(self, font: SoundFont, region: Region, key: int, sr: int, frames: int) -> np.ndarray:
        name = (font.sha256, region, key, sr)
        kept = self._kept.get(name)
        if kept is not None and (len(kept[0]) >= frames or kept[1]):
            self._kept.move_to_end(name)
            return kept[0]
        if kept is not None:
            self._frames -= len(kept[0])
        wave, ended = _resampled(font, region, key, sr, frames)
        self._kept[name] = (wave, ended)
        self._frames += len(wave)
        while self._frames > WAVE_CACHE_FRAMES and len(self._kept) > 1:
            self._frames -= len(self._kept.popitem(last=False)[1][0])
        return wave


_WAVES = _Waves()


def _resampled(font: SoundFont, region: Region, key: int, sr: int, frames: int) -> tuple[np.ndarray, bool]:
    """`frames` of the region's sample played at `key`, and whether the sample, played once, ended first (then
    fewer frames: a longer note gets no more of it)."""
    cents = (key - region.root) * region.scale + region.tune
    ratio = 2.0 ** (cents / 1200) * region.rate / sr
    pos = ratio * np.arange(frames, dtype=np.float64)  # from the region's start
    if region.loop is not None:  # from the frame that reaches the loop's end, round the loop
        loop_start, loop_end = region.loop[0] - region.start, region.loop[1] - region.start
        wrap = math.ceil(loop_end / ratio)
        pos[wrap:] = loop_start + np.fmod(pos[wrap:] - loop_start, loop_end - loop_start)
    length = math.ceil((region.end - 1 - region.start) / ratio)
    if region.loop is None and frames >= length:
        frames = length
        pos = pos[:frames]
    index = pos.astype(np.int64)
    frac = (pos - index).astype(np.float32)
    index += region.start
    wave = font.samples[index] + frac * font.steps[index]
    if region.cutoff < FILTER_OFF:  # before the envelope, as TinySoundFont filters
        wave = _low_pass(wave, region.cutoff, region.resonance, sr)
    return wave, region.loop is None and frames == length


def _envelope(region: Region, held: int, frames: int, sr: int, level: float) -> np.ndarray:
    """The volume envelope's gain (times `level`) at every frame, computed every CONTROL frames and interpolated."""
    t = np.arange(0, frames + CONTROL, CONTROL, dtype=np.float64) / sr
    on = held / sr
    attack_end = region.delay + region.attack
    decay_start = attack_end + region.hold
    sustain_db = region.sustain
    db = np.minimum(np.maximum(t - decay_start, 0) * FULL_DB / max(region.decay, 1e-6), sustain_db)
    gain = 10 ** (-db / 20)
    gain = np.where(t < attack_end, np.clip((t - region.delay) / max(region.attack, 1e-6), 0, 1), gain)
    at_release = np.interp(on, t, gain)
    released = at_release * 10 ** (-np.clip((t - on) * FULL_DB / max(region.release, 1e-6), 0, SILENT_DB) / 20)
    released[t - on >= region.release * SILENT_DB / FULL_DB] = 0.0
    gain = (np.where(t < on, gain, released) * level).astype(np.float32)
    ramps = gain[:-1, None] + (gain[1:] - gain[:-1])[:, None] * (np.arange(CONTROL, dtype=np.float32) / CONTROL)
    return ramps.ravel()[:frames]


def _low_pass(sound: np.ndarray, cents: float, resonance: float, sr: int) -> np.ndarray:
    """A region's two-pole low-pass (its cutoff in absolute cents, its resonance in dB)."""
    cutoff = min(8.176 * 2 ** (cents / 1200), 0.45 * sr)
    q = max(10 ** (resonance / 20) / math.sqrt(2), 0.5)
    w = 2 * math.pi * cutoff / sr
    alpha = math.sin(w) / (2 * q)
    cos = math.cos(w)
    b = np.array([(1 - cos) / 2, 1 - cos, (1 - cos) / 2])
    a = np.array([1 + alpha, -2 * cos, 1 - alpha])
    return lfilter(b / a[0], a / a[0], sound).astype(np.float32)
