"""Streamed stems' memory over many transitions (issue #11): a score of several long segments, tiny chunks, a
transition every few blocks to one of the segments the machine can reach, the reader given time to load each plan
(as it has live). The slots alive stay within what the plan names plus what plays (and a playing segment's
spares), never pile up across the segments the transitions visit, and stay within the reader's global budget;
every window the plan names is resident once the reader settles, so no transition starts late. Slots and tables
are counted as objects too, not only through the reader's counters."""
from __future__ import annotations

import gc
import random
from pathlib import Path

import numpy as np
import pytest
import soundfile

import engine.audio.stream as stream
from engine.events import Telemetry
from engine.session import Engine

from waiting import wait_until

RATE = 8000
SEGMENTS, EXITS = 8, 3
BARS = 40  # 1200 frames a bar at 400 bpm in 1/4: 48000 frames (6 s), 8 chunks of 6000
CHUNK = 6000  # a long head (2 s) spans at most 4 chunks, a short one (0.5 s) 1: the plan fits a segment's slots


def score(folder: Path) -> Path:
    pack = folder / "p"
    lines = ["name: p", f"sample_rate: {RATE}", "tempo: 400", "meter: 1/4", "key: A minor", "segments:"]
    rng = np.random.default_rng(0)
    for g in range(SEGMENTS):
        stems = {}
        for s in range(2):
            path = pack / f"g{g}" / f"s{s}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            soundfile.write(str(path), rng.uniform(-0.05, 0.05, (BARS * 1200, 2)).astype(np.float32), RATE,
                            subtype="FLOAT")
            stems[f"s{s}"] = f"g{g}/s{s}.wav"
        lines.append(f"  g{g}: {{bars: {BARS}, loop: true, stems: {{{', '.join(f'{k}: {v}' for k, v in stems.items())}}}}}")
    (pack / "pack.yaml").write_text("\n".join(lines) + "\n")
    events = [f"x{k}" for k in range(1, EXITS + 1)]
    machine = ["pack: p", f"events: [{', '.join(events)}]", "initial: s0",
               "defaults: {sync: beat, fade: 1 beat, fade_curve: linear}", "states:"]
    machine += [f"  s{g}: {{segment: g{g}}}" for g in range(SEGMENTS)]
    machine.append("transitions:")
    for g in range(SEGMENTS):
        machine += [f"  - {{from: s{g}, to: s{(g + 2 * k - 1) % SEGMENTS}, when: event {e}}}"
                    for k, e in enumerate(events, 1)]
    path = folder / "m.yaml"
    path.write_text("\n".join(machine) + "\n")
    return path


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", CHUNK)
    monkeypatch.setattr(stream, "HEAD_SECONDS", 0.05)


def slots_alive() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, stream.Slot))


def needed(mix) -> int:
    """What the plan names, what plays, and the spares a playing segment may keep."""
    total = 0
    for s in mix.streams.values():
        total += len(set(s.windows) | set(s.playing)) + (stream.SPARES if s.playing else 0)
    return total


