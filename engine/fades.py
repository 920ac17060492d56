"""Fade shapes, shared by the runtime (which must know a fade's value at any sample) and the audio
graph (which plays it as a breakpoint envelope). Both use the same breakpoints, so they agree exactly.

- linear: gain moves in a straight line.
- equal_power: a rising fade follows sin, a falling one cos, so a crossfade between two unrelated
  pieces of music keeps its loudness (the power sums to one) instead of dipping in the middle.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

CURVES = ("linear", "equal_power")
SEGMENTS = 16  # breakpoints per curved fade; the envelope is linear between them


def _shape(curve: str, rising: bool, u: float) -> float:
    if curve == "linear":
        return u
    return math.sin(u * math.pi / 2) if rising else 1.0 - math.cos(u * math.pi / 2)


def breakpoints(curve: str, v0: float, v1: float, samples: int) -> list[tuple[int, float]]:
    """(sample offset, gain) pairs from (0, v0) to (samples, v1)."""
    steps = 1 if curve == "linear" else SEGMENTS
    rising = v1 >= v0
    points = []
    for i in range(steps + 1):
        u = i / steps
        points.append((round(u * samples), v0 + (v1 - v0) * _shape(curve, rising, u)))
    return points


def value(curve: str, v0: float, v1: float, samples: int, elapsed: int) -> float:
    """The gain `elapsed` samples into the fade, as the envelope plays it."""
    if elapsed <= 0:
        return v0
    if elapsed >= samples:
        return v1
    points = breakpoints(curve, v0, v1, samples)
    for (s0, g0), (s1, g1) in zip(points, points[1:]):
        if elapsed <= s1:
            return g0 + (g1 - g0) * (elapsed - s0) / max(1, s1 - s0)
    return v1


@dataclass(frozen=True)
class Envelope:
    """A breakpoint gain envelope from `start`: (offset in samples, gain) pairs, linear in between."""

    start: int
    points: tuple[tuple[int, float], ...]

    def at(self, sample: int) -> float:
        t = sample - self.start
        if t <= self.points[0][0]:
            return self.points[0][1]
        for (t0, g0), (t1, g1) in zip(self.points, self.points[1:]):
            if t <= t1:
                return g0 + (g1 - g0) * (t - t0) / max(1, t1 - t0)
        return self.points[-1][1]

    @property
    def final(self) -> float:
        return self.points[-1][1]
