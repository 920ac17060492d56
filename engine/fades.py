"""Gain over time: fade shapes and the one envelope type, shared by the runtime (which must know a gain's value
at any sample) and the audio graph (which plays the same breakpoints), so they agree exactly.

- linear: gain moves in a straight line.
- equal_power: a rising fade follows sin, a falling one cos, so a crossfade between two unrelated
  pieces of music keeps its loudness (the power sums to one) instead of dipping in the middle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

MIN_RAMP_SECONDS = 0.005  # no gain ever changes faster than this: a step would click
SEGMENTS = 16  # breakpoints per curved fade; the envelope is linear between them


class FadeCurve(StrEnum):
    LINEAR = "linear"
    EQUAL_POWER = "equal_power"


CURVES = tuple(FadeCurve)


def _shape(curve: FadeCurve, rising: bool, u: float) -> float:
    if curve == FadeCurve.LINEAR:
        return u
    return math.sin(u * math.pi / 2) if rising else 1.0 - math.cos(u * math.pi / 2)


def breakpoints(curve: FadeCurve, v0: float, v1: float, samples: int) -> list[tuple[int, float]]:
    """(sample offset, gain) pairs from (0, v0) to (samples, v1)."""
    steps = 1 if curve == FadeCurve.LINEAR else SEGMENTS
    rising = v1 >= v0
    points = []
    for i in range(steps):
        u = i / steps
        points.append((round(u * samples), v0 + (v1 - v0) * _shape(curve, rising, u)))
    return points + [(samples, v1)]  # exactly the target: cos(pi / 2) is 6e-17, and a stem faded out is silent


@dataclass(frozen=True)
class Envelope:
    """A gain from sample `start` on: (offset in samples, gain) breakpoints, linear in between; the first gain
    before them, `end` from the last offset on. Its value is known at any sample, so a new envelope on the
    same gain starts where the old one is and never steps."""

    start: int
    points: tuple[tuple[int, float], ...]
    end: float  # the gain once the envelope is over (a fade's exact target)

    @classmethod
    def of(cls, start: int, points: tuple[tuple[int, float], ...]) -> Envelope:
        """Automation: through the points, staying at the last."""
        return cls(start, points, points[-1][1])

    @classmethod
    def fade(cls, start: int, v0: float, v1: float, samples: int, curve: FadeCurve) -> Envelope:
        """A fade from v0 to v1 over `samples`, shaped by `curve`, as the audio graph plays it."""
        return cls(start, tuple(breakpoints(curve, v0, v1, samples)), v1)

    @classmethod
    def constant(cls, gain: float) -> Envelope:
        return cls(0, ((0, gain),), gain)

    def at(self, sample: int) -> float:
        t = sample - self.start
        points = self.points
        if t <= points[0][0]:
            return points[0][1]
        if t >= points[-1][0]:
            return self.end
        for (t0, g0), (t1, g1) in zip(points, points[1:]):
            if t <= t1:
                return g0 + (g1 - g0) * (t - t0) / max(1, t1 - t0)
        return self.end  # not reached: t is below the last offset
