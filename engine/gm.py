"""General MIDI's 128 melodic programs, so a designer names a generated layer's instrument as a musician would
("Violin", "electric_bass_finger", 33). Pure: the loader, the CLI and the generation process share it."""
from __future__ import annotations

import re

from engine.errors import SegueError

PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano", "Electric Piano 1",
    "Electric Piano 2", "Harpsichord", "Clavi", "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba",
    "Xylophone", "Tubular Bells", "Dulcimer", "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ",
    "Reed Organ", "Accordion", "Harmonica", "Tango Accordion", "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)", "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics", "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)",
    "Fretless Bass", "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello",
    "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs", "Synth Voice",
    "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1",
    "Synth Brass 2", "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon",
    "Clarinet", "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)", "Pad 1 (new age)", "Pad 2 (warm)",
    "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)", "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe",
    "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
    "Synth Drum", "Reverse Cymbal", "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)
# the three synth voices' names from before the SoundFont, and a few names musicians use
ALIASES = {"pluck": 24, "keys": 4, "bass": 33, "piano": 0, "guitar": 24, "strings": 48, "harp": 46}


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


BY_NAME = {_plain(name): program for program, name in enumerate(PROGRAMS)} | ALIASES


def program_of(instrument: str | int) -> int:
    """A General MIDI program (0..127) from its name (case, spaces and punctuation aside) or its number."""
    if isinstance(instrument, int) and not isinstance(instrument, bool) and 0 <= instrument <= 127:
        return instrument
    if isinstance(instrument, str) and instrument.strip().isdecimal() and int(instrument) <= 127:
        return int(instrument)
    program = BY_NAME.get(_plain(instrument)) if isinstance(instrument, str) else None
    if program is None:
        raise SegueError(f"unknown instrument {instrument!r}: give a General MIDI program number 0..127 or its name, "
                         "e.g. 'Violin', 'Acoustic Grand Piano', 'electric_bass_finger' (or pluck, keys, bass)")
    return program


def name_of(program: int) -> str:
    return PROGRAMS[program]
