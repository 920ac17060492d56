"""The master's meters, read once per block after it was computed: peak, RMS, loudness (momentary, short-term,
integrated, as EBU R128 measures them), true peak, and what the finite gates silenced."""
from __future__ import annotations

from engine.loudness import Integrator, lufs

METER_EVERY = 4800  # samples between meter reports (100 ms at 48 kHz)


class Meters:
    def __init__(self, graph, block: int, sample_rate: int, outbox):
        """`graph`: the audio graph whose metering is read; `outbox`: where a non-finite source is reported."""
        self.graph, self.block, self.sample_rate, self.outbox = graph, block, sample_rate, outbox
        self.metering = graph.metering
        self.peak = 0.0
        self.rms = 0.0
        self.true_peak = 0.0  # the highest since the start, as R128 asks
        self._powers = (0.0, 0.0)  # K-weighted power over the last 400 ms and 3 s
        self.integrator = Integrator()
        self.non_finite: dict[str, int] = {}  # what sent NaN or Inf (silenced by the gates) -> its first sample

    def read(self, b0: int) -> bool:
        """Before the block from `b0` is computed: read what the last one left. True when a report is due (every
        METER_EVERY samples), when the integrated loudness takes a 400 ms power too."""
        self.check_finite(max(0, b0 - self.block))  # the block computed last
        self.peak, self.rms = self.metering.peak_rms()
        self.true_peak = max(self.true_peak, self.metering.true_peak())
        self._powers = self.metering.loudness_powers()  # turned into LUFS only when someone reads them
        if (b0 + self.block) // METER_EVERY > b0 // METER_EVERY:
            self.integrator.add(self._powers[0])
            return True
        return False

    def check_finite(self, block_start: int) -> None:
        """After the block from `block_start` was computed: report, once per source, NaN or Inf it silenced."""
        for source in self.graph.non_finite():
            if source not in self.non_finite:  # reported once; the gate keeps silencing it meanwhile
                self.non_finite[source] = block_start
                self.outbox.fault(f"non-finite samples from {source} at {block_start / self.sample_rate:.2f} s: "
                                  "silenced; the rest plays on")

    @property
    def lufs_m(self) -> float:
        return lufs(self._powers[0])

    @property
    def lufs_s(self) -> float:
        return lufs(self._powers[1])

    @property
    def lufs_i(self) -> float:
        return self.integrator.integrated()
