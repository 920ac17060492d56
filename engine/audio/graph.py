"""The audio graph: the parts of the signal chain, built in its order, and the one place the heartbeat hands the
block's decisions to.

    mix (segment players, generated layers, one-shots; the bed under its ducks)
      -> sidechain (the bed under an input's level, if the machine has one)
      -> master (fader, finite guard, limiter, clip) -> metering

pyo computes objects in the order they were created: a stage created after the stage it feeds would be heard a
block late, so each part is built from what the parts before it made. Starts and envelopes are triggers delayed
by an exact number of samples inside the block, so a decision takes effect on its sample, not at the block's start.
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from engine.audio.backend import pyo
from engine.audio.envelope import EnvelopePlayer
from engine.audio.master import Master
from engine.audio.metering import Metering
from engine.audio.mix import Mix
from engine.audio.sidechain import Sidechain
from engine.machine.decisions import (Automate, AutomationTarget, Decision, Fade, PlayStinger, StartSegment,
                                      StopLayer)
from engine.machine.model import Generated, Sidechain as SidechainSpec
from engine.stems.pack import Pack


class Graph:
    def __init__(self, pack: Pack, block: int, generated: Mapping[str, Generated] | None = None,
                 sidechain: SidechainSpec | None = None, sidechain_audio: np.ndarray | None = None):
        """`generated`: the machine's generated layers, '<state>.<name>' -> its spec (instrument, pan).
        `sidechain_audio`: a recording fed as the sidechain input (offline); without it, the live input."""
        p = pyo()
        self.block = block
        sr = pack.sample_rate
        self.mix = Mix(p, pack, block, generated or {})
        self.sidechain = Sidechain(p, self.mix.bed, sidechain, sidechain_audio, sr, block) if sidechain else None
        bed = self.sidechain.out if self.sidechain else self.mix.bed
        self.master = Master(p, [bed] + self.mix.shots, sr, block)
        self.metering = Metering(p, self.master.out, block, sr)
        self.automation: dict[AutomationTarget, EnvelopePlayer] = {AutomationTarget.MASTER: self.master.fader,
                                                                   **self.mix.ducks}
        parts = [part for part in (self.mix, self.sidechain, self.master) if part is not None]
        self._gates = {source: gate for part in parts for source, gate in part.gates.items()}  # in signal order
        playheads = self.mix.playheads + (self.sidechain.playheads if self.sidechain else [])
        self._chained = [head for head in playheads if head.chained]  # one-shots longer than one table

    def out(self) -> None:
        """Send the master to the audio output."""
        self.master.out.out()

    def apply(self, decisions: Iterable[Decision], block_start: int) -> None:
        """Once per block, before it is computed: long audio's next tables, then the block's decisions (those the
        audio plays; the rest are the log's and the listeners')."""
        mix = self.mix
        mix.advance(block_start)
        for head in self._chained:
            head.advance(block_start, self.block)
        for d in decisions:
            k = min(max(d.sample - block_start, 0), self.block - 1)
            if isinstance(d, StartSegment):
                mix.start(d.segment, d.sample, k, d.offset)
            elif isinstance(d, Fade):
                mix.fade(d.segment, d.stem, k, d.envelope(), block_start)
            elif isinstance(d, Automate):
                self.automation[d.target].play(k, d.envelope())
            elif isinstance(d, PlayStinger):
                mix.oneshots[d.oneshot].play(d.sample, k, d.gain)
            elif isinstance(d, StopLayer):
                mix.stop_layer(d.layer, d.samples)

    def non_finite(self) -> list[str]:
        """What put NaN or Inf into the mix (silenced) since the last call: generated layers, the sidechain input,
        or the mix itself."""
        return [source for source, gate in self._gates.items() if gate.tripped()]
