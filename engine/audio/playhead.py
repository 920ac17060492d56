"""Where audio is read, sample-exactly, for as long as it plays: no absolute position in a float32 stream.

pyo's streams are float32, which count single samples only up to 2^24 (5.8 minutes at 48 kHz). So audio is
held in tables of at most CHUNK frames, each read through its own counter that starts on an exact sample
(a trigger delayed inside the block) from an exact offset and counts only within its table: a loop that fits
one table wraps at its length; otherwise each table plays once and rests on its silent last frame, and Python
starts the next table (or the first again, when a loop comes round) on its exact sample, from integers.
"""
from __future__ import annotations

import numpy as np

from engine.audio.trigger import Trigger

CHUNK = 2 ** 22  # frames per table: a position plus its offset stays below 2^23, exact in float32


class Position:
    """The read position in one table of `length` frames."""

    def __init__(self, p, length: int, loop: bool, sample_rate: int, block: int):
        self.length = length
        self._trigger = Trigger(p, sample_rate, block)
        # pyo's Count plays min..max inclusive, then wraps: a loop of `length` samples counts 0..length-1
        self._count = p.Count(self._trigger.out, min=0, max=length - 1 if loop else 0)
        # the offset changes on the trigger's sample, not at the block's start (the counter restarts there too);
        # a table that plays once rests on its silent last frame until started
        rest = 0 if loop else length
        self._offset = p.Sig(0)
        self._shift = self._offset - rest  # pyo runs an object only while Python holds it: kept on self
        self._held = p.SampHold(self._shift, self._trigger.out, 1.0)
        self._sum = self._count + self._held
        self._pos = self._sum + rest
        parts = [self._trigger.out, self._count, self._offset, self._shift, self._held, self._sum, self._pos]
        if loop:  # wrap with integer-exact arithmetic (pyo's Wrap works on fractions and loses samples)
            self._compare = p.Compare(self._pos, length, mode=">=")
            self._past_end = self._compare * length
            self.index = self._pos - self._past_end
            parts += [self._compare, self._past_end]
        else:  # past the end, the silent last frame (the counter, clamped, may run on for ever)
            self.index = p.Min(self._pos, length)
        self.parts = parts + [self.index]  # what play() and stop() switch, in creation order

    def start(self, k: int, offset: int) -> None:
        self._offset.value = offset
        self._trigger.fire(k)

    def play(self) -> None:
        for part in self.parts:
            part.play()

    def stop(self) -> None:
        """Out of the block's computation (its output zeroed) until play(); restarted from Python with start()."""
        for part in self.parts:
            part.stop()

    def silence(self, k: int) -> None:
        """From `k` samples into the next block, a table that plays once rests on its silent frame."""
        self.start(k, self.length)


class Playhead:
    """Reads `length` frames, looping or once, split into tables of at most CHUNK frames."""

    def __init__(self, p, length: int, loop: bool, sample_rate: int, block: int):
        self.sizes = [min(CHUNK, length - s) for s in range(0, length, CHUNK)] or [0]
        self.loop = loop
        single = len(self.sizes) == 1
        self.positions = [Position(p, n, loop and single, sample_rate, block) for n in self.sizes]
        self.chained = not single  # only then does Python start tables (advance() once per block)
        self._block = block
        self._next: tuple[int, int] | None = None  # (sample, table) to start next

    def start(self, sample: int, k: int, offset: int) -> None:
        """Play from `offset` frames in, from absolute `sample` (which is `k` samples into the next block).
        A start a few frames before its table's end has the next table due in this same block: started here."""
        table, local = divmod(offset, CHUNK)
        if table >= len(self.sizes):  # past the end of audio that plays once: nothing to play
            table, local = len(self.sizes) - 1, self.sizes[-1]
        for i, position in enumerate(self.positions):
            if i != table and self.chained:
                position.silence(k)
        self.positions[table].start(k, local)
        self._next = self._after(table, sample - local)
        self.advance(sample - k, self._block)

    def advance(self, block_start: int, block: int) -> None:
        """Start the tables due in the block from `block_start` on their samples (chained playheads only)."""
        while self._next is not None and self._next[0] < block_start + block:
            sample, table = self._next
            self.positions[table].start(max(sample - block_start, 0), 0)
            self._next = self._after(table, sample)

    def _after(self, table: int, began: int) -> tuple[int, int] | None:
        if not self.chained:
            return None
        following = table + 1 if table + 1 < len(self.sizes) else 0 if self.loop else None
        return None if following is None else (began + self.sizes[table], following)


def audio_table(p, audio: np.ndarray):
    """The audio (frames x channels) in a pyo table, one silent frame appended: reading past the end is silence."""
    frames, channels = audio.shape
    table = p.DataTable(size=frames + 1, chnls=channels)
    for c in range(channels):
        buf = np.asarray(table.getBuffer(c))
        buf[:frames] = audio[:, c]
        buf[frames:] = 0.0
    return table


class TableReader:
    """Audio of any length read through a playhead: one table per chunk, the chunks' reads summed."""

    def __init__(self, p, audio: np.ndarray, playhead: Playhead):
        self.tables = [audio_table(p, audio[s:s + CHUNK]) for s in range(0, max(len(audio), 1), CHUNK)]
        self._reads = [p.TableIndex(t, pos.index) for t, pos in zip(self.tables, playhead.positions)]
        self.out = self._reads[0]
        self._sums = []  # kept: pyo runs an object only while Python holds it
        for read in self._reads[1:]:
            self._sums.append(self.out + read)
            self.out = self._sums[-1]
