import pytest

from engine.machine.conditions import (All, Any_, Compare, ConditionError, EventRaised, Latches, Not, evaluate,
                                       may_hold_without_events, parse_condition)


def test_precedence_and_before_or():
    c = parse_condition("event a or x < 1 and not event b")
    assert isinstance(c, Any_)
    assert c.items[0] == EventRaised("a", 6)
    assert isinstance(c.items[1], All) and isinstance(c.items[1].items[1], Not)


def test_parentheses_and_numbers():
    c = parse_condition("(x >= -0.5) and (y != .25)")
    assert c == All((Compare("x", ">=", -0.5, 1), Compare("y", "!=", 0.25, 17)))


@pytest.mark.parametrize("text, column, words", [
    ("", 0, "empty"),
    ("intensity <", 11, "ends too early"),
    ("x ? 1", 2, "unexpected character"),
    ("x < y", 4, "expected a number"),
    ("a < 1 b", 6, "unexpected 'b'"),
    ("event and", 6, "expected an event name"),
    ("(a < 1", 6, "ends too early"),
    ("__import__('os')", 11, "unexpected character"),
])
def test_errors_say_where(text, column, words):
    with pytest.raises(ConditionError) as err:
        parse_condition(text)
    assert err.value.column == column
    assert words in str(err.value)


def _truth(cond, latches, values, events=frozenset()):
    latches.update(values)
    return evaluate(cond, latches, events)


def test_hysteresis_latches_until_the_threshold_is_crossed_back_by_the_margin():
    cond = parse_condition("health < 0.25")
    latches = Latches([cond], {"health": 0.05})
    assert not _truth(cond, latches, {"health": 0.3})
    assert _truth(cond, latches, {"health": 0.2})
    assert _truth(cond, latches, {"health": 0.28})  # back above 0.25 but inside the margin
    assert not _truth(cond, latches, {"health": 0.31})
    assert not _truth(cond, latches, {"health": 0.28})  # must go below 0.25 again


def test_greater_than_latches_downward():
    cond = parse_condition("x > 0.5")
    latches = Latches([cond], {"x": 0.1})
    assert _truth(cond, latches, {"x": 0.6})
    assert _truth(cond, latches, {"x": 0.45})
    assert not _truth(cond, latches, {"x": 0.39})


def test_no_hysteresis_is_a_plain_comparison():
    cond = parse_condition("x <= 0.5 and event go")
    latches = Latches([cond.items[0]], {})
    assert _truth(cond, latches, {"x": 0.5}, {"go"})
    assert not _truth(cond, latches, {"x": 0.5})
    assert not _truth(cond, latches, {"x": 0.51}, {"go"})


@pytest.mark.parametrize("text, holds", [
    ("x > 0.5", True), ("event a", False), ("not event a", True), ("event a and x > 1", False),
    ("event a or x > 1", True), ("not (event a or x > 1)", True), ("not (event a or not event b)", False),
    ("x > 1 and not event a", True), ("not (x > 1 or not x > 1)", True),  # each comparison free: over-reaching
])
def test_a_rule_may_fire_in_a_block_without_events_only_if_its_condition_can_hold_then(text, holds):
    assert may_hold_without_events(parse_condition(text)) is holds
