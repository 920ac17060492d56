"""engine/events.py on its own: the queue between OSC threads and the audio block never blocks, never grows past
its capacity, counts what it refuses, and hands over everything in order."""
from __future__ import annotations

import threading

from engine.events import EventQueue, Telemetry


def event(i: int) -> Telemetry:
    return Telemetry("event", f"e{i}", source="/segue/event")


def test_a_full_queue_refuses_and_counts_and_takes_again_once_drained():
    q = EventQueue(capacity=3)
    assert [q.put(event(i)) for i in range(5)] == [True, True, True, False, False]
    assert (len(q), q.dropped) == (3, 2)
    assert [t.name for t in q.drain()] == ["e0", "e1", "e2"] and len(q) == 0  # in arrival order
    assert q.put(event(9)) and q.drain() == [event(9)] and q.drain() == []
    assert (q.dropped, q.flush()) == (2, 0)


def test_many_producers_drained_while_they_put_lose_nothing_and_keep_their_order():
    q = EventQueue(capacity=100_000)
    producers = [threading.Thread(target=lambda k=k: [q.put(event(k * 10_000 + i)) for i in range(10_000)])
                 for k in range(4)]
    drained: list[Telemetry] = []
    for p in producers:
        p.start()
    while any(p.is_alive() for p in producers):
        drained += q.drain()
    for p in producers:
        p.join()
    drained += q.drain()
    assert q.dropped == 0 and len(drained) == 40_000
    assert len({t.name for t in drained}) == 40_000
    for k in range(4):  # each producer's items come out in the order it put them
        mine = [int(t.name[1:]) for t in drained if int(t.name[1:]) // 10_000 == k]
        assert mine == sorted(mine)
