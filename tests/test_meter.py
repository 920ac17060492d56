"""Generated phrases follow the pack's meter: in 3/4 and 6/8 every phrase, and every repeat of it, starts on a
bar line's exact sample (16 steps to the bar were hard-coded: in 3/4 the bars started at 1:1, 2:2, 3:3, 5:1)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.clock import Clock
from engine.errors import SegueError
from engine.meter import parse_meter
from engine.generate.model import LayerModel
from engine.machine.phrase import PhraseRequest
from engine.generate.schedule import NoteSchedule
from engine.session import Engine

SR = 48000
STEPS = 12  # 16ths in a bar of 3/4 or 6/8


def test_a_phrase_in_three_four_repeats_on_every_bar_line():
    clock = Clock(SR, 100, 3)  # a bar of 86,400 samples
    layer = LayerModel().generate(PhraseRequest("arpeggio", "A minor", ("Am", "F"), 2, 0.9, (60, 84), seed=5,
                                          meter=(3, 4)))
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


@pytest.mark.parametrize("text, steps, beat, felt, strong", [
    ("2/4", 8, 4, 2, [0]), ("3/4", 12, 4, 3, [0]), ("4/4", 16, 4, 4, [0, 8]), ("C", 16, 4, 4, [0, 8]),
    ("C|", 16, 8, 2, [0]), ("6/8", 12, 6, 2, [0]), ("9/8", 18, 6, 3, [0]), ("12/8", 24, 6, 4, [0, 12]),
    ("5/4", 20, 4, 5, [0]), ("7/8", 14, 2, 7, [0]),
])
def test_a_meter_groups_its_sixteenths_into_the_beats_a_player_feels(text, steps, beat, felt, strong):
    meter = parse_meter(text)
    assert (meter.steps_per_bar, meter.beat_steps, meter.beats_felt) == (steps, beat, felt)
    assert [s for s in range(steps) if meter.strong(s)] == strong
    assert meter.position(steps + beat + 1) == (1, 1)  # the next bar's second beat, one 16th in


@pytest.mark.parametrize("text", ["", "4", "x/4", "3/5", "0/4", "4/0"])
def test_a_meter_that_cannot_be_read_says_so(text):
    with pytest.raises(SegueError, match="meter"):
        parse_meter(text)


def test_the_model_writes_in_the_meter_it_is_given():
    """Three-four and six-eight both hold 12 16ths a bar; the model groups them as the meter says. Over the same
    chords and seeds, a folk melody in 3/4 starts notes on its third beat (16th 8), one in 6/8 on its second
    dotted-quarter beat (16th 6)."""
    model = LayerModel()

    def share_at(meter: tuple[int, int], step: int) -> float:
        notes = [n for s in range(12) for n in model.generate(PhraseRequest(
            "melody", "D major", ("D", "G", "A7", "D"), 4, 0.5, (62, 86), seed=s, meter=meter, style="folk",
            chord_push=0, key_push=0)).notes]
        assert max(n.step for n in notes) < 48
        return sum(n.step % 12 == step for n in notes) / len(notes)

    assert share_at((3, 4), 8) > 3 * share_at((6, 8), 8)
    assert share_at((6, 8), 6) > 1.5 * share_at((3, 4), 6)
