"""OSC both ways over real sockets on 127.0.0.1: TCP/SLIP, timetagged bundles, feedback, allowlist, rate limit."""
from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.events import EventQueue
from engine.score.loader import load_machine
from engine.osc.routes import Router
from engine.osc.security import Gate, parse_allowlist
from engine.osc.server import RECEIVE_BUFFER, OscInput, OscService
from engine.osc.slip import Decoder, encode
from engine.doors import NULL
from engine.session import Engine, EngineConfig

from audio import osc_packet, run_until, running, send, wait_for
from conftest import BAR, ROOT, write_machine
from waiting import status, wait_until

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


def bundle(at: float, *messages: bytes) -> bytes:
    b = OscBundleBuilder(at)
    for m in messages:
        b.add_content(OscMessage(m))
    return b.build().dgram


def test_slip_frames_survive_any_split_and_oversize_frames_are_dropped():
    packets = [os.urandom(n) + b"\xc0\xdb" for n in (1, 7, 300)]
    stream = b"".join(encode(p) for p in packets)
    for step in (1, 3, 64):
        d = Decoder()
        got = [f for i in range(0, len(stream), step) for f in d.feed(stream[i:i + step])]
        assert got == packets
    d = Decoder(limit=16)
    assert d.feed(encode(b"x" * 100) + encode(b"fine")) == [b"fine"] and d.oversized == 1


