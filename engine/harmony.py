"""Keys and chords as pitch classes: what packs are checked against, the model is conditioned on and musicality
is judged by. Pure Python, so the pack reader and the generator share it."""
from __future__ import annotations

import re

NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
QUALITIES = {  # chord suffix -> intervals above the root
    "": (0, 4, 7), "m": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus2": (0, 2, 7), "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10),
}
_CHORD = re.compile(r"^([A-G])([#b]?)(maj7|m7|dim|aug|sus2|sus4|7|m)?$")
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the raised leading tone of harmonic minor


class HarmonyError(ValueError):
    pass


def note_pc(name: str) -> int:
    if not name or name[0] not in NOTE_PC:
        raise HarmonyError(f"'{name}' is not a note name")
    pc = NOTE_PC[name[0]]
    for accidental in name[1:]:
        pc += {"#": 1, "b": -1}.get(accidental, 0)
    return pc % 12


def parse_key(text: str) -> tuple[int, bool]:
    """'C minor', 'F# major', 'Bbm' -> (tonic pitch class, is minor)."""
    words = text.replace("-", " ").split()
    if not words:
        raise HarmonyError("empty key")
    tonic = words[0]
    minor = (len(words) > 1 and words[1].lower().startswith("min")) or (len(tonic) > 1 and tonic.endswith("m"))
    return note_pc(tonic.rstrip("m") if tonic.endswith("m") and len(tonic) > 1 else tonic), minor


def scale(tonic: int, minor: bool) -> frozenset[int]:
    return frozenset((tonic + i) % 12 for i in (MINOR if minor else MAJOR))


def chord(name: str) -> tuple[int, frozenset[int]]:
    """'Ab' -> (8, {8, 0, 3}): the root and the chord's pitch classes."""
    m = _CHORD.match(name)
    if not m:
        raise HarmonyError(f"'{name}' is not a chord name like C, Am, F#m, Bb7")
    root = note_pc(m.group(1) + m.group(2))
    return root, frozenset((root + i) % 12 for i in QUALITIES[m.group(3) or ""])


def estimate_root(pcs: frozenset[int]) -> int | None:
    """Root of a sounding pitch-class set, by the best-matching triad or seventh template."""
    best, best_score = None, 0.0
    for root in range(12):
        for intervals in QUALITIES.values():
            tones = {(root + i) % 12 for i in intervals}
            score = len(tones & pcs) - 0.5 * len(pcs - tones) - 0.25 * len(tones - pcs)
            if score > best_score:
                best, best_score = root, score
    return best
