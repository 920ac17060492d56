"""What plays audio from the pack: a voice per stem, read through its segment's one streamed head (so a segment's
stems cannot drift), each through its fade envelope and its level; and one-shots (stingers, a sidechain recording),
which are short and held whole in memory."""
from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import soundfile

from engine.audio.envelope import EnvelopePlayer
from engine.audio.playhead import Playhead, TableReader
from engine.audio.streamhead import StreamHead
from engine.fades import MIN_RAMP_SECONDS


def read_audio(path: Path) -> np.ndarray:
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    bad = int(np.count_nonzero(~np.isfinite(data)))
    if bad:  # a float file can hold them; the master's guard silences them and reports the fault as they play
        logging.getLogger("segue").warning("%s: %d samples are NaN or infinite; they will play as silence",
                                           path, bad)
    return data


class OneShot:
    """A stinger's audio (or a sidechain recording), started on an exact sample; a new start restarts it."""

    def __init__(self, p, audio: np.ndarray, sample_rate: int, block: int):
        self.playhead = Playhead(p, len(audio), False, sample_rate, block)
        self.reader = TableReader(p, audio, self.playhead)
        self.gain = p.Sig(0.0)
        self.out = p.Mix(self.reader.out, voices=2, mul=self.gain)

    def play(self, sample: int, k: int, gain: float) -> None:
        self.gain.value = gain
        self.playhead.start(sample, k, 0)


class StemVoice:
    """One stem: its fade (silent until the first plays) times its level (the runtime's, smoothed over a block).
    Silent and not fading, it is out of the block's computation (stopped); `wake` puts it back before the block
    in which a fade makes it audible, and the fade's trigger lands on its sample inside that block. Its level
    sleeps too once a ramp in progress has arrived (a level stopped mid-ramp would finish the ramp late).
    Its gain is the multiplier of its reads (one a deck of its segment's head, which sums them). Sounding at a gain
    that holds (its fade over, its level arrived), the stem is `held`: that gain, the float32 product the envelope
    and level would make, is the reads' constant multiplier, and the envelope, level and product are out of the
    block until the next fade or level change (most of a stem's cost while it plays)."""

    def __init__(self, p, sample_rate: int, block: int):
        """Made before its reads (`attach`): pyo computes objects in the order they were made, and the reads
        must multiply by this block's gain, not the last one's."""
        self.reads: list = []
        self.fade = EnvelopePlayer(p, sample_rate, block, idle=0.0)
        ramp = max(block / sample_rate, MIN_RAMP_SECONDS)
        self.level = p.SigTo(1.0, time=ramp, init=1.0)
        self._gain = self.fade.out * self.level
        self._parts = self.fade.parts + [self._gain]
        self._ramp = math.ceil(ramp * sample_rate) + block  # samples until a level set between blocks is reached
        self._block = block
        self.sounding = self.level_on = True
        self.held = False
        self.constant = 0.0  # the gain it holds (while held)
        self._held_fade = 0.0  # the fade's gain while held (its envelope is stopped then)
        self.level_until = 0  # the sample from which the level holds its value
        self.rests_from = 0  # the sample from which the fade holds its last gain
        self.target = 0.0  # that gain
        self.sleep(0)

    def wake(self) -> None:
        for part in self._parts:
            part.play()
        if not self.level_on:
            self.level.play()
            self.level_on = True
        self.sounding = True

    def sleep(self, block_start: int) -> None:
        self.release()
        for part in self._parts:
            part.stop()
        self.sounding = False
        self.rest_level(block_start)

    def hold(self, block_start: int) -> None:
        """Sounding, its fade over and its level arrived: the gain they hold becomes a constant (read from the last
        computed block, which must lie wholly after both)."""
        if (self.held or not self.sounding or self.rests_from + self._block > block_start
                or self.level_until > block_start):
            return
        self._held_fade = self.fade.value()
        gain = np.float32(self._held_fade) * np.float32(self.level.get())  # as the product object makes it
        self.constant = float(gain)
        self._multiply(self.constant)
        for part in self._parts:
            part.stop()
        self.level.stop()
        self.level_on, self.held = False, True

    def fade_gain(self) -> float:
        """Where its fade envelope is now (0..1), held or playing."""
        return self._held_fade if self.held else self.fade.value()

    def release(self) -> None:
        """Back from a held constant to the envelope and level, before a fade or level change plays."""
        if self.held:
            for part in self._parts:
                part.play()
            self.level.play()
            self._multiply(self._gain)
            self.level_on, self.held = True, False

    def attach(self, reads: list) -> None:
        """Its reads, one a deck of its segment's head: their multiplier is its gain."""
        self.reads = reads
        self._multiply(self._gain)

    def _multiply(self, gain) -> None:
        for read in self.reads:
            read.mul = gain

    def rest_level(self, block_start: int) -> None:
        """Asleep, the level stops as well once it holds its value."""
        if self.level_on and not self.sounding and self.level_until <= block_start:
            self.level.stop()
            self.level_on = False

    def set_level(self, value: float, block_start: int) -> None:
        self.release()
        if not self.level_on:
            self.level.play()
            self.level_on = True
        self.level.value = value
        self.level_until = block_start + self._ramp

    def fade_to(self, k: int, envelope) -> None:
        self.release()
        self.fade.play(k, envelope)
        self.rests_from = envelope.start + envelope.points[-1][0]
        # the fade's exact target: a falling equal-power fade's last point is 1.1e-16, not 0, but a stem held
        # there adds its samples times 1.1e-16, far below the last bit of anything else in the mix; it sleeps
        self.target = envelope.end


