"""A SoundFont 2 file read into what a synthesiser needs: its samples and, per General MIDI program, the regions
(key and velocity range -> sample, root key, tuning, loop, envelope, filter) its preset and instrument zones make.

Written here rather than taken from a package: the SoundFont players on PyPI need a system library or an audio
package that must be compiled (and the one pure-Python parser is GPL); this reads only what `synth.py` plays.
Generators follow the SoundFont 2.04 specification: an instrument zone's values are absolute (over the
instrument's global zone and the defaults), a preset zone's are added to them, key and velocity ranges intersect.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from engine.errors import SegueError

# generator numbers (SoundFont 2.04, section 8.1.2)
START, END, LOOP_START, LOOP_END, START_COARSE = 0, 1, 2, 3, 4
FILTER_FC, FILTER_Q, END_COARSE = 8, 9, 12
DELAY, ATTACK, HOLD, DECAY, SUSTAIN, RELEASE = 33, 34, 35, 36, 37, 38
INSTRUMENT, KEY_RANGE, VEL_RANGE, LOOP_START_COARSE = 41, 43, 44, 45
ATTENUATION, LOOP_END_COARSE, COARSE_TUNE, FINE_TUNE, SAMPLE_ID, SAMPLE_MODES = 48, 50, 51, 52, 53, 54
SCALE_TUNING, ROOT_KEY = 56, 58
NOT_ADDED = {KEY_RANGE, VEL_RANGE, INSTRUMENT, SAMPLE_ID, SAMPLE_MODES, ROOT_KEY, START, END, LOOP_START, LOOP_END,
             START_COARSE, END_COARSE, LOOP_START_COARSE, LOOP_END_COARSE}  # a preset zone may not offset these
DEFAULTS = {FILTER_FC: 13500, DELAY: -12000, ATTACK: -12000, HOLD: -12000, DECAY: -12000, RELEASE: -12000,
            SCALE_TUNING: 100, ROOT_KEY: -1}
FILTER_OFF = 13500  # absolute cents (20 kHz): no filter
# each generator's range in the specification (section 8.1.3): a damaged file's values are clamped into it
RANGES = {COARSE_TUNE: (-120, 120), FINE_TUNE: (-99, 99), SCALE_TUNING: (0, 1200), ATTENUATION: (0, 1440),
          SUSTAIN: (0, 1440), FILTER_FC: (1500, FILTER_OFF), FILTER_Q: (0, 960), ROOT_KEY: (-1, 127),
          DELAY: (-12000, 5000), HOLD: (-12000, 5000), ATTACK: (-12000, 8000), DECAY: (-12000, 8000),
          RELEASE: (-12000, 8000)}

PHDR = np.dtype([("name", "S20"), ("program", "<u2"), ("bank", "<u2"), ("bag", "<u2"), ("library", "<u4"),
                 ("genre", "<u4"), ("morphology", "<u4")])
BAG = np.dtype([("gen", "<u2"), ("mod", "<u2")])
GEN = np.dtype([("op", "<u2"), ("amount", "<i2")])
INST = np.dtype([("name", "S20"), ("bag", "<u2")])
SHDR = np.dtype([("name", "S20"), ("start", "<u4"), ("end", "<u4"), ("loop_start", "<u4"), ("loop_end", "<u4"),
                 ("rate", "<u4"), ("pitch", "u1"), ("correction", "i1"), ("link", "<u2"), ("type", "<u2")])


def seconds(timecents: int) -> float:
    return 2.0 ** (timecents / 1200)


@dataclass(frozen=True)
class Region:
    """One sample as a note of this key and velocity range plays it."""

    keys: tuple[int, int]
    velocities: tuple[int, int]
    start: int  # frames in the SoundFont's sample data
    end: int
    loop: tuple[int, int] | None  # (start, end) while the note sounds, or None: the sample plays once
    rate: int  # the sample's own rate
    root: int  # the key at which it sounds at its own pitch
    tune: float  # cents, added to the pitch
    scale: float  # cents a key (100 for a keyboard)
    attenuation: float  # dB
    delay: float  # the volume envelope, seconds (sustain: dB below the peak)
    attack: float
    hold: float
    decay: float
    sustain: float
    release: float
    cutoff: float  # absolute cents of the low-pass; FILTER_OFF: none
    resonance: float  # dB

    def plays(self, key: int, velocity: int) -> bool:
        return self.keys[0] <= key <= self.keys[1] and self.velocities[0] <= velocity <= self.velocities[1]


class SoundFont:
    """An .sf2 file, read whole; SegueError (naming the file and what is wrong) if it is not one."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise SegueError(f"SoundFont {self.path}: {exc.strerror or exc}") from None
        self.sha256 = hashlib.sha256(data).hexdigest()
        try:
            chunks = _chunks(data)
            self.name = chunks.get(b"INAM", self.path.stem.encode()).split(b"\0")[0].decode("latin-1").strip()
            self.samples = np.frombuffer(chunks[b"smpl"], dtype="<i2").astype(np.float32) / 32768.0
            self.steps = np.append(np.diff(self.samples), np.float32(0))  # to the next frame: for interpolation
            self._pdta = {k: chunks[k] for k in (b"phdr", b"pbag", b"pgen", b"inst", b"ibag", b"igen", b"shdr")}
            self.presets = {(int(p["bank"]), int(p["program"])): i for i, p in enumerate(self._table(b"phdr", PHDR)[:-1])}
        except (KeyError, ValueError, IndexError) as exc:
            raise SegueError(f"SoundFont {self.path}: not a readable SoundFont 2 file ({exc})") from None
        self._regions: dict[int, tuple[Region, ...]] = {}

    def _table(self, key: bytes, dtype: np.dtype) -> np.ndarray:
        raw = self._pdta[key]
        if len(raw) % dtype.itemsize or len(raw) < 2 * dtype.itemsize:
            raise ValueError(f"its {key.decode()} table is {len(raw)} bytes")
        return np.frombuffer(raw, dtype=dtype)

    @cached_property
    def _hydra(self) -> tuple:
        return tuple(self._table(k, d) for k, d in ((b"phdr", PHDR), (b"pbag", BAG), (b"pgen", GEN), (b"inst", INST),
                                                   (b"ibag", BAG), (b"igen", GEN), (b"shdr", SHDR)))

    def _index(self, program: int) -> int:
        index = self.presets.get((0, program))
        if index is None:
            raise SegueError(f"SoundFont {self.path.name} has no General MIDI program {program} (bank 0)")
        return index

    def regions(self, program: int) -> tuple[Region, ...]:
        """The melodic (bank 0) preset's regions, read on first use."""
        if program not in self._regions:
            try:
                self._regions[program] = tuple(self._preset_regions(self._index(program)))
            except (IndexError, ValueError, ArithmeticError) as exc:
                raise SegueError(f"SoundFont {self.path.name}: program {program} is damaged ({exc})") from None
        return self._regions[program]

    def _preset_regions(self, index: int):
        phdr, pbag, pgen, inst, ibag, igen, shdr = self._hydra
        for pzone in _zones(phdr, index, pbag, pgen, INSTRUMENT):
            i = pzone[INSTRUMENT]
            for izone in _zones(inst, i, ibag, igen, SAMPLE_ID):
                yield self._region(pzone, izone, shdr[izone[SAMPLE_ID]])

    def _region(self, pzone: dict, izone: dict, sample) -> Region:
        g = {**DEFAULTS, **izone}
        for op, amount in pzone.items():
            if op not in NOT_ADDED:
                g[op] = g.get(op, 0) + amount
        for op, (lo, hi) in RANGES.items():
            if op in g:
                g[op] = min(max(g[op], lo), hi)
        start = int(sample["start"]) + g.get(START, 0) + 32768 * g.get(START_COARSE, 0)
        end = int(sample["end"]) + g.get(END, 0) + 32768 * g.get(END_COARSE, 0)
        loop_start = int(sample["loop_start"]) + g.get(LOOP_START, 0) + 32768 * g.get(LOOP_START_COARSE, 0)
        loop_end = int(sample["loop_end"]) + g.get(LOOP_END, 0) + 32768 * g.get(LOOP_END_COARSE, 0)
        end = min(end, len(self.samples) - 1)
        if not 0 <= start < end:
            raise ValueError(f"sample {sample['name'].decode('latin-1', 'replace')!r} has no frames")
        looped = g.get(SAMPLE_MODES, 0) & 1 and start <= loop_start < loop_end <= end
        root = g[ROOT_KEY] if g[ROOT_KEY] >= 0 else int(sample["pitch"])
        return Region(
            keys=_range(g.get(KEY_RANGE), pzone.get(KEY_RANGE)), velocities=_range(g.get(VEL_RANGE), pzone.get(VEL_RANGE)),
            start=start, end=end, loop=(loop_start, loop_end) if looped else None,
            rate=min(max(int(sample["rate"]), 400), 400_000), root=root if 0 <= root <= 127 else 60,
            tune=100 * g.get(COARSE_TUNE, 0) + g.get(FINE_TUNE, 0) + int(sample["correction"]), scale=g[SCALE_TUNING],
            attenuation=g.get(ATTENUATION, 0) / 10, delay=seconds(g[DELAY]), attack=seconds(g[ATTACK]),
            hold=seconds(g[HOLD]), decay=seconds(g[DECAY]), sustain=g.get(SUSTAIN, 0) / 10,
            release=seconds(g[RELEASE]), cutoff=g[FILTER_FC], resonance=g.get(FILTER_Q, 0) / 10)


