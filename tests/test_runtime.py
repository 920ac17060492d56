"""The runtime on its own: plain numbers in, decisions stamped with exact samples out."""
import dataclasses

import pytest

from engine.machine.decisions import EnterState, Fade, Scheduled, StartSegment, StemLevel
from engine.score.loader import load_machine
from engine.machine.runtime import BlockInput, Runtime
from engine.params import ParamBank

from conftest import BAR, MACHINE, write_machine

BLOCK = 256
BEAT = BAR // 4


class Driver:
    """Steps a runtime block by block, like the heartbeat does, collecting every decision."""

    def __init__(self, machine):
        self.machine = machine
        self.runtime = Runtime(machine)
        self.params = ParamBank(machine.params)
        self.sample = 0
        self.decisions = []

    def step(self, events=(), force=None, **params):
        for name, value in params.items():
            self.params.set(name, value)
        self.params.advance(BLOCK / 48000)
        out = self.runtime.step(BlockInput(self.sample, BLOCK, self.params.values(), frozenset(events), force))
        self.decisions += out
        self.sample += BLOCK
        return out

    def until(self, sample):
        while self.sample < sample:
            self.step()

    def of(self, kind):
        return [d for d in self.decisions if isinstance(d, kind)]


def driver(tone_pack, text=MACHINE):
    return Driver(load_machine(write_machine(tone_pack.parent, text, "runtime.yaml")))


def test_initial_state_starts_its_segment_at_sample_zero(tone_pack):
    d = driver(tone_pack)
    d.step()
    [enter] = d.of(EnterState)
    assert (enter.sample, enter.target, enter.source) == (0, "calm", None)
    assert [(s.sample, s.segment, s.offset) for s in d.of(StartSegment)] == [(0, "calm", 0)]
    fades = {f.stem: f for f in d.of(Fade)}
    assert fades["a"].target == 1.0 and fades["a"].samples == 240  # the 5 ms minimum ramp
    assert fades["b"].target == 1.0  # a curve layer's fade is unity; its level follows the param


