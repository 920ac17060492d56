"""Generated layers in the mix: each phrase arrives as audio (synthesised in the generation process) and plays like a
stem, from its bar's exact sample, repeating every loop length until another phrase takes over or the layer stops.

A phrase's audio is its loop, then the tail its last notes ring on into the next repeat. So each repeat is a read
of the whole table, started on its own sample by one of a few readers, and the previous repeat's tail sounds on
under it (a seamless loop, as it was played). A phrase that takes over before its body is done fades the reads
still in their body out over CUT_SECONDS (no click), and lets the tails ring. Readers with nothing left to play
are out of the block's computation, and so is the layer when none plays.

Tables are made on the generation worker's thread (`prepare`), never in the audio block; a table the block no
longer reads is handed back to that thread to be freed.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from engine.audio.envelope import EnvelopePlayer
from engine.clock import Clock
from engine.audio.trigger import Trigger
from engine.errors import SegueError
from engine.fades import MIN_RAMP_SECONDS, Envelope, FadeCurve
from engine.generate.model import NoteLayer
from engine.generate.synth import MAX_FRAMES, TAIL_SECONDS, SoundingPhrase, tail_frames

CUT_SECONDS = 0.02  # how long a phrase cut short by the next fades out


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant power: -1 left, 0 centre (both sides at -3 dB), 1 right."""
    angle = (min(1.0, max(-1.0, pan)) + 1) * math.pi / 4
    return math.cos(angle), math.sin(angle)


@dataclass(frozen=True)
class ReadyPhrase:
    """A phrase in a table of its layer's size (silence after its audio): ready to start from the audio block."""

    layer: NoteLayer
    table: object  # a pyo DataTable, mono
    loop: int  # frames between repeats
    frames: int  # frames that sound (loop and tail)


class PhraseReader:
    """Reads a table from its first frame, started on an exact sample, to its silent last frame (`capacity`)."""

    def __init__(self, p, capacity: int, silent, sample_rate: int, block: int):
        self._silent = silent
        self._trigger = Trigger(p, sample_rate, block)
        self._count = p.Count(self._trigger.out, min=0, max=0)  # 0 at the trigger's sample, then 1, 2, ...
        self._index = p.Min(self._count, capacity)  # past the phrase: the table's silent last frame
        self._read = p.TableIndex(silent, self._index)
        self.gain = EnvelopePlayer(p, sample_rate, block, idle=0.0)
        self.out = self._read * self.gain.out
        self._parts = [self._trigger.out, self._count, self._index, self._read, *self.gain.parts, self.out]
        self.table = silent
        self.began = 0  # the sample its read started on
        self.body_until = 0  # the sample its phrase's loop ends on (its tail rings on after)
        self.until = 0  # the sample from which it is silent
        self.awake = True
        self.sleep()

    def start(self, phrase: ReadyPhrase, sample: int, k: int) -> object:
        """Read `phrase` from `sample` (`k` samples into the next block); returns the table it read before.
        The new table is read from the block's start, the count restarts at `k`: the gain is 0 until then."""
        if not self.awake:
            for part in self._parts:
                part.play()
            self.awake = True
        old, self.table = self.table, phrase.table
        self._read.setTable(phrase.table)
        self._trigger.fire(k)
        self.gain.play(0, Envelope.of(0, ((0, 0.0), (k, 0.0), (k, 1.0), (k + 1, 1.0))))
        self.began, self.body_until, self.until = sample, sample + phrase.loop, sample + phrase.frames
        return old

    def cut(self, sample: int, k: int, samples: int) -> None:
        """Fade out from `sample` (`k` into the next block) over `samples`: a phrase another takes over from."""
        self.gain.play(k, Envelope.fade(sample, 1.0, 0.0, samples, FadeCurve.LINEAR))
        self.body_until = sample
        self.until = min(self.until, sample + samples)

    def sleep(self) -> object:
        """Out of the block's computation; returns the table it read (now the silent one)."""
        if self.awake:
            for part in self._parts:
                part.stop()
            self.awake = False
        old, self.table = self.table, self._silent
        self._read.setTable(self._silent)
        return old


