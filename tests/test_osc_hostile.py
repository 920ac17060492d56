"""Hostile OSC over real sockets into the real receiver process and engine: each attack is refused with few log
lines, and the music keeps following legal input afterwards."""
from __future__ import annotations

import logging
import os
import re
import signal
import socket
import struct
import time

from pythonosc.osc_message import OscMessage

from engine.osc import relay
from engine.osc.server import CONTROL_RATE, MAX_TCP_CLIENTS
from engine.osc.slip import Decoder, encode
from engine.doors import NULL
from engine.session import Engine, EngineConfig
from engine.timetags import SHARE

from audio import osc_packet, run_until, running, send, wait_for
from conftest import BAR, write_machine
from test_osc_net import IMMEDIATE, bundle, send_from
from waiting import status, wait_until

TIMETAG = b"\x00\x00\x00\x00\x00\x00\x00\x01"  # "immediately"


def enters(engine: Engine) -> list[str]:
    return [e["target"] for e in engine.log if e["action"] == "enter"]


def test_bundles_with_bad_element_sizes_are_refused_in_one_line_and_udp_input_goes_on(tone_pack, caplog):
    path = write_machine(tone_pack.parent, IMMEDIATE, "bundles.yaml")
    go = osc_packet("/segue/event/go")
    bad = [b"#bundle\x00" + TIMETAG + struct.pack(">i", -4),  # python-osc loops for ever on this one
           b"#bundle\x00" + TIMETAG + b"\x00" * 64,  # size-0 elements
           b"#bundle\x00" + TIMETAG + struct.pack(">i", 6) + go,  # not a multiple of 4
           b"#bundle\x00" + TIMETAG + struct.pack(">i", len(go) + 4) + go]  # past the end
    with caplog.at_level(logging.WARNING, logger="segue.osc"), Engine(path, EngineConfig(osc_port=0)) as engine:
        run_until(engine, BAR // 4)
        send(engine.osc.address[1], *bad)
        send(engine.osc.address[1], b"#bundle\x00" + TIMETAG + struct.pack(">i", len(go)) + go)
        wait_for(engine, len(bad) + 1)
        run_until(engine, BAR)
        rejected = engine.osc.rejected
        state = enters(engine)
        wait_until(lambda: len(osc_lines(caplog)) >= len(bad), 5, f"{len(bad)} log lines across the receiver's pipe")
    lines = osc_lines(caplog)
    assert state == ["calm", "fight"]  # the legal bundle after the bad ones still moved the music
    assert rejected == len(bad) and len(lines) == len(bad), lines
    assert "bundle element size -4 at byte 16 (must be a positive multiple of 4)" in lines[0]
    assert all(line.startswith("OSC from 127.0.0.1:") for line in lines)


def test_a_killed_receiver_comes_back_with_its_routes_from_memory_though_the_machine_file_broke(tone_pack, caplog):
    path = write_machine(tone_pack.parent, IMMEDIATE, "restart_broken.yaml")
    with caplog.at_level(logging.WARNING, logger="segue.osc"), Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, \
            running(engine):
        port, first = engine.osc.address[1], engine.osc.pid
        path.write_text("states: [this is not a machine\n")  # broken on disk, and no --watch to notice
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: engine.osc.restarts, 15, "a restart of the killed receiver")
        assert engine.osc.restarts == 1 and engine.osc.pid != first and engine.osc.address[1] == port
        send(port, osc_packet("/segue/event/go"))
        # routed by the machine the engine validated, not the broken file
        wait_until(lambda: engine.runtime.state == "fight", 5, "the move to fight after the restart")
    stopped = [r for r in caplog.records if "receiver stopped" in r.getMessage()]
    assert len(stopped) == 1


