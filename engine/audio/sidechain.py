"""The sidechain: the bed's gain follows an input's level (a voice-over, a live commentary): 1 in silence, the
spec's `depth` once the input reaches its threshold."""
from __future__ import annotations

import numpy as np

from engine.audio.guard import FiniteGate
from engine.audio.voices import OneShot
from engine.machine.model import Sidechain as SidechainSpec


class Sidechain:
    def __init__(self, p, bed, spec: SidechainSpec, recording: np.ndarray | None, sample_rate: int, block: int):
        """`bed`: what it ducks (`out` is the bed under it); `recording`: played as the input from sample 0
        (offline); without it, the live input `spec.input`."""
        self.recording = None
        if recording is not None:
            self.recording = OneShot(p, recording.mean(axis=1, keepdims=True), sample_rate, block)
            self.recording.play(0, 0, 1.0)
            source = self.recording.out[0]
        else:
            source = p.Input(spec.input - 1)
        # before the follower, whose feedback would hold a NaN for good: the bed's gain, and so the bed, with it
        self.gates = {"the sidechain input": FiniteGate(p, source)}
        self._source = self.gates["the sidechain input"].out  # every stage kept: pyo runs only what Python holds
        self._level = p.Follower2(self._source, risetime=spec.attack, falltime=spec.release)
        self._ratio = self._level / (10 ** (spec.threshold_db / 20))
        self._amount = p.Clip(self._ratio, 0.0, 1.0)
        self._cut = self._amount * (1.0 - spec.depth)
        self.gain = 1.0 - self._cut
        self.out = bed * self.gain
        self.playheads = [self.recording.playhead] if self.recording else []
