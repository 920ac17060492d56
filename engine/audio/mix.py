"""The mix: every segment's player, the generated layers' players and the stingers' one-shots, and the bed they
sum to under its two ducks (a held duck cue, a stinger that ducks). The stingers play over the bed, not under it:
the master sums them with it."""
from __future__ import annotations

from collections import deque
from typing import Mapping

from engine.audio.envelope import EnvelopePlayer
from engine.audio.guard import FiniteGate
from engine.audio.phrases import PhrasePlayer, ReadyPhrase
from engine.audio import stream as streaming
from engine.audio.stream import Reader, SegmentStream, head_plan, stem_file
from engine.audio.voices import OneShot, SegmentPlayer, read_audio
from engine.errors import SegueError
from engine.fades import MIN_RAMP_SECONDS
from engine.generate.synth import SoundingPhrase
from engine.machine.decisions import AutomationTarget, LayerLevel, StemLevel
from engine.machine.model import Generated
from engine.machine.residency import Plan
from engine.stems.pack import Pack

DUCKS = (AutomationTarget.DUCK, AutomationTarget.STINGER_DUCK)


class Mix:
    def __init__(self, p, pack: Pack, block: int, generated: Mapping[str, Generated]):
        """`generated`: the machine's generated layers, '<state>.<name>' -> its spec (instrument, pan).
        Only the stems' headers are read here; their audio streams from disk (engine/audio/stream.py)."""
        self.block = block
        self.sample_rate = sr = pack.sample_rate
        self.notices: deque[str] = deque(maxlen=32)  # the reader's and the heads' lines, drained by the outbox
        self.streams: dict[str, SegmentStream] = {}
        for name, seg in pack.segments.items():
            stems = [stem_file(stem, path) for stem, path in seg.stems.items()]
            length = pack.segment_samples(name) if seg.loop else max(s.frames for s in stems)
            self.streams[name] = SegmentStream(name, stems, max(length, 1), seg.loop, least=block)
        self._silent = {ch: p.DataTable(size=1, chnls=ch)  # what a deck at rest reads
                        for ch in sorted({2} | {s.channels for st in self.streams.values() for s in st.stems})}
        self.reader = Reader(p, self.streams, self.notices)
        self.players = {name: SegmentPlayer(p, stream, self.reader, self._silent, sr, block, self.notices)
                        for name, stream in self.streams.items()}
        self._awake: dict[str, SegmentPlayer] = {}  # players with a stem, a level or a head running
        self._block_start = 0
        self.phrase_players = {key: _phrase_player(p, pack, g, key, block) for key, g in generated.items()}
        self.oneshots = {name: OneShot(p, read_audio(path), sr, block) for name, path in pack.oneshots.items()}
        self.ducks = {target: EnvelopePlayer(p, sr, block, idle=1.0) for target in DUCKS}
        # each generated layer behind its own gate: a voice gone bad is silenced alone, the rest plays on
        self.gates = {f"generated layer '{key}'": FiniteGate(p, n.out) for key, n in self.phrase_players.items()}
        for player, gate in zip(self.phrase_players.values(), self.gates.values()):
            player.follow(gate)
        self._layers_awake: dict[str, PhrasePlayer] = {}  # playing a phrase, or ringing out
        outs = [pl.out for pl in self.players.values()] + [gate.out for gate in self.gates.values()]
        duck, stinger_duck = (self.ducks[target].out for target in DUCKS)
        self._ducked = duck * stinger_duck  # kept on self: pyo runs an object only while Python holds it
        self.bed = p.Mix(outs, voices=2, mul=self._ducked)
        self.shots = [o.out for o in self.oneshots.values()]
        self.playheads = [o.playhead for o in self.oneshots.values()]  # whole in memory; segments stream
        self._levels: dict[StemLevel | LayerLevel, float] = {}
        self._passed: Mapping[StemLevel | LayerLevel, float] | None = None  # the last block's levels, as given
        self.reader.post(head_plan(self.streams, sr))  # until the machine's first plan: every segment's head
        self.reader.start()

    # -- streaming (issue #11) ------------------------------------------------------------------
    def plan(self, plan: Plan) -> None:
        """What must be resident from now on (never waits: the reader takes the newest plan). Segments neither
        in it nor sounding are evicted: their tables and open files released."""
        self.reader.post(plan)

    def attach(self, outbox, live: bool) -> None:
        """Report through the engine's outbox; call before the audio starts. Live, it waits for the heads
        (READY_SECONDS at most), and a chunk not read in time plays silence (told once); otherwise
        (offline, and a graph never attached) the block waits for it, WAIT_SECONDS at most, then the render fails:
        renders stay deterministic."""
        outbox.also(self.notices)
        for player in self.players.values():
            player.playhead.wait = None if live else streaming.WAIT_SECONDS
            player.playhead.fail = outbox.fail
        if live:  # the heads resident before the first block, so the first segment starts on time
            self.reader.settle(streaming.READY_SECONDS)

    def close(self) -> None:
        """Stop the reader and release every chunk (call before the pyo server shuts down)."""
        self.reader.close()

    def advance(self, block_start: int) -> None:
        """Once per block, before its decisions: silent voices sleep, streamed chunks start on their samples."""
        self._block_start = block_start
        for name, player in list(self._awake.items()):
            player.settle(block_start)
            player.playhead.advance(block_start)
            if player.idle():
                del self._awake[name]
                player.rest()

    def start(self, segment: str, sample: int, k: int, offset: int) -> None:
        self._wake(segment).start(sample, k, offset)

    def fade(self, segment: str, stem: str, k: int, envelope, block_start: int) -> None:
        self._wake(segment).fade(stem, k, envelope, block_start)

    def _wake(self, segment: str) -> SegmentPlayer:
        """The segment's player, awake (its sum in the block) until it is idle again."""
        player = self._awake.get(segment)
        if player is None:
            player = self._awake[segment] = self.players[segment]
            player.wake()
        return player

    def set_levels(self, levels: Mapping[StemLevel | LayerLevel, float]) -> None:
        """Every block: what changed since the last block reaches the voices (levels equal to the last block's,
        compared in C, cost nothing more)."""
        if levels == self._passed:
            return
        self._passed = levels
        for key, value in levels.items():
            if self._levels.get(key) != value:
                self._levels[key] = value
                if isinstance(key, LayerLevel):
                    self.phrase_players[key.layer].level.value = value
                else:  # its player woken, so that the level sleeps again once it arrives
                    self._wake(key.segment).set_level(key.stem, value, self._block_start)

    def fade_gain(self, segment: str, stem: str) -> float:
        """Where a stem's fade envelope is now (0..1)."""
        return self.players[segment].stems[stem].fade_gain()

    def prepare_phrase(self, tag: tuple, phrase: SoundingPhrase) -> ReadyPhrase:
        """On the generation worker's thread: the phrase of layer `tag[0]` in a table its player can start; and the
        tables every layer let go of since, freed here (a stopped layer's too, not only when it plays again)."""
        for player in self.phrase_players.values():
            player.spent.clear()
        return self.phrase_players[tag[0]].prepare(phrase)

    def start_layer(self, key: str, phrase: ReadyPhrase, sample: int) -> None:
        """A generated phrase takes over its layer from `sample` (in this block or later) on."""
        player = self.phrase_players[key]
        player.take_over(phrase, sample)
        player.level.time = max(self.block / self.sample_rate, MIN_RAMP_SECONDS)
        self._layers_awake[key] = player

    def stop_layer(self, key: str, samples: int) -> None:
        player = self.phrase_players[key]
        player.stop()
        player.level.time = samples / self.sample_rate
        player.level.value = 0.0
        self._levels.pop(LayerLevel(key), None)
        self._passed = None  # its level is set again when it comes back

    def play_phrases(self, block_start: int) -> None:
        """Once per block, after its decisions: each layer's phrase starts and repeats on its samples."""
        for key, player in list(self._layers_awake.items()):
            if not player.play(block_start) and player.phrase is None:
                del self._layers_awake[key]


def _phrase_player(p, pack: Pack, spec: Generated, key: str, block: int) -> PhrasePlayer:
    """A layer's player, for phrases of its bars at the pack's tempo; SegueError naming it if they are too long."""
    try:
        return PhrasePlayer(p, pack.clock().bar_sample(spec.bars), pack.clock(), block, spec.pan)
    except SegueError as exc:
        raise SegueError(f"generated layer '{key}' ({spec.bars} bars at {pack.tempo:g} bpm): {exc}") from None