def run(machine: Path, transitions: int, check, settle: float = 2.0) -> Engine:
    rng = random.Random(3)
    gc.collect()
    before = slots_alive()  # another test's engine, closed, may still be collected later
    with Engine(machine) as engine:
        engine.slots_before = before
        mix, reader = engine.graph.mix, engine.graph.mix.reader
        beat = 1200  # frames: the machine syncs on beats
        for k in range(transitions):
            engine.queue.put(Telemetry("event", f"x{rng.randint(1, EXITS)}"))
            for _ in range(-(-2 * beat // engine.block)):  # two beats: the move lands, the next plan is made
                engine.process()
                reader.settle(settle)  # live, the reader has the time to load the plan: give it that here
                check(engine, mix, reader)
        moves = sum(1 for e in engine.log if e["action"] == "enter")
        assert moves >= transitions * 0.9, moves
        assert not engine.outbox.fatal
    assert reader.bytes == 0 and not any(s.slots or s.loaded or s.files for s in mix.streams.values())
    return engine


def test_slots_stay_within_what_the_plan_names_and_what_plays_over_many_transitions(tmp_path):
    machine = score(tmp_path)
    peaks = {"slots": 0, "visited": set()}

    def check(engine, mix, reader):
        def within() -> bool:  # the reader evicts within its poll of a segment falling silent
            return (sum(s.slots for s in mix.streams.values()) <= needed(mix)
                    and reader.bytes == sum(s.slots * s.slot_bytes for s in mix.streams.values()))

        wait_until(within, 2.0, lambda: str({n: (s.slots, s.windows, s.playing) for n, s in mix.streams.items()}))
        total = sum(s.slots for s in mix.streams.values())
        for w in engine.heartbeat.plan.windows:  # every window the plan names is resident: no late start
            s = mix.streams[w.segment]
            missing = [c for c in s.window_chunks(w.offset, w.frames) if c not in s.loaded]
            assert not missing, (w, missing, sorted(s.loaded))
        peaks["slots"] = max(peaks["slots"], total)
        peaks["visited"] |= {n for n, s in mix.streams.items() if s.playing}

    run(machine, 60, check)
    assert peaks["visited"] == {f"g{g}" for g in range(SEGMENTS)}  # the transitions went everywhere


def test_no_slot_outlives_its_count_and_a_segment_left_keeps_only_what_the_plan_names(tmp_path):
    machine = score(tmp_path)

    def check(engine, mix, reader):
        held = sum(1 for d in (p.playhead.decks for p in mix.players.values()) for deck in d
                   if deck.slot is not None and all(deck.slot is not x for s in mix.streams.values()
                                                     for x in list(s.loaded.values()) + s.spare))
        assert held == 0  # a deck never reads a slot the reader no longer counts
        for name, s in mix.streams.items():
            if not s.playing and not s.windows:
                assert s.slots == 0 and not s.files, (name, s.slots, list(s.files))
        if engine.heartbeat.sample % (16 * engine.block) == 0:  # the reader thread may be between making a slot
            def agree() -> bool:                                  # and counting it: a leak never agrees
                gc.collect()
                return slots_alive() - engine.slots_before == sum(s.slots for s in mix.streams.values())

            wait_until(agree, 2.0, lambda: f"{slots_alive() - engine.slots_before} slots alive, "
                                           f"{sum(s.slots for s in mix.streams.values())} counted")

    run(machine, 25, check)


def test_the_global_budget_holds_and_what_plays_still_streams(tmp_path, monkeypatch):
    """A budget smaller than what the plan names: the least likely windows give way, what plays does not."""
    machine = score(tmp_path)
    slot = 4 * (CHUNK + 1) * 4  # two stereo stems, CHUNK frames and a silent one
    monkeypatch.setattr(stream, "MEMORY_MB", 14 * slot / 2 ** 20)

    def check(engine, mix, reader):
        assert reader.bytes <= reader.budget
        wait_until(lambda: all(c in s.loaded for s in mix.streams.values() for c in s.playing), 2.0,
                   lambda: str({s.name: (s.playing, sorted(s.loaded)) for s in mix.streams.values()}))

    engine = run(machine, 20, check, settle=0.01)  # the plan never fits: settling would always time out
    assert engine.graph.mix.reader.peak_bytes <= 14 * slot
    notices = [n for n in engine.outbox.take_notices() if "not resident" in n]
    assert len(notices) == 1, notices  # told once


def test_what_plays_streams_even_when_it_alone_is_over_the_budget(tmp_path, monkeypatch):
    """A segment so wide that the chunks it plays need more than the whole budget (64 stereo stems of 2^16-frame
    chunks are 34 MB a chunk): it plays every sample all the same, told once; its own slots bound it."""
    machine = score(tmp_path)
    slot = 4 * (CHUNK + 1) * 4
    monkeypatch.setattr(stream, "MEMORY_MB", slot / 2 ** 20)  # one chunk of one segment: what plays needs more

    def check(engine, mix, reader):
        wait_until(lambda: all(c in s.loaded for s in mix.streams.values() for c in s.playing), 2.0,
                   lambda: str({s.name: (s.playing, sorted(s.loaded)) for s in mix.streams.values()}))

    engine = run(machine, 12, check, settle=0.01)
    streams = engine.graph.mix.streams.values()
    assert engine.graph.mix.reader.peak_bytes <= 2 * stream.SLOTS * max(s.slot_bytes for s in streams)
    assert len([n for n in engine.outbox.take_notices() if "not resident" in n]) == 1
