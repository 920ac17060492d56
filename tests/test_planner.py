"""The residency planner on a real runtime: a plan before the first block, a new one when what can start next
changes (entering, scheduling, a go cue, a reload) and every bar while a same_position start is reachable; and,
through the real offline engine on the demo, every segment that starts is resident, at its offset, before."""
from __future__ import annotations

import dataclasses

import pytest

from engine.machine.decisions import StartSegment
from engine.machine.planner import Planner
from engine.machine.reach import LONG_HEAD, SHORT_HEAD
from engine.machine.residency import Window
from engine.machine.runtime import BlockInput, Runtime
from engine.osc.routes import Router
from engine.score.loader import load_machine
from engine.session import Engine
from engine.telemetry import Cue, load_script

from conftest import REACH, REACH_RATE as RATE, REACH_SEGMENTS, ROOT, write_machine
from test_reach import CHAINS
from parts import Plans

BLOCK = 256
BAR, BEAT = RATE * 2, RATE // 2
LONG, SHORT = round(LONG_HEAD * RATE), round(SHORT_HEAD * RATE)


class Run:
    """Steps a runtime block by block as the heartbeat does, keeping every plan its planner makes."""

    def __init__(self, machine):
        self.runtime = Runtime(machine)
        self.planner = Planner(self.runtime, BLOCK)
        self.plans = [self.planner.first()]
        self.starts: list[StartSegment] = []
        self.sample = 0

    def step(self, events=(), force=None, cues=(), values=None):
        b0 = self.sample
        out = self.runtime.step(BlockInput(b0, BLOCK, values or {}, frozenset(events), force, tuple(cues)))
        self.starts += [d for d in out if isinstance(d, StartSegment)]
        plan = self.planner.after(b0, b0 + BLOCK)
        if plan is not None:
            self.plans.append(plan)
        self.sample += BLOCK
        return plan

    def until(self, sample, values=None):
        while self.sample < sample:
            self.step(values=values)


def in_effect(plans, sample, block=BLOCK):
    """The plan the audio side held when the block holding `sample` was computed."""
    return [p for p in plans if p.sample <= sample - sample % block][-1]


def covers(plan, segment, offset, frames, length=BAR) -> bool:
    """`frames` of `segment` from `offset` (round its loop) lie in one of the plan's windows."""
    return any(w.segment == segment and (offset - w.offset) % length + frames <= w.frames for w in plan.windows)


def assert_every_start_covered(run, frames=LONG):
    for start in run.starts:
        assert covers(in_effect(run.plans, start.sample), start.segment, start.offset, frames), start


@pytest.fixture
def run(reach_folder):
    return Run(load_machine(write_machine(reach_folder, REACH, "planner.yaml")))


def test_the_first_plan_is_the_initial_states_before_any_block(run):
    first = run.plans[0]
    assert first.sample == 0 and Window("a", 0, LONG) in first.windows  # what plays, from its start
    assert first.segments() == set(REACH_SEGMENTS)
    assert Window("b", 0, LONG) in first.windows and Window("f", 0, SHORT) in first.windows
    run.until(3 * BAR)  # entering the initial state was planned already, and nothing changes after
    assert len(run.plans) == 1


def test_a_scheduled_move_gets_a_long_head_and_entering_plans_from_the_new_state(run):
    run.until(1000)
    scheduled = run.step(force="gone")  # no rule leads there: the bar (no defaults), from its start
    assert scheduled.sample == run.sample and Window("f", 0, LONG) in scheduled.windows
    run.until(BAR + BLOCK)
    assert [(s.segment, s.sample, s.offset) for s in run.starts] == [("a", 0, 0), ("f", BAR, 0)]
    entered = run.plans[-1]
    assert len(run.plans) == 3 and entered.sample == BAR - BAR % BLOCK + BLOCK  # the block after the bar line
    assert Window("f", entered.sample - BAR, LONG) in entered.windows  # what plays, from where it is
    assert Window("a", 0, SHORT) in entered.windows  # gone reaches calm only by a forced move
    assert_every_start_covered(run)


def test_resume_is_planned_from_where_the_state_was_left(run):
    run.until(1000)
    run.step(events={"go"})  # calm -> fight on the next beat
    run.until(BAR)
    assert Window("a", BEAT, LONG) in run.plans[-1].windows  # calm was left at its second beat
    run.step(events={"back"})  # fight -> calm on fight's next bar, start: resume
    run.until(2 * BAR + BLOCK)
    assert [(s.segment, s.sample, s.offset) for s in run.starts] == [("a", 0, 0), ("b", BEAT, 0),
                                                                     ("a", BEAT + BAR, BEAT)]
    assert_every_start_covered(run)


