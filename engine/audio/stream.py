"""Segments' stems streamed from disk: chunks read ahead of the play position by one reader thread, outside the
audio block (issue #11).

A segment's audio is cut into chunks of CHUNK frames (the last one shorter, or longer by what would have made a
chunk shorter than a block); every stem of a segment is cut at the same frames, so one chunk index names the same
moment in all of them (sample-locked). A chunk lives in a Slot: one pyo table per stem, reused from chunk to chunk
and freed when the segment is evicted. A table holds its chunk, then the `tail` (a block's worth of) frames that
follow it in the music, then silence to its silent last frame (`rest`): a deck that must play on a few samples past
its chunk's end in the same block as the chunk after it began (a restart landing there) reads them from its own
table (see streamhead.StreamHead.start).

    audio block (the heartbeat)                        reader thread
    SegmentStream.playing = chunks it plays / needs    decodes what `playing` and the plan's windows name
    Mix.plan(plan) -> Reader.post (newest kept)        into a free slot, then publishes it in `loaded`
    loaded.get(chunk) -> a slot to read, or None       evicts chunks nobody names; frees silent segments

The audio side never waits, locks or decodes (offline excepted: there it waits for a chunk, with a deadline, so a
render is deterministic). The reader decodes (engine/audio/decode.py: cffi releases the GIL while it
decodes) into a preallocated buffer, then copies it into the slot's tables (one copy per channel, no numpy view
of a table kept). Hand-over without locks: a slot is only written while it is in no `loaded` entry, and the audio
side names a chunk in `playing` before it looks it up, so the reader, which unpublishes a chunk and then checks
that nobody names it, can never write a slot that plays. A slot's premix (the stems at the gains they hold, one
table for a deck to read instead of every stem) is written before the slot is published, or again, for new gains,
only once no block can be reading it (Reader._mix).
"""
from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile

from engine.audio.decode import FLOATS, Stem, open_stem
from engine.machine.residency import Plan, Window

CHUNK = 2 ** 16  # frames per streamed chunk (1.37 s at 48 kHz); at most playhead.CHUNK, exact in float32
AHEAD = 2  # chunks loaded ahead of the one playing
SLOTS = 10  # chunks a segment may hold at once (the plan's windows, what plays and AHEAD); MEMORY_MB bounds all
SPARES = 2  # emptied slots a playing segment keeps for its next chunks (a silent one keeps none)
# Every segment's slots together: the memory bound whatever the score's size and however many segments the
# transitions visit. What plays and the plan's windows fit well inside it (the one-hour score of issue #11, a
# transition every two bars: at most 21 chunks of 2^16 frames x 6 stereo stems and their premix, 77 MB); past
# it, spares are reclaimed, then the least likely windows (the plan's last) give their slots to what plays and to
# likelier ones, and a notice says so. What plays is never refused a slot (a segment of 64 stereo stems needs 34 MB a
# chunk): past the budget it still gets its own, SLOTS at most per segment.
MEMORY_MB = 96.0
HEAD_SECONDS = 1.0  # before the first plan: every segment's head, so any start lands at once
MIX_AFTER = 0.25  # seconds a segment's gains must hold before the reader mixes its playing chunks again for them
# (a level a param moves all the time would otherwise cost a mix a move; a chunk read meanwhile is mixed at once)
POLL = 0.25  # seconds the reader sleeps when nothing wakes it (a safety net: every change that gives it work wakes it)
WAIT_SECONDS = 30.0  # offline: longest a render waits for one chunk before it fails
READY_SECONDS = 0.5  # live: longest the start waits for the heads (then the first chunks may come a little late)


@dataclass(frozen=True)
class StemFile:
    name: str
    path: Path
    channels: int
    frames: int  # in the file (a loop plays at most its length of them; a shorter file pads with silence)
    error: str | None = None  # why its header could not be read
    kind: str = ""  # soundfile's name for its format (decode.open_stem)
    floats: bool = False  # its samples are floats, which can be NaN or infinite (integer formats cannot)


