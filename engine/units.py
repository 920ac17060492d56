"""Designer-facing quantities: decibels and durations written as text ("-6 dB", "300ms", "2 beats")."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

SILENCE_DB = -60.0  # interpolation floor: at or below it a gain is treated as silence

_DB = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+|inf))\s*(?:db)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|seconds?|beats?|bars?)?\s*$", re.IGNORECASE)


class UnitError(ValueError):
    pass


def parse_db(value: object) -> float:
    """A gain in dB: a number, '-6 dB', '0dB' or '-inf'."""
    if isinstance(value, bool):
        raise UnitError(f"expected a gain in dB, got {value!r}")
    if isinstance(value, (int, float)):
        db = float(value)
    elif isinstance(value, str) and (m := _DB.match(value)):
        db = float(m.group(1))
    else:
        raise UnitError(f"expected a gain in dB like '-6 dB' or '-inf', got {value!r}")
    if math.isnan(db) or db > 24:
        raise UnitError(f"gain must be at most +24 dB, got {value!r}")
    return db


def db_to_gain(db: float) -> float:
    return 0.0 if db <= SILENCE_DB else 10.0 ** (db / 20.0)


@dataclass(frozen=True)
class Duration:
    """A length in seconds or in musical units; musical ones need the tempo to become samples."""

    amount: float
    unit: str  # 's', 'beats' or 'bars'

    def samples(self, sample_rate: int, samples_per_beat: float, beats_per_bar: int) -> int:
        if self.unit == "s":
            return round(self.amount * sample_rate)
        beats = self.amount * (beats_per_bar if self.unit == "bars" else 1)
        return round(beats * samples_per_beat)

    def __str__(self) -> str:
        return f"{self.amount:g} {self.unit}"


ZERO = Duration(0.0, "s")
MAX_DURATION = {"s": 3600.0, "beats": 7200.0, "bars": 1800.0}  # an hour (at 120 bpm in 4/4): longer is a typo


def parse_duration(value: object, musical: bool = True) -> Duration:
    """'300ms', '1.5s', '2 beats', '1 bar', or a bare number of seconds."""
    if isinstance(value, bool):
        raise UnitError(f"expected a duration, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0 or math.isnan(value) or math.isinf(value):
            raise UnitError(f"duration must be zero or more, got {value!r}")
        return _bounded(Duration(float(value), "s"), value)
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m:
        units = "ms, s, beats or bars" if musical else "ms or s"
        raise UnitError(f"expected a duration like '300ms', '2 beats' (units: {units}), got {value!r}")
    amount, unit = float(m.group(1)), (m.group(2) or "s").lower()
    if unit == "ms":
        return _bounded(Duration(amount / 1000.0, "s"), value)
    if unit.startswith("s"):
        return _bounded(Duration(amount, "s"), value)
    if not musical:
        raise UnitError(f"expected a duration in ms or s, got {value!r}")
    return _bounded(Duration(amount, "bars" if unit.startswith("bar") else "beats"), value)


def _bounded(duration: Duration, written: object) -> Duration:
    """Durations become sample counts in the audio block: an absurd one must stop here, not overflow there."""
    if duration.amount > MAX_DURATION[duration.unit]:
        raise UnitError(f"a duration is at most an hour ({MAX_DURATION['s']:g} s, {MAX_DURATION['beats']:g} beats "
                        f"or {MAX_DURATION['bars']:g} bars), got {written!r}")
    return duration
