"""Musicality of generated lines, measured the same way by the tests and the model card."""
from __future__ import annotations

from dataclasses import dataclass

from engine.generate.encoding import STEPS_PER_BAR
from engine.harmony import parse_chord, parse_key
from engine.generate.model import LayerModel
from engine.machine.phrase import PhraseRequest
from engine.roles import DEFAULTS

REGISTERS = {str(role): defaults.register for role, defaults in DEFAULTS.items()}  # each role in its own register


@dataclass(frozen=True)
class Musicality:
    in_key: float  # share of notes whose pitch class is in the key (minor: natural plus leading tone)
    chord_tones: float  # share of notes on beats 1 and 3 that are tones of that bar's chord
    notes: int


def musicality(model: LayerModel, key: str, progressions: list[tuple[str, ...]], role: str, seeds: int = 6,
               **sampling) -> Musicality:
    key_pcs = parse_key(key).pcs
    in_key = total = strong = on_chord = 0
    for chords in progressions:
        for seed in range(seeds):
            request = PhraseRequest(role, key, chords, len(chords), 0.5, REGISTERS[role], seed, **sampling)
            layer = model.generate(request)
            for n in layer.notes:
                total += 1
                in_key += n.pitch % 12 in key_pcs
                if n.step % 8 == 0:
                    strong += 1
                    on_chord += n.pitch % 12 in parse_chord(chords[n.step // STEPS_PER_BAR]).tones
    return Musicality(in_key / max(total, 1), on_chord / max(strong, 1), total)
