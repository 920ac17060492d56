"""Plays every note the model can write on one instrument, at every velocity it gives, at each tempo asked,
through render_phrase; prints one line per tempo: the tempo and whether every sample was finite.
Run in its own process by test_instruments.py, so a crash inside pyo is a failed test, not a dead pytest.

    python tests/instrument_sweep.py INSTRUMENT BPM [BPM ...]
"""
from __future__ import annotations

import sys

import numpy as np

from engine.clock import Clock
from engine.generate.encoding import HIGH, LOW, Note
from engine.generate.model import NoteLayer
from engine.audio.instruments import render_phrase

VELOCITIES = (0.65, 0.78, 0.9, 1.0)  # the model's three accents, and full
LENGTHS = (1, 3, 16)  # 16ths: shorter and longer than the envelopes' attack + decay


def phrase() -> NoteLayer:
    notes, step = [], 0
    for pitch in range(LOW, HIGH + 1):
        for i, velocity in enumerate(VELOCITIES):
            length = LENGTHS[(pitch + i) % len(LENGTHS)]
            notes.append(Note(step, length, pitch, velocity))
            step += 1  # notes overlap: all four voices are busy, each taken over while it still rings
    return NoteLayer(tuple(notes), step + 16)


def main(instrument: str, tempi: list[float]) -> None:
    layer = phrase()
    for bpm in tempi:
        audio = render_phrase(layer, Clock(48000, bpm, 4), instrument)
        print(bpm, bool(np.isfinite(audio).all()) and float(np.abs(audio).max()) > 0.01, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [float(t) for t in sys.argv[2:]])