def test_osc_over_tcp_with_slip_framing_drives_the_machine(tone_pack):
    path = write_machine(tone_pack.parent, IMMEDIATE, "tcp.yaml")
    with Engine(path, EngineConfig(osc_port=0)) as engine:
        run_until(engine, BAR // 2)
        with socket.create_connection(engine.osc.tcp_address) as conn:
            frame = encode(osc_packet("/segue/event/go"))
            conn.sendall(frame[:5])  # arrives in pieces, as TCP may deliver it
            time.sleep(0.05)  # time passing is the point: the rest must come in a later read, as a split frame would
            conn.sendall(frame[5:] + encode(b"garbage"))
            wait_for(engine, 2)
        run_until(engine, BAR)
        log = list(engine.log)
        rejected = engine.osc.rejected
    assert [e["target"] for e in log if e["action"] == "enter"] == ["calm", "fight"]
    assert rejected == 1


def test_a_bundle_timetag_places_its_events_on_the_audio_clock(tone_pack):
    """Two bundles sent together, 250 ms apart in time: their transitions land 12,000 samples apart."""
    path = write_machine(tone_pack.parent, IMMEDIATE, "timed.yaml")
    with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine:
        with running(engine):
            status(engine.osc.address[1])  # answered by an audio block: the engine is playing
            at = time.time() + 0.5
            send(engine.osc.address[1], bundle(at, osc_packet("/segue/event/go")),
                 bundle(at + 0.25, osc_packet("/segue/event/hurt")))
            wait_until(lambda: engine.runtime.state == "hurt", 5, "the second bundle's transition to hurt")
        log = list(engine.log)
    enters = [e["sample"] for e in log if e["action"] == "enter"][1:]
    assert len(enters) == 2
    # on the audio clock, not on block starts: quantised to blocks the gap would be 11,776 or 12,032
    assert abs((enters[1] - enters[0]) - 12000) <= 24


def test_immediate_bundles_apply_at_once(tone_pack):
    path = write_machine(tone_pack.parent, IMMEDIATE, "now.yaml")
    with Engine(path, EngineConfig(osc_port=0)) as engine:
        run_until(engine, 10_000)
        send(engine.osc.address[1], bundle(IMMEDIATELY, osc_packet("/segue/event/go")))
        wait_for(engine, 1)
        run_until(engine, 20_000)
        enters = [e["sample"] for e in engine.log if e["action"] == "enter"]
    assert len(enters) == 2 and 10_000 <= enters[1] < 10_000 + 256


def receive_all(sock: socket.socket, seconds: float) -> list[OscMessage]:
    out, deadline = [], time.monotonic() + seconds
    sock.settimeout(0.05)
    while time.monotonic() < deadline:
        try:
            out.append(OscMessage(sock.recv(65536)))
        except socket.timeout:
            continue
    return out


def test_subscribers_get_beats_bars_state_and_meters_and_status_is_answered(tone_pack):
    path = write_machine(tone_pack.parent, IMMEDIATE, "fb.yaml")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        with Engine(path, EngineConfig(osc_port=0)) as engine:
            subscribe = OscMessageBuilder("/segue/subscribe")
            subscribe.add_arg(port)
            send(engine.osc.address[1], subscribe.build().dgram)
            wait_for(engine, 1)
            run_until(engine, BAR + BAR // 2)
            send(engine.osc.address[1], osc_packet("/segue/event/go"))
            wait_for(engine, 2)
            run_until(engine, 2 * BAR + 100)
            status = OscMessageBuilder("/segue/status")
            status.add_arg(port)
            send(engine.osc.address[1], status.build().dgram)
            wait_for(engine, 3)
            engine.process()  # the next audio block answers, with the state as it is then
            messages = receive_all(listener, 0.5)
    by_address: dict[str, list] = {}
    for m in messages:
        by_address.setdefault(m.address, []).append(m.params)
    beats = by_address["/segue/beat"]
    assert beats[:4] == [[1, 1], [1, 2], [1, 3], [1, 4]]
    assert [1] in by_address["/segue/bar"] and [2] in by_address["/segue/bar"]
    assert ["fight"] in by_address["/segue/state"]
    assert len(by_address["/segue/meter"]) >= 15  # every 100 ms of audio
    peak_db, rms_db, lufs_m = by_address["/segue/meter"][-1][:3]
    assert -30 < peak_db < 0 and lufs_m > -40
    [status_reply] = by_address["/segue/status"]
    assert status_reply[0] == "fight" and status_reply[3] == 120.0


def service(allow, rate=50_000.0):
    machine = load_machine(write_machine_for_gate())
    queue = EventQueue()
    osc_input = OscInput(Router(machine), queue, Gate(allow, rate))
    return OscService(osc_input, "127.0.0.1", 0, tcp=False).start(), queue


def write_machine_for_gate():
    from conftest import ROOT  # noqa: PLC0415

    return ROOT / "statemachines" / "demo.yaml"


def send_from(source: str, port: int, packets: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        for p in packets:
            s.sendto(p, ("127.0.0.1", port))


def settle(svc, count: int) -> None:
    wait_until(lambda: svc.datagrams >= count, 5, lambda: f"{count} datagrams handled ({svc.datagrams} so far)")


def test_only_allowed_senders_get_in(caplog):
    svc, queue = service((ipaddress.ip_network("127.0.0.2/32"),))
    try:
        with caplog.at_level(logging.WARNING, logger="segue.osc"):
            send_from("127.0.0.1", svc.address[1], [osc_packet("/segue/event/enemy_spotted")] * 5)
            send_from("127.0.0.2", svc.address[1], [osc_packet("/segue/event/enemy_lost")])
            settle(svc, 6)
    finally:
        svc.close()
    assert [i.name for i in queue.drain()] == ["enemy_lost"]
    refusals = [r.getMessage() for r in caplog.records if "allowlist" in r.getMessage()]
    assert refusals == ["OSC from 127.0.0.1 refused: not in the allowlist (see --allow)"]  # once, not five times


def test_a_sender_over_its_rate_is_limited_and_counted():
    svc, queue = service(parse_allowlist(None), rate=100.0)
    try:
        send_from("127.0.0.1", svc.address[1], [osc_packet("/segue/param/intensity", 0.5)] * 1000)
        settle(svc, 1000)
    finally:
        svc.close()
    accepted = len(queue.drain())
    assert 190 <= accepted <= 260  # the burst (2 x rate) plus what refilled while sending
    assert svc.input.gate.limited == 1000 - accepted


def test_allowlist_parsing():
    nets = parse_allowlist("192.168.1.0/24, 10.0.0.5")
    gate = Gate(nets)
    assert gate.allowed("192.168.1.77") and gate.allowed("10.0.0.5") and gate.allowed("127.0.0.1")
    assert not gate.allowed("10.0.0.6") and not gate.allowed("not-an-ip")
    with pytest.raises(Exception, match="not an IP address or CIDR"):
        parse_allowlist("300.1.1.1")


def test_osc_is_received_in_its_own_process_which_is_restarted_if_it_dies(tone_pack):
    path = write_machine(tone_pack.parent, IMMEDIATE, "restart.yaml")
    with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, running(engine):
        port, first = engine.osc.address[1], engine.osc.pid
        assert first != os.getpid()
        assert not [t.name for t in threading.enumerate() if t.name.startswith("segue-osc-udp")]
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: engine.osc.restarts, 15, "a restart of the killed receiver")
        assert engine.osc.restarts == 1 and engine.osc.pid != first and engine.osc.address[1] == port
        playing = engine.sample
        send(port, osc_packet("/segue/event/go"))
        # the new receiver's first message still reached the machine
        # (the heartbeat changes state inside a block and counts the block's samples after it: wait for both)
        wait_until(lambda: engine.runtime.state == "fight" and engine.sample > playing, 5,
                   "the move to fight after the restart, and the music going on")
        assert engine.sample > playing and engine.health()["faults"] == 0


def test_a_receive_buffer_capped_by_the_system_is_said_once_with_the_fix():
    """Only root may go past net.core.rmem_max: a user's engine says what a burst may lose and how to fix it."""
    code = ("import logging, os; from engine.osc.server import bind_sockets; "  # imported while files can be read
            "os.setuid(65534); logging.basicConfig(format='%(message)s'); bind_sockets('127.0.0.1', 0)")
    if os.geteuid() != 0:
        code = code.replace("os.setuid(65534); ", "")
    with open("/proc/sys/net/core/rmem_max") as f:
        cap = int(f.read())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    if cap >= RECEIVE_BUFFER:  # this system's cap is already high enough: nothing to say
        assert lines == []
    else:
        assert len(lines) == 1 and "net.core.rmem_max" in lines[0] and "sysctl -w" in lines[0], lines
