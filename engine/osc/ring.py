"""A fixed-size ring of telemetry records in memory shared between the OSC receiver process and the engine.

Why a ring and another process: parsing OSC is Python work, and in the engine's process every such moment
holds the GIL the audio callback needs at the start of each JACK cycle (worse, a receiving thread that is
descheduled while holding it makes the real-time thread wait for a normal one). In its own process the
receiver competes for a CPU, never for the GIL; the audio block only copies a few fixed records.

One writer (the receiver), one reader (the audio block), which never waits. The reader frees slots by advancing
the read index. When the ring is full the receiver waits a little (the kernel's socket buffer holds what arrives
meanwhile), then refuses the record and counts it, so an overload is visible, never silent. The memory is an
unlinked file (in /dev/shm where there is one) passed to the receiver as a file descriptor: nothing to clean up.

Publishing without relying on the CPU's store order. x86 shows stores to other cores in program order; ARM
(Apple Silicon, ARM servers) does not, and Python has no memory barriers, so a reader there may see the write
index move before the record it publishes, or half a record. So a record is never trusted because the index
says so: each record n carries a sequence number and a checksum, a seqlock whose check needs no ordering:
    writer: seq = 2n+1 (odd: being written); payload; crc32 of the payload seeded with 2n+2; seq = 2n+2;
            then the write index n+1
    reader: seq == 2n+2 (written, and this lap's, not the last one's), payload and crc copied, seq still 2n+2,
            crc32 of the copy matches: only then is the record read and the read index advanced.
A record not yet whole (or not yet visible) fails the check and is read on a later block; one that stays
broken for STALL_BLOCKS blocks (it cannot, short of memory corruption) is skipped and counted (`torn`), so
the ring can never stall the music. Sequence numbers and indexes are each one aligned 8-byte store and load
(a memoryview of unsigned 64-bit words: one machine word, never written byte by byte), so no reader sees half
of one. tests/test_osc_ring.py checks it: a writer process hammering the ring while the engine reads every
record in order, and records torn on purpose (odd sequence, last lap's sequence, a flipped payload byte) never
returned.
"""
from __future__ import annotations

import mmap
import os
import struct
import tempfile
import threading
import time
import zlib
from collections import deque

from engine.events import Kind, Telemetry

SLOTS = 32768  # 1.6 s of a 20,000 msg/s flood, should the audio side stall: 8 MiB in all
RECORD = 256  # seq (8), crc (4), then the payload: fixed part, name, sender, the OSC address it came from
_CRC = struct.Struct("<I")
_FIXED = struct.Struct("<BIddq")  # kind, updates (messages it stands for), value, due, arrived_ns
PAYLOAD = 12  # where the payload starts in a record
NAME_BYTES, SENDER_BYTES = 64, 48  # a name is at most 64 bytes (says the loader); an IPv6 address fits in 48
_NAME = _FIXED.size
_SENDER = _NAME + NAME_BYTES
_SOURCE = _SENDER + SENDER_BYTES
SOURCE_BYTES = RECORD - PAYLOAD - _SOURCE
PATIENCE = 0.5  # seconds the receiver waits for room before it drops (and counts) a record
PER_BLOCK = 128  # records one audio block reads at most (~0.4 ms here); the rest wait for the next block
STALL_BLOCKS = 200  # blocks a record may stay broken before it is skipped (about a second)
HEADER = 64  # bytes: u64 write index, read index, datagrams, rejected, dropped, ready, routes loaded
WRITE, READ, DATAGRAMS, REJECTED, DROPPED, READY, LOADED = range(7)  # their places, in u64 words
KINDS = tuple(Kind)  # a record stores its kind as an index in this order
_CODE = {k: i for i, k in enumerate(KINDS)}
_MERGED = (_CODE[Kind.PARAM], _CODE[Kind.EVENT])  # newest value wins / raised once a block


def _words(memory: mmap.mmap) -> memoryview:
    """The ring as native unsigned 64-bit words: each item access is one aligned 8-byte load or store."""
    return memoryview(memory).cast("Q")


def _slot(n: int) -> int:
    return HEADER + (n % SLOTS) * RECORD


