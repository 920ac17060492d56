"""Fuzzing the OSC input: whatever arrives, nothing escapes, each bad packet is one log line, and the engine
still answers afterwards. (benchmarks/test_fuzz.py pushes a million packets through the same path.)"""
from __future__ import annotations

import logging
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.events import EventQueue
from engine.score.loader import load_machine
from engine.osc.routes import Router
from engine.osc.security import Gate
from engine.osc.server import OscInput
from engine.session import Engine, EngineConfig

from audio import osc_packet, run_until, send, wait_for
from conftest import ROOT

MACHINE = load_machine(ROOT / "statemachines" / "demo.yaml")
ADDRESSES = ["/segue/param/intensity", "/segue/param/health", "/segue/event/enemy_spotted", "/segue/state/combat",
             "/segue/generate/arp/lock", "/game/health", "/segue/subscribe", "/segue/status", "/x", "/segue/param/"]


class Count(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = 0

    def emit(self, record):
        self.lines += 1


COUNT = Count()
logging.getLogger("segue.osc").addHandler(COUNT)


def fresh_input() -> OscInput:
    return OscInput(Router(MACHINE), EventQueue(capacity=100_000), Gate())


args = st.one_of(st.integers(-2**31, 2**31 - 1), st.floats(allow_nan=True, allow_infinity=True, width=32),
                 st.text(max_size=20), st.binary(max_size=20), st.booleans())


@st.composite
def bundles(draw):
    """Bundles whose element sizes may lie: negative, zero, not a multiple of 4, past the end; nested."""
    out = b"#bundle\x00" + draw(st.binary(min_size=8, max_size=8))
    for _ in range(draw(st.integers(0, 3))):
        element = draw(st.one_of(st.sampled_from([osc_packet(a) for a in ADDRESSES[:4]]), bundles(),
                                 st.binary(max_size=24)))
        size = draw(st.one_of(st.just(len(element)), st.integers(-8, 8), st.integers(-2**31, 2**31 - 1)))
        out += struct.pack(">i", size) + element
    return out


@st.composite
def packets(draw):
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 4:
        return draw(bundles())
    builder = OscMessageBuilder(draw(st.sampled_from(ADDRESSES)) if kind != 3 else "/" + draw(st.text(max_size=30)))
    for a in draw(st.lists(args, max_size=4)):
        builder.add_arg(a)
    try:
        data = bytearray(builder.build().dgram)
    except Exception:  # the builder itself refuses some addresses; then send raw bytes instead
        return draw(st.binary(max_size=200))
    if kind == 2 and data:  # corrupt it: flip bytes, cut it short
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_no_packet_makes_the_input_raise_and_each_bad_one_is_one_line(data):
    osc_input = fresh_input()
    lines = COUNT.lines
    osc_input.handle(data, "127.0.0.1", 5000, 0)  # must not raise
    logged = COUNT.lines - lines
    assert logged == osc_input.rejected
    assert logged <= 1 or data.startswith(b"#bundle")  # a valid bundle may carry several unusable messages
    assert len(osc_input.queue) + osc_input.rejected <= max(1, data.count(b",") + data.count(b"#bundle"))


def test_bundles_of_garbage_and_nested_bundles_are_handled():
    osc_input = fresh_input()
    deep = osc_packet("/segue/event/enemy_spotted")
    for _ in range(3000):  # nested deeper than Python recursion allows
        deep = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", len(deep)) + deep
    osc_input.handle(deep, "127.0.0.1", 5000, 0)
    osc_input.handle(b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 1000) + b"short", "127.0.0.1", 5000, 0)
    assert (osc_input.rejected, len(osc_input.queue)) == (2, 0)  # too deep; truncated


def test_bundle_element_sizes_that_lie_are_refused_in_one_line_each_and_never_loop():
    """python-osc loops for ever on a size of -4 and logs once per 4 bytes on sizes of 0: ours refuses both."""
    osc_input = fresh_input()
    go = osc_packet("/segue/event/enemy_spotted")
    lines = COUNT.lines
    for size in (-4, 0, -2**31, 3, 2**31 - 1, len(go) + 4):
        osc_input.handle(b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", size) + go + b"\x00" * 64,
                         "127.0.0.1", 5000, 0)
    assert (osc_input.rejected, COUNT.lines - lines, len(osc_input.queue)) == (6, 6, 0)
    osc_input.handle(b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", len(go)) + go, "127.0.0.1", 5000, 0)
    assert [i.name for i in osc_input.queue.drain()] == ["enemy_spotted"]


def test_the_engine_still_answers_after_a_burst_of_garbage(tmp_path):
    import random

    rng = random.Random(1)
    garbage = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 120))) for _ in range(500)]
    with Engine(ROOT / "statemachines" / "demo.yaml", EngineConfig(osc_port=0)) as engine:
        send(engine.osc.address[1], *garbage)
        wait_for(engine, len(garbage))
        send(engine.osc.address[1], osc_packet("/segue/event/enemy_spotted"))
        wait_for(engine, len(garbage) + 1)
        run_until(engine, 3 * 96000)
        enters = [e["target"] for e in engine.log if e["action"] == "enter"]
        faults = engine.outbox.fault_count
    assert enters[-1] == "combat" and faults == 0
