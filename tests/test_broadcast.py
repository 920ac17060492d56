"""Broadcast features through the real engine: stingers, cues over UDP OSC, ducking, sidechain, loudness."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile

from engine.loudness import Integrator, lufs, measure, normalize
from engine.fades import MIN_RAMP_SECONDS
from engine.session import Engine

from audio import SR, amplitude, max_step, osc_packet, play
from conftest import BAR, BOOM, TONES, write_machine

BEAT = BAR // 4
BED = TONES["calm"]["a"][0]  # the 220 Hz layer that plays throughout
MACHINE = """\
pack: tones
params: {x: {range: [0, 1], default: 0}}
events: [go, score]
initial: calm
states:
  calm: {segment: calm, layers: {a: 0 dB}}
  fight: {segment: fight}
transitions:
  - {from: calm, to: fight, when: event go, sync: bar}
stingers:
  boom: {oneshot: boom, when: "event score or x > 0.5", sync: beat, cooldown: 2 bars, duck: -12 dB}
cues:
  start: {go: fight}
  down: {fade_all: -12 dB, time: 500ms}
  out: {stop: 1s}
  talk: {duck: -20 dB, attack: 100ms, release: 200ms}
  hit: {stinger: boom}
"""


def render(folder, steps, until, text=MACHINE, sidechain_file=None):
    x, log = play(write_machine(folder, text, "show.yaml"), folder / "show.wav", steps, until,
                  sidechain_file=sidechain_file)
    return x[:, 0], log


def level(x, start, freq=BED, n=4800):
    return amplitude(x[start:start + n], freq)


def test_a_stinger_plays_on_the_next_beat_and_ducks_the_bed(tone_pack):
    x, log = render(tone_pack.parent, [(BEAT + 5000, [osc_packet("/segue/event/score")])], 2 * BAR)
    base, _ = render(tone_pack.parent, [], 2 * BAR)
    [stinger] = [e for e in log if e["action"] == "stinger"]
    assert stinger["sample"] == 2 * BEAT
    diff = x - base
    assert np.all(diff[:2 * BEAT] == 0)
    assert abs(level(x, 2 * BEAT + 2400, BOOM[0], 9600) - BOOM[1]) < 0.01  # the one-shot, at its own level
    assert abs(level(x, 2 * BEAT + 4800) - 0.2 * 10 ** (-12 / 20)) < 0.005  # bed ducked 12 dB under it
    assert abs(level(x, 2 * BEAT + BOOM[2] + 24000) - 0.2) < 0.004  # and back after the release
    assert max_step(x) < 0.1  # no clicks from the duck or the one-shot


def test_stingers_fire_on_the_rising_edge_and_respect_their_cooldown(tone_pack):
    steps = [(1000, [osc_packet("/segue/param/x", 0.9)]),  # true for a bar: fires once, not every block
             (BAR, [osc_packet("/segue/param/x", 0.1)]),
             (BAR + 1000, [osc_packet("/segue/event/score")]),  # a new edge, but inside the 2-bar cooldown
             (3 * BAR, [osc_packet("/segue/event/score")])]  # after it: plays
    _, log = render(tone_pack.parent, steps, 4 * BAR)
    assert [e["sample"] // BEAT for e in log if e["action"] == "stinger"] == [1, 12]


def test_cues_over_osc_fade_stop_and_bring_the_music_back(tone_pack):
    steps = [(BEAT, [osc_packet("/segue/cue/down")]),
             (BAR + 100, [osc_packet("/segue/cue/out")]),
             (3 * BAR + 100, [osc_packet("/segue/cue/start")])]
    x, log = render(tone_pack.parent, steps, 5 * BAR)
    assert abs(level(x, BEAT + SR // 2 + 2400) - 0.2 * 10 ** (-12 / 20)) < 0.004  # -12 dB after 500 ms
    stop = [e for e in log if e["action"] == "automate" and "out" in e["why"]][0]
    assert stop["sample"] == 2 * BAR  # stop waits for the next bar...
    assert np.abs(x[2 * BAR + SR + 100:3 * BAR]).max() == 0  # ...and is silent a second later
    enter = [e for e in log if e["action"] == "enter"][-1]
    assert (enter["target"], enter["sample"]) == ("fight", 4 * BAR)  # go: on the next bar, music back
    assert level(x, 4 * BAR + 4800, TONES["fight"]["tone"][0]) > 0.15
    assert max_step(x) < 0.1


def test_panic_is_immediate_fast_and_clickless(tone_pack):
    steps = [(BAR + 3000, [osc_packet("/segue/panic")])]
    x, log = render(tone_pack.parent, steps, 2 * BAR)
    [panic] = [e for e in log if e["action"] == "automate"]
    assert BAR + 3000 <= panic["sample"] < BAR + 3000 + 2 * 256  # the next block, not a sync point
    end = panic["sample"] + int(0.02 * SR)
    assert np.abs(x[end + 1:]).max() == 0
    ramp = x[panic["sample"] - 10:end + 10]
    assert max_step(ramp[:, None]) < 0.2 / (MIN_RAMP_SECONDS * SR) * np.pi + 0.01


def test_a_held_duck_cue_ducks_until_released(tone_pack):
    steps = [(BEAT, [osc_packet("/segue/cue/talk", 1)]), (BAR, [osc_packet("/segue/cue/talk", 0)])]
    x, _ = render(tone_pack.parent, steps, 2 * BAR)
    assert abs(level(x, BEAT + 12000) - 0.02) < 0.003  # -20 dB while held
    assert abs(level(x, BAR + 20000) - 0.2) < 0.004  # back after the release


def test_the_sidechain_follows_a_fed_recording(tone_pack, tmp_path):
    voice = np.zeros(3 * BAR, dtype=np.float32)
    t = np.arange(BAR // 2) / SR
    voice[BAR:BAR + BAR // 2] = 0.3 * np.sin(2 * np.pi * 3000 * t)  # the presenter talks for a second
    soundfile.write(str(tmp_path / "voice.wav"), voice, SR, subtype="FLOAT")
    text = MACHINE + "sidechain: {threshold: -20 dB, depth: -12 dB, attack: 10ms, release: 100ms}\n"
    x, _ = render(tone_pack.parent, [], 3 * BAR, text, sidechain_file=tmp_path / "voice.wav")
    assert abs(level(x, BAR // 2) - 0.2) < 0.004  # before: untouched
    assert abs(level(x, BAR + 24000) - 0.2 * 10 ** (-12 / 20)) < 0.006  # during: 12 dB down
    assert abs(level(x, 2 * BAR + 20000) - 0.2) < 0.004  # after the release: back


def test_loudness_matches_the_bs1770_reference_and_normalises():
    t = np.arange(5 * SR) / SR
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)
    report = measure(np.stack([sine, sine], 1), SR)
    assert report.integrated == pytest.approx(-20.0, abs=0.1)  # -20 dBFS 997 Hz in both channels
    assert report.momentary_max == pytest.approx(-20.0, abs=0.1)
    assert report.true_peak == pytest.approx(-20.0, abs=0.1)
    scaled, gain = normalize(np.stack([sine, sine], 1), SR, -23.0)
    assert gain == pytest.approx(-3.0, abs=0.1) and measure(scaled, SR).integrated == pytest.approx(-23.0, abs=0.05)


def test_the_live_integrator_agrees_with_the_offline_meter():
    rng = np.random.default_rng(0)
    levels = np.concatenate([np.full(50, 1e-4), np.full(50, 1e-2), np.full(20, 1e-9)])  # quiet, loud, silence
    integ = Integrator()
    for p in levels + rng.uniform(0, 1e-5, len(levels)):
        integ.add(float(p))
    loud = lufs(float(np.mean(levels[50:100])))
    assert integ.integrated() == pytest.approx(loud, abs=0.3)  # quiet: below the relative gate; silence: absolute


def test_the_live_meters_agree_with_the_offline_loudness_report(tmp_path):
    from conftest import ROOT  # noqa: PLC0415

    with Engine(ROOT / "statemachines" / "demo.yaml") as engine:
        report = engine.render(tmp_path / "m.wav", None, seconds=12)
        live_integrated, live_short = engine.heartbeat.meters.lufs_i, engine.heartbeat.meters.lufs_s
    x = soundfile.read(str(report.wav), always_2d=True)[0]
    offline = measure(x, SR)
    assert live_integrated == pytest.approx(offline.integrated, abs=0.5)
    assert live_short == pytest.approx(measure(x[-3 * SR:], SR).integrated, abs=1.0)


def test_the_live_true_peak_sees_between_the_samples(tmp_path):
    """A 12 kHz sine sampled at 45 degrees: every sample is at 0.354, the waveform between them reaches 0.5."""
    folder = tmp_path / "peaky"
    (folder / "s").mkdir(parents=True)
    t = np.arange(2 * SR)
    soundfile.write(str(folder / "s" / "hf.wav"), (0.5 * np.sin(np.pi / 2 * t + np.pi / 4)).astype(np.float32), SR,
                    subtype="FLOAT")
    (folder / "pack.yaml").write_text("tempo: 120\nmeter: 4/4\nsegments:\n  s: {bars: 1, stems: {hf: s/hf.wav}}\n")
    machine = tmp_path / "m.yaml"
    machine.write_text("pack: peaky\ninitial: play\nstates: {play: {segment: s}}\n")
    with Engine(machine) as engine:
        report = engine.render(tmp_path / "hf.wav", None, seconds=1.0)
        live = 20 * np.log10(engine.heartbeat.meters.true_peak)
    x = soundfile.read(str(report.wav), always_2d=True)[0]
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-9.0, abs=0.1)  # the samples alone
    assert live == pytest.approx(-6.0, abs=0.3)  # live meter
    assert measure(x, SR).true_peak == pytest.approx(-6.0, abs=0.3)  # offline report agrees
