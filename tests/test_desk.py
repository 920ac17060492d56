"""The broadcast desk on its own: cue actions, stingers and the gain envelopes they automate."""
import pytest

from engine.machine.decisions import Automate, AutomationTarget, PlayStinger
from engine.machine.desk import Desk
from engine.machine.layers import Layers
from engine.machine.model import NO_FADE, StartMode
from engine.machine.playback import Playback
from engine.machine.runtime import machine_latches
from engine.score.loader import load_machine
from engine.units import db_to_gain

from conftest import BAR, BOOM, SR, write_machine

DESK = """\
pack: tones
events: [score]
initial: calm
states: {calm: {segment: calm}, fight: {segment: fight}}
transitions:
  - {from: calm, to: fight, when: event score, sync: bar, fade: 1 beat}
stingers:
  boom: {oneshot: boom, when: event score, sync: beat, cooldown: 2 bars, duck: -12 dB}
cues:
  go_fight: {go: fight}
  talk: {duck: -10 dB, attack: 100ms, release: 500ms}
  stop: {stop: 2s}
  hit: {stinger: boom}
"""


@pytest.fixture
def desk(tone_pack):
    machine = load_machine(write_machine(tone_pack.parent, DESK, "desk.yaml"))
    playback = Playback(machine)
    playback.enter(0, machine.initial, NO_FADE, StartMode.START, "initial state", Layers(machine, playback))
    return Desk(machine, playback)


def due(desk, block_start=0):
    out = []
    while desk.timeline:
        out += desk.run_next(block_start)
    return out


def test_stop_waits_for_the_bar_and_go_brings_the_music_back(desk):
    assert desk.cue("stop", 1.0, 100) == [] and desk.timeline.next_sample() == BAR
    [stop] = due(desk)
    assert (stop.sample, stop.target, stop.points) == (BAR, AutomationTarget.MASTER, ((0, 1.0), (2 * SR, 0.0)))
    desk.cue("go_fight", 1.0, BAR + 2 * SR + 1)  # just after the stop ended: the next bar
    assert desk.playback.pending.move.target == "fight" and desk.playback.pending.sample == 3 * BAR
    [back] = due(desk)
    assert back.sample == 3 * BAR and back.points == ((0, 0.0), (SR // 2, 1.0))  # the rule's 1-beat fade in


def test_a_duck_lets_go_from_wherever_it_is(desk):
    desk.cue("talk", 1.0, 1000)
    [on] = due(desk)
    assert on.points == ((0, 1.0), (SR // 10, db_to_gain(-10)))
    desk.cue("talk", 0.0, 1000 + SR // 20)  # released half way down: no step
    [off] = due(desk)
    assert off.points[0][1] == pytest.approx((1.0 + db_to_gain(-10)) / 2) and off.points[-1] == (SR // 2, 1.0)
    assert desk.envelopes[AutomationTarget.DUCK].at(10 * SR) == 1.0


def test_panic_empties_the_queue_and_cancels_the_move_now(desk):
    desk.cue("stop", 1.0, 100)
    desk.cue("go_fight", 1.0, 100)
    [panic] = desk.cue("panic", 1.0, 200)  # built in: no machine needs to declare it
    assert (panic.sample, panic.points[-1]) == (200, (round(0.02 * SR), 0.0))
    assert not desk.timeline and desk.playback.pending is None


def test_a_stinger_fires_on_its_conditions_rising_edge_and_waits_out_its_cooldown(desk):
    latches = machine_latches(desk.machine)
    desk.auto_stingers(100, latches, frozenset({"score"}))
    desk.cue("hit", 1.0, 200)  # within the cooldown: however it is fired
    play, duck = due(desk)
    assert isinstance(play, PlayStinger) and play.sample == BAR // 4 and play.oneshot == "boom"
    attack, release, length = round(0.02 * SR), round(0.3 * SR), BOOM[2]
    assert duck.target == AutomationTarget.STINGER_DUCK and duck.points == (
        (0, 1.0), (attack, db_to_gain(-12)), (length - release, db_to_gain(-12)), (length, 1.0))
    desk.cue("hit", 1.0, BAR // 4 + 2 * BAR)
    assert [d.sample for d in due(desk) if isinstance(d, PlayStinger)] == [BAR // 4 + 2 * BAR]


def test_an_item_held_over_from_a_busy_block_plays_at_the_next_blocks_start(desk):
    desk.cue("talk", 1.0, 1000)
    [late] = desk.run_next(5000)
    assert late.sample == 5000 and isinstance(late, Automate)


def test_an_unknown_cue_does_nothing(desk):
    assert desk.cue("nope", 1.0, 0) == [] and not desk.timeline
