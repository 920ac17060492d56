"""How note lines become model inputs: one token per 16th note, plus a conditioning vector per step.

Tokens: 0 rest, 1 hold (the previous note goes on), 2 + (pitch - LOW) a new note. Pitches are relative to the
key's tonic moved to C, as the model thinks.

Conditioning is what a player reads off a lead sheet and a conductor, never the notes being played: the bar's
chord symbol (root and bass relative to the tonic, the chord's intervals above its root, and the pitch classes
it spells, beside the scale's, so that a mode's own note and a chord's are the same input) and the next bar's,
the key's scale, the meter and where the step falls in it, and the role, style, density and register asked
for. Training (corpus.py) and generation (model.py) both build it here, so they cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.meter import Meter
from engine.roles import HIGH, LOW, Role, Style

REST, HOLD = 0, 1
VOCAB = 2 + HIGH - LOW + 1
ROLES = tuple(Role)  # the order of the role one-hot in the conditioning vector
STYLES = tuple(Style)
BEAT_STEPS, BEATS = 8, 4  # one-hot sizes: the 16th within a beat (up to a half note), the beat within a bar
# offsets of each field in the conditioning vector
ROOT, INTERVALS, BASS, TONES, NEXT_ROOT, NEXT_INTERVALS, SCALE = 0, 12, 24, 36, 48, 60, 72
SIXTEENTH = 84
BEAT = SIXTEENTH + BEAT_STEPS
FELT = BEAT + BEATS  # felt beats in the bar: 2, 3, 4 or more
COMPOUND = FELT + 3
DENSITY = COMPOUND + 1
REGISTER = DENSITY + 1  # low and high note, (midi - 60) / 24
ROLE = REGISTER + 2
STYLE = ROLE + len(ROLES)
COND = STYLE + len(STYLES)


def token(pitch: int) -> int:
    return 2 + min(HIGH, max(LOW, pitch)) - LOW


def pitch(tok: int) -> int:
    return tok - 2 + LOW


@dataclass(frozen=True)
class Note:
    step: int  # 16th-note index from the layer's start
    length: int  # in 16ths
    pitch: int  # MIDI
    velocity: float  # 0..1


@dataclass(frozen=True)
class BarChord:
    """A chord symbol relative to the key's tonic: what the pack (or the corpus's reading of a bar) says."""
    root: int  # semitones above the tonic
    intervals: frozenset[int]  # semitones above the root, 0 included
    bass: int  # semitones above the tonic: the root, or a slash chord's bass

    @property
    def tones(self) -> frozenset[int]:
        """Pitch classes relative to the tonic, the bass included."""
        return frozenset((self.root + i) % 12 for i in self.intervals) | {self.bass}


def bar_conditions(chord: BarChord, following: BarChord, scale: frozenset[int], meter: Meter, density: float,
                   register: tuple[int, int], role: str, style: str) -> np.ndarray:
    """The conditioning vectors of every 16th of one bar (steps_per_bar x COND)."""
    v = np.zeros(COND, dtype=np.float32)
    v[ROOT + chord.root % 12] = 1.0
    v[[INTERVALS + i % 12 for i in chord.intervals]] = 1.0
    v[BASS + chord.bass % 12] = 1.0
    v[[TONES + pc for pc in chord.tones]] = 1.0  # the symbol's own tones, where the scale input has them
    v[NEXT_ROOT + following.root % 12] = 1.0
    v[[NEXT_INTERVALS + i % 12 for i in following.intervals]] = 1.0
    v[[SCALE + pc % 12 for pc in scale]] = 1.0
    v[FELT + min(max(meter.beats_felt, 2), 4) - 2] = 1.0
    v[COMPOUND] = 1.0 if meter.compound else 0.0
    v[DENSITY] = density
    v[REGISTER:REGISTER + 2] = [(register[0] - 60) / 24, (register[1] - 60) / 24]
    v[ROLE + ROLES.index(role)] = 1.0
    v[STYLE + STYLES.index(style)] = 1.0
    return v[None, :] + _pulse(meter)


@lru_cache(maxsize=16)
def _pulse(meter: Meter) -> np.ndarray:
    """Where each 16th of a bar falls (its 16th within the beat, its beat): the same for every bar of a meter,
    worked out once (read-only)."""
    out = np.zeros((meter.steps_per_bar, COND), dtype=np.float32)
    for step in range(meter.steps_per_bar):
        beat, sixteenth = meter.position(step)
        out[step, SIXTEENTH + min(sixteenth, BEAT_STEPS - 1)] = 1.0
        out[step, BEAT + min(beat, BEATS - 1)] = 1.0
    out.flags.writeable = False
    return out


def tokens_to_notes(tokens, velocity: float = 0.8) -> list[Note]:
    notes: list[Note] = []
    for step, tok in enumerate(tokens):
        tok = int(tok)
        if tok >= 2:
            notes.append(Note(step, 1, pitch(tok), velocity))
        elif tok == HOLD and notes and notes[-1].step + notes[-1].length == step:
            last = notes[-1]
            notes[-1] = Note(last.step, last.length + 1, last.pitch, last.velocity)
    return notes
