"""The mix: one sample-locked player per segment, a fade envelope and a level per stem, a master bus.

Every segment's stems read their tables through one shared playhead, so they cannot drift.
Starts and fades are triggers delayed by an exact number of samples inside the current block,
so they take effect on the decision's sample, not at the block boundary.
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import soundfile

from engine import fades
from engine.audio.backend import pyo
from engine.audio.guard import FiniteGate
from engine.audio.playhead import CHUNK, Playhead
from engine.audio.instruments import NotePlayer
from engine.audio.trigger import Trigger
from engine.generate.schedule import NoteSchedule
from engine.loudness import k_weighting, true_peak_phases
from engine.machine.decisions import (Automate, Decision, Fade, LayerLevel, PlayStinger, StartSegment, StemLevel,
                                      StopLayer)
from engine.fades import MIN_RAMP_SECONDS
from engine.machine.model import Generated, Sidechain
from engine.stems.pack import Pack

LIMIT = 0.89  # master ceiling, about -1 dBFS


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


def read_audio(path: Path) -> np.ndarray:
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    bad = int(np.count_nonzero(~np.isfinite(data)))
    if bad:  # a float file can hold them; the master's guard silences them and reports the fault as they play
        logging.getLogger("segue").warning("%s: %d samples are NaN or infinite; they will play as silence",
                                           path, bad)
    return data


class GainEnvelope:
    """A breakpoint gain (master fader, ducks) that starts on an exact sample.

    Kept as an attenuation (1 - gain): an envelope that was never triggered outputs 0, i.e. unity gain.
    """

    def __init__(self, p, sample_rate: int, block: int):
        self._sr = sample_rate
        self._trigger = Trigger(p, sample_rate, block)
        self._cut = p.TrigLinseg(self._trigger.out, [(0, 0.0), (MIN_RAMP_SECONDS, 0.0)])
        self.out = 1.0 - self._cut

    def set(self, k: int, points: tuple[tuple[int, float], ...]) -> None:
        self._cut.setList([(offset / self._sr, 1.0 - gain) for offset, gain in points])
        self._trigger.fire(k)


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
    def __init__(self, p, audio: np.ndarray, playhead: Playhead, sample_rate: int, block: int):
        self.reader = TableReader(p, audio, playhead)
        self._sr = sample_rate
        self._trigger = Trigger(p, sample_rate, block)
        self.env = p.TrigLinseg(self._trigger.out, [(0, 0.0), (MIN_RAMP_SECONDS, 0.0)])
        ramp = max(block / sample_rate, MIN_RAMP_SECONDS)
        self.level = p.SigTo(1.0, time=ramp, init=1.0)
        self._gain = self.env * self.level
        self.out = p.Mix(self.reader.out, voices=2, mul=self._gain)  # mono stems play on both sides

    def fade(self, k: int, start: float, target: float, samples: int, curve: str) -> None:
        self.env.setList([(pos / self._sr, gain) for pos, gain in fades.breakpoints(curve, start, target, samples)])
        self._trigger.fire(k)


class SegmentPlayer:
    def __init__(self, p, name: str, audio: Mapping[str, np.ndarray], length: int, loop: bool,
                 sample_rate: int, block: int):
        self.name = name
        self.playhead = Playhead(p, length if loop else max(len(a) for a in audio.values()), loop, sample_rate,
                                 block)
        self.stems = {stem: StemVoice(p, a, self.playhead, sample_rate, block) for stem, a in audio.items()}

    def start(self, sample: int, k: int, offset: int) -> None:
        self.playhead.start(sample, k, offset)


class Graph:
    """All players summed into a stereo master with a zero-latency peak limiter and meters."""

    def __init__(self, pack: Pack, block: int, generated: Mapping[str, Generated] | None = None,
                 sidechain: Sidechain | None = None, sidechain_audio: np.ndarray | None = None):
        """`generated`: the machine's generated layers, '<state>.<name>' -> its spec (instrument, pan).
        `sidechain_audio`: a recording fed as the sidechain input (offline); without it, the live input."""
        p = pyo()
        self.block = block
        self.sample_rate = sr = pack.sample_rate
        self.players: dict[str, SegmentPlayer] = {}
        for name, seg in pack.segments.items():
            length = pack.segment_samples(name)
            audio = {}
            for stem, path in seg.stems.items():
                data = read_audio(path)
                audio[stem] = data if not seg.loop else data[:length]
            self.players[name] = SegmentPlayer(p, name, audio, length, seg.loop, sr, block)
        self.note_players = {key: NotePlayer(g.instrument, sr, block, g.pan) for key, g in (generated or {}).items()}
        self.schedules: dict[str, NoteSchedule] = {}
        self.oneshots = {name: OneShot(p, read_audio(path), sr, block) for name, path in pack.oneshots.items()}
        self.envelopes = {target: GainEnvelope(p, sr, block) for target in ("master", "duck", "stinger_duck")}
        # each generated layer behind its own gate: a voice gone bad is silenced alone, the rest plays on
        self._gates = {f"generated layer '{key}'": FiniteGate(p, n.out) for key, n in self.note_players.items()}
        outs = [v.out for pl in self.players.values() for v in pl.stems.values()]
        outs += [gate.out for gate in self._gates.values()]
        # pyo runs an object only while Python holds it: every stage below is kept on self
        self._ducks = self.envelopes["duck"].out * self.envelopes["stinger_duck"].out
        self._bed = p.Mix(outs, voices=2, mul=self._ducks)
        self.sidechain_gain = self._sidechain(p, sidechain, sidechain_audio, sr, block) if sidechain else None
        if self.sidechain_gain is not None:
            self._bed = self._bed * self.sidechain_gain
        once = list(self.oneshots.values()) + ([self._sc_source] if sidechain_audio is not None and sidechain else [])
        heads = [pl.playhead for pl in self.players.values()] + [o.playhead for o in once]
        self._chained = [head for head in heads if head.chained]  # audio longer than one table
        shots = [o.out for o in self.oneshots.values()]
        self.bus = p.Mix([self._bed] + shots, voices=2, mul=self.envelopes["master"].out)
        # before the limiter and the meters, whose filters would hold a NaN for good
        self._gates["the mix"] = FiniteGate(p, self.bus)
        self._clean = self._gates["the mix"].out
        # zero-latency limiter: instant attack (never over the ceiling), smooth release
        self._rectified = [p.Abs(self._clean[0]), p.Abs(self._clean[1])]
        self._level = p.Max(self._rectified[0], self._rectified[1])
        self._follower = p.Follower2(self._level, risetime=0.0005, falltime=0.15)
        self._envelope = p.Max(self._level, self._follower)
        self._over = p.Max(self._envelope, LIMIT)
        self.gain = LIMIT / self._over
        self._limited = self._clean * self.gain
        self.master = p.Clip(self._limited, min=-1.0, max=1.0)
        self.peak_meter = p.PeakAmp(self.master)
        self._squared = self.master * self.master
        self.power = p.Average(self._squared, size=block)
        # loudness as BS.1770 weighs it: K-weighting, then the mean power over 400 ms and 3 s
        self._k_stages = [self.master]
        for b, a in k_weighting(sr):
            self._k_stages.append(p.Biquada(self._k_stages[-1], *(float(c) for c in (*b, *a))))
        squared = self._k_stages[-1] * self._k_stages[-1]
        self._k_power = p.Mix(squared, voices=1)
        self._k_stages.append(squared)
        self.momentary = p.Average(self._k_power, size=int(0.4 * sr))
        self.short_term = p.Average(self._k_power, size=int(3 * sr))
        # true peak: the master's samples and the three in-between phases of a 4x oversampling filter
        self._tp_tables, self._tp_phases = [], [p.Abs(self.master)]
        for phase in true_peak_phases():
            table = p.DataTable(size=len(phase), init=[float(c) for c in phase])
            self._tp_tables.append(table)
            self._tp_phases.append(p.Abs(p.Convolve(self.master, table, size=len(phase))))
        self._tp_max = [self._tp_phases[0]]
        for phase in self._tp_phases[1:]:
            self._tp_max.append(p.Max(self._tp_max[-1], phase))
        self._tp_channels = p.Max(self._tp_max[-1][0], self._tp_max[-1][1])
        self.true_peak_meter = p.PeakAmp(self._tp_channels)
        # read every block: straight from the streams (pyo's get() checks its arguments each call, ~2 us each)
        self._peak_streams, self._power_streams, self._momentary, self._short_term, self._true_peak = (
            [o._getStream() for o in meter._base_objs]
            for meter in (self.peak_meter, self.power, self.momentary, self.short_term, self.true_peak_meter))
        self._levels: dict[StemLevel | LayerLevel, float] = {}

    def _sidechain(self, p, sc: Sidechain, recording: np.ndarray | None, sr: int, block: int):
        """Bed gain from the input's level: 1 in silence, `depth` once the input reaches the threshold."""
        if recording is not None:
            self._sc_source = OneShot(p, recording.mean(axis=1, keepdims=True), sr, block)
            self._sc_source.play(0, 0, 1.0)
            source = self._sc_source.out[0]
        else:
            source = p.Input(sc.input - 1)
        # before the follower, whose feedback would hold a NaN for good: the bed's gain, and so the bed, with it
        self._gates["the sidechain input"] = FiniteGate(p, source)
        self._sc_source_signal = self._gates["the sidechain input"].out
        self._sc_level = p.Follower2(self._sc_source_signal, risetime=sc.attack, falltime=sc.release)
        self._sc_ratio = self._sc_level / (10 ** (sc.threshold_db / 20))
        self._sc_amount = p.Clip(self._sc_ratio, 0.0, 1.0)
        self._sc_cut = self._sc_amount * (1.0 - sc.depth)
        return 1.0 - self._sc_cut

    def out(self) -> None:
        self.master.out()

    def apply(self, decisions: Iterable[Decision], block_start: int) -> None:
        """Once per block, before it is computed: long audio's next tables, then the block's decisions (those the
        audio plays; the rest are the log's and the listeners')."""
        for head in self._chained:
            head.advance(block_start, self.block)
        for d in decisions:
            k = min(max(d.sample - block_start, 0), self.block - 1)
            if isinstance(d, StartSegment):
                self.players[d.segment].start(d.sample, k, d.offset)
            elif isinstance(d, Fade):
                self.players[d.segment].stems[d.stem].fade(k, d.start, d.target, d.samples, d.curve)
            elif isinstance(d, Automate):
                self.envelopes[d.target].set(k, d.points)
            elif isinstance(d, PlayStinger):
                self.oneshots[d.oneshot].play(d.sample, k, d.gain)
            elif isinstance(d, StopLayer):
                self.stop_layer(d.layer, d.samples)

    def set_levels(self, levels: Mapping[StemLevel | LayerLevel, float]) -> None:
        for key, value in levels.items():
            if self._levels.get(key) != value:
                self._levels[key] = value
                if isinstance(key, LayerLevel):
                    self.note_players[key.layer].level.value = value
                else:
                    self.players[key.segment].stems[key.stem].level.value = value

    def start_layer(self, key: str, schedule: NoteSchedule) -> None:
        """A generated phrase takes over its layer from the schedule's start sample on."""
        self.schedules[key] = schedule
        player = self.note_players[key]
        player.level.time = max(self.block / schedule.clock.sample_rate, MIN_RAMP_SECONDS)

    def stop_layer(self, key: str, samples: int) -> None:
        self.schedules.pop(key, None)
        player = self.note_players[key]
        player.level.time = samples / self.sample_rate
        player.level.value = 0.0
        self._levels.pop(LayerLevel(key), None)

    def play_notes(self, block_start: int) -> None:
        for key, schedule in self.schedules.items():
            notes = schedule.due(block_start, self.block)
            if notes:
                self.note_players[key].play(notes, block_start, self.block)

    def non_finite(self) -> list[str]:
        """What put NaN or Inf into the mix (silenced) since the last call: generated layers, or the mix itself."""
        return [source for source, gate in self._gates.items() if gate.tripped()]

    def fade_gain(self, segment: str, stem: str) -> float:
        """Where a stem's fade envelope is now (0..1)."""
        return float(self.players[segment].stems[stem].env.get())

    def true_peak(self) -> float:
        """The highest 4x-oversampled master level over the last block, linear."""
        return self._true_peak[0].getValue()

    def loudness_powers(self) -> tuple[float, float]:
        """K-weighted power (sum of channels) over the last 400 ms and 3 s: lufs() turns them into LUFS."""
        return max(0.0, self._momentary[0].getValue()), max(0.0, self._short_term[0].getValue())

    def meters(self) -> tuple[float, float]:
        """(peak, rms) of the master over the last block, linear."""
        peak = max(s.getValue() for s in self._peak_streams)
        rms = math.sqrt(max(0.0, max(s.getValue() for s in self._power_streams)))
        return float(peak), rms
