"""The master: the bed and the stingers summed under the master fader, a guard that silences a non-finite mix,
then a zero-latency peak limiter and a clip, so nothing leaves above the ceiling."""
from __future__ import annotations

from typing import Sequence

from engine.audio.envelope import EnvelopePlayer
from engine.audio.guard import FiniteGate

LIMIT = 0.89  # master ceiling, about -1 dBFS


class Master:
    def __init__(self, p, sources: Sequence, sample_rate: int, block: int):
        """`sources`: stereo pyo objects (the bed, the one-shots); `out` is the master, ready to play."""
        self.fader = EnvelopePlayer(p, sample_rate, block, idle=1.0)
        self.bus = p.Mix(list(sources), voices=2, mul=self.fader.out)
        # before the limiter and the meters, whose filters would hold a NaN for good
        self.gates = {"the mix": FiniteGate(p, self.bus)}
        self._clean = self.gates["the mix"].out
        # zero-latency limiter: instant attack (never over the ceiling), smooth release; every stage kept on self,
        # as pyo runs an object only while Python holds it
        self._rectified = [p.Abs(self._clean[0]), p.Abs(self._clean[1])]
        self._level = p.Max(self._rectified[0], self._rectified[1])
        self._follower = p.Follower2(self._level, risetime=0.0005, falltime=0.15)
        self._envelope = p.Max(self._level, self._follower)
        self._over = p.Max(self._envelope, LIMIT)
        self.gain = LIMIT / self._over
        self._limited = self._clean * self.gain
        self.out = p.Clip(self._limited, min=-1.0, max=1.0)