def test_a_same_position_window_moves_with_the_music_every_bar(run):
    run.until(1000)
    run.step(events={"go"})  # fight on the next beat
    run.until(BAR)
    run.step(events={"go"})  # hurt on fight's next bar: same segment, nothing starts
    run.until(BEAT + BAR + BLOCK)
    entered = len(run.plans)
    run.until(BEAT + 5 * BAR)
    moving = run.plans[entered - 1:]
    assert len(moving) == 5  # entering hurt, then one a bar
    for sample in range(BEAT + BAR + BLOCK, BEAT + 5 * BAR, BLOCK):  # calm can start, mapped, at any block
        assert covers(in_effect(run.plans, sample), "a", (sample - BEAT) % BAR, BLOCK + LONG), sample
    run.until(BEAT + 5 * BAR + 1234 - 1234 % BLOCK)
    run.step(events={"back"})  # immediate, from the playing position: only the moving window was there
    assert run.starts[-1].segment == "a" and run.starts[-1].offset == (run.starts[-1].sample - BEAT) % BAR
    assert_every_start_covered(run)
    count = len(run.plans)
    run.until(run.sample + 3 * BAR)
    assert len(run.plans) == count  # calm reaches no same_position start: no more plans


def test_a_go_cue_schedules_without_a_decision_and_is_planned(run):
    run.until(1000)
    plan = run.step(cues=(("rest", 1.0),))  # go lull on the next bar
    assert plan is not None and run.runtime.pending.move.target == "lull"
    assert Window("d", 0, LONG) in plan.windows
    run.until(3 * BAR + BLOCK)  # lull's segment ends: then calm
    assert [(s.segment, s.sample) for s in run.starts] == [("a", 0), ("d", BAR), ("a", 2 * BAR)]
    assert_every_start_covered(run)


def test_a_bridge_then_its_target_then_previous(run):
    run.until(1000)
    run.step(events={"go"})  # fight on the next beat
    run.until(BAR)
    scheduled = run.step(events={"won"})  # bridge e on fight's next bar, then win (c), then: previous (fight)
    assert Window("e", 0, LONG) in scheduled.windows and Window("c", 0, LONG) in scheduled.windows
    run.until(BEAT + 4 * BAR + BLOCK)
    assert [(s.segment, s.sample) for s in run.starts] == [("a", 0), ("b", BEAT), ("e", BEAT + BAR),
                                                           ("c", BEAT + 2 * BAR), ("b", BEAT + 3 * BAR)]
    in_win = in_effect(run.plans, BEAT + 3 * BAR)
    assert run.runtime.machine.reach.of("win").previous and Window("b", 0, LONG) in in_win.windows
    assert_every_start_covered(run)


def test_a_reload_plans_with_the_new_machines_reach(run, reach_folder):
    run.until(BAR // 2)
    assert Window("f", 0, SHORT) in run.plans[-1].windows
    newer = load_machine(write_machine(reach_folder, REACH.replace(
        "transitions:\n", "transitions:\n  - {from: calm, to: gone, when: event hide}\n"), "planner2.yaml"))
    run.runtime.swap(newer, run.sample, {})
    plan = run.step()
    assert plan is not None and Window("f", 0, LONG) in plan.windows  # a rule reaches gone now
    assert len(run.plans) == 2 and run.step() is None


def test_a_param_jump_through_two_rules_resumes_where_the_plan_kept_it(reach_folder):
    """calm -> fight -> far in one block, far resuming where it was left: that place was resident in calm's plan
    (before, only far's head from its beginning was)."""
    run = Run(load_machine(write_machine(reach_folder, CHAINS, "planner_chains.yaml")))
    run.until(BAR, {"x": 0.0})
    run.until(BAR + 6000, {"x": 0.9})  # to far, from its beginning (never left)
    run.until(2 * BAR, {"x": 0.1})  # back to calm, far left some 6,000 samples in
    run.until(3 * BAR, {"x": 0.9})  # and again: far from where it was left
    far = [s for s in run.starts if s.segment == "c"]
    assert len(far) == 2 and SHORT < far[1].offset < BAR - SHORT
    assert run.runtime.state == "far"
    assert_every_start_covered(run, SHORT)


def test_the_engine_plans_every_segment_that_starts_before_it_starts(tmp_path):
    """The real offline engine and the demo machine: every start (rules, the bridge, then, and a forced move)
    lies in the plan the audio side held when its block was computed, with a long head from its offset."""
    demo = ROOT / "statemachines" / "demo.yaml"
    router = Router(load_machine(demo))
    script = load_script(ROOT / "statemachines" / "demo.telemetry.yaml", router)
    forced = Cue(50.3, router.route("/segue/state/combat", []))  # explore again by then: combat on the bar
    script = dataclasses.replace(script, cues=script.cues + (forced,))
    plans = Plans()
    with Engine(demo, residency=plans) as engine:
        engine.render(tmp_path / "demo.wav", script)
        block, rate = engine.block, engine.sample_rate
        lengths = engine.machine.reach.lengths
        starts = [e for e in engine.log if e["action"] == StartSegment.action]
        assert engine.plan is plans.plans[-1]
    assert plans.plans[0].sample == 0  # given before the first block
    assert [(s["segment"], round(s["sample"] / rate, 2)) for s in starts] == [
        ("explore", 0.0), ("combat", 8.0), ("combat_outro", 36.0), ("victory", 38.0), ("explore", 46.0),
        ("combat", 52.0)]
    long = round(LONG_HEAD * rate)
    for s in starts:
        plan = in_effect(plans.plans, s["sample"], block)
        assert covers(plan, s["segment"], s["offset"], long, lengths[s["segment"]]), s
    samples = [p.sample for p in plans.plans]
    assert samples == sorted(set(samples)) and all(s % block == 0 for s in samples)  # at most one a block
    assert len(samples) < 30  # on changes, not every block
