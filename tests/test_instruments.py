"""The generated layers' instruments: no phrase can crash the process or put a non-finite sample in the mix,
and a layer sits in one place in the stereo field."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from engine.audio.instruments import SHAPES, render_phrase
from engine.clock import Clock
from engine.generate.encoding import Note
from engine.generate.model import NoteLayer

from conftest import ROOT

TEMPI = sorted({*range(40, 241, 10), 71, 72, 73, 96})


def test_the_phrase_that_crashed_the_keys_renders(tmp_path):
    """Exited 139 inside pyo's SineLoop: its float32 phase wrapped to one past its table."""
    out = tmp_path / "x.wav"
    done = subprocess.run([sys.executable, "-m", "engine.cli", "generate", "--key", "E minor", "--chords",
                           "F#dim,B7,Em7,Em7", "--bpm", "72", "--role", "melody", "--register", "55", "79",
                           "--seed", "11", "--density", "0.8", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    import soundfile

    audio, _ = soundfile.read(str(out), always_2d=True)
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0.05


def test_every_instrument_plays_every_note_velocity_and_tempo_without_crashing():
    for instrument in SHAPES:
        done = subprocess.run([sys.executable, str(ROOT / "tests" / "instrument_sweep.py"), instrument,
                               *map(str, TEMPI)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{instrument}: exit {done.returncode}\n{done.stderr[-2000:]}"
        results = dict(line.split() for line in done.stdout.split("\n") if line.strip())
        bad = [bpm for bpm, ok in results.items() if ok != "True"]
        assert len(results) == len(TEMPI) and not bad, f"{instrument}: non-finite or silent at {bad} bpm"


def test_a_held_pluck_note_stays_finite():
    """pyo's FM wrapped its float32 phase to one past its table; the garbage sample left the low-pass filter
    holding NaN for good (MIDI 89 within two seconds; the idle voices' 440 Hz after 722.66 s)."""
    layer = NoteLayer((Note(0, 64, 89, 0.9),), 64)
    audio = render_phrase(layer, Clock(48000, 120, 4), "pluck")
    assert np.isfinite(audio).all()
    assert np.abs(audio[48000:96000]).max() > 0.01  # still sounding in its second second


def test_a_note_alone_is_in_both_channels_at_centre():
    layer = NoteLayer((Note(0, 4, 64, 0.9),), 16)
    for instrument in SHAPES:
        audio = render_phrase(layer, Clock(48000, 120, 4), instrument)
        left, right = np.sqrt((audio ** 2).mean(axis=0))
        assert left > 0.01 and left == right, f"{instrument}: left {left:.4f}, right {right:.4f}"


def test_a_layer_sits_where_its_pan_says(tone_pack):
    """Centre (the default) puts the layer equally in both channels; `pan: 1` keeps it out of the left."""
    from audio import osc_packet, play
    from conftest import BAR, write_machine
    from test_generated_layers import MACHINE

    arp = "    generate:\n      arp: {role: arpeggio, instrument: pluck, density: 0.9, seed: 5, bars: 1%s}\n"
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
