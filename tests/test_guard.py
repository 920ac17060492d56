"""The master's guard: NaN or Inf never reaches the limiter or the meters; the bad samples become silence, the
fault is reported once, the mix plays on, and `segue render` says so and exits non-zero."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import soundfile

from engine.events import Telemetry
from engine.session import Engine, EngineConfig

from audio import amplitude, read, run_until
from conftest import BAR, ROOT, SR, TONES, make_pack, write_machine

MACHINE = """\
pack: tones
events: [score, go]
initial: calm
states:
  calm: {segment: calm, layers: {a: 0 dB, b: 0 dB}}
  fight:
    segment: fight
    generate:
      arp: {role: arpeggio, instrument: pluck, density: 0.9, seed: 5, bars: 1}
transitions:
  - {from: calm, to: fight, when: event go, sync: bar}
stingers:
  boom: {oneshot: boom, when: event score, sync: beat}
"""
SCORE = BAR  # the stinger plays from here, on the beat


def bad_stinger_pack(folder):
    """The tone pack, but its stinger (a float WAV) holds a NaN and an Inf, as a broken export might."""
    pack = make_pack(folder / "tones")
    boom, _ = soundfile.read(str(pack / "oneshots" / "boom.wav"), dtype="float32")
    boom[1000], boom[5000] = np.nan, np.inf
    soundfile.write(str(pack / "oneshots" / "boom.wav"), boom, SR, subtype="FLOAT")
    return write_machine(folder, MACHINE, "guarded.yaml")


def test_a_nan_in_a_stinger_is_silenced_reported_once_and_the_mix_plays_on(tmp_path):
    machine = bad_stinger_pack(tmp_path)
    out = tmp_path / "guarded.wav"
    with Engine(machine) as engine:
        with engine.recording(out):
            engine.queue.put(Telemetry("event", "score", sample=SCORE - 100))
            run_until(engine, 4 * BAR)
        faults, non_finite = list(engine.outbox.faults), dict(engine.heartbeat.meters.non_finite)
    x = read(out)[:4 * BAR]
    assert np.isfinite(x).all()
    assert len(faults) == 1 and "non-finite samples from the mix" in faults[0], faults
    assert non_finite == {"the mix": (SCORE + 1000) // 256 * 256}  # the block of the stinger's first NaN
    freq, amp = TONES["calm"]["a"]
    before = amplitude(x[SCORE - SR // 2:SCORE, 0], freq)
    after = amplitude(x[SCORE + SR: SCORE + 3 * SR // 2, 0], freq)  # after the stinger: the bed as it was
    assert abs(after - before) < 0.02 * before and before > 0.5 * amp


def test_a_layer_gone_bad_is_silenced_alone(tmp_path):
    """A generated layer whose level holds NaN (a filter or ramp never lets go of one) is muted by its own gate;
    the stems play on and only that layer is reported."""
    machine = bad_stinger_pack(tmp_path)
    out = tmp_path / "layer.wav"
    with Engine(machine) as engine:
        with engine.recording(out):
            engine.queue.put(Telemetry("event", "go", sample=BAR // 2))
            run_until(engine, 2 * BAR + BAR // 2)  # fight from bar 1, its arp from bar 2
            engine.graph.mix.phrase_players["fight.arp"].level.value = float("nan")
            run_until(engine, 5 * BAR)
        faults = list(engine.outbox.faults)
    x = read(out)[:5 * BAR]
    assert np.isfinite(x).all()
    assert len(faults) == 1 and "generated layer 'fight.arp'" in faults[0], faults
    freq, amp = TONES["fight"]["tone"]
    assert amplitude(x[4 * BAR:5 * BAR, 0], freq) > 0.5 * amp  # the stems still sound


def test_render_says_when_the_mix_held_non_finite_samples_and_exits_non_zero(tmp_path):
    machine = bad_stinger_pack(tmp_path)
    script = tmp_path / "score.yaml"
    script.write_text("duration: 4\nmessages:\n  - {at: 1.5, address: /segue/event/score}\n")
    out = tmp_path / "render.wav"
    done = subprocess.run([sys.executable, "-m", "engine.cli", "render", str(machine), "--telemetry", str(script),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert any("boom.wav: 2 samples are NaN or infinite" in line for line in lines), done.stderr  # at load
    errors = [line for line in lines if "non-finite samples" in line]
    assert len(errors) == 1 and errors[0].endswith(": the mix from 1.52 s"), done.stderr  # the NaN's block
    assert "nan" not in done.stdout.lower()


def test_a_nan_in_the_sidechain_input_does_not_silence_the_bed(tone_pack, tmp_path):
    """The sidechain's level follower has feedback: fed one NaN it held it for good, the bed's gain with it, and
    the mix's guard then silenced the whole bed for the rest of the show. The input is gated before the follower:
    the NaN is reported once and the bed plays on."""
    from test_broadcast import MACHINE as SHOW, level

    voice = np.zeros(3 * BAR, dtype=np.float32)
    voice[BAR] = np.nan  # a broken sample in a float recording (or a live input gone bad)
    soundfile.write(str(tmp_path / "voice.wav"), voice, SR, subtype="FLOAT")
    text = SHOW + "sidechain: {threshold: -20 dB, depth: -12 dB, attack: 10ms, release: 100ms}\n"
    machine = write_machine(tone_pack.parent, text, "sidechain_nan.yaml")
    with Engine(machine, EngineConfig(sidechain_file=tmp_path / "voice.wav")) as engine:
        report = engine.render(tmp_path / "show.wav", None, seconds=3 * BAR / SR)
    x = read(tmp_path / "show.wav")[:3 * BAR, 0]
    assert np.isfinite(x).all() and report.non_finite == {"the sidechain input": BAR}  # reported, once
    assert abs(level(x, BAR // 2) - 0.2) < 0.004  # before
    assert abs(level(x, 2 * BAR) - 0.2) < 0.004  # after the NaN: the bed as it was, not silence
