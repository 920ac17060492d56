"""Time holds for hours: every loop lasts exactly its length, and no position is counted in a float32 stream.

A tiny pack (8 kHz, one 1/4 bar at 400 bpm: 1,200 samples) makes hundreds of loops a few seconds of audio.
Its stem is a ramp, so each wrap is a sample where the ramp falls, and where it lands can be read exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from engine.session import Engine, EngineConfig

RATE, LOOP = 8000, 1200  # 1 beat of 400 bpm at 8 kHz; not a multiple of the block, so wraps land mid-block
RAMP = (np.arange(LOOP) / (2 * LOOP)).astype(np.float32)
ONCE = (0.75 - np.arange(LOOP) / (4 * LOOP)).astype(np.float32)  # falls from 0.75 to 0.5: told apart from RAMP


def ramp_pack(folder: Path, initial: str = "looping") -> Path:
    """A looping ramp (0 .. 0.5) and a one-bar segment that plays once (0.75 .. 0.5), at 8 kHz."""
    (folder / "ramp").mkdir(parents=True, exist_ok=True)
    soundfile.write(str(folder / "ramp" / "ramp.wav"), RAMP, RATE, subtype="FLOAT")
    soundfile.write(str(folder / "ramp" / "once.wav"), ONCE, RATE, subtype="FLOAT")
    (folder / "pack.yaml").write_text(
        "name: ramp\nsample_rate: 8000\ntempo: 400\nmeter: 1/4\nkey: A minor\nsegments:\n"
        "  loop: {bars: 1, loop: true, stems: {ramp: ramp/ramp.wav}}\n"
        "  once: {bars: 1, loop: false, stems: {flat: ramp/once.wav}}\n")
    (folder.parent / "ramp.yaml").write_text(
        f"pack: {folder.name}\ninitial: {initial}\nstates:\n  looping: {{segment: loop}}\n"
        + ("  intro: {segment: once, then: looping}\n" if initial == "intro" else ""))
    return folder.parent / "ramp.yaml"


def test_every_loop_lasts_exactly_its_length_over_hundreds_of_loops(tmp_path):
    machine = ramp_pack(tmp_path / "ramp")
    loops = 500
    out = tmp_path / "loops.wav"
    with Engine(machine) as engine:
        engine.render(out, None, seconds=loops * LOOP / RATE)
    x = soundfile.read(str(out), dtype="float64", always_2d=True)[0][:loops * LOOP, 0]
    wraps = np.flatnonzero(np.diff(x) < -0.1) + 1
    assert list(wraps) == [k * LOOP for k in range(1, loops)], f"loops drift: first wraps at {list(wraps[:4])}"
    # and every sample in between is the stem's own, in order (no sample repeated, none skipped)
    cycles = x.reshape(loops, LOOP)
    np.testing.assert_allclose(cycles[1:], np.tile(np.arange(LOOP) / (2 * LOOP), (loops - 1, 1)), atol=1e-6)


def test_past_two_to_the_24_samples_loops_still_land_on_their_samples_and_an_ended_segment_stays_silent(tmp_path):
    """2^24 samples is where a float32 counter stops counting single samples (35 min at 8 kHz, 5.8 min at
    48 kHz). The intro plays once, then the loop; well past 2^24 the loop must still wrap on its ideal samples
    with the ramp's exact values, and the intro's counter, long past its end, must add nothing."""
    from engine.audio.backend import pyo

    machine = ramp_pack(tmp_path / "ramp", initial="intro")
    block = 2048  # few blocks: 2^24 samples in a few seconds
    with Engine(machine, EngineConfig(block=block)) as engine:
        window = 4 * LOOP + block
        start = -(-(2 ** 24 + 3 * LOOP) // block) * block  # a block boundary well past 2^24
        while engine.sample < start:
            engine.process()
        table = pyo().NewTable(length=window / RATE, chnls=1)
        recorder = pyo().TableRec(engine.graph.master.out[0], table).play()
        engine.process(-(-window // block) + 1)
        x = np.asarray(table.getBuffer(), dtype=np.float64)
        recorder.stop()
        del recorder, table  # pyo objects must go before their server does
        loop_origin = engine.runtime.origin
    assert loop_origin == LOOP  # the loop began when the intro ended
    phase = (start - loop_origin + np.arange(len(x))) % LOOP  # where an ideal loop is at each sample
    np.testing.assert_allclose(x, phase / (2 * LOOP), atol=1e-6)


def test_audio_longer_than_one_table_plays_every_sample_once_in_order(tmp_path, monkeypatch):
    """Audio longer than a table (2^22 frames; here 500, so the test is quick) is read table by table, each
    started from Python on its exact sample: the intro (three tables) then the loop (three tables, the last
    shorter than a block, so two start in one block) must come out sample for sample, for hundreds of loops."""
    import engine.audio.stream

    monkeypatch.setattr(engine.audio.stream, "CHUNK", 500)  # frames per streamed chunk
    machine = ramp_pack(tmp_path / "ramp", initial="intro")
    loops = 300
    out = tmp_path / "chained.wav"
    with Engine(machine) as engine:
        assert all(not player.playhead.single for player in engine.graph.mix.players.values())
        engine.render(out, None, seconds=(loops + 1) * LOOP / RATE)
    x = soundfile.read(str(out), dtype="float32", always_2d=True)[0][:(loops + 1) * LOOP, 0]
    np.testing.assert_allclose(x[LOOP // 2:LOOP], ONCE[LOOP // 2:], atol=1e-6)  # after the state's fade-in
    loop = x[2 * LOOP:].reshape(loops - 1, LOOP)  # after the first loop, which fades in
    np.testing.assert_allclose(loop, np.tile(RAMP, (loops - 1, 1)), atol=1e-6)


def test_a_start_whose_next_table_is_due_in_the_same_block_plays_it_on_its_sample(tmp_path, monkeypatch):
    """A segment entered at the same position (or resumed) may start a few samples before the end of one of its
    tables: the next table is then due inside the very block of the start, and must begin on its sample there,
    not at the next block's start (which left a gap of silence and then played that table late, over the next)."""
    import engine.audio.stream
    from engine.telemetry import Cue, Script
    from engine.events import Telemetry

    monkeypatch.setattr(engine.audio.stream, "CHUNK", 500)  # frames per streamed chunk
    folder = tmp_path / "ramp"
    ramp_pack(folder)
    (folder / "pack.yaml").write_text(
        "name: ramp\nsample_rate: 8000\ntempo: 400\nmeter: 1/4\nkey: A minor\nsegments:\n"
        "  a: {bars: 1, loop: true, stems: {ramp: ramp/ramp.wav}}\n"
        "  b: {bars: 1, loop: true, stems: {ramp: ramp/ramp.wav}}\n")
    machine = tmp_path / "same_position.yaml"
    machine.write_text(
        "pack: ramp\nevents: [go]\ninitial: first\nstates:\n  first: {segment: a}\n  second: {segment: b}\n"
        "transitions:\n  - {from: first, to: second, when: event go, sync: immediate, start: same_position}\n")
    switch = 1546  # 10 samples into a 256-sample block, at 346 in the loop: its second table is due at 1700
    script = Script(1.0, (Cue(switch / RATE, Telemetry("event", "go")),))
    out = tmp_path / "switch.wav"
    with Engine(machine) as engine:
        engine.render(out, script, seconds=1.0)
        entered = [e for e in engine.log if e["action"] == "enter" and e.get("target") == "second"]
    assert [e["sample"] for e in entered] == [switch]
    x = soundfile.read(str(out), dtype="float32", always_2d=True)[0][:, 0]
    after = np.arange(switch + 100, switch + 3 * LOOP)  # once the crossfade is over: b alone, on a's grid
    np.testing.assert_allclose(x[after], RAMP[after % LOOP], atol=1e-6)
