"""What the machine can start in one step from each state, worked out once when it loads (issue #11).

From a state, a segment can start through its rules and the `any` rules (the target's segment, and a rule's
`bridge`), its `then` (`then: previous`: the previous state's segment, known only while it plays), the desk's
`go` cues and the forced `/segue/state/<name>` moves, which reach every state (and borrow the sync, start and
bridge of a rule leading there, if any). A param jump can follow several rules in one block (Playback.choose):
the state it lands in starts where the chain's last rule says, so a `resume` or `same_position` rule that can
fire without an event, from a state one or more rules away, is placed too (a short head: such a chain is
immediate, or its target gets a long head once it is scheduled). Each reachable segment starts at one of three
places: its beginning, where its state was last left (`resume`), or the playing position mapped into it
(`same_position`). Only the beginning is known before the music plays; the planner (planner.py) places the
other two.

Pure data, immutable, built with the Machine like its TransitionTable: the planner looks states up and never
scans the rules.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping, Protocol, Sequence

from engine.machine.conditions import Condition, may_hold_without_events
from engine.machine.residency import Window
from engine.machine.table import TransitionTable
from engine.stems.pack import Pack

PREVIOUS = "previous"  # a `then` that goes back where the state was entered from

# A reader cold-starting on a disk (seek, open, the first chunk decoded) is ready well within 2 s: a segment a
# rule, `then`, bridge or `go` cue can start keeps this much of its head resident.
LONG_HEAD = 2.0  # seconds
# A forced move (/segue/state/<name>) waits for its sync (a bar by default) and, once scheduled, its target gets
# a long head; half a second covers an immediate one meanwhile, and keeps a head of every segment affordable.
SHORT_HEAD = 0.5  # seconds


class StartMode(StrEnum):
    """Where the destination's segment starts playing."""

    START = "start"
    SAME_POSITION = "same_position"  # the position the music is at (two states sharing a segment)
    RESUME = "resume"  # where the destination state was last left


def arrival(start: StartMode | None, same: bool) -> StartMode | None:
    """Where a move's destination segment starts, given the move's `start` and whether it is the segment that
    plays (`same`); None when it is and it plays on (no start at all)."""
    mode = start or (StartMode.SAME_POSITION if same else StartMode.START)
    return None if same and mode != StartMode.START else mode


class State(Protocol):
    segment: str
    then: str | None


class Rule(Protocol):
    target: str
    when: Condition
    start: StartMode | None
    bridge: str | None


@dataclass(frozen=True)
class Entry:
    """A segment that can start from a place known only while the music plays: `resume` (where `state` was
    last left) or `same_position` (the playing position)."""

    segment: str
    start: StartMode
    frames: int  # the head kept resident from that place
    state: str = ""  # resume: the state whose left position it starts from


@dataclass(frozen=True)
class Reach:
    """What one state can start in one step."""

    heads: tuple[Window, ...]  # segments that start at their beginning, with the head each keeps resident
    resume: tuple[Entry, ...]
    follow: tuple[Entry, ...]  # same_position: the window moves with the music
    previous: bool = False  # `then: previous`: the previous state's segment, from its beginning, long head

    def segments(self) -> frozenset[str]:
        """Every segment named here (the previous state's is known only at run time)."""
        return frozenset(w.segment for w in self.heads) | {e.segment for e in self.resume + self.follow}


class ReachTable:
    def __init__(self, pack: Pack, states: Mapping[str, State], table: TransitionTable, go: Sequence[str]):
        """`go`: the states the desk's `go` cues lead to."""
        sr = pack.sample_rate
        self.long, self.short = round(LONG_HEAD * sr), round(SHORT_HEAD * sr)  # frames
        self.lengths = MappingProxyType({name: pack.segment_samples(name) for name in pack.segments})
        self._states = states
        self._reach = MappingProxyType({name: self._of(name, table, go) for name in states})

    def of(self, state: str) -> Reach:
        return self._reach[state]

    def _moves(self, source: str, table: TransitionTable, go: Sequence[str]) -> Iterator[tuple[str, Rule | None,
                                                                                                   int]]:
        """(target, the rule whose start and bridge the move takes, head frames) of every one-step move."""
        for rule in table.candidates(source):
            yield rule.target, rule, self.long
        then = self._states[source].then
        if then and then not in (PREVIOUS, source):
            yield then, None, self.long
        for target in go:
            yield target, table.rule(source, target), self.long
        for target in self._states:  # forced moves reach every state
            yield target, table.rule(source, target), self.short
        for rule in self._chained(source, table):  # a chain takes its first rule's bridge, never its last's
            yield rule.target, replace(rule, bridge=None), self.short

    def _chained(self, source: str, table: TransitionTable) -> Iterator[Rule]:
        """The rules that can end a chain of two or more (a param jump in one block): those that can fire without
        an event (the first step consumes it), from any state the source's rules lead to, step after step, and
        not back to the source. Only where they start the target matters: from its beginning is covered by the
        forced moves' heads."""
        seen, todo = set(), [rule.target for rule in table.candidates(source)]
        while todo:
            state = todo.pop()
            if state in seen or state == source:
                continue
            seen.add(state)
            for rule in table.candidates(state):
                if may_hold_without_events(rule.when):
                    todo.append(rule.target)
                    if rule.target != source and rule.start in (StartMode.RESUME, StartMode.SAME_POSITION):
                        yield rule

    def _of(self, source: str, table: TransitionTable, go: Sequence[str]) -> Reach:
        playing = self._states[source].segment
        heads: dict[str, int] = {}
        placed: dict[tuple[str, StartMode, str], int] = {}
        for target, rule, frames in self._moves(source, table, go):
            segment = self._states[target].segment
            if rule is not None and rule.bridge:  # the bridge, then the target from its beginning
                for seg in (rule.bridge, segment):
                    heads[seg] = max(heads.get(seg, 0), frames)
                continue
            mode = arrival(rule.start if rule else None, segment == playing)
            if mode == StartMode.START:
                heads[segment] = max(heads.get(segment, 0), frames)
            elif mode is not None:
                key = (segment, mode, target if mode == StartMode.RESUME else "")
                placed[key] = max(placed.get(key, 0), frames)
        entries = [Entry(seg, mode, frames, state) for (seg, mode, state), frames in placed.items()]
        return Reach(tuple(Window(seg, 0, frames) for seg, frames in heads.items()),
                     _only(entries, StartMode.RESUME), _only(entries, StartMode.SAME_POSITION),
                     self._states[source].then == PREVIOUS)


def _only(entries: Iterable[Entry], mode: StartMode) -> tuple[Entry, ...]:
    return tuple(e for e in entries if e.start == mode)
