"""The one audio-side envelope player: a `fades.Envelope`'s breakpoints played from their exact sample.

The machine decides gains as `fades.Envelope`s (a stem's fade, the master fader, the ducks); each gain in the mix
that follows one has an `EnvelopePlayer`, which starts the points on the envelope's sample (a trigger delayed
inside the block) and holds the last point's gain. Before its first envelope it rests at its idle gain: silence
for a stem, unity for the master and the ducks.
"""
from __future__ import annotations

from engine.audio.trigger import Trigger
from engine import fades


class EnvelopePlayer:
    def __init__(self, p, sample_rate: int, block: int, idle: float = 0.0):
        """`idle`: the gain before the first envelope plays. pyo's TrigLinseg outputs 0 until triggered, so a
        player idle at a gain other than 0 keeps its line as the distance from idle (idle - gain)."""
        self._sr = sample_rate
        self._idle = idle
        self._trigger = Trigger(p, sample_rate, block)
        self._line = p.TrigLinseg(self._trigger.out, [(0, 0.0), (fades.MIN_RAMP_SECONDS, 0.0)])
        self.out = self._line if idle == 0.0 else idle - self._line  # kept: pyo runs only what Python holds
        self.parts = [self._trigger.out, self._line] + ([] if idle == 0.0 else [self.out])  # to stop and play

    def play(self, k: int, envelope: fades.Envelope) -> None:
        """Play `envelope` from `k` samples into the next computed block (the sample of its start)."""
        sr, idle = self._sr, self._idle
        if idle == 0.0:
            self._line.setList([(offset / sr, gain) for offset, gain in envelope.points])
        else:
            self._line.setList([(offset / sr, idle - gain) for offset, gain in envelope.points])
        self._trigger.fire(k)

    def value(self) -> float:
        """The gain now (as of the last computed block)."""
        return float(self._line.get()) if self._idle == 0.0 else self._idle - float(self._line.get())
