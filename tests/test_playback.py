"""Playback on its own: sync points, choosing and forcing moves, carrying them out, stem fades."""
import pytest

from engine.machine.decisions import EnterState, Fade, Scheduled, StartSegment
from engine.machine.layers import Layers
from engine.machine.model import NO_FADE, StartMode, Sync, SyncKind
from engine.machine.playback import Pending, Playback
from engine.machine.runtime import machine_latches
from engine.score.loader import load_machine

from conftest import BAR, write_machine

BEAT = BAR // 4


@pytest.fixture
def machine(machine_path):
    return load_machine(machine_path)


def calm_and_fight(tone_pack, transitions):
    text = "pack: tones\nevents: [go]\ninitial: calm\nstates: {calm: {segment: calm}, fight: {segment: fight}}\n"
    return load_machine(write_machine(tone_pack.parent, text + "transitions:" + transitions + "\n", "playback.yaml"))


def started(machine):
    playback = Playback(machine)
    layers = Layers(machine, playback)
    out = playback.enter(0, machine.initial, NO_FADE, StartMode.START, "initial state", layers)
    return playback, layers, out


def test_entering_the_initial_state_starts_its_segment_and_fades_its_stems_in(machine):
    playback, _, out = started(machine)
    assert [type(d) for d in out[:2]] == [EnterState, StartSegment] and playback.state == "calm"
    fades = {d.stem: (d.start, d.target, d.samples) for d in out if isinstance(d, Fade)}
    assert fades == {"a": (0.0, 1.0, 240), "b": (0.0, 1.0, 240)}  # b's level follows its curve, not its fade


@pytest.mark.parametrize("sync, now, expected", [
    (Sync(SyncKind.IMMEDIATE), BAR // 2 + 1, BAR // 2 + 1),
    (Sync(SyncKind.BEAT), BAR // 2 + 1, 3 * BEAT),
    (Sync(SyncKind.BAR), BAR // 2 + 1, BAR),
    (Sync(SyncKind.BAR), BAR, BAR),  # a sync point that is now is now
    (Sync(SyncKind.BARS, 2), BAR // 2 + 1, 2 * BAR),
    (Sync(SyncKind.SEGMENT_END), BAR // 2 + 1, 2 * BAR),  # calm lasts two bars
    (Sync(SyncKind.CUE_POINT, point="mid"), BAR // 2 + 1, BAR),  # mid: 2:1
    (Sync(SyncKind.CUE_POINT, point="mid"), BAR + 1, 3 * BAR),  # the next time round the loop
])
def test_each_kind_of_sync_point(machine, sync, now, expected):
    playback, _, _ = started(machine)
    assert playback.boundary(sync, now) == expected


def test_a_param_jump_follows_every_rule_that_holds_and_an_event_only_the_first(tone_pack):
    m = load_machine(write_machine(tone_pack.parent, """\
        pack: tones
        params: {x: {range: [0, 1], default: 0}}
        events: [go]
        initial: calm
        states: {calm: {segment: calm}, fight: {segment: fight}, end: {segment: end}}
        transitions:
          - {from: calm, to: fight, when: "x > 0.3 or event go", sync: beat}
          - {from: fight, to: end, when: "x > 0.8 or event go", sync: bar, fade: 1 bar}
        """, "chain.yaml"))
    playback, _, _ = started(m)
    latches = machine_latches(m)
    latches.update({"x": 1.0})
    move = playback.choose(latches, frozenset(), 100)
    assert (move.target, str(move.sync), len(move.rules)) == ("end", "beat", 2)  # the first rule's sync
    latches.update({"x": 0.0})
    assert playback.choose(latches, frozenset({"go"}), 100).target == "fight"


def test_a_rule_cools_down_after_it_fired(tone_pack):
    m = calm_and_fight(tone_pack, """
          - {from: calm, to: fight, when: event go, sync: immediate, cooldown: 1 bar}
          - {from: fight, to: calm, when: event go, sync: immediate}""")
    playback, layers, _ = started(m)
    latches = machine_latches(m)
    playback.schedule(playback.choose(latches, frozenset({"go"}), 1000), 1000)
    pending, playback.pending = playback.pending, None
    playback.execute(pending, layers)
    playback.execute(Pending(2000, playback.forced("calm")), layers)  # back by name
    assert playback.choose(latches, frozenset({"go"}), 1000 + BAR - 1) is None  # still cooling down
    assert playback.choose(latches, frozenset({"go"}), 1000 + BAR).target == "fight"


def test_a_forced_move_borrows_the_rule_that_leads_there_or_the_defaults(machine):
    playback, _, _ = started(machine)
    ruled = playback.forced("fight")
    assert (str(ruled.sync), ruled.fade.fade_out.amount, ruled.rules) == ("bar", 1.0, ())
    unruled = playback.forced("hurt")  # no rule leads from calm to hurt
    assert (unruled.sync, unruled.fade) == (machine.default_sync, machine.default_fade)
    assert playback.forced("calm") is None  # already there, nothing waiting


def test_a_move_to_where_the_machine_is_going_is_not_scheduled_twice(machine):
    playback, _, _ = started(machine)
    [scheduled] = playback.schedule(playback.forced("fight"), 100)
    assert isinstance(scheduled, Scheduled) and scheduled.at == BAR
    assert playback.schedule(playback.forced("fight"), 200) == [] and playback.pending.sample == BAR


def test_a_fade_cut_short_starts_the_next_where_the_gain_is(machine):
    playback, layers, _ = started(machine)
    playback.execute(Pending(BAR, playback.forced("fight")), layers)  # calm fades out over a beat
    half = BAR + BEAT // 2
    out = playback.execute(Pending(half, playback.forced("calm")), layers)
    back = {d.stem: d for d in out if isinstance(d, Fade) and d.segment == "calm"}
    assert back["a"].start == pytest.approx(0.7071, abs=0.01)  # an equal-power fade out half way: cos(pi/4)
    assert back["a"].target == 1.0 and back["a"].start == playback.ramps[("calm", "a")].points[0][1]


def test_a_bridge_plays_at_full_level_then_enters_the_target(tone_pack):
    m = calm_and_fight(tone_pack, """
          - {from: calm, to: fight, when: event go, sync: bar, bridge: end, fade_in: 1 beat}""")
    playback, layers, _ = started(m)
    playback.execute(Pending(BAR, playback.choose(machine_latches(m), frozenset({"go"}), 0)), layers)
    assert playback.bridging and playback.segment == "end" and playback.state == "fight"
    assert playback.levels({}) == {k: 1.0 for k in playback.levels({})}
    assert playback.pending.sample == 2 * BAR and playback.pending.bridge_end  # the bridge lasts one bar
    out = playback.execute(playback.pending, layers)
    assert not playback.bridging and playback.segment == "fight"
    assert {d.samples for d in out if isinstance(d, Fade) and d.segment == "fight"} == {BEAT}