def stem_file(name: str, path: Path) -> StemFile:
    """A stem's header only: no audio is decoded at start. An unreadable file is one silent channel, reported
    when its first chunk is due."""
    try:
        info = soundfile.info(str(path))
        return StemFile(name, Path(path), info.channels, info.frames, kind=info.format,
                        floats=info.subtype in FLOATS)
    except Exception as exc:  # soundfile raises several types for a missing or corrupt file
        return StemFile(name, Path(path), 1, 0, str(exc) or type(exc).__name__)


STALE = object()  # a slot's `mixed` once a stem of it failed: its mix is never read again nor rewritten in place


class Slot:
    """One chunk of every stem of a segment, in pyo tables (its chunk and tail, silence, and the silent frame at
    `rest`); with two stems or more, also their premix: the two channels of the stems that sound, each times the
    gain it holds, summed in the stems' order as the audio block sums their reads (so it is the same float32
    samples), for the gains in `mixed` (see SegmentStream.held)."""

    def __init__(self, p, stems: list[StemFile], rest: int):
        self.tables = [p.DataTable(size=rest + 1, chnls=s.channels) for s in stems]
        self.mix = p.DataTable(size=rest + 1, chnls=2) if len(stems) > 1 else None
        self.mixed: tuple | object | None = None  # the gains the mix holds; None: none yet (see Reader._mix)
        self.chunk: int | None = None


