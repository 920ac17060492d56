"""Streamed stems through the real path (an offline pyo server, real files on disk): sample-exact over chunk
boundaries and loops, memory released on eviction, silent voices out of the block yet back on their sample, a file
gone mid-show, and offline renders that wait for a slow disk and stay deterministic (issue #11).

Chunks are 500 frames here (engine/audio/stream.CHUNK, patched) so a segment of 3 bars at 8 kHz is 7 chunks, the
last one 600 frames (the 100 left over would have made a chunk shorter than a block)."""
from __future__ import annotations

import gc
import hashlib
import time
import weakref
from pathlib import Path

import numpy as np
import pytest
import soundfile

import engine.audio.stream as stream
from engine.audio.backend import pyo
from engine.audio.streamhead import Deck
from engine.audio.voices import StemVoice
from engine.errors import SegueError
from engine.events import Telemetry
from engine.fades import Envelope, FadeCurve
from engine.machine.residency import Plan, Window
from engine.doors import NULL
from engine.session import Engine, EngineConfig
from engine.telemetry import Cue, Script

from parts import Plans
from waiting import wait_until

RATE, BAR = 8000, 1200  # a 1/4 bar at 400 bpm
LOOP = 3 * BAR  # the long segment: 7 chunks of 500 (the last 600)
MACHINE = """\
pack: p
events: [go, back, half]
defaults: {sync: immediate, fade: 1 beat, fade_curve: linear}
initial: INITIAL
states:
  a: {segment: long}
  half: {segment: long, layers: {wide: 0 dB}}
  b: {segment: other}
transitions:
  - {from: any, to: b, when: event go}
  - {from: any, to: a, when: event back}
  - {from: any, to: half, when: event half}
"""


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", 500)
    monkeypatch.setattr(stream, "HEAD_SECONDS", 0.05)  # 400 frames: one chunk of each segment's head


def noise(seed: int, shape) -> np.ndarray:
    """24-bit values, so that a FLAC file holds them exactly too."""
    return (np.round(np.random.default_rng(seed).uniform(-0.1, 0.1, shape) * 2 ** 23) / 2 ** 23).astype(np.float32)


WIDE, MONO, OTHER = noise(1, (LOOP, 2)), noise(2, LOOP), noise(3, 2 * BAR)
LONG = WIDE + MONO[:, None]  # what the long segment sounds like: the mono stem plays on both sides


KINDS = {"wav": "FLOAT", "flac": "PCM_24"}  # each read its own way (engine/audio/decode.py)


def score(folder: Path, initial: str = "a", kind: str = "wav") -> Path:
    pack = folder / "p"
    for name, data in (("long/wide", WIDE), ("long/mono", MONO), ("other/tone", OTHER)):
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(pack / f"{name}.{kind}"), data, RATE, subtype=KINDS[kind])
    (pack / "pack.yaml").write_text(
        "name: p\nsample_rate: 8000\ntempo: 400\nmeter: 1/4\nkey: A minor\nsegments:\n"
        f"  long: {{bars: 3, loop: true, stems: {{wide: long/wide.{kind}, mono: long/mono.{kind}}}}}\n"
        f"  other: {{bars: 2, loop: true, stems: {{tone: other/tone.{kind}}}}}\n")
    machine = folder / "m.yaml"
    machine.write_text(MACHINE.replace("INITIAL", initial))
    return machine


def render(machine: Path, out: Path, seconds: float, cues=()) -> np.ndarray:
    script = Script(seconds, tuple(Cue(at / RATE, Telemetry("event", name)) for at, name in cues))
    with Engine(machine) as engine:
        engine.render(out, script, seconds=seconds)
    return soundfile.read(str(out), dtype="float32", always_2d=True)[0]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_long_multi_stem_segment_plays_every_sample_of_its_files_over_many_loops(tmp_path, kind):
    loops = 40
    x = render(score(tmp_path, kind=kind), tmp_path / "long.wav", loops * LOOP / RATE)[:loops * LOOP]
    played = x[LOOP:].reshape(loops - 1, LOOP, 2)  # after the first loop, which fades in
    np.testing.assert_allclose(played, np.broadcast_to(LONG, played.shape), atol=1e-7, rtol=0)
    assert np.abs(np.roll(LONG, 1, axis=0) - LONG).max() > 0.01  # a sample early or late would show


