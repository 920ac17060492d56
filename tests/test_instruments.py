"""The generated layers' instruments: General MIDI programs played from the SoundFont (engine/generate/synth.py).
Every program plays every note finite; a note sounds at its pitch, for as long as it is held, then releases; a
phrase is its loop and then its tail; a broken SoundFont is one clear error, never a crash; and a layer sits in
one place in the stereo field."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import SegueError
from engine.generate.encoding import Note
from engine.generate.model import NoteLayer
from engine.generate.soundfont import SoundFont
from engine.generate.synth import Voicing, default_soundfont, synthesise, tail_frames
from engine.gm import PROGRAMS, program_of

SR = 48000
QUARTER = SR // 2  # at 120 bpm


@pytest.fixture(scope="module")
def font() -> SoundFont:
    return SoundFont(default_soundfont())


def one(font, program: int, pitch: int, length: int = 4, velocity: float = 0.8, steps: int = 16) -> np.ndarray:
    return synthesise(font, NoteLayer((Note(0, length, pitch, velocity),), steps), Voicing(program, SR, 120, 4))


def test_every_program_plays_every_note_the_model_writes_finite_and_its_middle_range_audibly(font):
    keys = range(28, 97, 3)  # the model's range, E1..C7
    for program in range(128):
        layer = NoteLayer(tuple(Note(2 * i, 2, k, 0.8) for i, k in enumerate(keys)), 64)
        audio = synthesise(font, layer, Voicing(program, SR, 120, 4))
        assert np.isfinite(audio).all() and np.abs(audio).max() < 2, PROGRAMS[program]
        # each note in the middle of the range is heard (a SoundFont may leave an instrument's far keys empty), on
        # every melodic program (112 on are percussion and effects: a reverse cymbal takes longer to swell)
        quiet = [k for i, k in enumerate(keys) if program < 112 and 36 <= k <= 81 and
                 np.abs(audio[i * QUARTER // 2:(i + 1) * QUARTER // 2]).max() < 1e-3]
        assert not quiet, f"{PROGRAMS[program]}: silent at {quiet}"


@pytest.mark.parametrize("program, pitch", [(0, 69), (40, 76), (73, 81), (33, 45), (24, 64)])
def test_a_note_sounds_at_its_pitch(font, program, pitch):
    """The strongest partial of the held note is a whole multiple of the note's frequency, within 10 cents."""
    audio = one(font, program, pitch, length=8)[QUARTER // 4:QUARTER]
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)), 8 * len(audio)))
    peak = np.argmax(spectrum) * SR / (8 * len(audio))
    f0 = 440 * 2 ** ((pitch - 69) / 12)
    harmonic = max(1, round(peak / f0))
    assert abs(1200 * np.log2(peak / (harmonic * f0))) < 10, (PROGRAMS[program], peak, f0)