class SegmentStream:
    """What the audio side and the reader share about one segment. Each field has one writer: `playing` the audio
    block, `windows`, `loaded` and `failed` the reader."""

    def __init__(self, name: str, stems: list[StemFile], length: int, loop: bool, least: int = 1):
        """`least`: the fewest frames a chunk may have, and its tail (the audio block: a deck then changes chunk
        at most once a block, and a restart plays on at most a block past a chunk's end)."""
        self.name, self.stems, self.length, self.loop = name, stems, length, loop
        length = max(length, 1)
        self.size = min(max(CHUNK, least), length)  # frames per chunk (the last one excepted)
        self.chunks = -(-length // self.size)
        if self.chunks > 1 and length - (self.chunks - 1) * self.size < least:  # too short: joins the one before
            self.chunks -= 1
        if self.chunks == 1:  # a segment that fits one chunk is one table, played as a whole (a loop wraps in it)
            self.size = length
        self.tail = least if self.chunks > 1 else 0
        self.rest = max(self.size, self.chunk_frames(self.chunks - 1)) + self.tail  # the silent frame's index
        self.playing: tuple[int, ...] = ()  # audio side: chunks on its decks and the next AHEAD, most urgent first
        self.windows: tuple[int, ...] = ()  # reader: chunks the plan wants resident
        self.loaded: dict[int, Slot] = {}  # reader publishes, audio side reads
        self.failed: dict[str, str] = {}  # stem -> why it is silent
        # audio side: each stem's gain (None: silent) while every stem that sounds holds its gain; None otherwise.
        # Then a deck whose slot's mix holds these gains reads it instead of every stem (Reader._mix)
        self.held: tuple[float | None, ...] | None = None
        self.slots = 0  # reader: slots allocated (loaded and spare)
        channels = sum(s.channels for s in stems) + (2 if len(stems) > 1 else 0)
        self.slot_bytes = 4 * (self.rest + 1) * channels  # float32 tables
        self.spare: list[Slot] = []
        self.files: dict[str, Stem] = {}

    def chunk_frames(self, chunk: int) -> int:
        return self.size if chunk + 1 < self.chunks else self.length - chunk * self.size

    def locate(self, offset: int) -> tuple[int, int]:
        """(chunk, frames into it) of a frame of the segment; (chunks, 0) past the end of audio that plays once."""
        if offset >= self.length:
            return self.chunks, 0
        chunk = min(offset // self.size, self.chunks - 1)
        return chunk, offset - chunk * self.size

    def pieces(self, chunk: int) -> tuple[tuple[int, int], ...]:
        """What a chunk's table holds, as (offset, frames) of the segment laid end to end: the chunk, then the
        `tail` frames that follow it (the next chunk's first, the loop's start again; silence where the audio
        ends)."""
        start, frames = chunk * self.size, self.chunk_frames(chunk)
        if not self.tail:
            return ((start, frames),)
        if chunk + 1 < self.chunks:  # the next chunk is a block or longer: the tail is all in it
            return ((start, frames + self.tail),)
        return ((start, frames), (0, self.tail)) if self.loop else ((start, frames),)

    def after(self, chunk: int) -> int | None:
        """The chunk that plays after `chunk` (the first again when a loop comes round)."""
        if chunk + 1 < self.chunks:
            return chunk + 1
        return 0 if self.loop else None

    def window_chunks(self, offset: int, frames: int) -> list[int]:
        """The chunks holding `frames` frames from `offset` (round the loop, or up to the end)."""
        if self.length <= 0:
            return []
        pos = offset % self.length if self.loop else offset
        chunks: list[int] = []
        while frames > 0 and pos < self.length and len(chunks) < self.chunks:
            chunk = min(pos // self.size, self.chunks - 1)
            chunks.append(chunk)
            taken = self.chunk_frames(chunk) - (pos - chunk * self.size)
            frames -= taken
            pos += taken
            if pos >= self.length and self.loop:
                pos = 0
        return chunks


def head_plan(streams: Mapping[str, SegmentStream], sample_rate: int) -> Plan:
    """What is resident until the machine's first plan: every segment's head."""
    frames = round(HEAD_SECONDS * sample_rate)
    return Plan(0, tuple(Window(name, 0, frames) for name in streams))


class Reader:
    """The one thread that reads stems from disk. `notices` gets one line per problem (a file gone, a plan too big
    for the slots); `loaded` is notified after every chunk (offline waits on it)."""

    def __init__(self, p, streams: Mapping[str, SegmentStream], notices: deque):
        self._p = p
        self.streams = streams
        self.notices = notices
        self.loaded = threading.Condition()
        self._plans: deque[Plan] = deque(maxlen=1)  # only the newest plan matters
        self._posted: Plan | None = None
        self._windows: list[tuple[SegmentStream, int]] = []  # the plan's chunks, in its order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._buffers: dict[int, np.ndarray] = {}  # channels -> frames x channels, reused (grown when short)
        # (segment, stem) -> (the frame it starts at, the last `tail` frames decoded): a chunk's table ends with the
        # next chunk's first frames, which the next read then takes from here instead of seeking back for them
        # (a backward seek in a FLAC file decodes again from the frame before)
        self._carry: dict[tuple[str, str], tuple[int, np.ndarray]] = {}
        self._told: set[tuple[str, str]] = set()
        self._steady: dict[str, tuple[tuple, float]] = {}  # segment -> (the gains it holds, since when)
        self.reads = 0  # chunks decoded (tests, benchmarks)
        self.budget = round(MEMORY_MB * 2 ** 20)  # bytes of slot tables across every segment
        self.bytes = 0  # bytes of slot tables allocated now (loaded and spare)
        self.peak_bytes = 0  # the most ever allocated at once (tests, benchmarks)
        self._thread = threading.Thread(target=_run, args=(weakref.ref(self), self._wake, self._stop),
                                        name="segue-stem-reader", daemon=True)

    def start(self) -> None:
        """Once the graph is built (the thread makes pyo tables)."""
        self._thread.start()

    # -- from the audio block: never waits --------------------------------------------------------
    def post(self, plan: Plan) -> None:
        if plan is not self._posted:  # the same plan handed over block after block costs nothing
            self._posted = plan
            self._plans.append(plan)
            self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # -- offline --------------------------------------------------------------------------------
    def wait_for(self, stream: SegmentStream, chunk: int, seconds: float) -> Slot | None:
        """Wait (offline only) until `chunk` of `stream` is loaded, or `seconds` pass."""
        with self.loaded:
            self._wake.set()
            self.loaded.wait_for(lambda: chunk in stream.loaded or self._stop.is_set(), seconds)
        return stream.loaded.get(chunk)

    def settle(self, seconds: float) -> bool:
        """Wait (never from the audio block) until every chunk the newest plan names is loaded, `seconds` at most:
        before a live start, so the first segment's head is there when its first block comes."""
        def done() -> bool:
            return not self._plans and self._urgent() is None

        with self.loaded:
            self._wake.set()
            return self.loaded.wait_for(lambda: done() or self._stop.is_set(), seconds)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5.0)
        if not self._thread.is_alive():  # never close a file the thread may still be reading
            for stream in self.streams.values():  # every chunk released (a deck still on one holds its tables
                stream.spare += stream.loaded.values()  # until the graph goes)
                stream.loaded.clear()
                self._free(stream)

    # -- the thread -----------------------------------------------------------------------------
    def step(self) -> bool:
        """One unit of work: take the newest plan, evict, then load the most urgent missing chunk.
        Returns whether there may be more to do."""
        if self._plans:
            self._apply(self._plans.pop())
        for stream in self.streams.values():
            self._evict(stream)
        job = self._urgent()
        unmixed = self._unmixed() if job is None or job[2] >= 0 else None  # after what plays, before windows
        if unmixed is not None:
            self._mix(*unmixed)
            return True
        if job is None:
            with self.loaded:  # nothing left to load: whoever settles may go on
                self.loaded.notify_all()
            return False
        stream, chunk, rank = job
        slot = self._slot(stream, rank)
        if slot is None:
            return False
        self._fill(stream, slot, chunk)
        stream.loaded[chunk] = slot
        with self.loaded:
            self.loaded.notify_all()
        return True

    def _apply(self, plan: Plan) -> None:
        wanted: dict[str, list[int]] = {}
        order: list[tuple[SegmentStream, int]] = []  # loaded in the plan's order: it names the likeliest first
        room = SLOTS - AHEAD - 2  # what plays keeps its own slots
        for w in plan.windows:
            stream = self.streams.get(w.segment)
            if stream is None:
                continue
            chunks = wanted.setdefault(w.segment, [])
            for c in stream.window_chunks(w.offset, w.frames):
                if c in chunks:
                    continue
                if len(chunks) >= room:
                    self._tell(w.segment, "plan", f"segment '{w.segment}': the plan's windows need more than "
                                                  f"{room} chunks; the first {room} are kept resident")
                    break
                chunks.append(c)
                order.append((stream, c))
        for name, stream in self.streams.items():
            stream.windows = tuple(wanted.get(name, ()))
        self._windows = order

    def _urgent(self) -> tuple[SegmentStream, int, int] | None:
        """The most urgent chunk not loaded, with its rank: -1 for what plays, else its place in the plan."""
        for stream in self.streams.values():  # what plays first
            for chunk in stream.playing:
                if chunk not in stream.loaded:
                    return stream, chunk, -1
        for rank, (stream, chunk) in enumerate(self._windows):
            if chunk not in stream.loaded:
                return stream, chunk, rank
        return None

    def _unmixed(self) -> tuple[SegmentStream, Slot] | None:
        """A playing chunk whose mix does not hold the gains its segment has held for MIX_AFTER seconds."""
        now = time.monotonic()
        for stream in self.streams.values():
            held = stream.held
            if held is None:
                continue
            seen = self._steady.get(stream.name)
            if seen is None or seen[0] != held:
                self._steady[stream.name] = (held, now)
                continue
            if now - seen[1] < MIX_AFTER:
                continue
            for chunk in stream.playing:
                slot = stream.loaded.get(chunk)
                if slot is not None and slot.mix is not None and slot.mixed is not STALE and slot.mixed != held:
                    return stream, slot
        return None

    def _mix(self, stream: SegmentStream, slot: Slot) -> None:
        """Mix a published slot again for the gains its segment holds now. The audio block reads a mix only when
        its `mixed` equals the segment's `held`, decided in the heartbeat after it sets `held`; so with `mixed`
        cleared first and `held` read after, a `held` other than the old gains means no block reads this mix now
        or will until it is set again (`held` changes only in the heartbeat, between blocks)."""
        old, slot.mixed = slot.mixed, None
        held = stream.held
        if held is None or held == old:
            slot.mixed = old
            return
        self._premix(stream, slot, held)

    def _premix(self, stream: SegmentStream, slot: Slot, held: tuple) -> None:
        """Write the slot's mix for the gains `held`: per channel, 0, then each sounding stem's samples times its
        gain added in the stems' order, all in float32, as the block's chained reads compute x * gain + sum."""
        tmp = self._buffer(1, stream.rest + 1)[:stream.rest + 1, 0]
        for c in range(2):
            acc = np.asarray(slot.mix.getBuffer(c))  # views of the tables: used here and dropped
            acc[:] = 0.0
            for stem, tables, gain in zip(stream.stems, slot.tables, held):
                if gain is not None:
                    x = np.asarray(tables.getBuffer(c if stem.channels > 1 else 0))
                    np.multiply(x, np.float32(gain), out=tmp)
                    np.add(tmp, acc, out=acc)
                    del x
            del acc
        slot.mixed = held

    def _evict(self, stream: SegmentStream) -> None:
        for chunk in list(stream.loaded):
            if chunk in stream.playing or chunk in stream.windows:
                continue
            slot = stream.loaded.pop(chunk)  # unpublished first, then checked again: the audio side names a
            if chunk in stream.playing or chunk in stream.windows:  # chunk before it looks it up
                stream.loaded[chunk] = slot
                continue
            slot.chunk = None
            stream.spare.append(slot)
        keep = SPARES if stream.playing else 0  # a slot to refill at once while it plays; none kept otherwise
        self._drop(stream, keep)
        if not stream.loaded and not stream.playing and not stream.windows and (stream.spare or stream.files):
            self._free(stream)

    def _drop(self, stream: SegmentStream, keep: int = 0) -> None:
        """Free the segment's spare slots beyond `keep` (the tables go with the last reference)."""
        if len(stream.spare) > keep:
            gone = len(stream.spare) - keep
            stream.slots -= gone
            self.bytes -= gone * stream.slot_bytes
            del stream.spare[keep:]

    def _free(self, stream: SegmentStream) -> None:
        """An evicted segment: its tables and its open files released."""
        self._drop(stream)
        for f in stream.files.values():
            f.close()
        stream.files.clear()
        for stem in stream.stems:
            self._carry.pop((stream.name, stem.name), None)

    def _slot(self, stream: SegmentStream, rank: int) -> Slot | None:
        """A slot for a chunk of `stream` wanted at `rank` (-1: it plays): a spare, a new one within SLOTS and the
        budget, or one taken from a window the plan names after `rank`; None (told once) when there is none."""
        if stream.spare:
            return stream.spare.pop()
        if stream.slots >= SLOTS:
            self._tell(stream.name, "", f"segment '{stream.name}': more chunks wanted than its {SLOTS} slots "
                                        "hold; the rest streams late")
            return None
        while self.bytes + stream.slot_bytes > self.budget:
            for other in self.streams.values():  # spares first: nobody waits for them
                self._drop(other)
            if self.bytes + stream.slot_bytes <= self.budget:
                break
            taken = self._take(stream, rank)
            if taken is None:
                self._tell("", "budget", f"streamed stems: what plays and the plan's windows need more than "
                                         f"{self.budget / 2 ** 20:.0f} MB of tables (stream.MEMORY_MB); the "
                                         "least likely windows are not resident")
                if rank >= 0:
                    return None
                break  # what plays is never refused: the budget gives way to it (SLOTS still bound a segment)
            if taken.chunk is not None:  # the same segment's: reused as it is
                taken.chunk = None
                return taken
        stream.slots += 1
        self.bytes += stream.slot_bytes
        self.peak_bytes = max(self.peak_bytes, self.bytes)
        return Slot(self._p, stream.stems, stream.rest)

    def _take(self, stream: SegmentStream, rank: int) -> Slot | None:
        """Unload the loaded window the plan names last, after `rank` and not playing: its slot if it is
        `stream`'s (still marked with its chunk), else freed (a Slot whose chunk is None). None: no such window."""
        for victim, chunk in reversed(self._windows[rank + 1:]):
            if chunk not in victim.loaded or chunk in victim.playing:
                continue
            slot = victim.loaded.pop(chunk)  # unpublished first, then checked again (see _evict)
            if chunk in victim.playing:
                victim.loaded[chunk] = slot
                continue
            if victim is stream:
                return slot
            slot.chunk = None
            victim.slots -= 1
            self.bytes -= victim.slot_bytes
            return slot
        return None

    def _fill(self, stream: SegmentStream, slot: Slot, chunk: int) -> None:
        pieces = stream.pieces(chunk)
        for stem, tables in zip(stream.stems, slot.tables):
            buf = self._buffer(stem.channels, stream.rest)
            filled = 0  # frames of buf that hold the table's audio, from its start
            if stem.name not in stream.failed:
                try:
                    for start, frames in pieces:
                        got = self._decode(stream, stem, start, buf[filled:filled + frames])
                        buf[filled + got:filled + frames] = 0.0  # past the file's end: silence (a shorter stem)
                        filled += frames
                except Exception as exc:  # soundfile raises several types: a vanished, unreadable or corrupt file
                    self._fail(stream, stem, str(exc) or type(exc).__name__)
                    filled = 0
            for c in range(stem.channels):
                table = np.asarray(tables.getBuffer(c))  # a view of the table: used here and dropped
                table[:filled] = buf[:filled, c]
                table[filled:] = 0.0
                del table
        slot.chunk, slot.mixed = chunk, None
        held = stream.held
        if held is not None and slot.mix is not None:  # not published yet: no block reads its mix
            self._premix(stream, slot, held)
        self.reads += 1

    def _buffer(self, channels: int, frames: int) -> np.ndarray:
        buf = self._buffers.get(channels)
        if buf is None or len(buf) < frames:
            buf = self._buffers[channels] = np.empty((frames, channels), dtype=np.float32)
        return buf

    def _decode(self, stream: SegmentStream, stem: StemFile, start: int, out: np.ndarray) -> int:
        """Read the stem from frame `start` into `out` (frames x channels), as far as the file goes; the frames
        read."""
        if stem.error:
            raise ValueError(stem.error)
        f = stream.files.get(stem.name)
        if f is None:
            f = stream.files[stem.name] = open_stem(stem.path, stem.kind)
            if f.channels != stem.channels:
                raise ValueError(f"it has {f.channels} channels now, {stem.channels} at start")
        want = max(0, min(len(out), stem.frames - start))
        if not want:
            return 0
        key = (stream.name, stem.name)
        carry = self._carry.pop(key, None)
        got = 0
        if carry is not None and carry[0] == start and len(carry[1]) <= want and f.tell() == start + len(carry[1]):
            got = len(carry[1])
            out[:got] = carry[1]
        elif f.tell() != start:
            f.seek(start)
        read = f.read(out[got:want])  # outside the GIL
        if read < want - got:
            raise ValueError(f"it ends at frame {start + got + read}, {stem.frames} at start (cut short or corrupt?)")
        data = out[:want]
        if stream.tail and want > stream.tail:
            self._carry[key] = (start + want - stream.tail, data[want - stream.tail:].copy())
        if stem.floats and not np.isfinite(data).all():
            self._tell(stream.name, stem.name + ".nan",
                       f"{stem.path}: samples are NaN or infinite; they will play as silence")
        return want

    def _fail(self, stream: SegmentStream, stem: StemFile, why: str) -> None:
        """The stem goes silent: its chunks already in memory too (zeroed in place, under the GIL, so never
        half-way through a block), the chunks read from now on hold silence for it."""
        stream.failed[stem.name] = why
        self._carry.pop((stream.name, stem.name), None)
        f = stream.files.pop(stem.name, None)
        if f is not None:
            f.close()
        index = stream.stems.index(stem)
        for slot in list(stream.loaded.values()):
            if slot.mix is not None:  # the mix holds the stem: read no more (a block may be reading it now)
                slot.mixed = STALE
            table = slot.tables[index]
            for c in range(stem.channels):
                buf = np.asarray(table.getBuffer(c))
                buf[:] = 0.0
                del buf
        self._tell(stream.name, stem.name, f"segment '{stream.name}', stem '{stem.name}': cannot read {stem.path} "
                                           f"({why}); that stem is silent, the rest plays")

    def _tell(self, segment: str, what: str, text: str) -> None:
        if (segment, what) not in self._told:
            self._told.add((segment, what))
            self.notices.append(text)


def _run(ref, wake: threading.Event, stop: threading.Event) -> None:
    """The reader's loop; it holds its Reader only weakly, so a forgotten graph does not keep it alive."""
    while not stop.is_set():
        reader = ref()
        if reader is None:
            return
        wake.clear()  # before the work: a wake during it is not lost
        try:
            busy = reader.step()
        except Exception as exc:  # never dies silently: one line, then carry on
            busy = False
            reader._tell("", repr(exc), f"stem reader: {exc!r}")
        del reader
        if not busy:
            wake.wait(POLL)
