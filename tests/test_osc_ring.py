"""The ring between the OSC receiver process and the audio block: records arrive whole and in order, a full
ring refuses and counts, and names the playing machine lacks are set aside with a notice, not applied."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from engine.events import Telemetry
from engine.osc import ring
from engine.osc.ring import PATIENCE, PER_BLOCK, SLOTS, RingReader, RingWriter

from conftest import ROOT


def a_ring(known=frozenset({("param", "intensity"), ("event", "go"), ("cue", "talk")}), patience=PATIENCE):
    fd, memory = ring.create()
    writer, reader = RingWriter(ring.attach(fd), patience), RingReader(memory, known)
    return writer, reader


def drain_all(reader: RingReader) -> list[Telemetry]:
    out: list[Telemetry] = []
    while batch := reader.drain():
        out += batch
    return out


def test_records_cross_whole_and_in_order():
    writer, reader = a_ring()
    sent = [Telemetry("param", "intensity", i / 7, "/game/intensity", 1_000 + i, due=1.5 + i) for i in range(5)]
    sent.append(Telemetry("event", "go", 1.0, "/segue/event/go", 42, due=9.0))
    sent.append(Telemetry("control", "status", 9001.0, "127.0.0.1", 43))
    for item in sent:
        assert writer.put(item)
    assert reader.drain() == sent
    assert reader.drain() == []


def test_a_flood_of_one_param_or_event_is_held_until_flushed_and_comes_out_as_one_item_standing_for_all():
    writer, reader = a_ring()
    for i in range(5):
        writer.put(Telemetry("param", "intensity", i / 10, "/game/intensity", 1_000 + i))
        writer.put(Telemetry("event", "go", 1.0, "/segue/event/go", 2_000 + i))
    writer.put(Telemetry("param", "intensity", 0.9, "/segue/param/intensity", 3_000))
    writer.put(Telemetry("event", "go", 1.0, "/segue/event/go", 4_000, due=12.5))  # for later: kept apart
    assert reader.drain() == [Telemetry("event", "go", 1.0, "/segue/event/go", 4_000, due=12.5)]
    assert writer.flush() == 0
    assert reader.drain() == [Telemetry("param", "intensity", 0.9, "/segue/param/intensity", 3_000, updates=6),
                              Telemetry("event", "go", 1.0, "/segue/event/go", 2_004, updates=5)]
    assert reader.drain() == []


def test_a_full_ring_waits_a_moment_then_refuses_counts_and_takes_again_once_read():
    writer, reader = a_ring(patience=0.05)
    item = Telemetry("cue", "talk", 1.0, "/segue/cue/talk")  # cues are never merged
    assert all(writer.put(item) for _ in range(SLOTS))
    started = time.monotonic()
    assert not writer.put(item) and not writer.put(item)
    assert time.monotonic() - started >= 2 * 0.05  # it waited for the reader before giving up
    assert reader.dropped == 2
    assert len(drain_all(reader)) == SLOTS
    assert writer.put(item) and reader.drain() == [item]


def test_one_block_reads_a_bounded_number_of_records_and_the_rest_follow_in_order():
    writer, reader = a_ring()
    sent = [Telemetry("cue", "talk", float(i), "/segue/cue/talk") for i in range(2 * PER_BLOCK + 5)]
    for item in sent:
        writer.put(item)
    blocks = [reader.drain(), reader.drain(), reader.drain(), reader.drain()]
    assert [len(b) for b in blocks] == [PER_BLOCK, PER_BLOCK, 5, 0]
    assert [t for b in blocks for t in b] == sent


def test_names_the_playing_machine_lacks_are_noticed_not_applied():
    writer, reader = a_ring()
    writer.put(Telemetry("state", "lull", 1.0, "/segue/state/lull"))
    writer.put(Telemetry("event", "go", 1.0, "/segue/event/go"))
    writer.flush()
    assert [t.name for t in reader.drain()] == ["go"]
    assert reader.stale == 1 and "state 'lull' is not in the machine playing now" in reader.notices[0]


def test_counts_written_by_the_receiver_are_read_by_the_engine():
    writer, reader = a_ring()
    assert not reader.is_ready
    writer.counts(datagrams=12, rejected=3)
    writer.ready()
    writer.loaded(2)
    assert (reader.datagrams, reader.rejected, reader.is_ready, reader.loaded) == (12, 3, True, 2)


def test_a_full_ring_takes_the_record_as_soon_as_the_reader_makes_room():
    writer, reader = a_ring(patience=60.0)  # however slow this machine is today, the reader comes first
    item = Telemetry("cue", "talk", 1.0, "/segue/cue/talk")
    for _ in range(SLOTS):
        writer.put(item)
    drained = []
    timer = threading.Timer(0.05, lambda: drained.extend(reader.drain()))
    timer.start()
    assert writer.put(Telemetry("cue", "talk", 0.0, "/segue/cue/talk"))  # waited, then had room
    timer.join()
    assert len(drained) == PER_BLOCK and reader.dropped == 0
    rest = drain_all(reader)
    assert len(rest) == SLOTS - PER_BLOCK + 1 and rest[-1].value == 0.0


HAMMER = """
import sys
from engine.events import Telemetry
from engine.osc import ring
writer = ring.RingWriter(ring.attach(int(sys.argv[1])), patience=30.0)
for i in range(int(sys.argv[2])):
    writer.put(Telemetry("cue", "talk", float(i), f"/take/{i}/{'x' * (i % 90)}", i, due=i + 0.5,
                         sender=str(i % 255)))
