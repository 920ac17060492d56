"""Generated layers on their own: phrase requests on bar lines, fresh variations, locks, stopping."""
import pytest

from engine.machine.decisions import GenerateLayer, LayerLevel, StopLayer
from engine.machine.layers import Layers
from engine.machine.model import NO_FADE, StartMode
from engine.machine.phrase import PhraseRequest
from engine.machine.playback import Playback
from engine.gm import program_of
from engine.roles import DEFAULTS, Role
from engine.score.loader import load_machine

from conftest import BAR, write_machine

LAYERS = """\
pack: tones
params: {x: {range: [0, 1], default: 0.25}}
initial: calm
states:
  calm:
    segment: calm
    generate:
      line: {role: melody, density: {param: x}, bars: 2, regenerate: every 2 bars, seed: 4, gain: -6 dB}
      arp: {role: arp, density: 0.9}
  fight: {segment: fight}
"""


@pytest.fixture
def parts(tone_pack):
    machine = load_machine(write_machine(tone_pack.parent, LAYERS, "layers.yaml"))
    playback = Playback(machine)
    layers = Layers(machine, playback)
    layers.values = {"x": 0.25}
    first = playback.enter(BAR // 2, "calm", NO_FADE, StartMode.START, "initial state", layers)
    return playback, layers, [d for d in first if isinstance(d, GenerateLayer)]


def test_entering_a_state_asks_for_each_layers_first_phrase_for_the_next_bar(parts):
    playback, layers, (line, arp) = parts
    assert (line.layer, line.start, line.variation, line.program) == ("calm.line", BAR // 2 + BAR, 0,
                                                                      program_of("Electric Piano 1"))
    # the segment started half a bar in: its second bar (F) is the next bar line
    assert line.request == PhraseRequest(Role.MELODY, "A minor", ("F", "Am"), 2, 0.25, DEFAULTS[Role.MELODY].register,
                                         seed=4, meter=(4, 4))
    assert (arp.request.role, arp.program, arp.request.register) == (Role.ARPEGGIO,
                                                                     program_of("Acoustic Guitar (nylon)"), (60, 84))
    assert arp.request.bars == 4 and arp.request.chords == ("F", "Am", "F", "Am")  # the segment's, round again
    assert layers.levels({"x": 0.0}) == {LayerLevel("calm.line"): pytest.approx(0.501, abs=0.001),
                                         LayerLevel("calm.arp"): 1.0}


def test_a_fresh_variation_is_asked_for_one_bar_ahead_unless_the_layer_is_locked(parts):
    playback, layers, _ = parts
    first_phrase = BAR // 2 + BAR
    assert layers.regenerate(first_phrase + BAR - 1) == []  # one bar before the regenerate point (2 bars on)
    layers.values = {"x": 0.75}
    [fresh] = layers.regenerate(first_phrase + BAR)
    assert (fresh.start, fresh.variation, fresh.request.seed, fresh.request.density) == (first_phrase + 2 * BAR, 1,
                                                                                          5, 0.75)
    assert fresh.request.chords == ("F", "Am")  # the bars it will play over: the segment's second bar, then its first
    layers.set_lock("line", True)
    assert layers.regenerate(first_phrase + 3 * BAR) == []  # locked: the phrase that plays goes on
    layers.set_lock("line", False)
    assert [d.variation for d in layers.regenerate(first_phrase + 5 * BAR)] == [2]


def test_leaving_the_state_fades_its_layers_out(parts):
    playback, layers, _ = parts
    out = layers.stop(2 * BAR, "fight", 480, "left")
    assert sorted((d.layer, d.samples) for d in out if isinstance(d, StopLayer)) == [("calm.arp", 480),
                                                                                    ("calm.line", 480)]
    assert layers.active == {} and layers.levels({"x": 0.0}) == {}


def test_a_lock_set_over_osc_survives_a_reload(parts):
    playback, layers, _ = parts
    layers.set_lock("line", True)
    layers.set_lock("nope", True)  # no such layer: ignored
    layers.retarget(layers.machine)
    assert layers.locks == {"line": True, "arp": False}
