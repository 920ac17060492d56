"""What plays audio from the pack: a voice per stem, read through its segment's one playhead (so a segment's stems
cannot drift), each through its fade envelope and its level; and one-shots (stingers, a sidechain recording)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile

from engine.audio.envelope import EnvelopePlayer
from engine.audio.playhead import Playhead, TableReader
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
    """One stem: its fade (silent until the first plays) times its level (the runtime's, smoothed over a block)."""

    def __init__(self, p, audio: np.ndarray, playhead: Playhead, sample_rate: int, block: int):
        self.reader = TableReader(p, audio, playhead)
        self.fade = EnvelopePlayer(p, sample_rate, block, idle=0.0)
        ramp = max(block / sample_rate, MIN_RAMP_SECONDS)
        self.level = p.SigTo(1.0, time=ramp, init=1.0)
        self._gain = self.fade.out * self.level
        self.out = p.Mix(self.reader.out, voices=2, mul=self._gain)  # mono stems play on both sides


class SegmentPlayer:
    def __init__(self, p, name: str, audio: Mapping[str, np.ndarray], length: int, loop: bool,
                 sample_rate: int, block: int):
        self.name = name
        self.playhead = Playhead(p, length if loop else max(len(a) for a in audio.values()), loop, sample_rate,
                                 block)
        self.stems = {stem: StemVoice(p, a, self.playhead, sample_rate, block) for stem, a in audio.items()}

    def start(self, sample: int, k: int, offset: int) -> None:
        self.playhead.start(sample, k, offset)
