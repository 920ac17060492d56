"""A fixed-size ring of telemetry records in memory shared between the OSC receiver process and the engine.

Why a ring and another process: parsing OSC is Python work, and in the engine's process every such moment
holds the GIL the audio callback needs at the start of each JACK cycle (worse, a receiving thread that is
descheduled while holding it makes the real-time thread wait for a normal one). In its own process the
receiver competes for a CPU, never for the GIL; the audio block only copies a few fixed records.

One writer (the receiver), one reader (the audio block), which never waits. The writer publishes a record by
advancing the write index after filling the slot; the reader frees slots by advancing the read index. When the
ring is full the receiver waits a little (the kernel's socket buffer holds what arrives meanwhile), then refuses
the record and counts it, so an overload is visible, never silent. The memory is an unlinked
file (in /dev/shm where there is one) passed to the receiver as a file descriptor: nothing to clean up.
"""
from __future__ import annotations

import mmap
import os
import struct
import tempfile
import threading
import time
from collections import deque

from engine.events import Telemetry

SLOTS = 32768  # 1.6 s of a 20,000 msg/s flood, should the audio side stall: 8 MiB in all
RECORD = 256  # fixed part, then the name (at most 64, says the loader), then the OSC address it came from
_FIXED = struct.Struct("<B3xIddq")  # kind, updates (messages it stands for), value, due, arrived_ns
NAME_BYTES, SOURCE_BYTES = 64, RECORD - _FIXED.size - 64
PATIENCE = 0.5  # seconds the receiver waits for room before it drops (and counts) a record
PER_BLOCK = 128  # records one audio block reads at most (~0.4 ms here); the rest wait for the next block
HEADER = 64  # u64s: write index, read index, datagrams, rejected, dropped, ready, routes loaded
KINDS = ("param", "event", "state", "lock", "cue", "stinger", "control")
_CODE = {k: i for i, k in enumerate(KINDS)}
_MERGED = (_CODE["param"], _CODE["event"])  # newest value wins / raised once a block
_U64 = struct.Struct("<Q")


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
        self._patience = patience
        self._write = _U64.unpack_from(memory, 0)[0]
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
        m = self._m
        if self._write - _U64.unpack_from(m, 8)[0] >= SLOTS and not self._room():
            self.dropped += updates
            _U64.pack_into(m, 32, self.dropped)
            return False
        at = HEADER + (self._write % SLOTS) * RECORD
        _FIXED.pack_into(m, at, code, updates, item.value, item.due, item.arrived_ns)
        at += _FIXED.size
        m[at:at + NAME_BYTES] = item.name.encode()[:NAME_BYTES].ljust(NAME_BYTES, b"\0")
        m[at + NAME_BYTES:at + NAME_BYTES + SOURCE_BYTES] = \
            item.source.encode()[:SOURCE_BYTES].ljust(SOURCE_BYTES, b"\0")
        self._write += 1
        _U64.pack_into(m, 0, self._write)  # last: the reader sees the slot only once it is whole
        return True

    def _room(self) -> bool:
        """Wait a little for the audio side to read (the receiver may wait: the kernel's socket buffer holds
        what arrives meanwhile); False if it is stalled for longer than its patience."""
        deadline = time.monotonic() + self._patience
        while time.monotonic() < deadline:
            time.sleep(0.001)
            if self._write - _U64.unpack_from(self._m, 8)[0] < SLOTS:
                return True
        return False

    def counts(self, datagrams: int, rejected: int) -> None:
        _U64.pack_into(self._m, 16, datagrams)
        _U64.pack_into(self._m, 24, rejected)

    def ready(self) -> None:
        _U64.pack_into(self._m, 40, 1)

    def loaded(self, generation: int) -> None:
        _U64.pack_into(self._m, 48, generation)


class RingReader:
    """The engine's end: `drain` has EventQueue's contract, so the conductor reads both alike."""

    def __init__(self, memory: mmap.mmap, known: frozenset[tuple[str, str]] = frozenset()):
        self._m = memory
        self._read = 0
        self.known = known  # (kind, name) the machine playing now has; a reloaded one's come in at its bar
        self.stale = 0
        self.notices: deque[str] = deque(maxlen=32)  # for the main thread to log

    def drain(self) -> list[Telemetry]:
        """What was written since the last drain, oldest first, at most PER_BLOCK records: the audio block's
        work stays bounded however much arrived (what is left waits a block, in order). A flood of one param
        comes out as one item, its newest value, standing for all of them (`updates`): the audio block would
        apply only that one anyway. So does a flood of one event: the block raises an event once."""
        m, read = self._m, self._read
        write = min(_U64.unpack_from(m, 0)[0], read + PER_BLOCK)
        out: list[Telemetry] = []
        newest: dict[tuple[int, str], list] = {}  # (kind, name) -> [newest record's offset, value, arrived, count]
        while read < write:
            at = HEADER + (read % SLOTS) * RECORD
            read += 1
            code, updates, value, due, arrived_ns = _FIXED.unpack_from(m, at)
            name = m[at + _FIXED.size:at + _FIXED.size + NAME_BYTES].split(b"\0", 1)[0].decode()
            if code in _MERGED and not due:
                seen = newest.get((code, name))
                if seen is None:
                    newest[code, name] = [at, value, arrived_ns, updates]
                else:
                    seen[0], seen[1], seen[2], seen[3] = at, value, arrived_ns, seen[3] + updates
                continue
            self._add(out, code, name, value, self._source(at), arrived_ns, due, updates)
        for (code, name), (at, value, arrived_ns, updates) in newest.items():
            self._add(out, code, name, value, self._source(at), arrived_ns, 0.0, updates)
        self._read = read
        _U64.pack_into(m, 8, read)
        return out

    def _source(self, at: int) -> str:
        at += _FIXED.size + NAME_BYTES
        return self._m[at:at + SOURCE_BYTES].split(b"\0", 1)[0].decode()

    def _add(self, out: list, code: int, name: str, value: float, source: str, arrived_ns: int, due: float,
             updates: int) -> None:
        kind = KINDS[code]
        if kind != "control" and (kind, name) not in self.known:
            self.stale += updates
            self.notices.append(f"OSC {source}: {kind} '{name}' is not in the machine playing now "
                                "(a reloaded machine takes over at its bar line); ignored")
            return
        out.append(Telemetry(kind, name, value, source, arrived_ns, due, updates=updates))

    def _count(self, offset: int) -> int:
        return _U64.unpack_from(self._m, offset)[0]

    @property
    def datagrams(self) -> int:
        return self._count(16)

    @property
    def rejected(self) -> int:
        return self._count(24)

    @property
    def dropped(self) -> int:
        return self._count(32)

    @property
    def is_ready(self) -> bool:
        return self._count(40) == 1

    @property
    def loaded(self) -> int:
        return self._count(48)

    def restart(self) -> None:
        """A new receiver is starting: not ready, nothing loaded, until it says so."""
        _U64.pack_into(self._m, 40, 0)
        _U64.pack_into(self._m, 48, 0)
