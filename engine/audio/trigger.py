"""Sample-accurate triggers: pyo's Trig fires at a block's first sample; SDelay moves it k samples in."""
from __future__ import annotations


class Trigger:
    """A trigger that fires `k` samples into the next computed block."""

    def __init__(self, p, sample_rate: int, block: int):
        self._sr = sample_rate
        self._trig = p.Trig().stop()
        self.out = p.SDelay(self._trig, delay=0, maxdelay=2 * block / sample_rate)

    def fire(self, k: int) -> None:
        # SDelay truncates delay * sr to whole samples, and k / sr * sr can land just below k
        self.out.delay = (k + 0.5) / self._sr
        self._trig.play()
