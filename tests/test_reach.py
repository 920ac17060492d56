"""The reach table: what each state can start in one step, and from where, worked out once when the machine loads."""
from __future__ import annotations

import pytest

from engine.machine.reach import LONG_HEAD, SHORT_HEAD, Entry, StartMode, arrival
from engine.score.loader import load_machine

from conftest import REACH, REACH_RATE as RATE, REACH_SEGMENTS as SEGMENTS, write_machine

BAR = RATE * 2
LONG, SHORT = round(LONG_HEAD * RATE), round(SHORT_HEAD * RATE)


@pytest.fixture(scope="module")
def machine(reach_folder):
    return load_machine(write_machine(reach_folder, REACH, "reach.yaml"))


def heads(machine, state: str) -> dict[str, int]:
    return {w.segment: w.frames for w in machine.reach.of(state).heads if w.offset == 0}


def test_heads_are_seconds_at_the_packs_rate(machine):
    assert (machine.reach.long, machine.reach.short) == (2 * RATE, RATE // 2)
    assert dict(machine.reach.lengths) == {seg: BAR for seg in SEGMENTS}


def test_rules_bridges_and_go_cues_get_a_long_head_forced_moves_a_short_one(machine):
    # calm -> fight (b); any -> win over the bridge e (both from their start); the go cue's lull (d);
    # gone (f) only by a forced move
    assert heads(machine, "calm") == {"b": LONG, "e": LONG, "c": LONG, "d": LONG, "f": SHORT}
    reach = machine.reach.of("calm")
    assert reach.resume == () and reach.follow == () and not reach.previous


def test_a_state_sharing_the_segment_plays_on_and_resume_starts_where_the_state_was_left(machine):
    reach = machine.reach.of("fight")
    assert "b" not in heads(machine, "fight")  # fight -> hurt starts nothing
    assert reach.resume == (Entry("a", StartMode.RESUME, LONG, "calm"),)  # fight -> calm, start: resume
    assert reach.follow == ()


def test_same_position_follows_the_music_and_a_bridge_starts_from_its_beginning(machine):
    reach = machine.reach.of("hurt")
    assert reach.follow == (Entry("a", StartMode.SAME_POSITION, LONG),)  # hurt -> calm, start: same_position
    assert heads(machine, "hurt")["d"] == LONG and heads(machine, "hurt")["e"] == LONG  # bridge d, then far (e)
    assert "a" not in heads(machine, "hurt")  # a forced move to calm borrows the rule's same_position


def test_then_leads_on_and_then_previous_is_left_to_the_run(machine):
    assert heads(machine, "lull")["a"] == LONG  # then: calm
    assert machine.reach.of("win").previous and not machine.reach.of("lull").previous


def test_any_rules_reach_from_every_state_and_forced_moves_give_every_segment_a_head(machine):
    for name, state in machine.states.items():
        reach = machine.reach.of(name)
        if name != "win":
            assert heads(machine, name)["c"] == LONG and heads(machine, name)["e"] >= LONG  # any -> win, bridge e
        if name != "lull":
            assert heads(machine, name)["d"] == LONG  # the go cue, from anywhere but where it leads
        assert reach.segments() | {state.segment} == set(SEGMENTS)


CHAINS = """\
pack: reach
params: {x: {range: [0, 1], default: 0}}
events: [go]
initial: calm
states:
  calm: {segment: a}
  fight: {segment: b}
  far: {segment: c}
  hurt: {segment: d}
  gone: {segment: e}
transitions:
  - {from: calm, to: fight, when: "x > 0.5", sync: immediate}
  - {from: fight, to: far, when: "x > 0.8", sync: immediate, start: resume}
  - {from: far, to: calm, when: "x < 0.2", sync: immediate}
  - {from: calm, to: hurt, when: event go, sync: immediate}
  - {from: hurt, to: gone, when: event go or x > 2, start: same_position}
"""


def test_a_param_jump_that_chains_rules_is_placed_where_its_last_rule_starts(reach_folder):
    """calm -> fight -> far in one block when x jumps past 0.8: far resumes where it was left, so calm keeps
    that place resident too (a short head); hurt -> gone needs an event (x > 2 never holds but is not known
    to), which the step into hurt consumed, yet its `or` could hold, so it is placed from calm as well."""
    machine = load_machine(write_machine(reach_folder, CHAINS, "chains.yaml"))
    calm = machine.reach.of("calm")
    assert calm.resume == (Entry("c", StartMode.RESUME, SHORT, "far"),)
    assert calm.follow == (Entry("e", StartMode.SAME_POSITION, SHORT),)
    assert machine.reach.of("fight").resume == (Entry("c", StartMode.RESUME, LONG, "far"),)  # its own rule
    assert machine.reach.of("far").resume == () and machine.reach.of("far").follow == ()  # calm starts from 0


def test_a_chain_starts_its_target_where_its_last_rule_says_even_past_that_rules_bridge(reach_folder):
    text = CHAINS.replace("x > 0.8\", sync: immediate, start: resume}", "x > 0.8\", start: resume, bridge: f}")
    machine = load_machine(write_machine(reach_folder, text, "chains_bridge.yaml"))
    assert machine.reach.of("calm").resume == (Entry("c", StartMode.RESUME, SHORT, "far"),)
    assert heads(machine, "fight")["f"] == LONG and machine.reach.of("fight").resume == ()  # its own rule: bridged


def test_a_rule_that_needs_an_event_never_ends_a_chain(reach_folder):
    machine = load_machine(write_machine(reach_folder, CHAINS.replace("event go or x > 2", "event go"),
                                         "chains_event.yaml"))
    assert machine.reach.of("calm").follow == ()  # hurt -> gone takes a second event: a block raises it once


def test_arrival_says_where_a_destination_starts():
    assert arrival(None, same=False) == StartMode.START
    assert arrival(None, same=True) is None  # the segment plays on
    assert arrival(StartMode.START, same=True) == StartMode.START  # it starts again
    assert arrival(StartMode.RESUME, same=False) == StartMode.RESUME
    assert arrival(StartMode.SAME_POSITION, same=True) is None


def test_the_table_is_worked_out_once_per_machine(machine, reach_folder):
    assert machine.reach.of("calm") is machine.reach.of("calm")
    again = load_machine(write_machine(reach_folder, REACH.replace("  rest: {go: lull}", "  rest: {go: far}"),
                                       "reach2.yaml"))
    assert again.reach is not machine.reach
    assert heads(machine, "calm")["d"] == LONG and heads(again, "calm")["d"] == SHORT  # lull: now forced only
