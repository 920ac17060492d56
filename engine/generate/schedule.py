"""A generated note layer placed on the audio clock: which notes start inside a given block. Pure."""
from __future__ import annotations

from dataclasses import dataclass

from engine.clock import Clock
from engine.generate.model import NoteLayer


@dataclass(frozen=True)
class TimedNote:
    sample: int  # absolute start on the audio clock
    samples: int  # length
    pitch: int
    velocity: float


class NoteSchedule:
    """Plays a layer from `start`, repeating it every `layer.steps` steps until replaced or stopped.

    Steps are placed by the bar (`layer.steps_per_bar` to a bar), so every repeat starts on a bar line."""

    def __init__(self, layer: NoteLayer, start: int, clock: Clock):
        self.layer, self.start, self.clock = layer, start, clock
        self._notes = sorted(layer.notes, key=lambda n: n.step)
        self._loop, self._index = 0, 0

    def _timed(self, loop: int, index: int) -> TimedNote:
        note = self._notes[index]
        first = loop * self.layer.steps + note.step
        per_bar = self.layer.steps_per_bar
        begin = self.clock.step_sample(first, per_bar)
        length = self.clock.step_sample(first + note.length, per_bar) - begin
        return TimedNote(self.start + begin, length, note.pitch, note.velocity)

    def due(self, block_start: int, block_len: int) -> list[TimedNote]:
        """Notes starting in [block_start, block_start + block_len); each is returned once."""
        out: list[TimedNote] = []
        if not self._notes:
            return out
        end = block_start + block_len
        while True:
            note = self._timed(self._loop, self._index)
            if note.sample >= end:
                return out
            if note.sample >= block_start:
                out.append(note)
            self._index += 1
            if self._index == len(self._notes):
                self._loop, self._index = self._loop + 1, 0