def _range(*amounts: int | None) -> tuple[int, int]:
    """Intersect ranges stored as lo + 256 * hi (None: all of 0..127)."""
    lo, hi = 0, 127
    for amount in amounts:
        if amount is not None:
            lo, hi = max(lo, amount & 0xFF), min(hi, (amount >> 8) & 0xFF)
    return lo, hi


def _zones(headers: np.ndarray, index: int, bags: np.ndarray, gens: np.ndarray, last: int) -> list[dict]:
    """A preset's (or instrument's) zones as {generator: amount}, each over its global zone; a zone must end with
    `last` (its instrument, or its sample), a first one that does not is the global zone."""
    zones = []
    for b in range(int(headers[index]["bag"]), int(headers[index + 1]["bag"])):
        ops = gens[int(bags[b]["gen"]):int(bags[b + 1]["gen"])]
        zone = {int(op): int(amount) & 0xFFFF if op in (KEY_RANGE, VEL_RANGE) else int(amount) for op, amount in ops}
        zones.append(zone)
    glob = zones.pop(0) if zones and last not in zones[0] else {}
    return [{**glob, **z} for z in zones if last in z]


def _chunks(data: bytes) -> dict[bytes, bytes]:
    """The RIFF file's leaf chunks by id (INFO's INAM, sdta's smpl, pdta's tables)."""
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise ValueError("no RIFF sfbk header")
    out: dict[bytes, bytes] = {}
    spans = [(12, min(len(data), 8 + int.from_bytes(data[4:8], "little")))]  # lists still to read (no recursion)
    while spans:
        start, end = spans.pop()
        while start + 8 <= end:
            cid, size = data[start:start + 4], int.from_bytes(data[start + 4:start + 8], "little")
            body = start + 8
            if body + size > len(data):
                raise ValueError(f"chunk {cid!r} runs past the end of the file")
            if cid == b"LIST":
                spans.append((body + 4, body + size))
            else:
                out[cid] = data[body:body + size]
            start = body + size + (size & 1)
    return out
