"""A gate that lets only finite samples through, so one bad voice can never silence a show.

pyo has no isfinite object, so the test is arithmetic: x * 0 is 0 for every finite x and NaN for NaN and
+-Inf, and NaN compares false, so Compare(x * 0 == 0) is 1 exactly where x is finite. Min and Max turn
NaN and +-Inf into finite numbers, which the gate then multiplies by 0. It works sample by sample inside the
block, so it must sit before every filter with feedback (the limiter's follower, the K-weighting biquads):
fed one NaN they hold it for good. A counter of bad samples is read once per block to report the fault.
"""
from __future__ import annotations

BOUND = 1e6  # far above any level the mix reaches; only stands in for NaN and Inf, which are then gated to 0
COUNTER_MAX = 2 ** 30  # pyo's Counter wraps at its max; a bad sample per sample for 6 hours at 48 kHz


class FiniteGate:
    def __init__(self, p, source):
        """`source`: a pyo object (any number of channels). `out` is the same signal with every non-finite
        sample replaced by silence."""
        self._zeroed = source * 0.0  # every stage kept on self: pyo runs an object only while Python holds it
        self._finite = p.Compare(self._zeroed, 0.0, mode="==")
        self._low = p.Min(source, BOUND)
        self._bounded = p.Max(self._low, -BOUND)
        self.out = self._bounded * self._finite
        self._bad = 1.0 - self._finite
        # pyo's Counter outputs its count before adding one, from 0: counting from 1, the first bad sample shows
        self._counters = [p.Counter(self._bad[c], min=1, max=COUNTER_MAX) for c in range(len(self._bad))]
        self._streams = [c._base_objs[0]._getStream() for c in self._counters]
        self._seen = 0.0
        self._parts = [self._zeroed, self._finite, self._low, self._bounded, self.out, self._bad, *self._counters]
        self.awake = True

    def stop(self) -> None:
        """Out of the block with its source (a sleeping layer): it passes silence and counts nothing."""
        for part in self._parts:
            part.stop()
        self.awake = False

    def play(self) -> None:
        for part in self._parts:
            part.play()
        self.awake = True

    def tripped(self) -> bool:
        """Whether a non-finite sample came in since the last call (one read per channel: cheap in the block)."""
        if not self.awake:  # a stopped counter reads 0 until it next computes: nothing came in
            return False
        total = sum(s.getValue() for s in self._streams)
        if total == self._seen:
            return False
        self._seen = total
        return True
