"""Phrases that grow from others, through the engine with the real model and SoundFont: `continue: true` (each
phrase develops the layer's last), a designer's motif (a MIDI file beside the machine), and call and response
(`answers:`): what each phrase was asked to grow from is what the layers played before it, recorded in its
provenance; the figures themselves are held by tests/test_generate.py and benchmarks/test_generation_quality.py."""
from __future__ import annotations

import re
import shutil

import pytest

from engine.errors import ValidationError
from engine.generate.encoding import Note
from engine.generate.export import write_midi
from engine.generate.model import LayerModel, NoteLayer
from engine.generate.quality import growth_figures
from engine.meter import Meter
from engine.score.loader import load_machine
from engine.session import Engine

from audio import run_until
from conftest import BAR, write_machine

HERO = NoteLayer((Note(0, 2, 69, 0.8), Note(2, 2, 72, 0.8), Note(4, 4, 76, 0.8), Note(8, 2, 74, 0.8),
                  Note(10, 2, 72, 0.8), Note(12, 4, 69, 0.8)), 16)
MACHINE = """\
pack: tones
initial: calm
states:
  calm:
    segment: calm
    generate:
      reply: {{role: counter, bars: 2, regenerate: every 2 bars, answers: tune, seed: 9}}
      tune: {{role: melody, bars: 2, regenerate: every 2 bars, continue: true, motif: {motif}, seed: 3}}
"""


def line(notes) -> list[tuple[int, int, int]]:
    return [(n[0], n[1], n[2]) for n in notes]


def test_each_phrase_grows_from_the_last_the_motif_and_its_call(tone_pack, tmp_path):
    folder = tone_pack.parent
    write_midi(HERO, 120, folder / "hero.mid")
    machine = write_machine(folder, MACHINE.format(motif="hero.mid"), "growing.yaml")
    played = []
    for _ in range(2):
        with Engine(machine) as engine:
            run_until(engine, 9 * BAR)
            played.append([e for e in engine.log if e["action"] == "layer"])
    assert played[0] == played[1]  # the same render again: every phrase and what it grew from
    tune = [e for e in played[0] if e["layer"] == "calm.tune"]
    reply = [e for e in played[0] if e["layer"] == "calm.reply"]
    assert [e["sample"] for e in tune] == [e["sample"] for e in reply] == [BAR, 3 * BAR, 5 * BAR, 7 * BAR]
    # the first tune develops the designer's motif, each later one the tune before it
    assert line(tune[0]["provenance"]["motif"]) == [(n.step, n.length, n.pitch) for n in HERO.notes]
    for before, after in zip(tune, tune[1:]):
        assert line(after["provenance"]["motif"]) == sorted(line(before["notes"]))
        assert after["notes"] != before["notes"]  # developed, not repeated
    # each reply answers the tune that plays over the same bars (asked for after it, though written first)
    for call, answer in zip(tune, reply):
        assert line(answer["provenance"]["call"]) == sorted(line(call["notes"]))
        assert "motif" not in answer["provenance"] or not answer["provenance"]["motif"]


def test_a_motif_outside_the_machines_folder_or_in_another_meter_and_a_bad_answer_are_refused(tone_pack,
                                                                                                 tmp_path):
    folder = tmp_path / "show"
    shutil.copytree(tone_pack, folder / "tones")
    write_midi(HERO, 120, tmp_path / "outside.mid")
    write_midi(HERO, 120, folder / "waltz.mid", meter=Meter(3, 4))
    cases = {
        "../outside.mid": "motif '../outside.mid' must be a file within the machine's folder",
        "waltz.mid": "motif 'waltz.mid' must be in the pack's 4/4 (it is in 3/4)",
        "missing.mid": "motif: cannot read MIDI file",
    }
    for motif, says in cases.items():
        path = write_machine(folder, MACHINE.format(motif=motif), "bad.yaml")
        with pytest.raises(ValidationError, match=re.escape(says)) as err:
            load_machine(path)
        assert re.search(r"bad\.yaml:8:\d+: state 'calm': generated layer 'tune'", str(err.value))
        assert "\n" not in str(err.value)  # one problem: the motif (the answer to the layer is not blamed)
    for answers in ("nobody", "reply"):
        path = write_machine(folder, MACHINE.format(motif="hero.mid").replace("answers: tune", f"answers: {answers}")
                             .replace("motif: hero.mid, ", ""), "bad.yaml")
        with pytest.raises(ValidationError, match=f"answers '{answers}', which must be another generated layer"):
            load_machine(path)


def test_grown_phrases_keep_the_shape_they_grow_from_and_answers_leave_the_call_room():
    """The figures on the evaluation material, a seed a progression (the benchmark holds them on 50): a phrase
    written with the one before as its motif shares far more of its 4-note shapes than one written afresh, and is
    seldom that phrase again; an answer starts fewer notes with its call and walks more of its intervals."""
    f = growth_figures(LayerModel(), seeds=2)
    assert f["developed"] >= 3 * f["fresh"] and f["developed"] >= 0.12 and f["same_again"] <= 0.1, f
    assert f["answer_onsets"] <= f["free_onsets"] - 0.15 and f["answer_intervals"] > f["free_intervals"], f


def test_a_motif_of_chords_is_developed_as_its_top_line(tone_pack):
    """A designer's motif may be chords (a pad part, 48 notes in a bar of 16ths): the phrases develop its top
    line, one note a 16th (more notes than 16ths was refused at every entry to the state)."""
    folder = tone_pack.parent
    chords = tuple(Note(step, 1, pitch + step % 3, 0.8) for step in range(16) for pitch in (57, 60, 64))
    write_midi(NoteLayer(chords, 16), 120, folder / "pad.mid")
    machine = write_machine(folder, MACHINE.format(motif="pad.mid"), "pad.yaml")
    with Engine(machine) as engine:
        run_until(engine, 2 * BAR)
        tune = [e for e in engine.log if e["action"] == "layer" and e["layer"] == "calm.tune"]
    assert line(tune[0]["provenance"]["motif"]) == [(step, 1, 64 + step % 3) for step in range(16)]
