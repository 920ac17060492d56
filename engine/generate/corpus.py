"""Training lines from music21's bundled corpus (shipped with the music21 package; nothing is downloaded).

Three styles the corpus supports (engine/roles.py's Style):
- chorale: Bach's four-part chorales: bass (the bass part), melody (soprano), counter (alto and tenor), and
  two arpeggio lines broken from the chorale's harmony, beat by beat, each in close voicings at its own height;
- folk: the Essen folk songs (melodies);
- fiddle: reels, jigs, hornpipes and strathspeys from Ryan's Mammoth Collection and O'Neill's Music of Ireland
  (melodies).

Each piece is moved to tonic C and quantised to 16ths. Its bars are read as a lead sheet would write them: one
chord symbol a bar (a half bar of four beats in a chorale), recognised from the sounding notes weighted by
length and beat (a triad, a seventh or sus4; an inversion's bass in a chorale), and a key scale chosen from the
modes by the piece's notes. The model is
conditioned on those symbols, never on the notes sounding at the step it predicts. Training-only: imports music21.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.generate.encoding import HOLD, REST, BarChord, bar_conditions, token
from engine.harmony import Mode
from engine.meter import Meter
from engine.roles import HIGH, LOW, Role, Style

ARP_FLOORS = (48, 68)  # an arpeggio line's notes lie in the octave above a floor drawn from these, a line each
ARPEGGIOS = 2  # arpeggio lines broken from each chorale, each at its own pace and height
# chord qualities a bar is read as, by intervals above the root: what a lead sheet of these styles writes
QUALITIES = ((0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8), (0, 5, 7), (0, 4, 7, 10), (0, 4, 7, 11), (0, 3, 7, 10),
             (0, 3, 6, 10), (0, 3, 6, 9))
METERS = {Meter(2, 4), Meter(3, 4), Meter(4, 4), Meter(2, 2), Meter(6, 8), Meter(9, 8), Meter(12, 8)}
# the scales a piece may be in, most likely first for the key music21 finds (a tie keeps the earlier)
SCALES = {"major": (Mode.IONIAN, Mode.MIXOLYDIAN, Mode.LYDIAN),
          "minor": (Mode.MINOR, Mode.DORIAN, Mode.MELODIC_MINOR, Mode.PHRYGIAN)}
SOURCES = {  # corpus paths (as music21.corpus.parse takes them), by style
    Style.CHORALE: ("bach",),
    Style.FOLK: ("essenFolksong",),
    Style.FIDDLE: ("ryansMammoth", "oneills1850"),
}
MARGIN = (1, 7)  # a line's register in training: its lowest and highest notes widened by 1..6 semitones


@dataclass(frozen=True)
class Line:
    tokens: np.ndarray  # int64, one a 16th
    conds: np.ndarray  # float32, steps x COND
    role: Role
    style: Style


def recognise(weights: np.ndarray) -> tuple[int, tuple[int, ...]]:
    """(root, intervals) of the chord symbol that best fits a bar's pitch-class weights (12, summing to 1)."""
    best, best_score = (0, QUALITIES[0]), -np.inf
    for root in range(12):
        rolled = np.roll(weights, -root)
        for intervals in QUALITIES:
            inside = rolled[list(intervals)]
            score = inside.sum() * 1.6 - 0.6 - 0.12 * (len(intervals) - 3) - 0.1 * int((inside == 0).sum())
            if score > best_score:
                best, best_score = (root, intervals), score
    return best


def scale_of(weights: np.ndarray, mode: str) -> Mode:
    """The mode whose scale holds most of the piece's notes (weights relative to the tonic)."""
    return max(SCALES[mode], key=lambda m: weights[list(m.value)].sum() - 1e-6 * SCALES[mode].index(m))


def _notes(measure):
    """(offset in the measure, length, pitches) of each sounding note or chord; chord symbols and grace notes
    are not notes."""
    from music21 import harmony  # noqa: PLC0415 - training only

    for n in measure.recurse().notes:
        if isinstance(n, harmony.Harmony) or n.duration.quarterLength == 0:
            continue
        yield n.getOffsetInHierarchy(measure), n.duration.quarterLength, n.pitches, n.tie


