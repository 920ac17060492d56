"""The residency planner: the Plan (residency.py) for where the runtime is, made again only when it changes.

A plan names, from its sample on:
- the playing segment from its position (so the reader keeps what plays);
- a pending move's segments (its bridge, its target at the offset it will start at), with a long head: they
  must be resident before the move's sample;
- what the current state can start in one step (reach.py): heads from their beginning, `resume` targets from
  where their state was left, the previous state's segment for `then: previous`, and `same_position`
  targets from the playing position, over a window that lasts until the next plan plus the head.

A new plan is made when a state is entered or a segment starts, when a move is scheduled (or cancelled), after a
reload, and on every bar line while a `same_position` start is reachable (its window moves with the music). At
most one plan per block, and the check costs a few comparisons when nothing changed.

A param jump can follow several rules in one block (playback.Playback.choose) and land in a state further away:
its segment has at least the short head from its beginning, the place a chain's last `resume` or `same_position`
rule starts it at is placed as well (reach.py), and a scheduled move gets a long head.
"""
from __future__ import annotations

from engine.machine.reach import StartMode, arrival
from engine.machine.residency import Plan, Window
from engine.machine.runtime import Runtime


class Planner:
    def __init__(self, runtime: Runtime, block: int):
        """`block`: samples per audio block (a moving window must last until the block after a bar line)."""
        self.runtime, self.block = runtime, block
        self._seen: tuple = (None, "", "", -1, None)  # (machine, state, segment, origin, pending) last planned

    def first(self) -> Plan:
        """The plan before the first block: the initial state's."""
        return self.plan(self.runtime.playback.origin)

    def after(self, start: int, end: int) -> Plan | None:
        """Once per block, after the runtime decided [start, end): a plan from `end` on if what can start next
        changed, or a bar line fell in the block while a `same_position` start is reachable; else None."""
        runtime = self.runtime
        playback = runtime.playback
        machine, state, segment, origin, pending = self._seen
        if (runtime.machine is machine and playback.state == state and playback.segment == segment
                and playback.origin == origin and playback.pending is pending
                and not (machine.reach.of(state).follow and runtime.next_bar(start) < end)):
            return None
        return self.plan(end)

    def plan(self, at: int) -> Plan:
        """Every window that must be resident from `at` on, for the runtime as it is now."""
        runtime = self.runtime
        playback, reach = runtime.playback, runtime.machine.reach
        self._seen = (runtime.machine, playback.state, playback.segment, playback.origin, playback.pending)
        windows: dict[tuple[str, int], int] = {}

        def keep(segment: str, offset: int, frames: int) -> None:
            key = (segment, offset % reach.lengths[segment])
            windows[key] = max(windows.get(key, 0), frames)

        keep(playback.segment, at - playback.origin, reach.long)
        pending = playback.pending
        if pending is not None:  # a bridge, and a bridge's end, start the target from its beginning
            move = pending.move
            segment = runtime.machine.states[move.target].segment
            if move.bridge:
                keep(move.bridge, 0, reach.long)
            same = segment == playback.segment
            mode = StartMode.START if move.bridge or pending.bridge_end else arrival(move.start, same)
            if mode is not None:
                keep(segment, playback.start_offset(mode, move.target, pending.sample), reach.long)
        state = reach.of(playback.state)
        for window in state.heads:
            keep(window.segment, window.offset, window.frames)
        for entry in state.resume:
            keep(entry.segment, playback.start_offset(StartMode.RESUME, entry.state, at), entry.frames)
        if state.follow:  # until the block after the next bar line, where the next plan is made
            lasts = runtime.next_bar(at) + self.block - at
            for entry in state.follow:
                keep(entry.segment, at - playback.origin, lasts + entry.frames)
        previous = runtime.machine.states.get(playback.previous or "")  # a reload may have removed it
        if state.previous and previous and previous.segment != playback.segment:
            keep(previous.segment, 0, reach.long)
        return Plan(at, tuple(Window(seg, offset, frames) for (seg, offset), frames in windows.items()))
