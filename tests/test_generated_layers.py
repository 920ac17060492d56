"""Generated layers inside the engine, end to end: real ONNX model, real pyo render, real UDP OSC."""
from __future__ import annotations

import logging
import math
import shutil

import numpy as np
import pytest

from engine.generate.model import DEFAULT_MODEL
from engine.session import Engine

from audio import amplitude, osc_packet, phrases, play, read, run_until
from conftest import BAR, ROOT, TONES, write_machine

SIXTEENTH = BAR // 16
MACHINE = """\
pack: tones
params: {intensity: {range: [0, 1], default: 0.9}}
events: [go]
initial: calm
states:
  calm: {segment: calm}
  fight:
    segment: fight
    layers: {tone: -12 dB}
{generate}
transitions:
  - {from: calm, to: fight, when: event go, sync: bar}
"""
ARP = ("    generate:\n      arp: {role: arpeggio, instrument: pluck, density: {param: intensity}, seed: 5, "
       "bars: 1, regenerate: every 1 bar}\n")


def render(path, steps, until, model_path=None):
    x, log = play(path, path.with_suffix(".wav"), steps, until, model_path=model_path)
    return x[:, 0], log


def machines(folder):
    return (write_machine(folder, MACHINE.replace("{generate}\n", ARP), "gen.yaml"),
            write_machine(folder, MACHINE.replace("{generate}\n", ""), "plain.yaml"))


