"""The one time queue on its own: time order, arrival order within a sample, its bound, and what survives keep()."""
from __future__ import annotations

from engine.timequeue import TimeQueue


def drain(queue: TimeQueue) -> list:
    out = []
    while queue.next_sample() is not None:
        out.append(queue.pop())
    return out


def test_items_come_out_by_sample_then_in_the_order_they_were_asked():
    queue = TimeQueue(8)
    for sample, item in [(30, "c"), (10, "a1"), (20, "b"), (10, "a2"), (10, "a3")]:
        assert queue.push(sample, item)
    assert queue.next_sample() == 10 and len(queue) == 5
    assert drain(queue) == [(10, "a1"), (10, "a2"), (10, "a3"), (20, "b"), (30, "c")]
    assert queue.next_sample() is None and len(queue) == 0


def test_a_full_queue_refuses_and_keeps_what_it_holds():
    queue = TimeQueue(3)
    assert all(queue.push(s, s) for s in (5, 4, 3))
    assert queue.full and not queue.push(1, "early")  # even an earlier item: the bound is the bound
    assert drain(queue) == [(3, 3), (4, 4), (5, 5)] and queue.peak == 3
    assert queue.push(1, "room again")


def test_keep_drops_what_is_unwanted_and_the_rest_keep_their_order():
    queue = TimeQueue(16)
    for i in range(10):
        queue.push(100, i)
    queue.keep(lambda item: item % 3 != 0)
    assert drain(queue) == [(100, i) for i in range(10) if i % 3]
    queue.push(7, "x")
    queue.clear()
    assert len(queue) == 0 and queue.next_sample() is None
