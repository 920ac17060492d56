"""Hostile OSC over real sockets into the real receiver process and engine: each attack is refused with few log
lines, and the music keeps following legal input afterwards."""
from __future__ import annotations

import logging
import struct
import time

from engine.session import Engine

from audio import osc_packet, run_until, send, wait_for
from conftest import BAR, write_machine

IMMEDIATE = """\
pack: tones
events: [go, hurt]
initial: calm
states:
  calm: {segment: calm}
  fight: {segment: fight}
  hurt: {segment: fight, layers: {pulse: 0 dB}}
transitions:
  - {from: calm, to: fight, when: event go, sync: immediate}
  - {from: fight, to: hurt, when: event hurt, sync: immediate}
"""
TIMETAG = b"\x00\x00\x00\x00\x00\x00\x00\x01"  # "immediately"


def enters(engine: Engine) -> list[str]:
    return [e["target"] for e in engine.conductor.log if e["action"] == "enter"]


def test_bundles_with_bad_element_sizes_are_refused_in_one_line_and_udp_input_goes_on(tone_pack, caplog):
    path = write_machine(tone_pack.parent, IMMEDIATE, "bundles.yaml")
    go = osc_packet("/segue/event/go")
    bad = [b"#bundle\x00" + TIMETAG + struct.pack(">i", -4),  # python-osc loops for ever on this one
           b"#bundle\x00" + TIMETAG + b"\x00" * 64,  # size-0 elements
           b"#bundle\x00" + TIMETAG + struct.pack(">i", 6) + go,  # not a multiple of 4
           b"#bundle\x00" + TIMETAG + struct.pack(">i", len(go) + 4) + go]  # past the end
    with caplog.at_level(logging.WARNING, logger="segue.osc"), Engine(path, audio="offline", osc_port=0) as engine:
        run_until(engine, BAR // 4)
        send(engine.osc.address[1], *bad)
        send(engine.osc.address[1], b"#bundle\x00" + TIMETAG + struct.pack(">i", len(go)) + go)
        wait_for(engine, len(bad) + 1)
        run_until(engine, BAR)
        rejected = engine.osc.rejected
        state = enters(engine)
        time.sleep(0.2)  # lines cross a pipe from the receiver
    lines = [r.getMessage() for r in caplog.records if r.name == "segue.osc"]
    assert state == ["calm", "fight"]  # the legal bundle after the bad ones still moved the music
    assert rejected == len(bad) and len(lines) == len(bad), lines
    assert "bundle element size -4 at byte 16 (must be a positive multiple of 4)" in lines[0]
    assert all(line.startswith("OSC from 127.0.0.1:") for line in lines)
