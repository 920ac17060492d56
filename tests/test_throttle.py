"""engine/osc/throttle.py on its own, on a clock the test sets: how many lines hostile traffic may cost, and
that every line held back is still counted and told once."""
from __future__ import annotations

from engine.osc.throttle import MAX_KEYS, Throttle, held_note


def admitted(throttle: Throttle, key: str, times: list[float]) -> list[int | None]:
    return [throttle.admit(key, now) for now in times]


def test_a_key_gets_its_lines_per_interval_and_its_next_line_tells_how_many_were_held_back():
    t = Throttle(interval=1.0, per_key=2)
    assert admitted(t, "a", [0.0, 0.1, 0.2, 0.3, 0.9]) == [0, 0, None, None, None]
    assert admitted(t, "a", [1.0, 1.1, 1.2]) == [3, 0, None]  # a new interval: the three held back are told
    assert t.admit("a", 2.5) == 1


def test_each_key_has_its_own_allowance_within_a_total_for_all():
    t = Throttle(interval=1.0, per_key=2, total=3)
    assert admitted(t, "a", [0.0, 0.0]) == [0, 0]
    assert admitted(t, "b", [0.1, 0.2]) == [0, None]  # b's own allowance is left, but the total is spent
    assert t.admit("b", 1.05) == 1  # the total's interval began at 0.0: over, and b tells what it held


def test_what_was_held_back_is_overdue_once_its_interval_is_over_and_told_only_once():
    t = Throttle(interval=1.0, per_key=1)
    admitted(t, "a", [0.0, 0.1, 0.2])
    admitted(t, "b", [0.5, 0.6])
    assert t.overdue(0.9) == []  # neither interval is over
    assert t.overdue(1.5) == [("a", 2), ("b", 1)]
    admitted(t, "c", [1.0, 1.0])
    assert t.overdue(2.2) == []  # c's interval is over, but the last look was less than an interval ago
    assert t.overdue(2.6) == [("c", 1)]  # and a and b, said once, are not said again
    assert t.admit("a", 3.6) == 0  # and not told again with a's next line


def test_a_key_not_yet_over_its_interval_is_left_for_a_later_look():
    t = Throttle(interval=1.0, per_key=1)
    admitted(t, "late", [1.2, 1.3])
    assert t.overdue(1.5) == []
    assert t.overdue(2.5) == [("late", 1)]


def test_the_oldest_key_is_forgotten_when_too_many_are_remembered():
    t = Throttle(interval=1.0, per_key=1, total=10 * MAX_KEYS)
    admitted(t, "first", [0.0, 0.0])  # one held back
    for i in range(MAX_KEYS):
        t.admit(f"k{i}", 0.1)
    assert t.overdue(5.0) == []  # forgotten, held count and all: memory stays bounded
    assert t.admit("first", 5.1) == 0


def test_a_held_note_is_nothing_when_nothing_was_held():
    assert held_note(0) == "" and held_note(3) == " (and 3 more like it not logged)"
