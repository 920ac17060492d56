"""The audio side of a streamed segment: one position over its chunks, shared by every stem (sample-locked).

A segment that fits one chunk is one table read through one Position, looping or once, as the whole segment
always was. A longer one plays its chunks on DECKS decks: a deck is a Position over a chunk's table and every
stem's read of it; Python starts the deck holding the next chunk on that chunk's exact sample (once per block,
`advance`) and sends the deck before to rest on its silent last frame on the same sample, and a deck at rest reads
a one-frame silent table and is out of the block's computation (stopped) until it takes a chunk again. Four decks
cover the worst block: the chunk ending, the one beginning, and a restart's chunk and the one after it.

A Position takes one start per block (its trigger fires once). A restart in the block where the old run's next
chunk began is the one block that would need two on the next chunk's deck (begin, then rest at the restart); so
the deck before plays on past its chunk's end instead, into the tail its table holds (the next chunk's first
frames), and both rest from the restart's sample (see stream.SegmentStream).

While every stem that sounds holds its gain (no fade or level moving), a deck reads its chunk's premix, the
stems at those gains summed by the reader in the same float32 order as the block's chained reads, so one read
stands for all of them, bit for bit; from the block in which a fade or a level change comes it reads the stems
again (`hold`, stream.Reader._mix).

Before a deck takes a chunk it names it in the stream's `playing` (with the AHEAD chunks after it), so the reader
loads them ahead and never evicts them; a chunk not loaded when due plays silence (reported once) and, live, joins
on its sample as soon as it arrives; offline the block waits for it (see SegmentStream, Reader).
"""
from __future__ import annotations

from collections import deque
from typing import Callable, Mapping

from engine.audio.playhead import Position
from engine.audio import stream as streaming
from engine.audio.stream import AHEAD, Reader, SegmentStream, Slot

DECKS = 4
PLAYING = 2 ** 62  # a deck's `until` while it plays: it rests only when its trigger sends it there
NOTHING = 0.0  # what the first read of a chain adds (one object: StreamHead._chain compares links by identity)


class Deck:
    def __init__(self, p, size: int, loop: bool, stream: SegmentStream, silent: Mapping[int, object],
                 sample_rate: int, block: int):
        self.position = Position(p, size, loop, sample_rate, block)
        self._mono = [s.channels == 1 for s in stream.stems]
        self._silent = self._both([silent[s.channels] for s in stream.stems])
        # each stem's read, two channels (a mono stem's one, twice), its gain as its multiplier (voices.StemVoice);
        # each adds the reads sounding before it (StreamHead._chain): a stem costs one read, nothing else
        self.reads = [p.TableIndex(table, self.position.index) for table in self._silent]
        # its slot's mix (stream.Slot), read instead of every stem's read while the stems hold the gains it holds
        self._silent_mix = silent[2]
        self.premix = p.TableIndex(self._silent_mix, self.position.index)
        self.mixing = False
        self.chunk: int | None = None  # the chunk on it; None: at rest on silence, stopped
        self.slot: Slot | None = None  # whose tables it reads
        self.until = 0  # the sample from which it rests (sent there by its trigger); PLAYING until then
        self.started = -1  # the block in which it last started a chunk (its trigger takes one start a block)

    def _both(self, tables: list) -> list:
        """A mono stem's table on both channels."""
        return [[table, table] if mono else table for table, mono in zip(tables, self._mono)]

    def load(self, slot: Slot, chunk: int, sounding: list[bool], held) -> None:
        """Take `slot`'s tables (from the next block's start, while it still rests) and join the computation,
        reading its mix if it holds the gains `held`."""
        for read, table in zip(self.reads, self._both(slot.tables)):
            read.table = table
        if slot.mix is not None:
            self.premix.table = slot.mix
        if self.chunk is None:
            self.position.play()
        self.chunk, self.slot = chunk, slot
        self.mixing = self.mixes(held)
        self.run(sounding)

    def mixes(self, held) -> bool:
        """Whether its slot's mix stands for its stems' reads now (the segment's stems hold the gains `held`)."""
        mixed = self.slot.mixed
        return held is not None and mixed is not None and mixed == held

    def run(self, sounding: list[bool]) -> None:
        """What it computes: its mix, or the reads of the stems that sound."""
        for read, on in zip(self.reads, sounding):
            if on and not self.mixing:
                read.play()
            else:
                read.stop()
        self.premix.play() if self.mixing else self.premix.stop()

    def unload(self) -> None:
        """Back to silence, out of the computation; the slot's tables are no longer held."""
        for read, table in zip(self.reads, self._silent):
            read.table = table
            read.stop()
        self.premix.table = self._silent_mix
        self.premix.stop()
        self.position.stop()
        self.chunk = self.slot = None
        self.mixing = False