def _rolls(parts, meter: Meter, shift: int, lowest: list[bool]):
    """Per part: sounding MIDI pitch per 16th (-1 rest) and onset flags; plus each step's place in its bar and
    its bar's index. A pickup bar is padded so that step positions count from its bar line."""
    measures = [list(p.getElementsByClass("Measure")) for p in parts]
    if not measures[0]:
        return None
    bar = meter.steps_per_bar
    first = int(round(measures[0][0].duration.quarterLength * 4))
    pad = bar - first if 0 < first < bar else 0
    total = pad + int(round(parts[0].highestTime * 4)) + 1
    rolls = [np.full(total, -1, dtype=np.int64) for _ in parts]
    onsets = [np.zeros(total, dtype=bool) for _ in parts]
    for i, part in enumerate(measures):
        for measure in part:
            start = pad + int(round(measure.offset * 4))
            if start > 0 and measure is part[0]:
                start = pad
            for offset, length, pitches, tie in _notes(measure):
                s = start + int(round(offset * 4))
                if s >= total:
                    continue
                steps = max(1, int(round(length * 4)))
                midi = [x.midi for x in pitches]
                rolls[i][s:s + steps] = (min(midi) if lowest[i] else max(midi)) + shift
                onsets[i][s] = not (tie is not None and tie.type in ("stop", "continue"))
    steps = np.arange(total)
    return rolls, onsets, steps % bar, steps // bar


def _line_tokens(roll, onset) -> np.ndarray:
    tokens = np.where(roll < 0, REST, HOLD)
    starts = onset & (roll >= 0)
    tokens[starts] = [token(int(p)) for p in roll[starts]]
    return tokens