def test_a_receiver_that_cannot_come_back_is_retried_with_backoff_and_given_up_once(tone_pack, caplog, monkeypatch):
    """Its port taken by another program: a few attempts, spaced out, then one line; never a spawn every 2 s."""
    monkeypatch.setattr(relay, "RESTART_DEADLINE", 1.5)
    monkeypatch.setattr(relay, "FIRST_RETRY", 0.2)
    attempts = []
    real_bind = relay.bind_sockets
    monkeypatch.setattr(relay, "bind_sockets", lambda *a: attempts.append(time.monotonic()) or real_bind(*a))
    path = write_machine(tone_pack.parent, IMMEDIATE, "restart_taken.yaml")
    with caplog.at_level(logging.WARNING, logger="segue.osc"), Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine:
        os.kill(engine.osc.pid, signal.SIGKILL)
        engine.osc._proc.wait(timeout=5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
            squatter.bind(engine.osc.address)
            attempts.clear()
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                engine.osc.check()
                time.sleep(0.01)  # time passing is the point: checks come often, attempts must not
        given_up, restarts = engine.osc.given_up, engine.osc.restarts
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert given_up and restarts == 0
    assert 3 <= len(attempts) <= 5, attempts  # 0.2, 0.4, 0.8 s apart: not one per check
    assert len(lines) == 2 and "stopped" in lines[0] and "OSC input is off" in lines[1], lines


def test_idle_tcp_clients_are_closed_so_they_cannot_lock_others_out_and_refusals_are_few_lines(tone_pack, caplog):
    path = write_machine(tone_pack.parent, IMMEDIATE, "tcp_idle.yaml")
    with caplog.at_level(logging.WARNING, logger="segue.osc"), \
            Engine(path, EngineConfig(osc_port=0, tcp_idle=1.0)) as engine:
        opened = time.monotonic()  # before any is accepted: none may be closed before opened + tcp_idle
        idlers = [socket.create_connection(engine.osc.tcp_address, timeout=3) for _ in range(MAX_TCP_CLIENTS)]
        # no wait: the receiver accepts in the order of connecting, so the late ones below come after these
        for _ in range(40):  # the table is full: each of these is turned away
            with socket.create_connection(engine.osc.tcp_address) as late:
                late.settimeout(2)
                assert late.recv(1) == b""
        assert all(s.recv(1) == b"" for s in idlers)  # closed by the engine (each recv awaits it, for up to 3 s)
        assert time.monotonic() - opened >= 1.0  # and not before they had been idle for tcp_idle
        with socket.create_connection(engine.osc.tcp_address) as conn:
            conn.sendall(encode(osc_packet("/segue/event/go")))
            wait_for(engine, 1)
        run_until(engine, BAR // 2)
        state = enters(engine)
        # what was held back is told once its second is over; lines cross a pipe
        wait_until(lambda: told(tcp_lines(caplog)) >= 40 + 16, 5, lambda: f"56 refusals and closes told "
                   f"(so far {tcp_lines(caplog)})")
        for s in idlers:
            s.close()
    lines = tcp_lines(caplog)
    assert state == ["calm", "fight"]
    assert 2 <= len(lines) <= 5, lines  # 40 refusals and 16 closes: a line a second, and the count held back
    assert told(lines) == 40 + 16, lines


def osc_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "segue.osc"]


def tcp_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "over TCP" in r.getMessage()]


def told(lines: list[str]) -> int:
    """Refusals and closes the lines account for: a line tells its own and "(and N more like it not logged)";
    a line "N more ... not logged" tells N held back."""
    def count(line: str) -> int:
        if m := re.search(r"\(and (\d+) more like it", line):
            return 1 + int(m[1])
        return int(m[1]) if (m := re.search(r"(\d+) more", line)) else 1
    return sum(count(line) for line in lines)


def entered_fight(log: list[dict]) -> dict | None:
    return next((e for e in log if e["action"] == "enter" and e["target"] == "fight"), None)


def test_far_future_and_greedy_timetags_cannot_keep_a_bundle_one_second_ahead_from_playing(tone_pack):
    """1,100 bundles dated 2036 filled the hold for good; now they are out of reach, a greedy sender gets its
    share and no more, and another sender's bundle one second ahead lands on its time."""
    path = write_machine(tone_pack.parent, IMMEDIATE, "far_future.yaml")
    year_2036 = 2_082_758_400.0
    with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, running(engine):
        port = engine.osc.address[1]
        status(port)  # answered by an audio block: the engine is playing
        send_from("127.0.0.1", port, [bundle(year_2036 + i, osc_packet("/segue/event/hurt")) for i in range(1100)])
        soon = time.time() + 50
        send_from("127.0.0.2", port, [bundle(soon + i / 1000, osc_packet("/segue/event/hurt")) for i in range(1100)])
        wait_for(engine, 2201)  # and the status request before them
        later = engine.heartbeat.intake.later
        wait_until(lambda: later.refused + len(later) >= 2200, 5, "the audio block taking all 2,200 from the ring")
        at = time.time() + 1.0
        send_from("127.0.0.3", port, [bundle(at, osc_packet("/segue/event/go"))])
        time.sleep(0.5)  # time passing is the point: half-way to its time, the bundle must not have played yet
        early = engine.runtime.state
        # the state and its log entry: the heartbeat changes state mid-block and logs the block's decisions after
        wait_until(lambda: engine.runtime.state == "fight" and entered_fight(list(engine.log)), 3,
                   "the bundle one second ahead moving to fight")
        refused, held = engine.heartbeat.intake.later.refused, len(engine.heartbeat.intake.later)
        log = list(engine.log)
        notices = engine.outbox.take_notices()
    assert early == "calm" and engine.runtime.state == "fight"
    assert (refused, held) == (1100 + 1100 - SHARE, SHARE)
    entered = entered_fight(log)
    assert entered is not None and entered["sample"] > 0 and len(notices) <= 4, notices
    assert any("more than 60 s (--timetag-horizon)" in n for n in notices), notices
    assert any("OSC from 127.0.0.2" in n and "its share" in n for n in notices), notices


def heard(listener: socket.socket) -> int:
    """Feedback packets waiting on a UDP listener (read and counted)."""
    count = 0
    listener.setblocking(False)
    while True:
        try:
            listener.recv(65536)
        except BlockingIOError:
            return count
        count += 1


