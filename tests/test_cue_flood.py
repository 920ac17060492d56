"""Floods of cues and stingers through the real engine: the music still follows legal input, the work stays bounded."""
from __future__ import annotations

from collections import Counter

import numpy as np

from engine.events import Telemetry
from engine.machine.timeline import CAPACITY, DUE_PER_BLOCK
from engine.session import Engine

from audio import read, run_until
from conftest import BAR, ROOT, write_machine

BROADCAST = ROOT / "statemachines" / "broadcast.yaml"
GO_LIVE = BAR + 12_345  # a legal state change after the flood; lands on the next bar line


def render(path, out, flood: int, until: int = 4 * BAR):
    """`flood` /segue/stinger/goal spread over the first bar (100 a block), then a state change."""
    with Engine(path) as engine, engine.recording(out):
        sent = 0
        while sent < flood:
            for _ in range(min(100, flood - sent)):
                engine.queue.put(Telemetry("stinger", "goal", source="/segue/stinger/goal",
                                           sample=engine.sample))
            sent += 100
            engine.process()
        if flood == 1:
            run_until(engine, BAR)
        run_until(engine, GO_LIVE - GO_LIVE % engine.block)
        engine.queue.put(Telemetry("state", "live", source="/segue/state/live", sample=GO_LIVE))
        run_until(engine, until)
        log, timeline = list(engine.log), engine.runtime.timeline
    return read(out)[:until], log, timeline


def test_ten_thousand_stingers_sound_as_one_and_a_later_state_change_lands_on_its_bar(tmp_path):
    x, log, timeline = render(BROADCAST, tmp_path / "flood.wav", 10_000)
    one, one_log, _ = render(BROADCAST, tmp_path / "one.wav", 1)
    assert [e["sample"] for e in log if e["action"] == "stinger"] == [0]  # the cooldown holds for 4 bars
    assert timeline.peak == 1  # one waiting item, not ten thousand
    assert [(e["target"], e["sample"]) for e in log if e["action"] == "enter"][-1] == ("live", 2 * BAR)
    assert np.isfinite(x).all() and np.array_equal(x, one)  # bit for bit what one stinger plays


MANY_CUES = """\
pack: tones
initial: calm
states:
  calm: {segment: calm, layers: {a: 0 dB}}
  fight: {segment: fight}
cues:
  start: {go: fight}
""" + "".join(f"  c{i}: {{fade_all: -{i % 40 + 1} dB, time: {i + 1}ms, sync: 4 bars}}\n" for i in range(CAPACITY + 44))


def test_a_full_time_queue_refuses_with_one_line_and_the_music_follows_legal_input(tone_pack, tmp_path):
    path = write_machine(tone_pack.parent, MANY_CUES, "many_cues.yaml")
    with Engine(path) as engine, engine.recording(tmp_path / "cues.wav"):
        engine.process()
        for _ in range(3):  # the same requests again: merged, not queued twice
            for i in range(CAPACITY + 44):
                engine.queue.put(Telemetry("cue", f"c{i}", 1.0, source=f"/segue/cue/c{i}",
                                           sample=engine.sample))
            engine.process()
        engine.queue.put(Telemetry("cue", "start", 1.0, source="/segue/cue/start", sample=engine.sample))
        run_until(engine, 5 * BAR)
        timeline, notices, log = engine.runtime.timeline, engine.outbox.take_notices(), list(engine.log)
    assert (timeline.peak, timeline.refused, timeline.merged) == (CAPACITY, 3 * 44, 2 * CAPACITY)
    assert notices == [f"44 cue actions or stingers refused: {CAPACITY} already waiting for their sample"]
    assert [(e["target"], e["sample"]) for e in log if e["action"] == "enter"][-1] == ("fight", BAR)
    automated = [e["sample"] for e in log if e["action"] == "automate"]
    per_block = Counter(automated)  # each queued one played, at most DUE_PER_BLOCK a block, the rest after it
    assert per_block == {4 * BAR + k * 256: DUE_PER_BLOCK for k in range(CAPACITY // DUE_PER_BLOCK)}
    x = read(tmp_path / "cues.wav")
    assert np.isfinite(x).all()