def _arpeggio(rolls, beat_steps: int, rng) -> np.ndarray:
    """Broken chords of the chorale's harmony, beat by beat, at one pace a line (16ths, 8ths or quarters), so
    that arpeggio lines span the densities a designer may ask for. Each line keeps its hand in one place, as a
    player's arpeggio does: every chord voiced close within the octave above the line's own floor, drawn at
    random, so that lines sit at heights that spread and the model learns to place a line where its register
    asks, not where the chorales' voices happen to sit."""
    steps = len(rolls[0])
    tokens = np.full(steps, REST, dtype=np.int64)
    floor = int(rng.integers(*ARP_FLOORS))
    pace = int(rng.integers(3))  # 0: 16ths, 1: 8ths, 2: quarters
    for beat in range(0, steps - beat_steps + 1, beat_steps):
        voicing = sorted({floor + (int(r[beat]) - floor) % 12 for r in rolls if r[beat] >= 0})
        if len(voicing) < 2:
            continue
        if pace == 0:
            shape = int(rng.integers(3))
            pattern = voicing[:4] if shape == 0 else voicing[::-1][:4] if shape == 1 else \
                [voicing[0], voicing[-1], voicing[len(voicing) // 2], voicing[-1]]
        elif pace == 1:
            pattern = [voicing[0], None, voicing[-1], None] if rng.integers(2) else [voicing[-1], None, voicing[1], None]
        else:
            pattern = [voicing[int(rng.integers(len(voicing)))], None, None, None]
        for k, p in enumerate(pattern):
            tokens[beat + k] = HOLD if p is None else token(p)
    return tokens


def _chords(rolls, spans: np.ndarray, starts: np.ndarray, meter: Meter, bass_roll) -> list[BarChord]:
    """One chord symbol a span (a bar, or half a bar of four beats in a chorale, whose harmony moves faster)
    from every part's sounding notes, weighted by length and by where they sound: a span's first beat counts
    four times a 16th off the beat, its other beats twice (a lead sheet's chord fits the notes on its strong
    beats first)."""
    count = int(spans[-1]) + 1
    weights = np.zeros((count, 12))
    on_beat = np.array([meter.position(s)[1] == 0 for s in range(len(spans))])
    at = np.where(starts, 4.0, np.where(on_beat, 2.0, 1.0))
    for roll in rolls:
        sounding = roll >= 0
        np.add.at(weights, (spans[sounding], roll[sounding] % 12), at[sounding])
    chords, previous = [], None
    for b in range(count):
        if weights[b].sum() == 0:  # a silent span keeps the chord before it
            chords.append(previous or BarChord(0, frozenset({0, 4, 7}), 0))
            continue
        root, intervals = recognise(weights[b] / weights[b].sum())
        bass = root
        if bass_roll is not None:
            first = np.flatnonzero((spans == b) & (bass_roll >= 0))
            if first.size and (int(bass_roll[first[0]]) - root) % 12 in intervals:
                bass = int(bass_roll[first[0]]) % 12
        previous = BarChord(root, frozenset(intervals), bass)
        chords.append(previous)
    return chords


def _register(tokens: np.ndarray, rng) -> tuple[int, int]:
    notes = tokens[tokens >= 2] - 2 + LOW
    lo, hi = int(notes.min()) - int(rng.integers(*MARGIN)), int(notes.max()) + int(rng.integers(*MARGIN))
    return max(LOW, lo), min(HIGH, max(hi, lo + 12))


def _conditions(tokens, chords, scale, meter: Meter, position, spans, role: Role, style: Style, rng) -> np.ndarray:
    """A line's density (its share of 16ths that start a note) and register are the whole line's, as a phrase
    request asks for them: never a bar's own count, which would tell the model where this bar's notes are."""
    register = _register(tokens, rng)
    density = float((tokens >= 2).mean())
    rows = []
    for b in range(len(chords)):
        in_span = np.flatnonzero(spans == b)
        block = bar_conditions(chords[b], chords[min(b + 1, len(chords) - 1)], scale, meter, density, register,
                               role, style)
        rows.append(block[position[in_span]])
    return np.concatenate(rows)


def encode_score(score, style: Style, rng) -> list[Line]:
    """The role lines of one piece; empty if it is not one this style's reading takes (meter, parts, notes)."""
    signatures = {(ts.numerator, ts.denominator) for ts in score.recurse().getElementsByClass("TimeSignature")}
    if len(signatures) != 1:
        return []
    meter = Meter(*signatures.pop())
    if meter not in METERS:
        return []
    if meter == Meter(2, 2):  # reels in cut time: the same 16ths as 4/4, as most tune books write them
        meter = Meter(4, 4)
    parts = list(score.parts)
    chorale = style is Style.CHORALE
    if chorale and len(parts) != 4 or not chorale and not parts:
        return []
    parts = parts if chorale else parts[:1]
    key = score.analyze("key")
    shift = -key.tonic.pitchClass
    if shift < -6:
        shift += 12
    read = _rolls(parts, meter, shift, [i == 3 for i in range(len(parts))])
    if read is None:
        return []
    rolls, onsets, position, bars = read
    if not any((r >= 0).any() for r in rolls):
        return []
    histogram = np.zeros(12)
    for roll in rolls:
        np.add.at(histogram, roll[roll >= 0] % 12, 1.0)
    scale = frozenset(scale_of(histogram / histogram.sum(), key.mode).value)
    halves = 2 if chorale and meter.beats_felt == 4 else 1
    spans = bars * halves + position * halves // meter.steps_per_bar
    starts = position % (meter.steps_per_bar // halves) == 0
    chords = _chords(rolls, spans, starts, meter, rolls[3] if chorale else None)
    if chorale:
        lines = [(_line_tokens(rolls[3], onsets[3]), Role.BASS), (_line_tokens(rolls[0], onsets[0]), Role.MELODY),
                 (_line_tokens(rolls[1], onsets[1]), Role.COUNTER), (_line_tokens(rolls[2], onsets[2]), Role.COUNTER),
                 *[(_arpeggio(rolls, meter.beat_steps, rng), Role.ARPEGGIO) for _ in range(ARPEGGIOS)]]
    else:
        lines = [(_line_tokens(rolls[0], onsets[0]), Role.MELODY)]
    return [Line(tokens, _conditions(tokens, chords, scale, meter, position, spans, role, style, rng), role, style)
            for tokens, role in lines if (tokens >= 2).sum() >= 8]