"""


def test_every_record_a_writer_process_hammers_in_arrives_whole_once_and_in_order():
    """The receiver's real publish step from another process, laps around the ring while the engine reads: each
    record's fields must agree with each other (a torn or stale one would not) and none may be lost or doubled."""
    fd, memory = ring.create()
    reader = RingReader(memory, frozenset({("cue", "talk")}))
    count = 3 * SLOTS + 777
    writer = subprocess.Popen([sys.executable, "-c", HAMMER, str(fd), str(count)], pass_fds=(fd,),
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    got: list[Telemetry] = []
    deadline = time.monotonic() + 120
    while len(got) < count and time.monotonic() < deadline:
        got += reader.drain()
    writer.wait(timeout=10)
    assert writer.returncode == 0 and len(got) == count
    for i, item in enumerate(got):
        assert (item.value, item.arrived_ns, item.due, item.sender) == (float(i), i, i + 0.5, str(i % 255)), item
        assert item.source == f"/take/{i}/{'x' * (i % 90)}"[:ring.SOURCE_BYTES], item
    assert reader.torn == 0 and reader.dropped == 0


@pytest.mark.parametrize("tear", ["odd sequence", "last lap's sequence", "flipped payload byte"])
def test_a_torn_record_is_never_returned_and_is_skipped_once_it_stays_torn(tear):
    fd, memory = ring.create()
    words = memoryview(memory).cast("Q")
    words[ring.WRITE] = words[ring.READ] = SLOTS  # one lap done: the slots hold the last lap's records
    writer, reader = RingWriter(ring.attach(fd)), RingReader(memory, frozenset({("cue", "talk")}))
    sent = [Telemetry("cue", "talk", float(i), "/segue/cue/talk") for i in range(3)]
    for item in sent:
        writer.put(item)
    at = ring.HEADER + ring.RECORD  # the second record's slot
    if tear == "odd sequence":
        words[at // 8] -= 1  # as if the writer were still inside it
    elif tear == "last lap's sequence":
        words[at // 8] -= 2 * SLOTS  # the slot as it was one lap ago
    else:
        reader._m[at + 100] ^= 0xFF  # a payload the writer never finished (seen out of order)
    assert reader.drain() == sent[:1]
    for _ in range(ring.STALL_BLOCKS - 1):  # waits for it, a block at a time: never reads it
        assert reader.drain() == []
    assert reader.drain() == sent[2:] and reader.torn == 1 and "never became whole" in reader.notices[-1]
