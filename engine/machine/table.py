"""The machine's transition table, worked out once when it loads: for each state, the rules that may lead away
from it (its own and the `any` rules, in file order, since earlier rules win), and for each (from, to) pair the
rule a forced move borrows its sync and fade from. The runtime looks rules up; it never scans them."""
from __future__ import annotations

from types import MappingProxyType
from typing import Protocol, Sequence

ANY = "any"  # a rule's source that stands for every state


class Rule(Protocol):
    source: str  # a state name or ANY
    target: str


class TransitionTable:
    def __init__(self, states: Sequence[str], rules: Sequence[Rule]):
        leaving = {state: tuple(r for r in rules if r.source in (state, ANY) and r.target != state)
                   for state in states}
        pairs: dict[tuple[str, str], Rule] = {}
        for state in states:
            for rule in rules:
                if rule.source in (state, ANY):
                    pairs.setdefault((state, rule.target), rule)
        self._leaving = MappingProxyType(leaving)
        self._pairs = MappingProxyType(pairs)

    def candidates(self, state: str) -> tuple:
        """The rules that may take the machine out of `state`, in the order they are tried."""
        return self._leaving.get(state, ())

    def rule(self, source: str, target: str):
        """The first rule from `source` (or any state) to `target`, or None."""
        return self._pairs.get((source, target))
