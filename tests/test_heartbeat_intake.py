"""The heartbeat's intake: telemetry placed on its sample, held for later when dated past the block, turned into one
typed input; params applied to the bank once per block (newest wins) and logged after the rest."""
from __future__ import annotations

import os

import pytest

from engine.events import EventQueue, Kind, Telemetry
from engine.osc import ring

from conftest import BAR, write_machine
from parts import BLOCK, intake


@pytest.fixture
def machine(tone_pack):
    return write_machine(tone_pack.parent, name="intake.yaml")


def test_one_block_of_telemetry_becomes_one_typed_input(machine):
    queue = EventQueue()
    part = intake(machine, queue)
    for item in (Telemetry("event", "go", source="/segue/event/go", sample=10),
                 Telemetry("param", "intensity", 0.2, "/segue/param/intensity"),
                 Telemetry(Kind.CUE, "panic", 1.0, "/segue/panic"),
                 Telemetry(Kind.STINGER, "boom", 1.0, "/segue/stinger/boom"),
                 Telemetry(Kind.STATE, "fight", 1.0, "/segue/state/fight", sample=20),
                 Telemetry(Kind.LOCK, "arp", 1.0, "/segue/generate/arp/lock"),
                 Telemetry(Kind.PARAM, "intensity", 7.0, "/segue/param/intensity", updates=3),
                 Telemetry(Kind.CONTROL, "status", 9001.0, "127.0.0.1")):
        queue.put(item)
    ask = part.take(0, BLOCK)
    assert ask.events == {"go"} and ask.cues == [("panic", 1.0)] and ask.stingers == ["boom"]
    assert ask.force == "fight" and ask.locks == [("arp", True)] and ask.at == 10  # the earliest dated item
    assert [c.name for c in ask.controls] == ["status"]  # for OSC feedback; never logged, never counted
    assert part.params.params["intensity"].target == 1.0  # the newest value, clamped to the range
    kinds = [(e["kind"], e["value"], e.get("updates", 1)) for e in part.log]
    assert kinds == [("event", 1.0, 1), ("cue", 1.0, 1), ("stinger", 1.0, 1), ("state", 1.0, 1), ("lock", 1.0, 1),
                     ("param", 1.0, 4)]  # params last, one line standing for all four messages
    assert part.health.taken == {Kind.EVENT: 1, Kind.CUE: 1, Kind.STINGER: 1, Kind.STATE: 1, Kind.LOCK: 1,
                                 Kind.PARAM: 4}


def test_telemetry_dated_past_the_block_waits_for_its_own_block(machine):
    queue = EventQueue()
    part = intake(machine, queue)
    queue.put(Telemetry("event", "go", source="/segue/event/go", sample=BAR + 5))
    assert part.take(0, BLOCK).events == set() and len(part.later) == 1
    block = BAR // BLOCK * BLOCK
    assert part.take(block - BLOCK, BLOCK).events == set()
    ask = part.take(block, BLOCK)
    assert ask.events == {"go"} and ask.at == BAR + 5 and len(part.later) == 0
    assert [e["sample"] for e in part.log] == [BAR + 5]


def test_telemetry_for_a_state_the_machine_lacks_is_dropped_and_said_once(machine):
    queue = EventQueue()
    part = intake(machine, queue)
    for _ in range(3):
        queue.put(Telemetry("state", "gone", source="/segue/state/gone"))
    assert part.take(0, BLOCK).force is None
    assert part.outbox.take_notices() == ["/segue/state/gone: dropped: the reloaded machine has no state 'gone'"]
    part.reloaded()  # a reload: told again
    queue.put(Telemetry("state", "gone", source="/segue/state/gone"))
    part.take(BLOCK, BLOCK)
    assert len(part.outbox.take_notices()) == 1 and not list(part.log)


def test_a_kind_is_one_of_the_seven_or_nothing():
    with pytest.raises(ValueError):
        Telemetry("bogus", "go")
    assert Telemetry("event", "go").kind is Kind.EVENT
    assert ring.KINDS == tuple(Kind) and len(Kind) == 7  # the ring stores each kind's index in this order


def test_the_ring_and_the_queue_are_read_alike(machine):
    fd, memory = ring.create()
    try:
        writer, reader = ring.RingWriter(memory), ring.RingReader(memory, frozenset({(Kind.EVENT, "go")}))
        writer.put(Telemetry("event", "go", source="/segue/event/go"))
        writer.flush()
        part = intake(machine, EventQueue(), reader)
        assert part.take(0, BLOCK).events == {"go"}
    finally:
        os.close(fd)
