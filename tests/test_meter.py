"""Generated phrases follow the pack's meter: in 3/4 and 6/8 every phrase, and every repeat of it, starts on a
bar line's exact sample (16 steps to the bar were hard-coded: in 3/4 the bars started at 1:1, 2:2, 3:3, 5:1)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from engine.clock import Clock
from engine.generate.model import LayerModel
from engine.machine.phrase import PhraseRequest
from engine.generate.schedule import NoteSchedule
from engine.session import Engine

SR = 48000
STEPS = 12  # 16ths in a bar of 3/4 or 6/8


def test_a_phrase_in_three_four_repeats_on_every_bar_line():
    clock = Clock(SR, 100, 3)  # a bar of 86,400 samples
    layer = LayerModel().generate(PhraseRequest("arpeggio", "A minor", ("Am", "F"), 2, 0.9, (60, 84), seed=5,
                                          steps_per_bar=12))
    assert layer.steps == 24 and all(n.step < 24 for n in layer.notes)
    first = min(n.step for n in layer.notes)
    start = clock.bar_sample(3)
    due = NoteSchedule(layer, start, clock).due(start, clock.bar_sample(40) - start)
    heads = [n.sample for i, n in enumerate(due) if i % len(layer.notes) == 0]
    assert heads == [start + clock.bar_sample(2 * k) - clock.bar_sample(0) + clock.step_sample(first, 12)
                     for k in range(len(heads))]
    assert len(heads) == 19  # bars 3 to 40 hold 19 two-bar phrases


def waltz_pack(folder: Path, meter: str) -> Path:
    """A silent looping segment in `meter`, with chords, and a machine that plays a generated arpeggio over it."""
    folder.mkdir(parents=True, exist_ok=True)
    beats = int(meter.split("/")[0])
    bar = Clock(SR, 120, beats).bar_sample(1)
    soundfile.write(str(folder / "bed.wav"), np.zeros(4 * bar, dtype=np.float32), SR, subtype="FLOAT")
    (folder / "pack.yaml").write_text(
        f"name: waltz\nsample_rate: {SR}\ntempo: 120\nmeter: {meter}\nkey: A minor\nsegments:\n"
        "  waltz: {bars: 4, loop: true, chords: [Am, F, C, G], stems: {bed: bed.wav}}\n")
    machine = folder.parent / f"waltz_{beats}.yaml"
    machine.write_text(f"pack: {folder.name}\ninitial: waltz\nstates:\n  waltz:\n    segment: waltz\n"
                       "    generate:\n      arp: {role: arpeggio, instrument: pluck, density: 0.6, seed: 5, bars: 1,"
                       " regenerate: every 3 bars}\n")
    return machine


def onsets(x: np.ndarray, frame: int = 32) -> np.ndarray:
    """Frames whose peak is well over the peak three frames before (an attack spans a few frames)."""
    env = np.abs(x[: len(x) // frame * frame]).reshape(-1, frame).max(axis=1)
    return (np.flatnonzero(env[3:] > 2.5 * env[:-3] + 1e-3) + 3) * frame


def test_every_generated_phrase_lands_on_a_bar_line_in_three_four_and_six_eight(tmp_path):
    for meter in ("3/4", "6/8"):
        machine = waltz_pack(tmp_path / ("pack" + meter.replace("/", "_")), meter)
        out = tmp_path / f"{meter.replace('/', '_')}.wav"
        with Engine(machine) as engine:
            bar = engine.runtime.bar
            engine.render(out, None, seconds=12 * bar / SR)
            log = list(engine.log)
        x = soundfile.read(str(out), always_2d=True)[0][:, 0]
        phrases = [e for e in log if e["action"] == "layer"]
        assert [e["sample"] % bar for e in phrases] == [0] * len(phrases) and len(phrases) >= 3
        found = onsets(x)
        for phrase in phrases:  # the phrase (one bar) plays at its start and repeats on the next bars
            head = min(step for step, _, _ in phrase["notes"])
            for k in range(3):
                if phrase["sample"] + (k + 1) * bar > len(x):
                    break
                ideal = phrase["sample"] + k * bar + head * bar // STEPS
                assert np.abs(found - ideal).min() <= 128, f"{meter}: phrase at {phrase['sample']}, repeat {k}"
            assert max(step for step, _, _ in phrase["notes"]) < STEPS
