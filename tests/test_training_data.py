"""What the model is trained on, checked without the training extra (torch, music21): the lines recast in a
neighbouring mode, and arpeggio lines voiced at heights that spread, so the register input means something."""
from __future__ import annotations

import numpy as np

from engine.generate.corpus import ARP_FLOORS, _arpeggio
from engine.generate.encoding import (BASS, HOLD, INTERVALS, NEXT_INTERVALS, NEXT_ROOT, REST, ROOT, SCALE, TONES,
                                      BarChord, bar_conditions, pitch, token)
from engine.generate.train import RECASTS, recast
from engine.harmony import Mode
from engine.meter import Meter


def _line(chord: BarChord, following: BarChord, mode: Mode, pitches: list[int]):
    conds = bar_conditions(chord, following, frozenset(mode.value), Meter(4, 4), 0.5, (55, 79), "melody", "chorale")
    tokens = np.array([token(p) for p in pitches] + [HOLD] + [REST] * (16 - len(pitches) - 1))
    return tokens, conds


def _chord(row: np.ndarray, root_at: int, intervals_at: int) -> tuple[int, list[int]]:
    return int(row[root_at:root_at + 12].argmax()), np.flatnonzero(row[intervals_at:intervals_at + 12]).tolist()


def test_a_minor_line_recast_as_dorian_raises_its_sixth_and_lowers_its_leading_tone_in_notes_and_chords():
    # C minor: Ab G F B C over Fm, then G7 next
    tokens, conds = _line(BarChord(5, frozenset({0, 3, 7}), 8), BarChord(7, frozenset({0, 4, 7, 10}), 7), Mode.MINOR,
                          [68, 67, 65, 71, 72])
    mode, moves, _ = next(choice for choice in RECASTS[Mode.MINOR.value] if choice[0] is Mode.DORIAN)
    moved, recond = recast(tokens, conds, mode, moves)
    assert [pitch(t) for t in moved if t >= 2] == [69, 67, 65, 70, 72]
    assert moved[5] == HOLD and (moved[6:] == REST).all()
    row = recond[0]
    assert _chord(row, ROOT, INTERVALS) == (5, [0, 4, 7])  # Fm is F
    assert int(row[BASS:BASS + 12].argmax()) == 9  # Fm/Ab is F/A
    assert np.flatnonzero(row[TONES:TONES + 12]).tolist() == [0, 5, 9]
    assert _chord(row, NEXT_ROOT, NEXT_INTERVALS) == (7, [0, 3, 7, 10])  # G7 is Gm7
    assert np.flatnonzero(row[SCALE:SCALE + 12]).tolist() == list(Mode.DORIAN.value)
    assert (recond[:, :SCALE] == recond[0, :SCALE]).all()  # one chord symbol for the whole bar still
    assert (recond[:, SCALE + 12:] == conds[:, SCALE + 12:]).all()  # meter, place, role, register untouched
    assert (tokens == _line(BarChord(5, frozenset({0, 3, 7}), 8), BarChord(7, frozenset({0, 4, 7, 10}), 7),
                            Mode.MINOR, [68, 67, 65, 71, 72])[0]).all()  # the original is left as it was


def test_a_chord_whose_root_moves_is_read_from_its_new_root():
    # C major: Bdim (B D F) recast as mixolydian is Bb major (Bb D F); as lydian, F major (F A C) is F# dim
    tokens, conds = _line(BarChord(11, frozenset({0, 3, 6}), 11), BarChord(5, frozenset({0, 4, 7}), 5), Mode.IONIAN,
                          [71, 74, 77])
    choices = {mode: moves for mode, moves, _ in RECASTS[Mode.IONIAN.value]}
    _, mixolydian = recast(tokens, conds, Mode.MIXOLYDIAN, choices[Mode.MIXOLYDIAN])
    assert _chord(mixolydian[0], ROOT, INTERVALS) == (10, [0, 4, 7])
    assert int(mixolydian[0, BASS:BASS + 12].argmax()) == 10
    lydian_tokens, lydian = recast(tokens, conds, Mode.LYDIAN, choices[Mode.LYDIAN])
    assert _chord(lydian[0], NEXT_ROOT, NEXT_INTERVALS) == (6, [0, 3, 6])
    assert _chord(lydian[0], ROOT, INTERVALS) == (11, [0, 3, 7])  # and Bdim is B minor (B D F#)
    assert [pitch(t) for t in lydian_tokens if t >= 2] == [71, 74, 78]


def test_a_recast_keeps_its_notes_in_the_models_range():
    low_to_high = list(range(28, 97))
    tokens = np.array([token(p) for p in low_to_high])
    conds = np.repeat(_line(BarChord(0, frozenset({0, 4, 7}), 0), BarChord(0, frozenset({0, 4, 7}), 0), Mode.MINOR,
                            [60])[1][:1], len(tokens), axis=0)
    for choices in RECASTS.values():
        for mode, moves, _ in choices:
            moved, _ = recast(tokens, conds, mode, moves)
            pitches = [pitch(t) for t in moved]
            assert min(pitches) >= 28 and max(pitches) <= 96
            assert {p % 12 for p in pitches} <= set(mode.value) | (set(range(12)) - set(moves))


def test_arpeggio_lines_keep_close_voicings_at_heights_that_spread():
    # a chorale's four voices: C major (bass C3) for two bars of 4/4, then G7 (bass B2) for two
    rolls = [np.concatenate([np.full(32, a), np.full(32, b)]) for a, b in ((72, 74), (67, 65), (64, 62), (48, 47))]
    lowest = []
    for seed in range(40):
        notes = [pitch(t) for t in _arpeggio(rolls, 4, np.random.default_rng(seed)) if t >= 2]
        assert len(notes) >= 16, seed  # a note a beat at least
        assert max(notes) - min(notes) <= 11  # one hand position: every chord within an octave
        assert {p % 12 for p in notes[:4]} <= {0, 4, 7} and {p % 12 for p in notes[-4:]} <= {7, 11, 2, 5}
        assert ARP_FLOORS[0] <= min(notes) < ARP_FLOORS[1] + 12
        lowest.append(min(notes))
    assert max(lowest) - min(lowest) >= 12  # the lines sit at heights an octave and more apart
