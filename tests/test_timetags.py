"""The hold for later: one time queue, bounded in reach, per sender and in all; what it refuses is counted
and said a line a second (in audio time, so renders stay deterministic). The network path is in
tests/test_osc_hostile.py."""
from collections import deque

from engine.events import Telemetry
from engine.timetags import CAPACITY, SHARE, Hold

RATE = 48_000


def item(sender: str, n: int = 0) -> Telemetry:
    return Telemetry("event", "go", 1.0, "/segue/event/go", sender=sender, updates=n + 1)


def test_items_come_out_in_time_order_and_each_sender_has_a_share_of_a_bounded_hold():
    notices: deque[str] = deque(maxlen=32)
    hold = Hold(RATE, notices)
    senders = [f"10.0.0.{i}" for i in range(CAPACITY // SHARE + 1)]
    for s in senders:
        for n in range(SHARE + 10):
            hold.add(RATE + (n * 7919) % RATE, item(s, n), 0)  # shuffled times, all within a second
    assert len(hold) == CAPACITY and hold.refused == 10 * (len(senders) - 1) + SHARE + 10
    assert any("its share" in n for n in notices) and any("held already" in n for n in notices)
    due = hold.due(RATE + RATE // 2)
    assert [at for at, _ in due] == sorted(at for at, _ in due) and all(at < RATE + RATE // 2 for at, _ in due)
    hold.add(RATE + 10, item(senders[-1]), RATE)  # room again: the last sender gets in now
    assert len(hold) == CAPACITY - len(due) + 1


def test_a_timetag_beyond_the_horizon_is_refused_and_its_flood_told_in_a_few_lines():
    notices: deque[str] = deque(maxlen=32)
    hold = Hold(RATE, notices, horizon=2.0)
    hold.add(2 * RATE, item("10.0.0.1"), 0)
    for n in range(1000):
        hold.add(3 * RATE, item("10.0.0.1", n), 0)
    hold.due(RATE)
    hold.due(3 * RATE)  # a second of audio later: the count held back is told
    assert len(hold) == 0 and hold.refused == 1000
    assert len(notices) == 2 and "more than 2 s (--timetag-horizon)" in notices[0], notices
    assert notices[1] == "OSC from 10.0.0.1: 999 more items for later refused"
