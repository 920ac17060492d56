"""Keys in every mode and chord symbols as musicians write them (issue #12): what each one sounds, what a pack
may say, and a layer generated in a mode keeping to it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.errors import SegueError
from engine.generate.model import LayerModel
from engine.generate.quality import REGISTERS
from engine.harmony import HarmonyError, Mode, parse_chord, parse_key
from engine.machine.phrase import PhraseRequest
from engine.score.packfile import load_pack

from conftest import ROOT

C, Db, D, Eb, E, F, Gb, G, Ab, A, Bb, B = range(12)


@pytest.mark.parametrize("symbol, tones", [
    ("C", {C, E, G}), ("Am", {A, C, E}), ("F#m", {Gb, A, Db}), ("Bb7", {Bb, D, F, Ab}),
    ("Cmaj7", {C, E, G, B}), ("CM7", {C, E, G, B}), ("CΔ", {C, E, G, B}), ("Cm7", {C, Eb, G, Bb}),
    ("C-7", {C, Eb, G, Bb}), ("Cdim", {C, Eb, Gb}), ("Caug", {C, E, Ab}), ("C+", {C, E, Ab}),
    ("Csus2", {C, D, G}), ("Csus4", {C, F, G}), ("C7sus4", {C, F, G, Bb}), ("C5", {C, G}),
    ("Bm7b5", {B, D, F, A}), ("Bø", {B, D, F, A}), ("Bdim7", {B, D, F, Ab}), ("Bo7", {B, D, F, Ab}),
    ("C6", {C, E, G, A}), ("Cm6", {C, Eb, G, A}), ("C6/9", {C, E, G, A, D}), ("C69", {C, E, G, A, D}),
    ("Cadd9", {C, E, G, D}), ("C9", {C, E, G, Bb, D}), ("Cmaj9", {C, E, G, B, D}), ("Cm9", {C, Eb, G, Bb, D}),
    ("C11", {C, E, G, Bb, D, F}), ("C13", {C, E, G, Bb, D, A}), ("C7b9", {C, E, G, Bb, Db}),
    ("C7#9", {C, E, G, Bb, Eb}), ("C7(#11)", {C, E, G, Bb, Gb}), ("Cmaj7#11", {C, E, G, B, Gb}),
    ("C7b13", {C, E, G, Bb, Ab}), ("C7#5", {C, E, Ab, Bb}), ("C7alt", {C, E, Gb, Ab, Bb, Db, Eb}),
    ("CmMaj7", {C, Eb, G, B}), ("Cm(maj7)", {C, Eb, G, B}),
])
def test_a_chord_symbol_sounds_its_tones(symbol, tones):
    chord = parse_chord(symbol)
    assert chord.tones == frozenset(tones)
    assert chord.bass == chord.root


@pytest.mark.parametrize("symbol, root, bass, tones", [
    ("C/E", C, E, {C, E, G}), ("Am7/G", A, G, {A, C, E, G}), ("D/F#", D, Gb, {D, Gb, A}),
    ("C/Bb", C, Bb, {C, E, G, Bb}),  # the bass joins the chord's tones
])
def test_a_slash_chord_has_its_bass(symbol, root, bass, tones):
    chord = parse_chord(symbol)
    assert (chord.root, chord.bass, chord.tones) == (root, bass, frozenset(tones))


@pytest.mark.parametrize("symbol, words", [
    ("H7", "must start with its root"), ("Cxyz", "'xyz' is not a quality"), ("", "must start with its root"),
    ("C7/H", "'/H' is not a quality"),
])
def test_a_wrong_chord_symbol_says_what_is_wrong(symbol, words):
    with pytest.raises(HarmonyError, match=words):
        parse_chord(symbol)


@pytest.mark.parametrize("text, tonic, mode", [
    ("C major", C, Mode.IONIAN), ("C", C, Mode.IONIAN), ("C minor", C, Mode.MINOR), ("Bbm", Bb, Mode.MINOR),
    ("F# major", Gb, Mode.IONIAN), ("D dorian", D, Mode.DORIAN), ("E phrygian", E, Mode.PHRYGIAN),
    ("F lydian", F, Mode.LYDIAN), ("G mixolydian", G, Mode.MIXOLYDIAN), ("A aeolian", A, Mode.AEOLIAN),
    ("B locrian", B, Mode.LOCRIAN), ("A harmonic minor", A, Mode.HARMONIC_MINOR),
    ("A melodic minor", A, Mode.MELODIC_MINOR), ("Eb Ionian", Eb, Mode.IONIAN),
])
def test_a_key_names_its_tonic_and_mode(text, tonic, mode):
    key = parse_key(text)
    assert (key.tonic, key.mode) == (tonic, mode)


def test_a_mode_is_its_own_scale_not_the_major_or_minor_one():
    assert parse_key("D dorian").pcs == frozenset({D, E, F, G, A, B, C})  # B natural: dorian's own sixth
    assert parse_key("F lydian").pcs == frozenset({F, G, A, B, C, D, E})
    assert parse_key("A harmonic minor").pcs == frozenset({A, B, C, D, E, F, Ab})
    assert parse_key("C minor").pcs == frozenset({C, D, Eb, F, G, Ab, Bb, B})  # tonal minor, as it always was
    with pytest.raises(HarmonyError, match="'blues' is not a mode"):
        parse_key("C blues")


def test_a_pack_takes_modes_and_chord_symbols_and_says_where_one_is_wrong(tmp_path):
    soundfile.write(str(tmp_path / "a.wav"), np.zeros((48000 * 2, 2), dtype=np.float32), 48000)
    manifest = tmp_path / "pack.yaml"
    manifest.write_text("name: p\ntempo: 120\nmeter: 4/4\nkey: D dorian\nsegments:\n"
                        "  s: {bars: 1, stems: {a: a.wav}, chords: [Dm7/G]}\n")
    pack = load_pack(tmp_path)
    assert pack.key == "D dorian" and pack.segments["s"].chords == ("Dm7/G",)
    manifest.write_text(manifest.read_text().replace("Dm7/G", "Dm7/Q"))
    with pytest.raises(SegueError, match=r"pack.yaml:6:.*'/Q' is not a quality"):
        load_pack(tmp_path)


def test_layers_in_d_dorian_keep_to_d_dorian():
    """Before, 'D dorian' was read as D major, and the key's push let F# and C# through, which D dorian has not.
    Over a bare Dm the chord says nothing of the mode: only the key does."""
    model = LayerModel()
    dorian = parse_key("D dorian").pcs

    def outside(key: str) -> float:
        notes = [n for role in sorted(REGISTERS) for seed in range(30)
                 for n in model.generate(PhraseRequest(role, key, ("Dm",) * 4, register=REGISTERS[role],
                                                       seed=seed)).notes]
        return sum(n.pitch % 12 not in dorian for n in notes) / len(notes)

    assert outside("D dorian") <= 0.005  # the model, told the mode, keeps to it (4 notes of 3,000 stray)
    assert outside("D major") > 10 * max(outside("D dorian"), 0.001)  # the old reading: what this test would catch


def test_the_key_push_spares_the_chords_own_tones():
    """Over an F chord in G major the key's push cut the chord's own F from 332 notes to 88 (issue #12): F is not
    in G major, but it is the chord's root. Now the push leaves it as the model wrote it, or adds to it."""
    model = LayerModel()

    def f_notes(**push) -> int:
        return sum(n.pitch % 12 == 5 for role in sorted(REGISTERS) for seed in range(20)
                   for n in model.generate(PhraseRequest(role, "G major", ("F",) * 4, register=REGISTERS[role],
                                                         seed=seed, **push)).notes)

    alone, pushed = f_notes(chord_push=0.0, key_push=0.0), f_notes()
    assert alone > 50 and pushed >= alone, (alone, pushed)


def test_segue_generate_takes_a_mode_and_lead_sheet_chords_and_says_a_wrong_one_in_one_line(tmp_path):
    def generate(key: str, chords: str, out: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engine", "generate", "--key", key, "--chords", chords,
                               "--bpm", "100", "--role", "counter", "--out", str(out)],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)

    good = generate("D dorian", "Dm9,G13,Em7b5/Bb,A7alt", tmp_path / "good.wav")
    assert good.returncode == 0, good.stderr
    assert "D dorian, Dm9 G13 Em7b5/Bb A7alt" in good.stdout and (tmp_path / "good.wav").stat().st_size > 0
    bad = generate("D dorian", "Dm7,Xq", tmp_path / "bad.wav")
    assert bad.returncode == 1 and not (tmp_path / "bad.wav").exists()
    assert bad.stderr.strip().splitlines() == ["segue: 'Xq' is not a chord symbol: it must start with its root, a "
                                               "note name (C, F#, Bb)"]