class PhrasePlayer:
    """One generated layer: its readers, a level, one place in the stereo field (`pan`, -1..1). Asleep (out of
    the block) while none of its readers sounds; what `follow`s it in the mix (its gate) sleeps and wakes with it.
    Its level runs on meanwhile, so a ramp set while it sleeps arrives on time."""

    def __init__(self, p, longest_loop: int, clock: Clock, block: int, pan: float = 0.0):
        """`longest_loop`: the frames of the longest phrase this layer plays (its tail comes on top); `clock`: the
        pack's, which places every repeat from the phrase's first sample (so none drifts off its bar line)."""
        self.longest_loop, self.clock, self.block = longest_loop, clock, block
        self.sample_rate = sample_rate = clock.sample_rate
        self.capacity = capacity = longest_loop + tail_frames(sample_rate)
        if capacity > MAX_FRAMES:
            raise SegueError(f"{longest_loop / sample_rate:.0f} s and a {TAIL_SECONDS:g} s tail: a generated phrase "
                             f"lasts at most {MAX_FRAMES / sample_rate:.0f} s")
        self._p = p
        self._silent = p.DataTable(size=1, init=[0.0])
        # a repeat, the tails still ringing from those before it (a phrase lasts a bar at least), one fading out
        readers = 2 + math.ceil(tail_frames(sample_rate) / clock.bar_sample(1))
        self.readers = [PhraseReader(p, capacity, self._silent, sample_rate, block) for _ in range(readers)]
        self.level = p.SigTo(0.0, time=max(block / sample_rate, MIN_RAMP_SECONDS), init=0.0)
        self._mono = p.Mix([r.out for r in self.readers], voices=1)
        self._sides = p.Sig(list(pan_gains(pan)), mul=self.level)
        self.out = self._mono * self._sides
        self._after: list = []  # objects fed by `out` alone (its gate): asleep and awake with it
        # tables nothing reads any more, each put here once, freed on the worker's thread when it next prepares a
        # phrase for any layer (Mix.prepare_phrase): a table freed in the block would be freed on the audio thread
        self.spent: deque = deque()
        self.phrase: ReadyPhrase | None = None  # the phrase repeating
        self.first = 0  # the sample it first plays on
        self.repeats = 0  # how often it has started
        self.next_start: int | None = None  # the sample its next repeat (or its first play) starts on
        self.awake = True
        self._cut = math.ceil(CUT_SECONDS * sample_rate)
        self.sleep()

    def prepare(self, phrase: SoundingPhrase) -> ReadyPhrase:
        """On the generation worker's thread: the phrase in a table the block can start (never in the block)."""
        frames = len(phrase.audio)
        if frames > self.capacity:
            raise SegueError(f"a phrase of {frames / self.sample_rate:.1f} s (with its tail) is longer than this "
                             f"layer's {self.capacity / self.sample_rate:.1f} s; restart to play longer phrases")
        table = self._p.DataTable(size=self.capacity + 1)
        view = np.asarray(table.getBuffer())  # a view of the table: filled here and dropped
        view[:frames] = phrase.audio
        view[frames:] = 0.0
        del view
        return ReadyPhrase(phrase.layer, table, phrase.loop, frames)

    def follow(self, part) -> None:
        """`part` (fed by `out` alone) sleeps and wakes with the layer from now on, starting as the layer is."""
        self._after.append(part)
        if not self.awake:
            part.stop()

    def take_over(self, phrase: ReadyPhrase, sample: int) -> None:
        """`phrase` repeats from `sample` on (in the next computed block or later), in place of the last."""
        old, self.phrase, self.next_start = self.phrase, phrase, sample
        self.first, self.repeats = sample, 0
        self._let_go(old.table if old else None)

    def stop(self) -> None:
        """No more repeats: what sounds rings out (the layer's level fades it as the machine said)."""
        old, self.phrase, self.next_start = self.phrase, None, None
        self._let_go(old.table if old else None)

    def _let_go(self, table) -> None:
        """A table no reader and no phrase holds any more goes to `spent` (the silent one stays)."""
        if table is None or table is self._silent or (self.phrase and self.phrase.table is table):
            return
        if all(r.table is not table for r in self.readers):
            self.spent.append(table)

    def play(self, block_start: int) -> bool:
        """Once per block: starts what is due in it on its sample, puts readers that are done to sleep. Returns
        whether the layer is awake."""
        end = block_start + self.block
        for reader in self.readers:
            if reader.awake and reader.until <= block_start:
                self._let_go(reader.sleep())
        while self.next_start is not None and self.next_start < end:
            sample, k = self.next_start, self.next_start - block_start
            for reader in self.readers:
                if reader.awake and reader.body_until > sample:
                    reader.cut(sample, k, self._cut)
            if not self.awake:
                for part in self._parts():
                    part.play()
                self.awake = True
            reader = min(self.readers, key=lambda r: (r.awake, r.began))  # one asleep, else the oldest
            self._let_go(reader.start(self.phrase, sample, k))
            self.repeats += 1
            layer = self.phrase.layer
            self.next_start = self.first + self.clock.step_sample(self.repeats * layer.steps, layer.steps_per_bar)
        if self.awake and not any(r.awake for r in self.readers):
            self.sleep()
        return self.awake

    def sleep(self) -> None:
        if self.awake:
            for part in self._parts():
                part.stop()
            self.awake = False

    def _parts(self) -> list:
        return [self._mono, self._sides, self.out, *self._after]
