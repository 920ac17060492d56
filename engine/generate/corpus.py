"""Training lines from music21's bundled Bach chorales (shipped with the package; nothing is downloaded).

Each chorale is transposed so its tonic is C, quantised to 16ths, and split into role lines: bass
(the bass part), melody (soprano), counter (alto and tenor). Arpeggio lines are broken chords of the
chorale's own voicing, beat by beat, in 16ths or 8ths. Training-only: imports music21.
"""
from __future__ import annotations

import numpy as np

from engine.generate.encoding import HOLD, REST, STEPS_PER_BAR, condition, token
from engine.harmony import estimate_root

ARP_LOW = 55


def _rolls(score, shift: int):
    """Per part: sounding MIDI pitch per 16th (-1 rest) and onset flags; plus the position in the bar."""
    parts = list(score.parts)[:4]
    ts = score.recurse().getElementsByClass("TimeSignature")
    bar_steps = int(round(ts[0].barDuration.quarterLength * 4)) if ts else 16
    total = int(round(score.highestTime * 4)) + 1
    position = np.zeros(total, dtype=np.int64)
    rolls, onsets = [], []
    for i, part in enumerate(parts):
        roll = np.full(total, -1, dtype=np.int64)
        onset = np.zeros(total, dtype=bool)
        for m_index, measure in enumerate(part.getElementsByClass("Measure")):
            pad = bar_steps - int(round(measure.duration.quarterLength * 4)) if m_index == 0 else 0
            start = int(round(measure.offset * 4))
            if i == 0:
                length = int(round(measure.duration.quarterLength * 4))
                position[start:start + length] = (np.arange(length) + max(pad, 0)) % bar_steps
            for n in measure.notes:
                s = start + int(round(n.offset * 4))
                length = max(1, int(round(n.duration.quarterLength * 4)))
                p = (max(x.midi for x in n.pitches) if i < 3 else min(x.midi for x in n.pitches)) + shift
                roll[s:s + length] = p
                tied = n.tie is not None and n.tie.type in ("stop", "continue")
                onset[s] = not tied
        rolls.append(roll)
        onsets.append(onset)
    return rolls, onsets, position, bar_steps


def _line_tokens(roll, onset) -> np.ndarray:
    tokens = np.where(roll < 0, REST, HOLD)
    starts = onset & (roll >= 0)
    tokens[starts] = [token(int(p)) for p in roll[starts]]
    return tokens


def _densities(tokens: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Per step: the share of onsets among the 16ths of the bar it belongs to."""
    dens = np.zeros(len(tokens), dtype=np.float32)
    bar_start = np.flatnonzero(position == 0)
    edges = [0, *bar_start.tolist(), len(tokens)]
    for a, b in zip(edges, edges[1:]):
        if b > a:
            dens[a:b] = float((tokens[a:b] >= 2).sum()) / STEPS_PER_BAR
    return dens


def _arpeggio(rolls, position, rng) -> np.ndarray:
    steps = len(position)
    tokens = np.full(steps, REST, dtype=np.int64)
    for beat in range(0, steps - 3, 4):
        voicing = sorted({int(r[beat]) for r in rolls if r[beat] >= 0})
        if len(voicing) < 2:
            continue
        while voicing[0] < ARP_LOW:
            voicing = [p + 12 for p in voicing]
        kind = rng.integers(4)
        if kind == 0:
            pattern = voicing[:4]
        elif kind == 1:
            pattern = voicing[::-1][:4]
        elif kind == 2:
            pattern = [voicing[0], voicing[-1], voicing[len(voicing) // 2], voicing[-1]]
        else:  # eighths
            pattern = [voicing[0], None, voicing[-1], None]
        for k, p in enumerate(pattern):
            tokens[beat + k] = HOLD if p is None else token(p)
    return tokens


def encode_score(score, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """(tokens, conditions) per role line of one chorale; empty if it is not a four-part chorale."""
    if len(score.parts) < 4:
        return []
    key = score.analyze("key")
    shift = -key.tonic.pitchClass
    if shift < -6:
        shift += 12
    minor = key.mode == "minor"
    rolls, onsets, position, _ = _rolls(score, shift)
    chords = []
    for step in range(len(position)):
        pcs = frozenset(int(r[step]) % 12 for r in rolls if r[step] >= 0)
        chords.append((pcs, estimate_root(pcs) if pcs else None))
    lines = [(_line_tokens(rolls[3], onsets[3]), "bass"), (_line_tokens(rolls[0], onsets[0]), "melody"),
             (_line_tokens(rolls[1], onsets[1]), "counter"), (_line_tokens(rolls[2], onsets[2]), "counter"),
             (_arpeggio(rolls, position, rng), "arpeggio")]
    out = []
    for tokens, role in lines:
        dens = _densities(tokens, position)
        cond = np.stack([condition(chords[i][0], chords[i][1], int(position[i]), float(dens[i]), minor, role)
                         for i in range(len(tokens))])
        out.append((tokens, cond))
    return out
