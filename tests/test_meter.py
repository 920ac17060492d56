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
from engine.session import Engine

from audio import layer_alone

SR = 48000
STEPS = 12  # 16ths in a bar of 3/4 or 6/8


def test_a_phrase_in_three_four_repeats_on_every_bar_line():
    """The mix's phrase player on a real pyo server: a two-bar phrase whose audio is one click on its first frame
    sounds that click on the exact first sample of every second bar, 19 times over 38 bars of 86,400 samples."""
    from engine.audio.backend import boot_manual, pyo
    from engine.audio.phrases import PhrasePlayer
    from engine.generate.synth import SoundingPhrase, tail_frames

    clock, block = Clock(SR, 100, 3), 256
    layer = LayerModel().generate(PhraseRequest("arpeggio", "A minor", ("Am", "F"), 2, 0.9, (60, 84), seed=5,
                                                meter=(3, 4)))
    assert layer.steps == 24 and all(n.step < 24 for n in layer.notes)
    loop = clock.step_sample(layer.steps, STEPS)
    audio = np.zeros(loop + tail_frames(SR), dtype=np.float32)
    audio[0] = 1.0
    server = boot_manual(SR, block)
    try:
        p = pyo()
        player = PhrasePlayer(p, loop, clock, block)
        player.level.value = 1.0
        start, end = clock.bar_sample(3), clock.bar_sample(41)
        table = p.NewTable(length=(end + block) / SR, chnls=2)
        recorder = p.TableRec(player.out, table).play()
        server.start()
        ready = player.prepare(SoundingPhrase(layer, audio, loop))
        for b0 in range(0, end, block):
            if b0 <= start < b0 + block:
                player.take_over(ready, start)
            player.play(b0)
            server.process()
        left = np.array(table.getBuffer(0), dtype=np.float32)[:end]  # a copy: the table goes before the check
        clicks = np.flatnonzero(left > 0.5)
        recorder.stop()
        del recorder, table, player, ready
    finally:
        server.stop()
        server.shutdown()
    assert clicks.tolist() == [start + clock.bar_sample(2 * k) for k in range(19)]  # bars 3 to 40: 19 phrases
    assert np.allclose(left[clicks], np.cos(np.pi / 4))  # at the centre: -3 dB a side


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
        for phrase in phrases:
            assert max(step for step, _, _ in phrase["notes"]) < STEPS
        # every phrase, and every repeat of it, from its bar line's exact sample (the bed is silent)
        np.testing.assert_allclose(x, layer_alone(machine, log, len(x)), rtol=0, atol=1e-5, err_msg=meter)


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
