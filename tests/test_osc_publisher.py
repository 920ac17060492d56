"""OSC feedback from a block's snapshot: the publisher's messages, through the real sender thread, to a real UDP
subscriber. Each receive waits for its datagram (with a deadline), never for a fixed time."""
from __future__ import annotations

import socket

import pytest
from pythonosc.osc_message import OscMessage

from engine.events import Kind, Telemetry
from engine.machine.decisions import EnterState
from engine.osc.feedback import Feedback
from engine.osc.publisher import Publisher, Snapshot


@pytest.fixture
def rig():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5.0)
        feedback = Feedback()
        try:
            yield Publisher(feedback), listener
        finally:
            feedback.close()


def receive(listener: socket.socket, count: int) -> list[tuple[str, list]]:
    out = []
    for _ in range(count):
        m = OscMessage(listener.recv(65536))
        out.append((m.address, m.params))
    return out


def control(name: str, listener: socket.socket) -> Telemetry:
    return Telemetry(Kind.CONTROL, name, float(listener.getsockname()[1]), "127.0.0.1")


def test_a_subscriber_gets_meters_what_changed_and_beats_and_nothing_twice(rig):
    publisher, listener = rig
    snap = Snapshot(sample=0, beat=(1, 1), report=True, peak=0.5, rms=0.25, true_peak=0.5, lufs_m=-20.0,
                    lufs_s=-21.0, lufs_i=-22.0, params={"intensity": 0.123456}, layers={"calm.a": 1.0},
                    next=("fight", 1.5), state="calm")
    assert not publisher.listening
    publisher.control(control("subscribe", listener), snap)
    assert publisher.listening  # at once: the sender thread applies it before what follows
    publisher.publish(snap)
    got = receive(listener, 7)
    assert got[0][0] == "/segue/meter" and got[0][1][:2] == [pytest.approx(-6.02, abs=0.01),
                                                             pytest.approx(-12.04, abs=0.01)]
    assert got[1:] == [("/segue/param", ["intensity", pytest.approx(0.1235)]), ("/segue/layer", ["calm.a", 1.0]),
                       ("/segue/next", ["fight", 1.5]), ("/segue/state", ["calm"]), ("/segue/beat", [1, 1]),
                       ("/segue/bar", [1])]
    snap.beat = (1, 2)
    publisher.publish(snap)  # the audience grew (the subscription is applied now): everything is told again
    assert len(receive(listener, 6)) == 6
    snap.beat, snap.params = (1, 3), {"intensity": 0.5}
    publisher.publish(snap)  # then only what changed, with the meter and the beat
    assert [a for a, _ in receive(listener, 3)] == ["/segue/meter", "/segue/param", "/segue/beat"]
    publisher.decided(EnterState(0, "1:1", "fight", "test", "calm", "fight", None), {})  # told as it is decided
    snap.beat, snap.state = (1, 4), "fight"
    publisher.publish(snap)  # and not told again at the next report
    assert receive(listener, 3) == [("/segue/state", ["fight"]), ("/segue/meter", got[0][1]), ("/segue/beat", [1, 4])]


def test_state_changes_are_published_as_decided_and_status_is_answered_from_the_snapshot(rig):

    publisher, listener = rig
    snap = Snapshot(state="fight", bar_beat=(3, 2), bpm=120, peak=1.0, lufs_m=-18.0, lufs_i=-19.0)
    publisher.control(control("subscribe", listener), snap)
    publisher.decided(EnterState(0, "1:1", "fight", "go", "calm", "fight", None), {})
    publisher.control(control("status", listener), snap)
    assert receive(listener, 2) == [("/segue/state", ["fight"]),
                                    ("/segue/status", ["fight", 3, 2, 120.0, 0.0, -18.0, -19.0])]
    publisher.control(control("unsubscribe", listener), snap)
    publisher.decided(EnterState(0, "1:1", "calm", "go", "fight", "calm", None), {})
    publisher.control(control("status", listener), snap)  # a status query needs no subscription
    assert receive(listener, 1)[0][0] == "/segue/status"
