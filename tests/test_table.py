"""The transition table: worked out once from the rules, looked up every block."""
from dataclasses import dataclass

from engine.machine.table import ANY, TransitionTable
from engine.score.loader import load_machine

from conftest import write_machine


@dataclass(frozen=True)
class Rule:
    source: str
    target: str
    name: str


RULES = (Rule("a", "b", "a->b"), Rule(ANY, "c", "any->c"), Rule("b", "a", "b->a"), Rule(ANY, "a", "any->a"),
         Rule("a", "c", "a->c"), Rule("c", "c", "c->c"))


def test_a_state_tries_its_own_rules_and_the_any_rules_in_file_order():
    table = TransitionTable(("a", "b", "c"), RULES)
    assert [r.name for r in table.candidates("a")] == ["a->b", "any->c", "a->c"]  # none leads back to a
    assert [r.name for r in table.candidates("b")] == ["any->c", "b->a", "any->a"]
    assert [r.name for r in table.candidates("c")] == ["any->a"]  # any->c and c->c stay where it is
    assert table.candidates("nowhere") == ()


def test_a_forced_move_borrows_the_first_rule_between_the_two_states():
    table = TransitionTable(("a", "b", "c"), RULES)
    assert table.rule("a", "c").name == "any->c"  # earlier in the file than a->c
    assert table.rule("b", "a").name == "b->a"
    assert table.rule("c", "c").name == "any->c"  # re-entering a state (a forced move with one pending)
    assert table.rule("c", "b") is None  # no rule: the machine's defaults


def test_the_loaded_machine_carries_its_table(machine_path):
    machine = load_machine(machine_path)
    by_index = {t.index: t for t in machine.transitions}
    leaving = machine.table.candidates("fight")
    assert [(t.source, t.target) for t in leaving] == [("fight", "hurt"), ("fight", "calm"), ("any", "victory")]
    assert all(by_index[t.index] is t for t in leaving)  # the rules themselves, not copies
    assert machine.table.rule("hurt", "calm").target == "calm" and machine.table.rule("calm", "hurt") is None


def test_a_reloaded_file_gets_its_own_table(tone_pack):
    text = "pack: tones\nevents: [go]\ninitial: calm\nstates: {calm: {segment: calm}, fight: {segment: fight}}\n"
    before = load_machine(write_machine(tone_pack.parent, text, "table.yaml"))
    after = load_machine(write_machine(tone_pack.parent, text + "transitions:\n  - {from: calm, to: fight, "
                                       "when: event go}\n", "table.yaml"))
    assert before.table.candidates("calm") == () and [t.target for t in after.table.candidates("calm")] == ["fight"]
