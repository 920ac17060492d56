"""End to end through the real path: UDP OSC on 127.0.0.1 -> pyo server (manual clock) -> rendered samples."""
from __future__ import annotations

import numpy as np
from engine.fades import MIN_RAMP_SECONDS

from audio import SR, amplitude, max_step, osc_packet, play
from conftest import BAR, TONES, tone

BEAT = BAR // 4


def render(machine_path, out, steps, until):
    return play(machine_path, out, steps, until)


def test_combat_starts_on_the_next_bar_exact_sample(machine_path, tmp_path):
    base, _ = render(machine_path, tmp_path / "base.wav", [], 3 * BAR)
    x, log = render(machine_path, tmp_path / "go.wav", [(BAR // 2 + 1234, [osc_packet("/segue/event/go")])], 3 * BAR)
    diff = np.abs(x - base).max(axis=1)
    # nothing audible changes before the bar, something does right on it
    assert np.all(diff[:BAR] == 0)
    onset = BAR + int(np.argmax(diff[BAR:] > 1e-3))
    assert BAR <= onset < BAR + 16
    # once calm has faded out (1 beat), what plays is the fight segment from its first sample, sample-locked
    window = slice(BAR + BEAT, 2 * BAR)
    expected = tone(*TONES["fight"]["tone"], BAR) + tone(*TONES["fight"]["pulse"], BAR)
    assert np.abs(x[window, 0] - expected[BEAT:]).max() < 1e-5
    shifted = np.abs(x[window, 0] - np.roll(expected, 1)[BEAT:]).max()
    assert shifted > 1e-3  # one sample off would show
    enters = [e for e in log if e["action"] == "enter"]
    assert (enters[-1]["sample"], enters[-1]["target"], enters[-1]["position"]) == (BAR, "fight", "2:1")
    # calm fades out over that beat on an equal-power curve: half way through it is at cos(45 deg), not 0.5
    mid = x[BAR + BEAT // 2 - 1200:BAR + BEAT // 2 + 1200, 0]
    assert abs(amplitude(mid, TONES["calm"]["a"][0]) - 0.2 * np.cos(np.pi / 4)) < 0.004


def test_layer_gains_follow_the_param_curve(machine_path, tmp_path):
    settle = 4096
    points = [0.25, 0.5, 1.0]
    steps = [(i * BAR // 2 + 1000, [osc_packet("/segue/param/intensity", v)]) for i, v in enumerate(points, 1)]
    x, _ = render(machine_path, tmp_path / "curve.wav", steps, (len(points) + 1) * BAR // 2)
    fa, fb = TONES["calm"]["a"][0], TONES["calm"]["b"][0]
    for i, value in enumerate([0.0] + points):
        start = i * BAR // 2 + 1000 + settle if i else 2 * settle
        seg = x[start:start + 12000, 0]
        expected_db = -60 + 60 * value  # curve [[0, -inf], [1, 0]], interpolated in dB from the -60 dB floor
        expected = 0.2 * (10 ** (expected_db / 20) if value else 0.0)
        assert abs(amplitude(seg, fb) - expected) < 0.02 * expected + 2e-4, (value, amplitude(seg, fb))
        assert abs(amplitude(seg, fa) - 0.2) < 0.004  # the fixed layer does not move


def test_no_gain_change_is_a_click(machine_path, tmp_path):
    """Transitions, crossfades, same-segment layer swaps and param jumps: every step stays within a ramp."""
    steps = [
        (BAR // 2, [osc_packet("/segue/param/intensity", 1.0)]),
        (BAR + 5000, [osc_packet("/segue/param/intensity", 0.0)]),  # a jump: levels ramp, never step
        (BAR + 9000, [osc_packet("/segue/event/go")]),
        (2 * BAR + 3000, [osc_packet("/segue/param/health", 0.1)]),
        (3 * BAR + 100, [osc_packet("/segue/param/health", 0.9)]),
        (4 * BAR + 7000, [osc_packet("/segue/event/win")]),
        (4 * BAR + 30000, [osc_packet("/segue/event/go")]),  # in victory: no rule, ignored
        (5 * BAR + 60000, [osc_packet("/segue/event/go")]),  # back in calm: fight on calm's next bar
    ]
    x, log = render(machine_path, tmp_path / "clicks.wav", steps, 7 * BAR)
    assert [e["target"] for e in log if e["action"] == "enter"] == ["calm", "fight", "hurt", "fight", "victory",
                                                                   "calm", "fight"]
    ramp = MIN_RAMP_SECONDS * SR
    # the steepest a mix of these stems can move: each stem's own steepest step plus its fastest fade
    # (an equal-power fade starts pi/2 times steeper than a straight line over the same time)
    bound = 0.0
    for seg, stems in TONES.items():
        for freq, amp in stems.values():
            bound += max_step(tone(freq, amp, BAR)[:, None]) + amp * (np.pi / 2) / ramp
    assert max_step(x) <= bound
    # the check can fail: the same audio with one hard cut at a transition breaks the bound
    at = [e["sample"] for e in log if e["action"] == "enter"][1]
    cut = x.copy()
    cut[at:] = 0
    assert max_step(cut) > 2 * bound


def test_bad_packets_are_dropped_and_the_music_keeps_playing(machine_path, tmp_path, caplog):
    bad = [
        b"not osc at all",
        b"\x00\x01\x02",
        b"",
        osc_packet("/segue/param/intensity", "loud"),
        osc_packet("/segue/param/intensity"),
        osc_packet("/segue/param/intensity", float("nan")),
        osc_packet("/segue/param/volume", 1.0),
        osc_packet("/nowhere"),
        osc_packet("/segue/state/nowhere"),
        b"/segue/param/health\x00,f\x00\x00",  # says float, carries none
    ]
    steps = [(BAR // 4, bad), (BAR // 2, [osc_packet("/segue/event/go")])]
    with caplog.at_level("WARNING", logger="segue.osc"):
        x, log = render(machine_path, tmp_path / "bad.wav", steps, 3 * BAR)
    rejections = [r.getMessage() for r in caplog.records if r.name == "segue.osc"]
    assert len(rejections) == len(bad)
    assert any("/segue/param/intensity: expects a number for 'intensity', got str 'loud'" in m for m in rejections)
    assert any("unknown param (known: health, intensity)" in m for m in rejections)
    assert any("unknown state (known: calm, fight, hurt, victory)" in m for m in rejections)
    assert all(m.startswith("OSC from 127.0.0.1:") for m in rejections)
    # the good packet after the garbage still did its job, on its bar
    assert [(e["sample"], e["target"]) for e in log if e["action"] == "enter"][-1] == (BAR, "fight")
    # and the music never stopped: every quarter bar has signal
    rms = [np.sqrt((x[i:i + BEAT] ** 2).mean()) for i in range(0, len(x), BEAT)]
    assert min(rms) > 0.05


def test_a_button_release_does_not_fire_an_event(machine_path, tmp_path):
    steps = [(BAR // 2, [osc_packet("/segue/event/go", 0)])]
    _, log = render(machine_path, tmp_path / "release.wav", steps, 2 * BAR)
    assert [e["target"] for e in log if e["action"] == "enter"] == ["calm"]