def test_a_generated_layer_comes_in_on_the_next_bar_audible_and_in_time(tone_pack, tmp_path):
    """Sample-locked: the layer in the mix is the phrase as the SoundFont plays it, from its bar's first sample, and
    the next phrase from the next bar's, over the first one's tail (the centre of the stereo field: -3 dB a side)."""
    gen, plain = machines(tone_pack.parent)
    steps = [(BAR // 2, [osc_packet("/segue/event/go")])]
    x, log = render(gen, steps, 4 * BAR)
    base, _ = render(plain, steps, 4 * BAR)
    enter = [e for e in log if e["action"] == "enter"][-1]
    assert enter["sample"] == BAR  # fight on the bar after the event...
    layers = [e for e in log if e["action"] == "layer"]
    assert layers[0]["sample"] == 2 * BAR  # ...and the generated layer on the bar after that
    diff = x - base
    assert np.all(diff[:2 * BAR] == 0)
    first = 2 * BAR + layers[0]["notes"][0][0] * SIXTEENTH
    assert np.all(diff[:first] == 0) and np.abs(diff[first:first + 256]).max() > 1e-3
    # heard over the bed, not buried: its bar within 6 dB of the bed, and its loudest 16th as loud as the bed
    bar = diff[2 * BAR:3 * BAR]
    bed_rms = np.sqrt(np.mean(base[2 * BAR:3 * BAR] ** 2))
    assert np.sqrt(np.mean(bar ** 2)) > bed_rms / 2
    assert np.sqrt(np.mean(bar.reshape(16, SIXTEENTH) ** 2, axis=1)).max() > bed_rms
    first, second = phrases(gen, log)[:2]
    assert [[n.step, n.length, n.pitch] for n in first.layer.notes] == layers[0]["notes"]
    centre = math.cos(math.pi / 4)
    np.testing.assert_allclose(diff[2 * BAR:3 * BAR], centre * first.audio[:BAR], rtol=0, atol=1e-5)
    both = first.audio[BAR:2 * BAR] + second.audio[:BAR]
    np.testing.assert_allclose(diff[3 * BAR:4 * BAR], centre * both, rtol=0, atol=1e-5)
    provenance = layers[0]["provenance"]
    assert provenance["model_version"] and len(provenance["model_sha256"]) == 64
    assert provenance["role"] == "arpeggio" and provenance["key"] == "A minor" and provenance["seed"] == 5
    assert (provenance["instrument"], provenance["program"]) == ("Acoustic Guitar (nylon)", 24)  # `pluck`
    assert provenance["soundfont"] == "TimGM6mb" and len(provenance["soundfont_sha256"]) == 64


def test_lock_over_osc_repeats_the_phrase_and_unlock_brings_fresh_ones(tone_pack, tmp_path):
    gen, _ = machines(tone_pack.parent)
    steps = [(BAR // 2, [osc_packet("/segue/event/go")]),
             (2 * BAR + 1000, [osc_packet("/segue/generate/arp/lock", 1)]),
             (6 * BAR + 1000, [osc_packet("/segue/generate/arp/lock", 0)])]
    x, log = render(gen, steps, 9 * BAR)
    phrases = [(e["sample"] // BAR, e["provenance"]["seed"]) for e in log if e["action"] == "layer"]
    # unlocked: bar 2 (first phrase); locked from bar 2 to 6: no new phrase; unlocked: fresh ones again
    assert phrases[0] == (2, 5)
    assert not [p for p in phrases if 3 <= p[0] <= 7]
    assert [p for p in phrases if p[0] >= 8] and all(seed != 5 for bar, seed in phrases if bar >= 8)
    # while locked, each bar repeats the same notes: the same loudness contour, 16th by 16th
    contour = [np.sqrt(np.mean(x[b * BAR:(b + 1) * BAR].reshape(16, -1) ** 2, axis=1)) for b in (4, 5)]
    assert np.allclose(contour[0], contour[1], rtol=0.05, atol=1e-3)


def test_same_inputs_same_generated_render(tone_pack, tmp_path):
    gen, _ = machines(tone_pack.parent)
    steps = [(BAR // 2, [osc_packet("/segue/event/go")])]
    a, _ = render(gen, steps, 4 * BAR)
    b, _ = render(gen, steps, 4 * BAR)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kind, words", [("cut short", "not a usable ONNX model"),
                                         ("an older engine's", "made for another version of Segue")])
def test_without_a_usable_model_the_rest_still_plays(tone_pack, tmp_path, caplog, kind, words):
    gen, plain = machines(tone_pack.parent)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(DEFAULT_MODEL.read_bytes()[:1000] if kind == "cut short" else
                       (ROOT / "tests" / "broken" / "older_model.onnx").read_bytes())
    steps = [(BAR // 2, [osc_packet("/segue/event/go")])]
    with caplog.at_level(logging.WARNING, logger="segue"):
        x, log = render(gen, steps, 3 * BAR, model_path=broken)
    warnings = [r.getMessage() for r in caplog.records if r.name == "segue"]
    assert len(warnings) == 1 and words in warnings[0] and "generated layers are off" in warnings[0]
    assert [e["target"] for e in log if e["action"] == "enter"] == ["calm", "fight"]
    assert not [e for e in log if e["action"] == "layer"]
    base, _ = render(plain, steps, 3 * BAR)
    assert np.array_equal(x, base)  # the stems play exactly as without the layer


def test_a_segment_named_gen_plays_beside_a_generated_layer(tone_pack, tmp_path):
    """Level keys are typed: a segment called `gen` cannot be taken for a generated layer (or the other way)."""
    pack = shutil.copytree(tone_pack, tmp_path / "tones")
    (pack / "pack.yaml").write_text((pack / "pack.yaml").read_text().replace("\n  calm:\n", "\n  gen:\n"))
    path = write_machine(tmp_path, """\
pack: tones
initial: calm
states:
  calm:
    segment: gen
    layers: {a: -6 dB, b: -inf}
    generate:
      arp: {role: arpeggio, instrument: pluck, seed: 5, bars: 1}
""", "gen_segment.yaml")
    with Engine(path) as engine, engine.recording(tmp_path / "gen.wav"):
        run_until(engine, 3 * BAR)
        faults, log = engine.outbox.fault_count, list(engine.log)
    x = read(tmp_path / "gen.wav")[:, 0]
    assert faults == 0 and [e["sample"] for e in log if e["action"] == "layer"] == [BAR]
    a_freq = TONES["calm"]["a"][0]
    assert abs(amplitude(x[6000:BAR - 6000], a_freq) - 0.2 * 10 ** (-6 / 20)) < 0.004  # the stem at its level
    assert np.abs(x[:BAR]).max() < 0.15 and np.abs(x[BAR:2 * BAR]).max() > 0.15  # the layer joins on bar 2


def test_a_silent_layer_sleeps_and_wakes_sounding_as_if_it_never_had(tone_pack, tmp_path, monkeypatch):
    """A generated layer whose phrase has stopped and rung out is out of the block's computation, readers, gate and
    all (issue #11: what does not sound costs nothing); leaving its state and coming back wakes it for the next
    phrase. A render where the layers sleep is the render where nothing sleeps."""
    from engine.audio.phrases import PhrasePlayer, PhraseReader

    machine = write_machine(tone_pack.parent, MACHINE.replace("{generate}\n", ARP).replace(
        "events: [go]", "events: [go, back]") + "  - {from: fight, to: calm, when: event back, sync: bar}\n",
        "sleeps.yaml")
    steps = [(BAR // 2, [osc_packet("/segue/event/go")]), (4 * BAR + 100, [osc_packet("/segue/event/back")]),
             (6 * BAR + 100, [osc_packet("/segue/event/go")])]
    asleep: list[bool] = []
    play_phrase = PhrasePlayer.play

    def watched(layer, block_start):
        awake = play_phrase(layer, block_start)
        if not awake:  # nothing of it runs: its readers, its chain and its gate are stopped
            parts = [part for reader in layer.readers for part in reader._parts] + layer._parts()
            asleep.append(not any(part.isPlaying() if not isinstance(part.isPlaying(), list)
                                  else any(part.isPlaying()) for part in parts if hasattr(part, "isPlaying")))
        return awake

    monkeypatch.setattr(PhrasePlayer, "play", watched)
    x, log = play(machine, tmp_path / "sleeping.wav", steps, 10 * BAR)
    assert asleep and all(asleep)  # it slept (in calm, between the two visits to fight), wholly
    assert [e["sample"] // BAR for e in log if e["action"] == "enter"] == [0, 1, 5, 7]
    assert np.abs(x[8 * BAR:10 * BAR]).max() > 0.05  # fight again, its layer awake

    monkeypatch.setattr(PhrasePlayer, "play", play_phrase)
    monkeypatch.setattr(PhrasePlayer, "sleep", lambda layer: None)  # nothing ever sleeps
    monkeypatch.setattr(PhraseReader, "sleep", lambda reader: reader.table)
    y, again = play(machine, tmp_path / "awake.wav", steps, 10 * BAR)
    assert again == log
    notes = [e for e in log if e["action"] == "layer"]
    assert notes and notes[-1]["sample"] >= 8 * BAR  # phrases before the layer slept and after it woke
    np.testing.assert_array_equal(x, y)


def test_a_new_instrument_in_a_saved_machine_plays_the_same_notes_from_the_next_repeat(tone_pack, tmp_path):
    """Live editing: a layer whose instrument alone changed is not stopped or written again: its phrase, locked
    here, plays on from its next repeat, every note as it was, on the new instrument (re-synthesised), as if it had
    been played on it from the start."""
    text = ("pack: tones\ninitial: calm\nstates:\n  calm:\n    segment: calm\n    generate:\n"
            "      arp: {role: arpeggio, instrument: pluck, seed: 5, bars: 2, density: 0.8, lock: true}\n")
    renders = {}
    for name, reload in (("revoiced", True), ("violin", False)):
        path = write_machine(tone_pack.parent, text if reload else text.replace("pluck", "Violin"), f"{name}.yaml")
        with Engine(path) as engine, engine.recording(tmp_path / f"{name}.wav"):
            run_until(engine, 2 * BAR)
            if reload:
                path.write_text(text.replace("instrument: pluck", "instrument: Violin"))
                engine.reload()
            run_until(engine, 7 * BAR)
            renders[name] = [e for e in engine.log if e["action"] in ("layer", "stop_layer", "revoice")]
        renders[name + " audio"] = read(tmp_path / f"{name}.wav")[:7 * BAR]
    first, revoice, again = renders["revoiced"]
    assert (first["action"], revoice["action"], again["action"]) == ("layer", "revoice", "layer")
    assert (first["sample"], revoice["sample"], again["sample"]) == (BAR, 2 * BAR, 3 * BAR)  # its next repeat
    assert again["notes"] == first["notes"] and again["why"] == "the phrase again, on a new instrument"
    assert (first["provenance"]["instrument"], again["provenance"]["instrument"]) == ("Acoustic Guitar (nylon)",
                                                                                     "Violin")
    # once the guitar's last tail has rung out, the layer is the violin's from the start, sample for sample
    np.testing.assert_allclose(renders["revoiced audio"][4 * BAR:], renders["violin audio"][4 * BAR:], atol=1e-6)
    assert np.abs(renders["revoiced audio"][3 * BAR:4 * BAR] - renders["violin audio"][3 * BAR:4 * BAR]).max() > 1e-3


def test_a_new_instrument_reaches_the_phrases_already_asked_for(tone_pack, tmp_path):
    """A phrase is asked for a bar ahead: saved between the asking and its bar, the new instrument still plays it
    (its notes again, on the new instrument), and every phrase after."""
    text = ("pack: tones\ninitial: calm\nstates:\n  calm:\n    segment: calm\n    generate:\n"
            "      arp: {role: arpeggio, instrument: pluck, seed: 5, bars: 1, regenerate: every 1 bar}\n")
    path = write_machine(tone_pack.parent, text, "asked_ahead.yaml")
    with Engine(path) as engine:
        run_until(engine, 2 * BAR + BAR // 2)  # the phrase for bar 3 is asked for (at 2 * BAR), not yet played
        path.write_text(text.replace("instrument: pluck", "instrument: Violin"))
        engine.reload()  # takes over at 3 * BAR
        run_until(engine, 7 * BAR)
        log = [e for e in engine.log if e["action"] in ("layer", "revoice")]
    assert [e["sample"] for e in log if e["action"] == "revoice"] == [3 * BAR]
    played = [(e["sample"] // BAR, e["provenance"]["seed"], e["provenance"]["instrument"]) for e in log
              if e["action"] == "layer"]
    guitar = "Acoustic Guitar (nylon)"
    assert played == [(1, 5, guitar), (2, 6, guitar), (3, 7, "Violin"), (4, 8, "Violin"), (5, 9, "Violin"),
                      (6, 10, "Violin")]  # bar 3's phrase, written for the guitar, is the one on the violin