class StreamHead:
    """Where a segment plays, over its streamed chunks. `out` is its stems' audio, each at its gain (two channels);
    `reads[i]` are stem i's reads, one a deck, whose multiplier is the stem's gain."""

    def __init__(self, p, stream: SegmentStream, reader: Reader, silent: Mapping[int, object], sample_rate: int,
                 block: int, notices: deque):
        self.stream, self.reader, self.notices = stream, reader, notices
        self.sample_rate, self.block = sample_rate, block
        self.single = stream.chunks == 1
        loop = stream.loop and self.single
        self.decks = [Deck(p, stream.rest, loop, stream, silent, sample_rate, block)
                      for _ in range(1 if self.single else DECKS)]
        self.reads = [[deck.reads[i] for deck in self.decks] for i in range(len(stream.stems))]
        # the last read of the chain (made after every read: pyo computes objects in the order they were made)
        self.out = p.Sig([0.0, 0.0])
        self._adds = [[None] * (len(stream.stems) + 1) for _ in self.decks]  # what each read (its mix last) adds
        self.sounding = [False] * len(stream.stems)
        self.origin: int | None = None  # the sample at which offset 0 played (None: never started)
        self.live = False  # started and not released
        self.wait: float | None = streaming.WAIT_SECONDS  # seconds a block waits for a chunk; None: live, never wait
        self.fail: Callable[[str], None] | None = None  # a chunk not read within `wait` fails the render
        self._next: tuple[int, int | None] | None = None  # (sample, chunk) to start next
        self._late: tuple[int, int] | None = None  # (sample it began, chunk) not loaded in time, or no deck free
        self._on: Deck | None = None  # the deck playing the run's newest chunk (rested when the next one begins)
        self._told = False
        for deck in self.decks:
            deck.unload()
        self._chain()

    # -- voices ---------------------------------------------------------------------------------
    def stem_on(self, i: int) -> None:
        """After hold(None): no deck reads a mix then."""
        self.sounding[i] = True
        for deck in self.decks:
            if deck.chunk is not None:
                deck.reads[i].play()
        self._chain()

    def hold(self, held: tuple[float | None, ...] | None) -> None:
        """The gains every sounding stem holds (None: one moves, or is about to): a deck whose slot's mix holds
        them reads it instead of each stem, from this block; the reader mixes the playing chunks for them. A fade
        or level change each block (a param) calls it with None block after block: nothing to do then."""
        if held is None and self.stream.held is None:
            return
        self.stream.held = held  # set before any deck looks at its mix (see Reader._mix)
        self._modes()
        if held is not None:
            self.reader.wake()

    def _modes(self) -> None:
        """Each loaded deck reads its mix or its stems, as its slot's mix holds the segment's gains or not (once a
        block while they hold: the reader publishes mixes at any time)."""
        held, changed = self.stream.held, False
        for deck in self.decks:
            if deck.chunk is not None and deck.mixes(held) != deck.mixing:
                deck.mixing = not deck.mixing
                deck.run(self.sounding)
                changed = True
        if changed:
            self._chain()

    def stem_off(self, i: int) -> None:
        self.sounding[i] = False
        for deck in self.decks:
            deck.reads[i].stop()
        self._chain()

    def _chain(self) -> None:
        """Each running read (its deck loaded, its stem sounding) adds the one before it, decks and stems in order,
        and `out` is the last: the segment's sum without a mixing object per stem (a Mix looks each input up
        through Python every block; a link `a + b` is one more object a stem). At most one deck sounds on any
        sample (the others read silence), so the sum is what each stem's reads would sum to. Called after every
        change of what runs, before the block; it touches only the links that change."""
        before = NOTHING
        for d, deck in enumerate(self.decks):
            if deck.chunk is None:
                continue
            links = [(len(deck.reads), deck.premix)] if deck.mixing else \
                [(i, read) for i, (read, on) in enumerate(zip(deck.reads, self.sounding)) if on]
            for i, read in links:
                if self._adds[d][i] is not before:
                    read.add = self._adds[d][i] = before
                before = read
        if self.out.value is not before:
            self.out.value = before

    # -- from the heartbeat, before the block is computed ------------------------------------
    def start(self, sample: int, k: int, offset: int) -> None:
        """Play from `offset` frames in, from absolute `sample` (`k` samples into the next block)."""
        s = self.stream
        block_start = sample - k
        self.origin, self.live, self._late = sample - offset, True, None
        if s.loop:
            offset %= s.length
        chunk, local = s.locate(offset)
        for deck in self.decks:  # the old run rests from `sample`: a deck whose chunk ended earlier in this block
            if deck.chunk is not None and not self.single:  # plays its tail until then (one start per block)
                deck.position.silence(k)
                deck.until = min(deck.until, sample)
        self._on = None
        if chunk >= s.chunks:  # past the end of audio that plays once
            self._next = None
            if self.single and self.decks[0].chunk is not None:
                self.decks[0].position.silence(k)
            self._name(None)
            return
        self._begin(chunk, sample - local, k, local, block_start)
        self._due(block_start)

    def advance(self, block_start: int) -> None:
        """Once per block: decks come to rest, the chunks due in the block start on their samples."""
        changed = False
        if not self.single:
            for deck in self.decks:  # rested in an earlier block: stopped there, on its silent frame
                if deck.chunk is not None and deck.until < block_start:
                    deck.unload()
                    changed = True
            if changed:
                self._chain()
        if not self.live:
            if changed:
                self._name(None)
            return
        if self._late is not None:
            self._join(block_start)
        if self._due(block_start) or changed:
            self._name(self._current())
        if self.stream.held is not None:
            self._modes()

    @property
    def busy(self) -> bool:
        """Started, or a deck still to bring to rest."""
        return self.live or any(deck.chunk is not None for deck in self.decks)

    def release(self, block_start: int) -> None:
        """No stem sounds (from `block_start`): every deck out of the computation, the chunks evictable. A deck
        stopped mid-chunk would resume there when it next plays, so it is first sent to rest on its silent frame
        and stopped at the next block."""
        for deck in self.decks:
            if deck.chunk is None:
                continue
            if self.single or deck.until < block_start:
                deck.unload()
            else:
                deck.position.silence(0)
                deck.until = block_start + 1  # unloaded once this block has run the silence
        self._chain()
        self.live, self._next, self._late, self._on = False, None, None, None
        self._name(None)

    def resume(self, block_start: int) -> None:
        """A stem sounds again without a new start: the position, counted from the origin, from this block."""
        if self.live or self.origin is None:
            return
        offset = block_start - self.origin
        self.start(block_start, 0, offset % self.stream.length if self.stream.loop else offset)

    # -- inside --------------------------------------------------------------------------------
    def _due(self, block_start: int) -> bool:
        started = False
        while self._next is not None and self._next[0] < block_start + self.block:
            sample, chunk = self._next
            if chunk is None:  # the audio ends: its last chunk's deck rests there (its tail is silence meanwhile)
                if self._rest_on(max(sample - block_start, 0), sample, block_start):
                    self._next = None
                break
            self._begin(chunk, sample, max(sample - block_start, 0), 0, block_start)
            started = True
        return started

    def _rest_on(self, k: int, sample: int, block_start: int) -> bool:
        """The deck of the run's newest chunk rests from `sample` (`k` into the block), so its tail does not play
        on. False if it started in this block (its one trigger is taken): it plays on into its tail, and rests at
        the next block's start."""
        deck = self._on
        if deck is not None and deck.chunk is not None:
            if deck.started == block_start:
                return False
            deck.position.silence(k)
            deck.until = min(deck.until, sample)
        self._on = None
        return True

    def _begin(self, chunk: int, began: int, k: int, local: int, block_start: int) -> None:
        """Chunk `chunk`, whose first frame plays at `began`, from `local` frames in, `k` samples into the block.
        If the chunk before began in this same block, its deck plays on into its tail and this chunk joins at the
        next block's start, from where it is then (as a late chunk does)."""
        s = self.stream
        self._next = (began + s.chunk_frames(chunk), s.after(chunk)) if not self.single else None
        self._name(chunk)
        if not self._rest_on(k, began + local, block_start):
            self._late = (began, chunk)
            return
        slot = self._slot(chunk, began + local)
        if slot is None:
            self._late = (began, chunk)
            return
        self._play(slot, chunk, began, k, local, block_start)

    def _play(self, slot: Slot, chunk: int, began: int, k: int, local: int, block_start: int) -> None:
        deck = self.decks[0] if self.single else self._free_deck()
        if deck is None:  # every deck busy (chunks shorter than two blocks): it joins when one comes to rest
            self._late = (began, chunk)
            return
        if deck.chunk is None or deck.slot is not slot:
            deck.load(slot, chunk, self.sounding, self.stream.held)
            self._chain()
        deck.chunk = chunk
        deck.position.start(k, local)
        deck.until, deck.started = PLAYING, block_start
        self._on = deck

    def _join(self, block_start: int) -> None:
        """A chunk that was late (live), found no deck, or waited for the block after the one its deck before began
        in plays from where it is now, if it is there and still due; the deck before rests as it starts."""
        began, chunk = self._late
        self._rest_on(0, block_start, block_start)
        if block_start >= began + self.stream.chunk_frames(chunk) and not self.single:
            self._late = None
            return
        slot = self._slot(chunk, block_start)
        if slot is not None:
            self._late = None
            local = block_start - began
            if self.single and self.stream.loop:
                local %= self.stream.length
            self._play(slot, chunk, began, 0, local, block_start)

    def _free_deck(self) -> Deck | None:
        """A deck at rest since before this block (a deck taken mid-chunk would read its new table from the old
        place until its start); with DECKS decks and chunks of a block or more there always is one."""
        for deck in self.decks:
            if deck.chunk is None:
                return deck
        return None

    def _current(self) -> int | None:
        if self._late is not None:
            return self._late[1]
        on = [d for d in self.decks if d.chunk is not None]
        return max(on, key=lambda d: d.until).chunk if on else None

    def _name(self, current: int | None) -> None:
        """Tell the reader what plays and what comes next (before any of it is looked up)."""
        s = self.stream
        chunks = [] if current is None else [current]
        if self._next is not None:
            chunk = self._next[1]
            while chunk is not None and chunk not in chunks and len(chunks) < AHEAD + 1:
                chunks.append(chunk)
                chunk = s.after(chunk)
        chunks += [d.chunk for d in self.decks if d.chunk is not None and d.chunk not in chunks]
        playing = tuple(chunks)
        if playing != s.playing:
            s.playing = playing
            self.reader.wake()

    def _slot(self, chunk: int, at: int) -> Slot | None:
        s = self.stream
        slot = s.loaded.get(chunk)
        if slot is not None:
            return slot
        where = f"segment '{s.name}': the chunk from {chunk * s.size / self.sample_rate:.2f} s"
        if self.wait is not None:  # offline: the render waits, so it stays deterministic
            slot = self.reader.wait_for(s, chunk, self.wait)
            if slot is None:
                why = f"{where} was not read from disk within {self.wait:g} s"
                self.fail(why) if self.fail is not None else self.notices.append(why)
            return slot
        if not self._told:
            self._told = True
            self.notices.append(f"{where} was not read from disk in time (at sample {at}); silent until it is")
        return None
