"""The address map and the strict packet check, without sockets."""
import pytest

from engine.score.loader import load_machine
from engine.osc.routes import OscInputError, Router
from engine.osc.strict import Malformed, parse_message

from audio import osc_packet
from conftest import ROOT


@pytest.fixture(scope="module")
def router():
    return Router(load_machine(ROOT / "statemachines" / "demo.yaml"))


def test_builtin_and_custom_addresses(router):
    assert router.route("/segue/param/intensity", [0.8]).value == 0.8
    assert router.route("/segue/param/intensity", [1]).value == 1.0  # ints are numbers too
    assert router.route("/game/health", [0.3]).name == "health"
    assert router.route("/game/enemy", []).name == "enemy_spotted"
    assert router.route("/segue/state/combat", []).kind == "state"


def test_a_zero_argument_is_a_button_release(router):
    assert router.route("/segue/event/boss_defeated", [0.0]) is None
    assert router.route("/segue/event/boss_defeated", [False]) is None
    assert router.route("/segue/event/boss_defeated", [1.0]).kind == "event"


@pytest.mark.parametrize("address, args, words", [
    ("/segue/param/intensity", ["x"], "expects a number for 'intensity', got str 'x'"),
    ("/segue/param/intensity", [True], "expects a number"),
    ("/segue/param/intensity", [0.1, 0.2], "expects one number"),
    ("/segue/param/intensity", [float("inf")], "finite"),
    ("/segue/param/mana", [1.0], "unknown param (known: health, intensity)"),
    ("/segue/event/enemy", [], "unknown event (known: boss_defeated, enemy_lost, enemy_spotted)"),
    ("/game/*", [], "unknown address"),
])
def test_wrong_input_says_why(router, address, args, words):
    with pytest.raises(OscInputError) as err:
        router.route(address, args)
    assert words in str(err.value)


def test_strict_parser_accepts_complete_messages_and_refuses_truncated_ones():
    full = osc_packet("/a", 1.0, "text", b"blob", 7, True)
    assert parse_message(full) == ("/a", [1.0, "text", b"blob", 7, True])
    assert parse_message(osc_packet("/no/args")) == ("/no/args", [])
    for cut in range(len(full) - 4, 8, -4):
        with pytest.raises(Malformed):
            parse_message(full[:cut])
