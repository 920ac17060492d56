"""Keys and chords as musicians write them, as pitch classes: what packs are checked against, the model is
conditioned on and musicality is judged by. Pure Python, so the pack reader and the generator share it.

A key is a tonic and a mode (the seven church modes, harmonic and melodic minor; plain "minor" is the tonal
minor a chorale uses, natural minor with its raised leading tone, as it always was here). A chord symbol is a
root, a quality, extensions, alterations and an optional bass note: C, Am, F#m7, Bb7, Bm7b5, Bø, Co7, Cdim7, C6,
Cm6, C6/9, Cadd9, C9, Cmaj9, C11, C13, C7sus4, C7b9, C7#9, C7(#11), Cmaj7#11, C7alt, CmMaj7, Caug, C5, C/E.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from engine.errors import SegueError

NOTE_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


class Mode(Enum):
    IONIAN = (0, 2, 4, 5, 7, 9, 11)
    DORIAN = (0, 2, 3, 5, 7, 9, 10)
    PHRYGIAN = (0, 1, 3, 5, 7, 8, 10)
    LYDIAN = (0, 2, 4, 6, 7, 9, 11)
    MIXOLYDIAN = (0, 2, 4, 5, 7, 9, 10)
    AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
    LOCRIAN = (0, 1, 3, 5, 6, 8, 10)
    HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)
    MELODIC_MINOR = (0, 2, 3, 5, 7, 9, 11)
    MINOR = (0, 2, 3, 5, 7, 8, 10, 11)  # tonal minor: natural minor and the leading tone of harmonic minor


MODE_NAMES = {"major": Mode.IONIAN, "ionian": Mode.IONIAN, "dorian": Mode.DORIAN, "phrygian": Mode.PHRYGIAN,
              "lydian": Mode.LYDIAN, "mixolydian": Mode.MIXOLYDIAN, "aeolian": Mode.AEOLIAN,
              "natural minor": Mode.AEOLIAN, "locrian": Mode.LOCRIAN, "harmonic minor": Mode.HARMONIC_MINOR,
              "melodic minor": Mode.MELODIC_MINOR, "minor": Mode.MINOR}


class HarmonyError(SegueError, ValueError):
    """A key or chord a designer wrote that cannot be read: the CLI says it in one line."""


@dataclass(frozen=True)
class Key:
    tonic: int  # pitch class
    mode: Mode

    @property
    def pcs(self) -> frozenset[int]:
        return frozenset((self.tonic + i) % 12 for i in self.mode.value)


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class
    tones: frozenset[int]  # every pitch class it sounds, its bass included
    bass: int  # the root, or a slash chord's bass


def note_pc(name: str) -> int:
    if not name or name[0] not in NOTE_PC or any(c not in "#b" for c in name[1:]):
        raise HarmonyError(f"'{name}' is not a note name")
    pc = NOTE_PC[name[0]]
    for accidental in name[1:]:
        pc += 1 if accidental == "#" else -1
    return pc % 12


def parse_key(text: str) -> Key:
    """'C minor', 'F# major', 'Bbm', 'D dorian', 'A harmonic minor' -> Key."""
    words = text.replace("-", " ").split()
    if not words:
        raise HarmonyError("empty key")
    tonic, rest = words[0], " ".join(words[1:]).lower()
    if len(tonic) > 1 and tonic.endswith("m") and not rest:  # 'Bbm'
        return Key(note_pc(tonic[:-1]), Mode.MINOR)
    if not rest:
        return Key(note_pc(tonic), Mode.IONIAN)
    mode = MODE_NAMES.get(rest) or (Mode.MINOR if rest.startswith("min") else Mode.IONIAN if rest == "maj" else None)
    if mode is None:
        raise HarmonyError(f"'{rest}' is not a mode (one of: {', '.join(MODE_NAMES)})")
    return Key(note_pc(tonic), mode)


# A chord symbol's body after its root, read left to right: each token sets chord degrees (3rd, 5th, 6th, 7th,
# 9th, #9th (beside a b9 in an altered chord), 11th, 13th) to semitones above the root (None: left out). Longest
# tokens first.
_DEGREES = {"3": 4, "5": 7}
_TOKENS: tuple[tuple[str, dict[str, int | None]], ...] = tuple(sorted({
    "m7b5": {"3": 3, "5": 6, "7": 10}, "ø7": {"3": 3, "5": 6, "7": 10}, "ø": {"3": 3, "5": 6, "7": 10},
    "dim7": {"3": 3, "5": 6, "7": 9}, "o7": {"3": 3, "5": 6, "7": 9}, "°7": {"3": 3, "5": 6, "7": 9},
    "dim": {"3": 3, "5": 6}, "o": {"3": 3, "5": 6}, "°": {"3": 3, "5": 6},
    "aug": {"5": 8}, "+": {"5": 8},
    "mmaj7": {"3": 3, "7": 11}, "mMaj7": {"3": 3, "7": 11}, "mM7": {"3": 3, "7": 11},
    "maj13": {"7": 11, "9": 2, "13": 9}, "maj11": {"7": 11, "9": 2, "11": 5}, "maj9": {"7": 11, "9": 2},
    "maj7": {"7": 11}, "Maj7": {"7": 11}, "M7": {"7": 11}, "Δ7": {"7": 11}, "Δ": {"7": 11}, "maj": {},
    "min": {"3": 3}, "m": {"3": 3}, "-": {"3": 3},
    "13": {"7": 10, "9": 2, "13": 9}, "11": {"7": 10, "9": 2, "11": 5}, "9": {"7": 10, "9": 2},
    "7": {"7": 10}, "6/9": {"6": 9, "9": 2}, "69": {"6": 9, "9": 2}, "6": {"6": 9}, "5": {"3": None},
    "sus2": {"3": 2}, "sus4": {"3": 5}, "sus": {"3": 5},
    "add9": {"9": 2}, "add2": {"9": 2}, "add11": {"11": 5}, "add4": {"11": 5}, "add13": {"13": 9},
    "b5": {"5": 6}, "#5": {"5": 8}, "b9": {"9": 1}, "#9": {"#9": 3}, "#11": {"11": 6}, "b13": {"13": 8},
    "alt": {"7": 10, "9": 1, "#9": 3, "5": 6, "13": 8},
}.items(), key=lambda item: -len(item[0])))
_SLASH = re.compile(r"^(?P<chord>.+?)/(?P<bass>[A-G][#b]?)$")
_ROOT = re.compile(r"^[A-G][#b]?")


def parse_chord(name: str) -> Chord:
    """'Bm7b5' -> its root and tones; 'C/E' -> C major over E."""
    text = name.strip()
    slash = _SLASH.match(text)
    body_text = slash.group("chord") if slash else text
    root_match = _ROOT.match(body_text)
    if not root_match:
        raise HarmonyError(f"'{name}' is not a chord symbol: it must start with its root, a note name (C, F#, Bb)")
    root = note_pc(root_match.group(0))
    degrees: dict[str, int | None] = dict(_DEGREES)
    body = body_text[root_match.end():].replace("(", "").replace(")", "").replace(",", "")
    while body:
        for token, sets in _TOKENS:
            if body.startswith(token):
                degrees.update(sets)
                body = body[len(token):]
                break
        else:
            raise HarmonyError(f"'{name}' is not a chord symbol: '{body}' is not a quality, extension or "
                               "alteration (like m, 7, maj7, m7b5, dim7, sus4, 6/9, add9, b9, #11, or /E for a bass)")
    tones = {root} | {(root + semis) % 12 for semis in degrees.values() if semis is not None}
    bass = note_pc(slash.group("bass")) if slash else root
    return Chord(root, frozenset(tones | {bass}), bass)
