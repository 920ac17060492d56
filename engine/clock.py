"""Musical time from the audio sample counter: bars, beats and ticks for one tempo and meter.

A Clock counts from its own origin (sample 0 = bar 1, beat 1). Boundaries are exact integers:
beat n starts at floor(n * samples_per_beat), so rounding never drifts over a long session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

TICKS_PER_BEAT = 960


@dataclass(frozen=True)
class Position:
    bar: int  # 0-based
    beat: int  # 0-based within the bar
    tick: int  # 0..TICKS_PER_BEAT-1

    def __str__(self) -> str:
        """Musicians count from one: the very first downbeat is 1:1."""
        return f"{self.bar + 1}:{self.beat + 1}" + (f".{self.tick:03d}" if self.tick else "")


class Clock:
    def __init__(self, sample_rate: int, bpm: float, beats_per_bar: int):
        if sample_rate <= 0 or bpm <= 0 or beats_per_bar <= 0:
            raise ValueError("sample rate, tempo and beats per bar must be positive")
        self.sample_rate = sample_rate
        self.bpm = bpm
        self.beats_per_bar = beats_per_bar
        self._spb = Fraction(sample_rate * 60) / Fraction(str(bpm))

    @property
    def samples_per_beat(self) -> float:
        return float(self._spb)

    def beat_sample(self, beat: int) -> int:
        return math.floor(beat * self._spb)

    def step_sample(self, step: int, steps_per_bar: int) -> int:
        """Start of a step when a bar holds `steps_per_bar` of them: step k * steps_per_bar is bar k's sample."""
        return math.floor(step * self.beats_per_bar * self._spb / steps_per_bar)

    def bar_sample(self, bar: int) -> int:
        return self.beat_sample(bar * self.beats_per_bar)

    def beat_at(self, sample: int) -> int:
        """Index of the beat that contains this sample."""
        beat = math.floor(Fraction(sample) / self._spb)
        while self.beat_sample(beat + 1) <= sample:  # guard against floor/fraction edge cases
            beat += 1
        while self.beat_sample(beat) > sample:
            beat -= 1
        return beat

    def position(self, sample: int) -> Position:
        beat = self.beat_at(sample)
        start, end = self.beat_sample(beat), self.beat_sample(beat + 1)
        tick = (sample - start) * TICKS_PER_BEAT // max(1, end - start)
        return Position(beat // self.beats_per_bar, beat % self.beats_per_bar, int(tick))

    def next_beat(self, sample: int, every: int = 1) -> int:
        """First sample at or after `sample` that starts a beat whose index is a multiple of `every`."""
        beat = self.beat_at(sample)
        if self.beat_sample(beat) < sample:
            beat += 1
        beat = -(-beat // every) * every
        return self.beat_sample(beat)

    def next_bar(self, sample: int, every: int = 1) -> int:
        return self.next_beat(sample, every * self.beats_per_bar)


def next_in_loop(sample: int, origin: int, period: int, offset: int) -> int:
    """First sample >= `sample` at `offset` into a loop of `period` samples that began at `origin`."""
    k = -(-(sample - origin - offset) // period)  # ceiling division on integers
    return origin + offset + max(k, 0) * period