def test_a_note_sounds_while_held_then_releases_and_velocity_sets_its_level(font):
    organ = program_of("Church Organ")  # sustains for as long as the key is held
    held = one(font, organ, 60, length=16, steps=32)
    level = lambda a, s: float(np.sqrt(np.mean(a[s:s + SR // 10] ** 2)))  # noqa: E731
    assert level(held, int(1.5 * SR)) > 0.5 * level(held, SR // 4)  # still sounding near the end of 2 s held
    short = one(font, organ, 60, length=2, steps=32)
    assert level(short, SR // 8) > 0.01 and level(short, 2 * SR) < 1e-4  # released: gone within its release
    loud, soft = one(font, 0, 60, velocity=1.0), one(font, 0, 60, velocity=0.4)
    assert level(loud, 0) > 2 * level(soft, 0)


def test_a_phrase_is_its_loop_then_the_tail_its_last_notes_ring_into(font):
    layer = NoteLayer((Note(0, 4, 60, 0.8), Note(14, 2, 67, 0.8)), 16)
    voicing = Voicing(program_of("Acoustic Grand Piano"), SR, 120, 4)
    audio = synthesise(font, layer, voicing)
    loop = voicing.frames(layer)
    assert loop == 2 * SR and len(audio) == loop + tail_frames(SR)
    assert np.all(audio[:1] == 0) and np.abs(audio[:SR // 10]).max() > 0.05  # the first note from sample 0
    assert np.abs(audio[loop:loop + SR // 10]).max() > 0.01  # the last note rings on past the loop
    # the same notes at half the tempo: twice the loop, not a note moved off its 16th
    slow = synthesise(font, layer, Voicing(voicing.program, SR, 60, 4))
    assert len(slow) == 2 * loop + tail_frames(SR)
    assert np.all(slow[:7 * SR // 2] == synthesise(font, NoteLayer(layer.notes[:1], 16), Voicing(
        voicing.program, SR, 60, 4))[:7 * SR // 2])  # until the second note's 16th (3.5 s), the first alone


def test_the_same_phrase_is_the_same_audio_bit_for_bit(font):
    layer = NoteLayer(tuple(Note(i, 1, 48 + (7 * i) % 24, 0.5 + i / 40) for i in range(16)), 16)
    a, b = (synthesise(SoundFont(default_soundfont()), layer, Voicing(46, SR, 97.5, 4)) for _ in range(2))
    assert a.dtype == np.float32 and np.array_equal(a, b)


def test_a_broken_soundfont_is_one_clear_error_never_a_crash(tmp_path):
    """Cut short anywhere or with bytes spoilt in its tables, a SoundFont either still plays or says what is wrong
    with it, naming the file (SegueError); nothing else escapes, and what it plays is finite."""
    data = default_soundfont().read_bytes()
    pdta = data.index(b"pdta")
    rng = np.random.default_rng(7)
    cuts = [0, 4, 12, 100, pdta - 8, pdta + 40, len(data) - 2000, len(data) - 1]
    damaged = [data[:n] for n in cuts]
    for _ in range(12):
        spoilt = bytearray(data)
        for at in rng.integers(pdta, len(data), 40):
            spoilt[at] = int(rng.integers(0, 256))
        damaged.append(bytes(spoilt))
    path = tmp_path / "broken.sf2"
    for i, content in enumerate(damaged):
        path.write_bytes(content)
        try:
            font = SoundFont(path)
            for program in (0, 24, 33, 40, 127):
                audio = synthesise(font, NoteLayer((Note(0, 4, 60, 0.8), Note(4, 4, 84, 0.8)), 16),
                                   Voicing(program, SR, 120, 4))
                assert np.isfinite(audio).all()
        except SegueError as exc:
            assert str(path.name) in str(exc), (i, exc)


def test_a_missing_soundfont_names_the_file(tmp_path):
    with pytest.raises(SegueError, match=r"^SoundFont .*nothing\.sf2: No such file"):
        SoundFont(tmp_path / "nothing.sf2")


def test_instruments_are_named_as_musicians_name_them():
    assert [program_of(n) for n in ("Violin", "electric_bass_finger", "ACOUSTIC GRAND PIANO", 33, "33", "pluck")] \
        == [40, 33, 0, 33, 33, 24]
    for bad in ("kazoo", 128, -1, True, 4.5):
        with pytest.raises(SegueError, match="unknown instrument"):
            program_of(bad)


def test_a_layer_sits_where_its_pan_says(tone_pack):
    """Centre (the default) puts the layer equally in both channels; `pan: 1` keeps it out of the left."""
    from audio import osc_packet, play
    from conftest import BAR, write_machine
    from test_generated_layers import MACHINE

    arp = "    generate:\n      arp: {role: arpeggio, instrument: Violin, density: 0.9, seed: 5, bars: 1%s}\n"
    folder = tone_pack.parent
    steps = [(BAR // 2, [osc_packet("/segue/event/go")])]
    renders = {}
    for name, generate in (("centre", arp % ""), ("right", arp % ", pan: 1"), ("plain", "")):
        path = write_machine(folder, MACHINE.replace("{generate}\n", generate), f"pan_{name}.yaml")
        renders[name], _ = play(path, path.with_suffix(".wav"), steps, 4 * BAR)
    centre, right = renders["centre"] - renders["plain"], renders["right"] - renders["plain"]
    rms = np.sqrt((centre[2 * BAR:] ** 2).mean(axis=0))
    assert rms[0] > 0.01 and abs(rms[0] - rms[1]) < 1e-6 * rms[0]
    assert np.abs(right[:, 0]).max() < 1e-6 and np.sqrt((right[2 * BAR:, 1] ** 2).mean()) > 0.01



def test_a_soundfont_with_values_out_of_every_range_plays_finite_or_says_so(tmp_path):
    """Generators past the specification's ranges (a coarse tune of 32767 semitones overflowed 2 ** cents; a
    release of 32767 timecents is days) are clamped into them; LIST chunks nested a million deep are read without
    recursion."""
    from engine.generate.soundfont import ATTACK, ATTENUATION, COARSE_TUNE, GEN, RELEASE, SCALE_TUNING

    data = bytearray(default_soundfont().read_bytes())
    for table in (b"igen", b"pgen"):
        at = data.index(table) + 8
        size = int.from_bytes(data[at - 4:at], "little")
        gens = np.frombuffer(bytes(data[at:at + size]), dtype=GEN).copy()
        for op, amount in ((COARSE_TUNE, 32767), (SCALE_TUNING, -32768), (RELEASE, 32767), (ATTACK, -32768),
                           (ATTENUATION, -32768)):
            gens["amount"][gens["op"] == op] = amount
        data[at:at + size] = gens.tobytes()
    path = tmp_path / "extreme.sf2"
    path.write_bytes(bytes(data))
    font = SoundFont(path)
    for program in (0, 24, 33, 40, 73):
        audio = synthesise(font, NoteLayer((Note(0, 4, 60, 0.8), Note(8, 4, 96, 1.0)), 16), Voicing(program, SR, 120, 4))
        assert np.isfinite(audio).all() and len(audio) == SR * 2 + tail_frames(SR)
    depth = 10 ** 5  # each LIST holds the next: 100,000 deep (recursion stopped at 1,000)
    lists = b"".join(b"LIST" + (4 + 12 * (depth - 1 - i)).to_bytes(4, "little") + b"INFO" for i in range(depth))
    path.write_bytes(b"RIFF" + (4 + len(lists)).to_bytes(4, "little") + b"sfbk" + lists)
    with pytest.raises(SegueError, match="not a readable SoundFont 2 file"):
        SoundFont(path)


def test_a_damaged_midi_file_is_one_clear_error_never_a_crash(tmp_path):
    """`segue generate --from` and `motif:` read MIDI files a designer hands in: cut short, spoilt, in SMPTE time,
    of time division 0 or tempo 0, each is a SegueError naming the file (mido raises a dozen kinds of its own)."""
    from engine.generate.export import read_midi, write_midi

    good = tmp_path / "good.mid"
    write_midi(NoteLayer((Note(0, 4, 60, 0.8), Note(4, 4, 64, 0.8)), 16), 120, good)
    data = good.read_bytes()
    assert read_midi(good)[0].notes[1].pitch == 64
    spoilt = [data[:n] for n in (0, 5, 13, 20, len(data) - 3)]
    spoilt += [data[:12] + b"\x00\x00" + data[14:], data[:12] + b"\xe7\x28" + data[14:]]  # division 0, SMPTE
    rng = np.random.default_rng(3)
    for _ in range(20):
        bad = bytearray(data)
        for at in rng.integers(14, len(data), 4):
            bad[at] = int(rng.integers(0, 256))
        spoilt.append(bytes(bad))
    path = tmp_path / "bad.mid"
    for content in spoilt:
        path.write_bytes(content)
        try:
            layer, _, tempo = read_midi(path)
            assert layer.steps > 0 and tempo > 0
        except SegueError as exc:
            assert str(path) in str(exc)
