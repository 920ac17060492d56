"""Phrases that grow from other phrases: a motif's rhythm and intervals (the layer's previous phrase with
`continue: true`, or a designer's motif) as a pull on the model's choices 16th by 16th, and a call to answer (call
and response): room left where the call starts a note, its gaps filled with its own intervals.

A pull adds to the model's scores, it never forces: the chords, the key and the model's own sense of the style
still decide, so a developed phrase keeps the motif's shape where the harmony lets it and varies where it does not.
Intervals, not pitches, are what it keeps: a motif moved to another chord is the same motif.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.generate.encoding import HOLD, REST, token
from engine.machine.phrase import PhraseRequest

DEVELOP = 3.0  # added to the score of what the motif does at this 16th: rest, hold, or its next interval
VARY = 0.25  # of DEVELOP in the phrase's second half: it begins as the motif did and goes its own way
ROOM = 3.0  # taken from every new note where the call starts one
FILL = 1.0  # added to every new note where the call holds or rests
ECHO = 4.0  # added to the note the call's next interval leads to


@dataclass(frozen=True)
class Shape:
    """A line, 16th by 16th: REST, HOLD, or an onset with its pitch and its step from the onset before."""

    kinds: tuple[int, ...]  # REST, HOLD, or -1 for an onset
    pitches: tuple[int, ...]  # the onset's pitch (as the model thinks: moved to C), else 0
    intervals: tuple[int | None, ...]  # from the onset before (None for the first)

    @classmethod
    def of(cls, notes: tuple[tuple[int, int, int], ...], steps: int, shift: int) -> "Shape":
        kinds, pitches, intervals = [REST] * steps, [0] * steps, [None] * steps
        for step, length, pitch in sorted(notes):
            for held in range(step + 1, min(step + length, steps)):
                kinds[held] = HOLD
            kinds[step], pitches[step] = -1, pitch - shift
        last = None
        for step in range(steps):
            if kinds[step] == -1:
                intervals[step] = None if last is None else pitches[step] - last
                last = pitches[step]
        return cls(tuple(kinds), tuple(pitches), tuple(intervals))


class Pull:
    """What a request's motif and call add to the model's scores at each 16th, from where the line is now. Call
    `took` with each token sampled: an answer walks through the call's intervals, one a note."""

    def __init__(self, req: PhraseRequest, shift: int):
        self.motif = Shape.of(req.motif, req.motif_steps, shift) if req.motif else None
        self.call = Shape.of(req.call, req.call_steps, shift) if req.call else None
        self.echoes = [i for i in self.call.intervals if i is not None] if self.call else []
        self.echoed = 0  # notes the answer has played: the next takes the call's next interval
        self.half = req.bars * req.steps_per_bar // 2
        self.register = (req.register[0] - shift, req.register[1] - shift)

    def __bool__(self) -> bool:
        return self.motif is not None or self.call is not None

    def apply(self, scores: np.ndarray, step: int, last: int | None) -> None:
        """Add the pull at `step` to `scores` (the model's, by token) for a line whose last onset was `last`."""
        if self.motif is not None:  # the first half keeps the motif, the second answers it more freely
            weight = DEVELOP if step < self.half else DEVELOP * VARY
            at = step % len(self.motif.kinds)
            kind = self.motif.kinds[at]
            if kind != -1:
                scores[kind] += weight
            else:
                interval = self.motif.intervals[at]
                self._note(scores, self.motif.pitches[at] if last is None or interval is None else last + interval,
                           weight)
        if self.call is not None:
            if self.call.kinds[step % len(self.call.kinds)] == -1:  # the call moves: leave it room
                scores[2:] -= ROOM
            else:  # the call holds or rests: move, with its intervals
                scores[2:] += FILL
                if last is not None and self.echoes:
                    self._note(scores, last + self.echoes[self.echoed % len(self.echoes)], ECHO)

    def took(self, tok: int) -> None:
        if tok > HOLD:
            self.echoed += 1

    def _note(self, scores: np.ndarray, target: int, weight: float) -> None:
        """Add `weight` to the note `target`, moved by octaves into the register."""
        lo, hi = self.register
        while target > hi:
            target -= 12
        while target < lo:
            target += 12
        if lo <= target <= hi:
            scores[token(target)] += weight
