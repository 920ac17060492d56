"""How note lines become model inputs: one token per 16th note, plus a conditioning vector per step.

Tokens: 0 rest, 1 hold (the previous note goes on), 2 + (pitch - LOW) a new note.
Conditioning: chord tones (12) and chord root (12) relative to the tonic, position in the bar (16),
density (1), minor key (1), role (4). Training and generation share this file, so they cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.roles import HIGH, LOW, Role

REST, HOLD = 0, 1
VOCAB = 2 + HIGH - LOW + 1
STEPS_PER_BAR = 16
ROLES = tuple(Role)  # the order of the role one-hot in the conditioning vector
COND = 12 + 12 + STEPS_PER_BAR + 1 + 1 + len(ROLES)


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


def condition(chord_pcs: frozenset[int], root: int | None, position: int, density: float, minor: bool,
              role: str) -> np.ndarray:
    """The conditioning vector for one step; pitch classes are relative to the tonic (tonic = 0)."""
    v = np.zeros(COND, dtype=np.float32)
    for pc in chord_pcs:
        v[pc % 12] = 1.0
    if root is not None:
        v[12 + root % 12] = 1.0
    v[24 + min(position, STEPS_PER_BAR - 1)] = 1.0
    v[40] = density
    v[41] = 1.0 if minor else 0.0
    v[42 + ROLES.index(role)] = 1.0
    return v


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