def _seq(n: int) -> int:
    """Record n's sequence number once whole; 2n+1 while it is being written."""
    return 2 * n + 2


def create() -> tuple[int, mmap.mmap]:
    """A new zeroed ring: its file descriptor (for the receiver) and the engine's mapping of it."""
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryFile(dir=folder) as f:
        fd = os.dup(f.fileno())  # the file is already unlinked; this descriptor keeps it alive
    os.ftruncate(fd, HEADER + SLOTS * RECORD)
    return fd, mmap.mmap(fd, HEADER + SLOTS * RECORD)


def attach(fd: int) -> mmap.mmap:
    return mmap.mmap(fd, HEADER + SLOTS * RECORD)


class RingWriter:
    """The receiver's end: `put` has EventQueue's contract (False, counted, when full).

    A param's or an event's message is held back until `flush` (the receiver flushes whenever its socket
    has nothing more waiting), and the newest one per name is written then, standing for all: under a flood
    the audio block reads one record per name, not hundreds. Safe from the receiver's UDP and TCP threads.
    """

    def __init__(self, memory: mmap.mmap, patience: float = PATIENCE):
        self._m = memory
        self._q = _words(memory)
        self._patience = patience
        self._write = self._q[WRITE]  # a restarted receiver writes on where the last one stopped
        self._payload = bytearray(RECORD - PAYLOAD)
        self._lock = threading.Lock()  # the receiver's two threads; never taken on the engine's side
        self._held: dict[tuple[int, str], tuple[Telemetry, int]] = {}
        self.dropped = 0

    def put(self, item: Telemetry) -> bool:
        code = _CODE[item.kind]
        with self._lock:
            if code in _MERGED and not item.due:
                held = self._held.get((code, item.name))
                self._held[code, item.name] = (item, item.updates + (held[1] if held else 0))
                return True
            return self._record(code, item, item.updates)

    def flush(self) -> int:
        """Write what was held back; returns how many messages could not be written (the ring stayed full)."""
        with self._lock:
            held, self._held = self._held, {}
            lost = 0
            for (code, _), (item, updates) in held.items():
                if not self._record(code, item, updates):
                    lost += updates
            return lost

    def _record(self, code: int, item: Telemetry, updates: int) -> bool:
        q, n = self._q, self._write
        if n - q[READ] >= SLOTS and not self._room():
            self.dropped += updates
            q[DROPPED] = self.dropped
            return False
        payload = self._payload
        _FIXED.pack_into(payload, 0, code, updates, item.value, item.due, item.arrived_ns)
        for at, size, text in ((_NAME, NAME_BYTES, item.name), (_SENDER, SENDER_BYTES, item.sender),
                               (_SOURCE, SOURCE_BYTES, item.source)):
            payload[at:at + size] = text.encode()[:size].ljust(size, b"\0")
        at = _slot(n)
        q[at // 8] = _seq(n) - 1  # odd: being written
        self._m[at + PAYLOAD:at + RECORD] = payload
        _CRC.pack_into(self._m, at + 8, zlib.crc32(payload, _seq(n) & 0xFFFFFFFF))
        q[at // 8] = _seq(n)  # even, and this lap's: whole
        self._write = n + 1
        q[WRITE] = self._write  # published (the reader checks the record itself, not this index's order)
        return True

    def _room(self) -> bool:
        """Wait a little for the audio side to read (the receiver may wait: the kernel's socket buffer holds
        what arrives meanwhile); False if it is stalled for longer than its patience."""
        deadline = time.monotonic() + self._patience
        while time.monotonic() < deadline:
            time.sleep(0.001)
            if self._write - self._q[READ] < SLOTS:
                return True
        return False

    def counts(self, datagrams: int, rejected: int) -> None:
        self._q[DATAGRAMS] = datagrams
        self._q[REJECTED] = rejected

    def ready(self) -> None:
        self._q[READY] = 1

    def loaded(self, generation: int) -> None:
        self._q[LOADED] = generation


class RingReader:
    """The engine's end: `drain` has EventQueue's contract, so the heartbeat's intake reads both alike."""

    def __init__(self, memory: mmap.mmap, known: frozenset[tuple[str, str]] = frozenset()):
        self._m = memory
        self._q = _words(memory)
        self._read = self._q[READ]
        self._stalled = 0  # blocks the record at the read index has failed its check
        self.known = known  # (kind, name) the machine playing now has; a reloaded one's come in at its bar
        self.stale = 0
        self.torn = 0  # records skipped because they never became whole
        self.notices: deque[str] = deque(maxlen=32)  # for the main thread to log

    def drain(self) -> list[Telemetry]:
        """What was written since the last drain, oldest first, at most PER_BLOCK records: the audio block's
        work stays bounded however much arrived (what is left waits a block, in order). A flood of one param
        comes out as one item, its newest value, standing for all of them (`updates`): the audio block would
        apply only that one anyway. So does a flood of one event: the block raises an event once."""
        q, read = self._q, self._read
        write = min(q[WRITE], read + PER_BLOCK)
        out: list[Telemetry] = []
        newest: dict[tuple[int, str], list] = {}  # (kind, name) -> [newest payload, value, arrived, count]
        while read < write:
            payload = self._whole(read)
            if payload is None:
                if self._stalled < STALL_BLOCKS:
                    self._stalled += 1
                    break  # not whole yet (or not visible yet): read on a later block
                self.torn += 1
                self.notices.append(f"OSC: ring record {read} never became whole; skipped")
            read += 1
            self._stalled = 0
            if payload is None:
                continue
            code, updates, value, due, arrived_ns = _FIXED.unpack_from(payload)
            name = _text(payload, _NAME, NAME_BYTES)
            if code in _MERGED and not due:
                seen = newest.get((code, name))
                if seen is None:
                    newest[code, name] = [payload, value, arrived_ns, updates]
                else:
                    seen[0], seen[1], seen[2], seen[3] = payload, value, arrived_ns, seen[3] + updates
                continue
            self._add(out, code, name, value, payload, arrived_ns, due, updates)
        for (code, name), (payload, value, arrived_ns, updates) in newest.items():
            self._add(out, code, name, value, payload, arrived_ns, 0.0, updates)
        self._read = read
        q[READ] = read
        return out

    def _whole(self, n: int) -> bytes | None:
        """Record n's payload if the seqlock and the checksum say it is whole and this lap's, else None."""
        at, seq = _slot(n), _seq(n)
        if self._q[at // 8] != seq:
            return None
        payload = self._m[at + PAYLOAD:at + RECORD]
        (crc,) = _CRC.unpack_from(self._m, at + 8)
        if self._q[at // 8] != seq or zlib.crc32(payload, seq & 0xFFFFFFFF) != crc:
            return None
        return payload

    def _add(self, out: list, code: int, name: str, value: float, payload: bytes, arrived_ns: int, due: float,
             updates: int) -> None:
        kind = KINDS[code]
        source = _text(payload, _SOURCE, SOURCE_BYTES)
        if kind is not Kind.CONTROL and (kind, name) not in self.known:
            self.stale += updates
            self.notices.append(f"OSC {source}: {kind} '{name}' is not in the machine playing now "
                                "(a reloaded machine takes over at its bar line); ignored")
            return
        sender = _text(payload, _SENDER, SENDER_BYTES) if due else ""  # only a bundle for later has one
        out.append(Telemetry(kind, name, value, source, arrived_ns, due, updates=updates, sender=sender))

    @property
    def datagrams(self) -> int:
        return self._q[DATAGRAMS]

    @property
    def rejected(self) -> int:
        return self._q[REJECTED]

    @property
    def dropped(self) -> int:
        return self._q[DROPPED]

    @property
    def is_ready(self) -> bool:
        return self._q[READY] == 1

    @property
    def loaded(self) -> int:
        return self._q[LOADED]

    def restart(self) -> None:
        """A new receiver is starting: not ready, nothing loaded, until it says so."""
        self._q[READY] = 0
        self._q[LOADED] = 0


def _text(payload: bytes, at: int, size: int) -> str:
    return payload[at:at + size].split(b"\0", 1)[0].decode(errors="replace")
