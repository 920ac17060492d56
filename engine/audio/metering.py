"""The master's meters, computed in the graph and read once per block straight from their streams (pyo's get()
checks its arguments each call, ~2 us each): peak and RMS over the block, K-weighted power over 400 ms and 3 s
(loudness as BS.1770 weighs it; engine.loudness turns it into LUFS) and the true peak."""
from __future__ import annotations

import math

from engine.loudness import k_weighting, true_peak_phases


def streams(meter) -> list:
    return [o._getStream() for o in meter._base_objs]


class Metering:
    def __init__(self, p, master, block: int, sample_rate: int):
        """`master`: the stereo signal measured. Every stage is kept on self: pyo runs an object only while Python
        holds it."""
        self.peak_meter = p.PeakAmp(master)
        self._squared = master * master
        self.power = p.Average(self._squared, size=block)
        # loudness: K-weighting, then the mean power over 400 ms and 3 s
        self._k_stages = [master]
        for b, a in k_weighting(sample_rate):
            self._k_stages.append(p.Biquada(self._k_stages[-1], *(float(c) for c in (*b, *a))))
        squared = self._k_stages[-1] * self._k_stages[-1]
        self._k_power = p.Mix(squared, voices=1)
        self._k_stages.append(squared)
        self.momentary = p.Average(self._k_power, size=int(0.4 * sample_rate))
        self.short_term = p.Average(self._k_power, size=int(3 * sample_rate))
        # true peak: the master's samples and the three in-between phases of a 4x oversampling filter
        self._tp_tables, self._tp_phases = [], [p.Abs(master)]
        for phase in true_peak_phases():
            table = p.DataTable(size=len(phase), init=[float(c) for c in phase])
            self._tp_tables.append(table)
            self._tp_phases.append(p.Abs(p.Convolve(master, table, size=len(phase))))
        self._tp_max = [self._tp_phases[0]]
        for phase in self._tp_phases[1:]:
            self._tp_max.append(p.Max(self._tp_max[-1], phase))
        self._tp_channels = p.Max(self._tp_max[-1][0], self._tp_max[-1][1])
        self.true_peak_meter = p.PeakAmp(self._tp_channels)
        self._peak, self._power, self._momentary, self._short_term, self._true_peak = (
            streams(meter) for meter in (self.peak_meter, self.power, self.momentary, self.short_term,
                                         self.true_peak_meter))

    def peak_rms(self) -> tuple[float, float]:
        """(peak, rms) of the master over the last block, linear."""
        peak = max(s.getValue() for s in self._peak)
        rms = math.sqrt(max(0.0, max(s.getValue() for s in self._power)))
        return float(peak), rms

    def true_peak(self) -> float:
        """The highest 4x-oversampled master level over the last block, linear."""
        return self._true_peak[0].getValue()

    def loudness_powers(self) -> tuple[float, float]:
        """K-weighted power (sum of channels) over the last 400 ms and 3 s: lufs() turns them into LUFS."""
        return max(0.0, self._momentary[0].getValue()), max(0.0, self._short_term[0].getValue())
