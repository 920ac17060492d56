"""What a generated layer plays by default for its role: one table, read by the machine loader, the model, the
CLI and the model card's measurements, so they cannot disagree.

Registers follow the voices of the training chorales: the bass part, the soprano (melody), alto and tenor
(counter-melody), broken chords above middle C (arpeggio).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LOW, HIGH = 28, 96  # MIDI range the model knows (E1..C7): every register lies within it


class Role(StrEnum):
    BASS = "bass"
    MELODY = "melody"
    COUNTER = "counter"
    ARPEGGIO = "arpeggio"


class Style(StrEnum):
    """What the model has learnt to write like, from its corpus (engine/generate/corpus.py)."""
    CHORALE = "chorale"  # Bach's four-part chorales: every role
    FOLK = "folk"  # the Essen folk songs: melodies
    FIDDLE = "fiddle"  # reels, jigs and hornpipes from Ryan's Mammoth and O'Neill's collections: melodies


ROLE_ALIASES = {"bass_line": Role.BASS, "counter_melody": Role.COUNTER, "countermelody": Role.COUNTER,
                "arp": Role.ARPEGGIO}


@dataclass(frozen=True)
class RoleDefaults:
    program: int  # General MIDI (engine/gm.py): the instrument a layer of this role plays unless told
    register: tuple[int, int]  # MIDI notes, at least an octave apart
    density: tuple[float, float]  # the share of 16ths that start a note at density 0 and at density 1


DEFAULTS = {
    Role.BASS: RoleDefaults(33, (36, 60), (0.08, 0.5)),  # Electric Bass (finger)
    Role.MELODY: RoleDefaults(4, (60, 84), (0.12, 0.6)),  # Electric Piano 1
    Role.COUNTER: RoleDefaults(4, (55, 79), (0.12, 0.5)),
    Role.ARPEGGIO: RoleDefaults(24, (60, 84), (0.3, 1.0)),  # Acoustic Guitar (nylon)
}
DENSITY = 0.5  # a layer's density (0..1) when the machine names none
STYLE = Style.CHORALE  # a layer's style when the machine names none


def role_named(name: str) -> Role | None:
    """The role a designer's word names ('arp', 'counter_melody'...), or None."""
    name = ROLE_ALIASES.get(name, name)
    return Role(name) if name in Role.__members__.values() else None
