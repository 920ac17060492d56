"""A bar's meter as a player feels it: how many 16ths a bar holds, how they group into beats, and which
beat a 16th falls on. Pure Python, shared by packs, phrase requests, the model's conditioning and its corpus.

Simple meters (2/4, 3/4, 4/4) beat in quarters (4 16ths); compound meters (6/8, 9/8, 12/8) in dotted quarters
(6 16ths); 2/2 in halves (8 16ths). Other meters (5/4, 7/8, 3/8) beat in their written unit.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import SegueError


@dataclass(frozen=True)
class Meter:
    beats: int  # the time signature's upper number
    unit: int  # its lower number: 2, 4, 8 or 16

    def __post_init__(self):
        if self.unit not in (1, 2, 4, 8, 16) or not 1 <= self.beats <= 32 or self.steps_per_bar < 1:
            raise SegueError(f"meter {self.beats}/{self.unit}: the upper number must be 1-32 and the lower 1, 2, 4, "
                             "8 or 16")

    @property
    def compound(self) -> bool:
        """6/8, 9/8, 12/8: beats of three eighths."""
        return self.unit >= 8 and self.beats % 3 == 0 and self.beats > 3

    @property
    def steps_per_bar(self) -> int:
        return self.beats * 16 // self.unit

    @property
    def beat_steps(self) -> int:
        """16ths in one felt beat."""
        return 3 * 16 // self.unit if self.compound else 16 // self.unit

    @property
    def beats_felt(self) -> int:
        """Felt beats in a bar: 2 in 2/4 and 6/8, 3 in 3/4 and 9/8, 4 in 4/4 and 12/8."""
        return self.beats // 3 if self.compound else self.beats

    def position(self, step: int) -> tuple[int, int]:
        """(beat in the bar, 16th in that beat) of a step counted from a bar line."""
        in_bar = step % self.steps_per_bar
        return in_bar // self.beat_steps, in_bar % self.beat_steps

    def strong(self, step: int) -> bool:
        """On a bar's first beat, or its middle beat in a bar of four (beats 1 and 3 of 4/4, 1 and 4 of 12/8)."""
        beat, sixteenth = self.position(step)
        return sixteenth == 0 and (beat == 0 or (self.beats_felt == 4 and beat == 2))

    def __str__(self) -> str:
        return f"{self.beats}/{self.unit}"


COMMON_TIME = Meter(4, 4)


def parse_meter(text: str) -> Meter:
    """'3/4', '6/8', 'C' (4/4), 'C|' (2/2) -> Meter."""
    text = text.strip()
    if text in ("C", "c"):
        return COMMON_TIME
    if text in ("C|", "c|"):
        return Meter(2, 2)
    upper, _, lower = text.partition("/")
    if not (upper.isdigit() and lower.isdigit()):
        raise SegueError(f"'{text}' is not a meter (like 4/4, 3/4, 6/8)")
    return Meter(int(upper), int(lower))
