"""Loudness as broadcast measures it (EBU R128 / ITU-R BS.1770): K-weighted, gated, in LUFS; and true peak.

Offline reports use pyloudnorm's meter and K-weighting filters; live, the same filter coefficients run in
the pyo graph (engine/audio/metering.py) and `Integrator` gates its 400 ms powers here, in bounded memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

SILENT = -70.0  # LUFS; BS.1770's absolute gate, and what silence reports
TARGETS = {"broadcast": -23.0, "streaming": -14.0}
TRUE_PEAK_CEILING = -1.0  # dBTP


def k_weighting(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(b, a) of the two K-weighting stages for this sample rate, as pyloudnorm defines them."""
    meter = pyloudnorm.Meter(sample_rate)
    return [(np.asarray(f.b, dtype=float), np.asarray(f.a, dtype=float)) for f in meter._filters.values()]


def true_peak_phases(taps: int = 48, oversample: int = 4) -> list[np.ndarray]:
    """The in-between phases of a 4x interpolation filter (BS.1770-4 annex 2): convolving the signal with
    each gives the samples a 4x oversampled signal has between the original ones."""
    from scipy.signal import firwin  # noqa: PLC0415

    h = firwin(taps, 20000 / 96000, window=("kaiser", 8.0)) * oversample
    return [h[p::oversample] for p in range(1, oversample)]


def lufs(power: float) -> float:
    return SILENT if power <= 1e-12 else max(SILENT, -0.691 + 10 * math.log10(power))


@dataclass(frozen=True)
class LoudnessReport:
    integrated: float  # LUFS, gated
    momentary_max: float  # LUFS, 400 ms windows
    short_term_max: float  # LUFS, 3 s windows
    true_peak: float  # dBTP, 4x oversampled

    def lines(self) -> list[str]:
        return [f"integrated {self.integrated:.1f} LUFS, momentary max {self.momentary_max:.1f} LUFS, "
                f"short-term max {self.short_term_max:.1f} LUFS, true peak {self.true_peak:.1f} dBTP"]


def _window_max(power: np.ndarray, sample_rate: int, seconds: float) -> float:
    """Loudest window of `seconds`, hopping 100 ms, from the per-sample K-weighted channel power sum."""
    size, hop = int(seconds * sample_rate), int(0.1 * sample_rate)
    if len(power) < size:
        return lufs(float(power.mean())) if len(power) else SILENT
    csum = np.concatenate([[0.0], np.cumsum(power)])
    starts = np.arange(0, len(power) - size + 1, hop)
    return lufs(float(((csum[starts + size] - csum[starts]) / size).max()))


def true_peak(audio: np.ndarray) -> float:
    peak = float(np.abs(resample_poly(audio, 4, 1, axis=0)).max()) if len(audio) else 0.0
    return -math.inf if peak == 0 else 20 * math.log10(peak)


def measure(audio: np.ndarray, sample_rate: int) -> LoudnessReport:
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    meter = pyloudnorm.Meter(sample_rate)
    integrated = meter.integrated_loudness(audio) if len(audio) >= int(0.4 * sample_rate) else -math.inf
    weighted = audio.copy()
    for f in meter._filters.values():
        for ch in range(weighted.shape[1]):
            weighted[:, ch] = f.apply_filter(weighted[:, ch])
    power = (weighted ** 2).sum(axis=1)
    return LoudnessReport(max(SILENT, integrated) if math.isfinite(integrated) else SILENT,
                          _window_max(power, sample_rate, 0.4), _window_max(power, sample_rate, 3.0),
                          true_peak(audio))


def normalize(audio: np.ndarray, sample_rate: int, target: float) -> tuple[np.ndarray, float]:
    """The audio at `target` integrated LUFS, and the gain in dB that took it there."""
    report = measure(audio, sample_rate)
    if report.integrated <= SILENT:
        return audio, 0.0
    gain_db = target - report.integrated
    return (audio * 10 ** (gain_db / 20)).astype(audio.dtype), gain_db


class Integrator:
    """Integrated loudness of a live stream from its 400 ms block powers, gated as BS.1770 says.

    Powers are kept in a histogram of 0.1 LU bins, so an hour on air costs the same memory as a minute.
    """

    LOW, HIGH, STEP = SILENT, 10.0, 0.1

    def __init__(self):
        self.bins = int((self.HIGH - self.LOW) / self.STEP) + 1
        self.count = np.zeros(self.bins, dtype=np.int64)
        self.power = np.zeros(self.bins)

    def add(self, power: float) -> None:
        level = lufs(power)
        if level <= self.LOW:
            return  # below the absolute gate
        i = min(self.bins - 1, int((level - self.LOW) / self.STEP))
        self.count[i] += 1
        self.power[i] += power

    def integrated(self) -> float:
        total = self.count.sum()
        if not total:
            return SILENT
        relative_gate = lufs(self.power.sum() / total) - 10.0
        keep = np.arange(self.bins) * self.STEP + self.LOW >= relative_gate - self.STEP
        n = self.count[keep].sum()
        return lufs(self.power[keep].sum() / n) if n else SILENT
