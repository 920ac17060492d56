"""Is the engine causing xruns of its own, or is it this shared VM's noise? Counts against a baseline."""
from __future__ import annotations

import math

XRUN_BUDGET = "xruns not above the trivial client's (p >= 0.05)"


def xruns_above_baseline(engine: int, baseline: int, engine_seconds: float = 1.0,
                         baseline_seconds: float = 1.0) -> float:
    """How likely `engine` or more of the xruns would have fallen on the engine's run if both runs had the
    same xrun rate (one-sided exact binomial test on the counts, weighted by the runs' lengths). Below 0.05
    the engine causes xruns of its own; above, the difference is this VM's noise: a plain `<=` on two noisy
    counts fails half the time when the two are equal."""
    n, share = engine + baseline, engine_seconds / (engine_seconds + baseline_seconds)
    return sum(math.comb(n, k) * share ** k * (1 - share) ** (n - k) for k in range(engine, n + 1))