def test_feedback_subscriptions_expire_unless_renewed_and_a_sender_holds_two_at_most(tone_pack, caplog):
    path = write_machine(tone_pack.parent, IMMEDIATE, "lease.yaml")
    listeners = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    for s in listeners:
        s.bind(("127.0.0.1", 0))
    renewed, lapsed, refused = (osc_packet("/segue/subscribe", s.getsockname()[1]) for s in listeners)
    with caplog.at_level(logging.WARNING, logger="segue.osc"), Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, \
            running(engine):
        engine.feedback.lease = 1.0
        send(engine.osc.address[1], renewed, lapsed, refused)
        first = [0, 0, 0]

        def both_hear_and_the_third_is_refused() -> bool:
            for i, s in enumerate(listeners):
                first[i] += heard(s)
            return first[0] and first[1] and "subscribe refused" in caplog.text

        wait_until(both_hear_and_the_third_is_refused, 5,
                   lambda: f"feedback at both subscribers and the third refused (heard {first})")
        for _ in range(5):  # 2 s: one keeps renewing, the other lets its lease run out
            send(engine.osc.address[1], renewed)
            time.sleep(0.4)  # time passing is the point: renewing at a pace, while the other lease runs out
        heard(listeners[1])  # what was sent before its lease ran out
        time.sleep(0.5)  # time passing is the point: nothing may come to the lapsed one in this half second
        last = [heard(s) for s in listeners]
        send(engine.osc.address[1], osc_packet("/segue/event/go"))  # and the music still follows
        wait_until(lambda: engine.runtime.state == "fight", 3, "the move to fight")
        state = engine.runtime.state
    for s in listeners:
        s.close()
    assert first[0] > 0 and first[1] > 0 and first[2] == 0  # a third from the same sender is refused
    assert last[0] > 0 and last[1] == 0 and last[2] == 0  # renewed goes on; lapsed stopped
    assert state == "fight"
    assert [r.getMessage() for r in caplog.records if "subscribe refused" in r.getMessage()] == [
        "OSC from 127.0.0.1: /segue/subscribe refused: it holds 2 subscriptions already (each lasts 1 s unless "
        "renewed)"]


def test_a_tcp_subscriber_gets_its_feedback_on_its_own_connection_until_it_closes(tone_pack):
    path = write_machine(tone_pack.parent, IMMEDIATE, "tcp_feedback.yaml")
    with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, running(engine):
        with socket.create_connection(engine.osc.tcp_address, timeout=3) as conn:
            # together in one write: the subscription and the event travel apart (the connection is handed over;
            # the event goes through the ring), so the move may be published before the subscriber is in place;
            # a new subscriber is then told the state it is in, so it still hears 'fight'
            conn.sendall(encode(osc_packet("/segue/subscribe")) + encode(osc_packet("/segue/event/go")))
            decoder, messages = Decoder(), []

            def hear(address: str, *params) -> None:
                """Read feedback off the connection until a message to `address` (with `params`) has come."""
                deadline = time.monotonic() + 5
                while not any(m.address == address and (not params or m.params == list(params)) for m in messages):
                    assert time.monotonic() < deadline, f"no {address} {params} on the connection within 5 s"
                    messages.extend(OscMessage(frame) for frame in decoder.feed(conn.recv(65536)))

            hear("/segue/meter")
            hear("/segue/state", "fight")
            subscribed = len(engine.feedback.subscribers)
            conn.sendall(encode(osc_packet("/segue/status")))  # answered on the connection too
            hear("/segue/status")
        wait_until(lambda: not engine.feedback.subscribers, 3, "the closed connection's subscription ending")
        left = len(engine.feedback.subscribers)
    addresses = {m.address for m in messages}
    assert {"/segue/meter", "/segue/state"} <= addresses and subscribed == 1
    assert ["fight"] in [m.params for m in messages if m.address == "/segue/state"]
    assert [m.params[0] for m in messages if m.address == "/segue/status"] == ["fight"]
    assert left == 0  # the connection closed: its subscription ended with it


def test_a_flood_of_forged_status_requests_is_not_reflected_at_its_victim(tone_pack):
    """Each /segue/status makes the engine send: from one (claimed) sender only a few a second are answered."""
    path = write_machine(tone_pack.parent, IMMEDIATE, "reflect.yaml")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.1", 0))
        ask = osc_packet("/segue/status", victim.getsockname()[1])
        with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, running(engine):
            send(engine.osc.address[1], *[ask] * 500)
            wait_for(engine, 500)
            time.sleep(0.5)  # time passing is the point: an upper bound on replies needs the late ones given time
            replies = heard(victim)
            send(engine.osc.address[1], osc_packet("/segue/event/go"))
            wait_until(lambda: engine.runtime.state == "fight", 3, "the move to fight")
            state = engine.runtime.state
    assert 1 <= replies <= 2 * CONTROL_RATE and state == "fight"  # within one or two seconds' allowance