class SegmentPlayer:
    """A segment's stems, read through its one streamed head (so they cannot drift). Once a block it looks only at
    the stems in `_watch`, those whose fade or level still moves or has yet to come to rest: a stem held at a
    steady gain, or asleep, costs the block nothing, so its cost follows what changes, not how many stems sound."""

    def __init__(self, p, stream, reader, silent, sample_rate: int, block: int, notices):
        self.name = stream.name
        self.stems = {stem.name: StemVoice(p, sample_rate, block) for stem in stream.stems}
        self.playhead = StreamHead(p, stream, reader, silent, sample_rate, block, notices)
        for voice, reads in zip(self.stems.values(), self.playhead.reads):
            voice.attach(reads)
        self._index = {name: i for i, name in enumerate(self.stems)}
        self._voices = list(self.stems.values())
        self._watch: set[int] = set()  # stems to look at in the next block (see settle)
        self._on: set[int] = set()  # stems sounding
        for i in range(len(self.stems)):
            self.playhead.stem_off(i)
        self.out = self.playhead.out  # the stems at their gains (the bed sums segments)
        self.rest()

    def wake(self) -> None:
        """Its sum into the block (the bed reads it)."""
        self.out.play()

    def rest(self) -> None:
        """Its sum out of the block, so the bed's cost follows the segments that sound, not the score's size."""
        self.out.stop()

    def start(self, sample: int, k: int, offset: int) -> None:
        self.playhead.start(sample, k, offset)

    def fade(self, stem: str, k: int, envelope, block_start: int) -> None:
        """A stem's fade from `k` samples into the block: woken first if it slept, the head resumed if it rested."""
        i = self._index[stem]
        voice = self._voices[i]
        self.playhead.hold(None)  # its reads, not a mix, from this block
        if not voice.sounding:
            voice.wake()
            self.playhead.stem_on(i)
            self._on.add(i)
        self.playhead.resume(block_start)
        voice.fade_to(k, envelope)
        self._watch.add(i)

    def set_level(self, stem: str, value: float, block_start: int) -> None:
        i = self._index[stem]
        self.playhead.hold(None)
        self._voices[i].set_level(value, block_start)
        self._watch.add(i)

    def settle(self, block_start: int) -> bool:
        """Once per block: stems whose fade rests at silence sleep, stems whose gain holds become constants (and,
        all of them held, the head may read its chunks' premix); with none sounding, the head rests too. Returns
        whether anything still sounds."""
        if self._watch:
            for i in list(self._watch):
                voice = self._voices[i]
                if voice.sounding and voice.target == 0.0 and voice.rests_from <= block_start:
                    voice.sleep(block_start)
                    self.playhead.stem_off(i)
                    self._on.discard(i)
                elif voice.level_on and not voice.sounding:
                    voice.rest_level(block_start)
                else:
                    voice.hold(block_start)
                if voice.held or not (voice.sounding or voice.level_on):  # nothing left to do until it changes
                    self._watch.discard(i)
            if not self._watch and len(self._on) > 1:  # every sounding stem holds its gain: decks may read mixes
                self.playhead.hold(tuple(v.constant if i in self._on else None for i, v in enumerate(self._voices)))
        if not self._on and self.playhead.live:
            self.playhead.release(block_start)
        return bool(self._on)

    def idle(self) -> bool:
        """Nothing of it runs: every stem and level asleep, the head at rest."""
        return not self.playhead.busy and not self._on and not self._watch