def test_event_waits_for_the_next_bar_and_lands_on_its_exact_sample(tone_pack):
    d = driver(tone_pack)
    d.until(BAR // 2 + 100)
    d.step(events={"go"})
    [sched] = d.of(Scheduled)
    assert sched.at == BAR and sched.target == "fight"
    d.until(BAR - BLOCK)
    assert len(d.of(EnterState)) == 1
    d.until(BAR + BLOCK)
    enter = d.of(EnterState)[-1]
    assert (enter.sample, enter.source, enter.target, enter.position) == (BAR, "calm", "fight", "2:1")
    assert d.of(StartSegment)[-1] == StartSegment(BAR, "1:1", "fight", "[event go]", "fight", 0)
    fades = {(f.segment, f.stem): f for f in d.of(Fade) if f.sample == BAR}
    assert fades[("calm", "a")].target == 0.0 and fades[("calm", "a")].samples == BEAT  # fade_out: 1 beat
    assert fades[("fight", "tone")].target == 1.0 and fades[("fight", "tone")].samples == 240


def test_a_param_jump_goes_straight_to_the_state_it_implies(tone_pack):
    d = driver(tone_pack, """\
        pack: tones
        params: {x: {range: [0, 1], default: 0}}
        initial: calm
        states:
          calm: {segment: calm}
          fight: {segment: fight}
          victory: {segment: end}
        transitions:
          - {from: calm, to: fight, when: "x > 0.3", sync: bar}
          - {from: fight, to: victory, when: "x > 0.8", sync: beat}
        """)
    d.step()
    d.step(x=1.0)
    d.until(2 * BAR)
    enters = [(e.sample, e.target) for e in d.of(EnterState)]
    assert enters == [(0, "calm"), (BAR, "victory")]
    assert "x > 0.3" in d.of(EnterState)[-1].why and "x > 0.8" in d.of(EnterState)[-1].why


def test_same_segment_states_crossfade_layers_without_restarting(tone_pack):
    d = driver(tone_pack)
    d.step()
    d.step(events={"go"})
    d.until(BAR + BLOCK)
    d.step(health=0.2)
    d.until(BAR + 2 * BEAT)
    hurt = d.of(EnterState)[-1]
    assert hurt.target == "hurt" and hurt.sample == BAR + BEAT  # sync: beat
    assert all(s.segment != "fight" or s.sample == BAR for s in d.of(StartSegment))
    tone = [f for f in d.of(Fade) if f.stem == "tone" and f.sample == hurt.sample][0]
    assert abs(tone.target - 10 ** (-6 / 20)) < 1e-9 and tone.samples == BEAT


def test_hysteresis_keeps_a_hovering_param_from_flapping(tone_pack):
    d = driver(tone_pack)
    d.step(events={"go"})
    d.until(BAR + BLOCK)
    for h in (0.2, 0.27, 0.22, 0.28, 0.24, 0.29) * 10:  # hovering around 0.25, never above 0.3 or 0.5
        d.step(health=h)
    d.until(6 * BAR)
    assert [e.target for e in d.of(EnterState)] == ["calm", "fight", "hurt"]


def test_cooldown_blocks_a_rule_from_firing_again_too_soon(tone_pack):
    d = driver(tone_pack, MACHINE.replace("when: event go, sync: bar, fade_out: 1 beat",
                                          "when: event go, sync: bar, cooldown: 4 bars"))
    d.step(events={"go"})
    d.until(BAR + BLOCK)
    d.step(events={"calm_down"})
    d.until(2 * BAR + BLOCK)
    d.step(events={"go"})  # within 4 bars of the first: ignored
    d.until(4 * BAR)
    assert [e.target for e in d.of(EnterState)] == ["calm", "fight", "calm"]
    d.until(5 * BAR + BLOCK)
    d.step(events={"go"})
    d.until(7 * BAR)
    assert [e.target for e in d.of(EnterState)][-1] == "fight"


def test_then_advances_when_a_one_shot_segment_ends(tone_pack):
    d = driver(tone_pack)
    d.until(1000)
    d.step(events={"win"})
    d.until(3 * BAR)
    enters = [(e.sample, e.target) for e in d.of(EnterState)]
    assert enters == [(0, "calm"), (BEAT, "victory"), (BEAT + BAR, "calm")]


def test_resume_starts_where_the_state_was_left(tone_pack):
    d = driver(tone_pack, MACHINE.replace("sync: bar, fade: 2 beats}", "sync: beat, start: resume}"))
    d.until(1000)
    d.step(events={"go"})
    d.until(BAR + BLOCK)
    d.step(events={"calm_down"})
    d.until(2 * BAR)
    back = d.of(StartSegment)[-1]
    assert back.segment == "calm" and back.sample == BAR + BEAT
    assert back.offset == BAR  # calm was left at its second bar's downbeat


def test_a_bridge_plays_between_source_and_destination(tone_pack):
    d = driver(tone_pack, MACHINE.replace("to: fight, when: event go, sync: bar",
                                          "to: fight, when: event go, bridge: end, sync: bar"))
    d.until(1000)
    d.step(events={"go"})
    d.until(3 * BAR)
    starts = [(s.sample, s.segment) for s in d.of(StartSegment)]
    assert starts == [(0, "calm"), (BAR, "end"), (2 * BAR, "fight")]


def test_forced_state_uses_the_rule_to_it_when_there_is_one(tone_pack):
    d = driver(tone_pack)
    d.until(1000)
    d.step(force="fight")
    d.until(BAR + BLOCK)
    assert (d.of(EnterState)[-1].target, d.of(EnterState)[-1].sample) == ("fight", BAR)
    assert "forced" in d.of(EnterState)[-1].why


def test_a_newer_decision_replaces_a_pending_one(tone_pack):
    d = driver(tone_pack)
    d.until(1000)
    d.step(events={"go"})  # fight at the bar
    d.step(events={"win"})  # victory at the next beat, sooner: it wins
    d.until(BAR + BLOCK)
    assert [e.target for e in d.of(EnterState)] == ["calm", "victory"]


def test_a_fade_starts_from_where_the_previous_fade_was(tone_pack):
    d = driver(tone_pack)
    d.step(events={"go"})
    d.until(BAR + BLOCK)
    d.step(events={"calm_down"})  # back to calm at the next bar; fight fades over 2 beats
    d.until(2 * BAR + BLOCK)
    d.step(events={"go"})  # and again to fight at bar 4, while nothing is mid-fade
    d.until(3 * BAR + BLOCK)
    tone = [f for f in d.of(Fade) if f.stem == "tone"]
    assert [round(f.start, 6) for f in tone] == [0.0, 1.0, 0.0]


def test_layer_levels_follow_the_param_curve(tone_pack):
    d = driver(tone_pack)
    d.step(intensity=0.5)
    levels = d.runtime.levels(d.params.values())
    assert levels[StemLevel("calm", "a")] == 1.0
    assert abs(levels[StemLevel("calm", "b")] - 10 ** (-30 / 20)) < 1e-9  # half way from -60 dB (silence) to 0 dB


def test_levels_cost_only_what_follows_a_param(tone_pack):
    """Every block asks for the levels: without a curve it is one dict handed back as it is, with one only the
    curved stem moves; either way every stem of the playing segment is there, in the pack's order."""
    d = driver(tone_pack)
    d.step(intensity=0.5)
    first = d.runtime.levels(d.params.values())
    assert list(first) == [StemLevel("calm", "a"), StemLevel("calm", "b")]
    d.step(intensity=1.0)
    second = d.runtime.levels(d.params.values())
    assert second is not first and second[StemLevel("calm", "b")] == pytest.approx(1.0)
    assert first[StemLevel("calm", "b")] == pytest.approx(10 ** (-30 / 20))  # what was handed out is kept
    d.runtime.playback.bridging = True  # a bridge plays every stem at full level: no curve
    fixed = d.runtime.levels(d.params.values())
    assert fixed == dict.fromkeys(first, 1.0) and d.runtime.levels(d.params.values()) is fixed


def test_a_block_input_is_one_frozen_record_and_its_at_places_an_immediate_move(tone_pack):
    machine = load_machine(write_machine(tone_pack.parent, """\
        pack: tones
        events: [go]
        initial: calm
        states: {calm: {segment: calm}, fight: {segment: fight}}
        transitions:
          - {from: calm, to: fight, when: event go, sync: immediate}
        """, "block_input.yaml"))
    runtime = Runtime(machine)
    runtime.step(BlockInput(0, BLOCK, {}))
    block = BlockInput(BLOCK, BLOCK, {}, frozenset({"go"}), at=BLOCK + 100)  # a timetag inside the block
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.at = 0
    enter = [d for d in runtime.step(block) if isinstance(d, EnterState)]
    assert [(d.sample, d.target) for d in enter] == [(BLOCK + 100, "fight")]
