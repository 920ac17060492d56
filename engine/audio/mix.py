"""The mix: every segment's player, the generated layers' players and the stingers' one-shots, and the bed they
sum to under its two ducks (a held duck cue, a stinger that ducks). The stingers play over the bed, not under it:
the master sums them with it."""
from __future__ import annotations

from typing import Mapping

from engine.audio.envelope import EnvelopePlayer
from engine.audio.guard import FiniteGate
from engine.audio.instruments import NotePlayer
from engine.audio.voices import OneShot, SegmentPlayer, read_audio
from engine.fades import MIN_RAMP_SECONDS
from engine.generate.schedule import NoteSchedule
from engine.machine.decisions import AutomationTarget, LayerLevel, StemLevel
from engine.machine.model import Generated
from engine.stems.pack import Pack

DUCKS = (AutomationTarget.DUCK, AutomationTarget.STINGER_DUCK)


class Mix:
    def __init__(self, p, pack: Pack, block: int, generated: Mapping[str, Generated]):
        """`generated`: the machine's generated layers, '<state>.<name>' -> its spec (instrument, pan)."""
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
        self.note_players = {key: NotePlayer(g.instrument, sr, block, g.pan) for key, g in generated.items()}
        self.schedules: dict[str, NoteSchedule] = {}
        self.oneshots = {name: OneShot(p, read_audio(path), sr, block) for name, path in pack.oneshots.items()}
        self.ducks = {target: EnvelopePlayer(p, sr, block, idle=1.0) for target in DUCKS}
        # each generated layer behind its own gate: a voice gone bad is silenced alone, the rest plays on
        self.gates = {f"generated layer '{key}'": FiniteGate(p, n.out) for key, n in self.note_players.items()}
        outs = [v.out for pl in self.players.values() for v in pl.stems.values()]
        outs += [gate.out for gate in self.gates.values()]
        duck, stinger_duck = (self.ducks[target].out for target in DUCKS)
        self._ducked = duck * stinger_duck  # kept on self: pyo runs an object only while Python holds it
        self.bed = p.Mix(outs, voices=2, mul=self._ducked)
        self.shots = [o.out for o in self.oneshots.values()]
        self.playheads = [pl.playhead for pl in self.players.values()] + [o.playhead for o in self.oneshots.values()]
        self._levels: dict[StemLevel | LayerLevel, float] = {}

    def set_levels(self, levels: Mapping[StemLevel | LayerLevel, float]) -> None:
        for key, value in levels.items():
            if self._levels.get(key) != value:
                self._levels[key] = value
                if isinstance(key, LayerLevel):
                    self.note_players[key.layer].level.value = value
                else:
                    self.players[key.segment].stems[key.stem].level.value = value

    def fade_gain(self, segment: str, stem: str) -> float:
        """Where a stem's fade envelope is now (0..1)."""
        return self.players[segment].stems[stem].fade.value()

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