def test_start_decodes_only_heads_and_a_render_only_what_plays(tmp_path):
    """The reader on its own: the heartbeat's plans go elsewhere (here, a segment's 2 s long head is longer than
    these tiny segments, so the planner would keep them whole), and the mix starts from every segment's head."""
    machine = score(tmp_path)
    with Engine(machine, residency=Plans()) as engine:
        reader = engine.graph.mix.reader
        wait_until(lambda: all(0 in s.loaded for s in engine.graph.mix.streams.values()), 5, "every head loaded")
        assert reader.reads == 2  # one chunk of each segment's head; nothing else before the first block
        engine.process(-(-LOOP // engine.block))  # one loop of the long segment
        assert reader.reads <= 2 + 8 + stream.AHEAD
        engine.process(-(-5 * LOOP // engine.block))
        long = engine.graph.mix.streams["long"]  # its head, what plays and what comes next, a spare or two
        assert long.slots <= 1 + 2 + stream.AHEAD + stream.SPARES, (long.slots, sorted(long.loaded), long.playing)


def test_a_live_start_has_every_head_resident_before_its_first_block(tmp_path):
    with Engine(score(tmp_path), EngineConfig(door=NULL)) as engine:
        assert all(0 in s.loaded for s in engine.graph.mix.streams.values())
        engine.process()  # the first block starts the first segment from its head, on time
        assert not [n for n in engine.outbox.take_notices() if "in time" in n]


def calls(monkeypatch, method: str) -> list:
    """(voice, block start) of every call of a StemVoice method (which still does its work)."""
    seen = []
    wrapped = getattr(StemVoice, method)

    def counted(voice, block_start):
        seen.append((voice, block_start))
        wrapped(voice, block_start)

    monkeypatch.setattr(StemVoice, method, counted)
    return seen


def test_a_voice_stopped_while_silent_comes_back_on_its_exact_sample(tmp_path, monkeypatch):
    """`half` fades the mono stem out (it then sleeps: out of the block), `back` fades it in again from a sample in
    the middle of a block; then `go` fades the whole segment out (its head rests, mid-chunk) and `back` starts it
    again. The render must be bit-identical to one where nothing ever sleeps, and play the files exactly."""
    machine = score(tmp_path)
    cues = [(2 * LOOP + 77, "half"), (4 * LOOP + 1001, "back"), (6 * LOOP + 333, "go"), (7 * LOOP + 1777, "back")]
    slept = calls(monkeypatch, "sleep")
    x = render(machine, tmp_path / "sleeping.wav", 10 * LOOP / RATE, cues)
    voices = [voice for voice, _ in slept]
    assert len(voices) > len(set(voices))  # besides the first sleep of every voice at start: mono slept in `half`

    def awake(voice, block_start):
        voice.sounding = False  # the bookkeeping only: every pyo object keeps running

    monkeypatch.setattr(StemVoice, "sleep", awake)
    monkeypatch.setattr(StemVoice, "rest_level", lambda voice, block_start: None)
    y = render(machine, tmp_path / "awake.wav", 10 * LOOP / RATE, cues)
    assert hashlib.sha256(x.tobytes()).digest() == hashlib.sha256(y.tobytes()).digest()
    back = 4 * LOOP + 1001 + BAR  # once mono has faded in again
    after = np.arange(back, 6 * LOOP)
    np.testing.assert_allclose(x[after], LONG[after % LOOP], atol=1e-7, rtol=0)
    again = 7 * LOOP + 1777  # the segment from its start again, on decks that rested mid-chunk
    rising = np.arange(again, again + BAR)  # under its linear fade in, chunk boundaries included
    gain = ((rising - again) / BAR)[:, None]
    other = OTHER[(rising - (6 * LOOP + 333)) % len(OTHER)][:, None]  # fading out meanwhile
    # (the player's ramp runs a hair off this ideal line: 2e-4 at most; a deck read from a stale place is 0.07 off)
    np.testing.assert_allclose(x[rising], LONG[rising - again] * gain + other * (1 - gain), atol=1e-3, rtol=0)
    after = np.arange(again + BAR, 10 * LOOP)
    np.testing.assert_allclose(x[after], LONG[(after - again) % LOOP], atol=1e-7, rtol=0)


def test_a_stem_held_at_its_gain_costs_the_block_no_python_until_it_changes(tmp_path, monkeypatch):
    """Once its fade is over, a stem's gain is a constant of its reads and the block's bookkeeping passes it by
    (the block costs what changes, not how many stems sound); a fade brings it back until it holds again."""
    looked = calls(monkeypatch, "hold")
    with Engine(score(tmp_path)) as engine:
        player = engine.graph.mix.players["long"]
        engine.process(-(-2 * BAR // engine.block))  # the first fade in (a beat) is long over
        assert all(v.held for v in player.stems.values())
        looked.clear()
        engine.process(-(-3 * LOOP // engine.block))
        assert looked == [] and engine.graph.mix.players["long"].out.isPlaying()
        engine.queue.put(Telemetry("event", "half", sample=engine.sample))
        engine.process(-(-2 * BAR // engine.block))
        assert looked and player.stems["wide"].held and not player.stems["mono"].sounding  # mono faded out
        looked.clear()
        engine.process(-(-LOOP // engine.block))
        assert looked == []


def test_stems_holding_their_gains_play_their_chunks_premix_bit_identical_to_their_reads(tmp_path, monkeypatch):
    """While every sounding stem holds its gain, a deck reads its chunk's premix (one read for all stems) instead
    of each stem; a fade or a level change goes back to the stems' reads from its block. The render through
    the premix must be bit-identical to one that never reads it, over fades in, out, a sleeping stem and restarts,
    and the premix must carry most of the music (otherwise this test would compare the stems' reads with
    themselves)."""
    machine = score(tmp_path)
    cues = [(2 * LOOP + 77, "half"), (4 * LOOP + 1001, "back"), (6 * LOOP + 333, "go"), (7 * LOOP + 1777, "back")]
    mixing = []
    decide = Deck.mixes

    def counted(deck, held):
        mixing.append(decide(deck, held))
        return mixing[-1]

    monkeypatch.setattr(Deck, "mixes", counted)
    x = render(machine, tmp_path / "premix.wav", 10 * LOOP / RATE, cues)
    assert mixing.count(True) > 10
    monkeypatch.setattr(Deck, "mixes", lambda deck, held: False)
    y = render(machine, tmp_path / "reads.wav", 10 * LOOP / RATE, cues)
    assert hashlib.sha256(x.tobytes()).digest() == hashlib.sha256(y.tobytes()).digest()
    np.testing.assert_allclose(x[LOOP:2 * LOOP], LONG, atol=1e-7, rtol=0)  # and it is the files' sum


def test_a_premix_is_written_again_only_when_no_block_can_be_reading_it_and_the_gains_hold(tmp_path):
    """The reader mixes a playing chunk again for new gains only once the segment holds other gains than the
    chunk's mix (Reader._mix): while they are its mix's, the mix is left as it is. And only once they have held
    for MIX_AFTER: a level that moves all the time costs no mix a move."""
    with Engine(score(tmp_path)) as engine:
        engine.process(-(-2 * BAR // engine.block))
        long = engine.graph.mix.streams["long"]
        reader = engine.graph.mix.reader
        wait_until(lambda: all(s.mixed == long.held for s in long.loaded.values() if s.chunk in long.playing), 5,
                   "the playing chunks mixed")
        slot = long.loaded[long.playing[0]]
        table = np.asarray(slot.mix.getBuffer(0))
        before = table.copy()
        reader._mix(long, slot)  # gains unchanged: nothing written
        assert slot.mixed == long.held and np.array_equal(table, before)
        long.held = (0.5, 1.0)  # as the heartbeat sets it (no block runs meanwhile)
        reader._mix(long, slot)
        assert slot.mixed == (0.5, 1.0)
        wide = np.asarray(slot.tables[0].getBuffer(0))
        mono = np.asarray(slot.tables[1].getBuffer(0))
        expected = (wide * np.float32(0.5) + np.float32(0)) + mono * np.float32(1.0)
        assert np.array_equal(table, expected)
        playing = [long.loaded[c] for c in long.playing if c in long.loaded]
        since = time.monotonic()
        long.held = (0.25, 1.0)
        reader.wake()
        time.sleep(stream.MIX_AFTER / 2)
        assert all(s.mixed != long.held for s in playing)  # too young to mix
        wait_until(lambda: all(s.mixed == long.held for s in playing), 5, "the playing chunks mixed again")
        assert time.monotonic() - since >= stream.MIX_AFTER
        del table, wide, mono


def test_a_segment_neither_planned_nor_sounding_is_evicted_with_its_tables_and_files(tmp_path):
    machine = score(tmp_path)
    with Engine(machine, residency=Plans()) as engine:  # only this test's plan reaches the mix
        mix = engine.graph.mix
        long = mix.streams["long"]
        engine.process(8)
        wait_until(lambda: long.loaded and long.files, 5, "the long segment loaded")
        # list() copies the dict in one step: the reader may still be publishing chunks
        tables = [weakref.ref(t) for slot in list(long.loaded.values()) for t in slot.tables]
        engine.queue.put(Telemetry("event", "go", sample=engine.sample + 10))
        mix.plan(Plan(engine.sample, (Window("other", 0, 400),)))
        assert mix.players["long"].out.isPlaying() and not mix.players["other"].out.isPlaying()
        engine.process(-(-2 * BAR // engine.block))  # the fade out (a beat) and a little more
        assert not mix.players["long"].playhead.busy
        # the silent segment's sum is out of the block as well, the sounding one's in it
        assert not mix.players["long"].out.isPlaying() and mix.players["other"].out.isPlaying()
        wait_until(lambda: not long.loaded and not long.files and long.slots == 0, 5,
                   lambda: f"long evicted (loaded {sorted(long.loaded)}, slots {long.slots}, files {list(long.files)})")
        gc.collect()
        assert all(t() is None for t in tables)  # the pyo tables are gone, not only forgotten
        assert mix.streams["other"].loaded  # what plays stays


def test_a_file_gone_mid_show_is_told_once_and_the_rest_plays(tmp_path):
    machine = score(tmp_path, initial="b")
    with Engine(machine) as engine:
        mix, long = engine.graph.mix, engine.graph.mix.streams["long"]
        mix.plan(Plan(0, (Window("other", 0, 400),)))  # the long segment is not needed: evicted, files closed
        engine.process(4)
        wait_until(lambda: not long.loaded and not long.files, 5, "long evicted")
        (tmp_path / "p" / "long" / "mono.wav").unlink()
        at = engine.sample + 300
        engine.queue.put(Telemetry("event", "back", sample=at))
        out = tmp_path / "gone.wav"
        with engine.recording(out):
            engine.process(-(-(4 * LOOP) // engine.block))
        notices = engine.outbox.take_notices()
    x = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    gone = [n for n in notices if "mono.wav" in n]
    assert len(gone) == 1, notices
    assert "segment 'long', stem 'mono'" in gone[0] and "that stem is silent, the rest plays" in gone[0]
    first = at - (engine.sample - len(x))  # where the long segment began in the recording
    after = np.arange(first + BAR, first + 3 * LOOP)
    np.testing.assert_allclose(x[after], WIDE[(after - first) % LOOP], atol=1e-7, rtol=0)


def test_offline_waits_for_a_slow_disk_and_renders_the_same(tmp_path, monkeypatch):
    machine = score(tmp_path)
    fast = render(machine, tmp_path / "fast.wav", 3 * LOOP / RATE)
    decode = stream.Reader._decode

    def slow(reader, s, stem, start, frames):
        time.sleep(0.02)
        return decode(reader, s, stem, start, frames)

    monkeypatch.setattr(stream.Reader, "_decode", slow)
    slowly = render(machine, tmp_path / "slow.wav", 3 * LOOP / RATE)
    assert hashlib.sha256(fast.tobytes()).digest() == hashlib.sha256(slowly.tobytes()).digest()


def test_offline_fails_clearly_when_a_chunk_misses_its_deadline(tmp_path, monkeypatch):
    machine = score(tmp_path)
    decode = stream.Reader._decode

    def stuck(reader, s, stem, start, frames):
        if start == 3 * stream.CHUNK:
            time.sleep(1.0)
        return decode(reader, s, stem, start, frames)

    monkeypatch.setattr(stream.Reader, "_decode", stuck)
    monkeypatch.setattr(stream, "WAIT_SECONDS", 0.1)
    with pytest.raises(SegueError, match=r"segment 'long': the chunk from 0\.19 s was not read from disk within "
                                         r"0\.1 s; nothing was written"):
        render(machine, tmp_path / "late.wav", 2 * LOOP / RATE)
    assert not (tmp_path / "late.wav").exists()


def test_live_a_late_chunk_is_silence_told_once_and_the_block_never_waits(tmp_path, monkeypatch):
    machine = score(tmp_path)
    decode = stream.Reader._decode

    def slow(reader, s, stem, start, frames):
        if start >= 2 * stream.CHUNK:
            time.sleep(0.05)
        return decode(reader, s, stem, start, frames)

    monkeypatch.setattr(stream.Reader, "_decode", slow)
    with Engine(machine) as engine:
        engine.process(2)  # the first chunk, waited for (offline)
        for player in engine.graph.mix.players.values():
            player.playhead.wait = None  # from here on, as live: never wait
        started = time.perf_counter()
        engine.process(-(-LOOP // engine.block))
        assert time.perf_counter() - started < 0.5  # 0.05 s a chunk, 6 chunks, two stems: it did not wait
        late = [n for n in engine.outbox.take_notices() if "not read from disk in time" in n]
    assert len(late) == 1 and late[0].startswith("segment 'long': the chunk from"), late


def test_a_window_names_the_chunks_that_hold_it_round_a_loop_or_up_to_the_end():
    loop = stream.SegmentStream("s", [], 3600, loop=True)  # 8 chunks of 500, the last of 100
    assert loop.window_chunks(0, 400) == [0]
    assert loop.window_chunks(3400, 400) == [6, 7, 0]  # round the loop
    assert loop.window_chunks(3600 + 499, 2) == [0, 1]  # an offset past the length wraps
    assert loop.window_chunks(0, 10 ** 6) == list(range(8))  # never more than the segment
    once = stream.SegmentStream("s", [], 3600, loop=False)
    assert once.window_chunks(3400, 400) == [6, 7] and once.window_chunks(3600, 10) == []


def test_no_chunk_is_shorter_than_a_block_and_each_table_holds_what_follows_its_chunk():
    """A deck changes chunk at most once a block, and a restart may play a chunk on up to a block past its end."""
    loop = stream.SegmentStream("s", [], 3600, loop=True, least=256)  # 100 left over: joins the last chunk
    assert (loop.chunks, loop.chunk_frames(5), loop.chunk_frames(6), loop.tail) == (7, 500, 600, 256)
    assert loop.rest == 600 + 256  # the longest chunk and its tail, then the silent frame
    assert loop.locate(2999) == (5, 499) and loop.locate(3599) == (6, 599)
    assert loop.window_chunks(3400, 400) == [6, 0]
    assert loop.pieces(2) == ((1000, 500 + 256),)  # the next chunk's first frames
    assert loop.pieces(6) == ((3000, 600), (0, 256))  # round the loop
    once = stream.SegmentStream("s", [], 3600, loop=False, least=256)
    assert once.pieces(6) == ((3000, 600),) and once.locate(3600) == (7, 0)  # silence after the end; past it
    whole = stream.SegmentStream("s", [], 700, loop=True, least=256)  # 200 left over: one table of 700
    assert (whole.chunks, whole.size, whole.tail, whole.rest, whole.pieces(0)) == (1, 700, 0, 700, ((0, 700),))


def test_a_plan_makes_its_windows_resident_so_a_start_there_lands_at_once_live(tmp_path):
    """A plan naming the long segment from 1.6 chunks in: those chunks are loaded, the others are not, and a
    start there (live: the block never waits) plays the file from its first sample."""
    machine = score(tmp_path, initial="b")
    with Engine(machine) as engine:
        mix, long = engine.graph.mix, engine.graph.mix.streams["long"]
        mix.plan(Plan(0, (Window("other", 0, 400), Window("long", 800, 600))))
        wait_until(lambda: sorted(long.loaded) == [1, 2], 5, lambda: f"chunks 1 and 2 only ({sorted(long.loaded)})")
        for player in mix.players.values():
            player.playhead.wait = None  # live from here: never wait
        engine.process(2)
        at = engine.sample + 100  # 100 samples into the next block
        mix.start("long", at, 100, 800)  # as the graph applies a StartSegment from 800 frames in
        mix.fade("long", "wide", 100, Envelope.fade(at, 1.0, 1.0, 40, FadeCurve.LINEAR), engine.sample)
        table = pyo().NewTable(length=3 * engine.block / RATE, chnls=2)
        recorder = pyo().TableRec(mix.players["long"].out, table).play()  # the wide stem alone, from that block
        engine.process(3)  # up to frame 1468: the window's chunks only (unpaced, later ones would be late)
        wide = np.stack([np.asarray(table.getBuffer(c)) for c in range(2)], axis=1).copy()
        recorder.stop()
        del recorder, table  # pyo objects go before their server does
        late = [n for n in engine.outbox.take_notices() if "'long'" in n]  # (other, unpaced here, may be late)
    assert not late
    np.testing.assert_array_equal(wide[:100], 0.0)
    np.testing.assert_array_equal(wide[100:768], WIDE[800:1468])  # across a chunk boundary


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_file_cut_short_while_it_plays_is_told_once_and_the_rest_plays(tmp_path, kind):
    """The mono stem's file loses its second half while the segment plays (its file open in the reader): the
    chunks past the cut are told once as unreadable, that stem goes silent, the wide stem plays on exactly."""
    machine = score(tmp_path, kind=kind)
    mono = tmp_path / "p" / "long" / f"mono.{kind}"
    with Engine(machine) as engine:
        long = engine.graph.mix.streams["long"]
        engine.process(2)
        wait_until(lambda: "mono" in long.files, 5, "the mono stem's file open")
        with open(mono, "r+b") as f:  # about half its frames (a WAV of float32 mono: 4 bytes a frame)
            f.truncate(mono.stat().st_size - 4 * (LOOP // 2) if kind == "wav" else mono.stat().st_size // 2)
        out = tmp_path / "cut.wav"
        first = engine.sample
        with engine.recording(out):
            engine.process(-(-3 * LOOP // engine.block))
        notices = engine.outbox.take_notices()
    x = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    cut = [n for n in notices if f"mono.{kind}" in n]
    assert len(cut) == 1 and "segment 'long', stem 'mono'" in cut[0] and "cut short or corrupt?" in cut[0], notices
    late = np.arange(LOOP - first, 3 * LOOP - first)  # from the second loop on, mono is silent throughout
    np.testing.assert_allclose(x[late], WIDE[(late + first) % LOOP], atol=1e-7, rtol=0)


RESTARTS = """\
pack: p
events: [again]
defaults: {sync: immediate, fade: 0s}
initial: a
states:
  a: {segment: long}
  b: {segment: long}
transitions:
  - {from: a, to: b, when: event again, start: start}
  - {from: b, to: a, when: event again, start: start}
"""


def restart_points(block: int) -> list[int]:
    """Restarts of the long segment (chunks of 500 from each start, the last 600 with the 100 that would have
    been a chunk shorter than a block), each placed against the run before it: just after one of its chunk
    boundaries in the same block (the next chunk began there), just before one in the same block, on one, on a
    block's first sample, and just after the loop comes round in the same block."""
    def boundary(run: int, room) -> int:
        for m in (1, 2, 3, 4, 5, 6, 7):  # 7: the loop's end, where chunk 0 begins again
            b = run + (3600 if m == 7 else 500 * m)
            if room(b % block):
                return b
        raise AssertionError("no boundary fits")

    run, points = 0, []
    for place in ("after", "before", "on", "block", "after", "before", "wrap", "after"):
        if place == "after":
            b = boundary(run, lambda k: k < block - 8)
            at = b + (block - b % block) // 2
        elif place == "before":
            at = boundary(run, lambda k: k > 8) - 3
        elif place == "on":
            at = boundary(run, lambda k: True)
        elif place == "block":
            at = (run + 700) // block * block + block
        else:
            b = run + 3600
            at = b + 1 if b % block < block - 1 else b + block // 2
        points.append(at)
        run = at
    return points


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_restart_lands_on_its_sample_wherever_it_falls_against_chunks_and_blocks(tmp_path, kind):
    """A state that starts its own segment again (`start: start`) cuts the old run on the restart's sample and
    plays the segment from its beginning there, however the restart falls against the old run's chunks and the
    audio blocks: in the block where the old run's next chunk began (that chunk's deck could not both begin and
    stop in one block; the deck before plays on into its table's tail), just before a boundary, on one, on a
    block's first sample, and as the loop comes round. Every sample is the files'."""
    machine = score(tmp_path, kind=kind)
    machine.write_text(RESTARTS)
    with Engine(machine) as engine:
        block = engine.block
    points = restart_points(block)
    seconds = (points[-1] + 2 * LOOP) / RATE
    script = Script(seconds, tuple(Cue(at / RATE, Telemetry("event", "again")) for at in points))
    out = tmp_path / "restarts.wav"
    with Engine(machine) as engine:
        engine.render(out, script, seconds=seconds)
        starts = [(e["sample"], e["offset"]) for e in engine.log if e["action"] == "start"]
    assert starts == [(0, 0)] + [(at, 0) for at in points]
    x = soundfile.read(str(out), dtype="float32", always_2d=True)[0]
    t = np.arange(len(x))
    origin = np.array([0] + points)[np.searchsorted(np.array([0] + points), t, side="right") - 1]
    expected = LONG[(t - origin) % LOOP]
    first = engine.machine.pack.sample_rate // 100  # after the first start's fade in (5 ms)
    np.testing.assert_allclose(x[first:], expected[first:], atol=1e-7, rtol=0)
