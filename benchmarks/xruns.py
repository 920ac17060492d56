"""Is the engine causing xruns of its own, or is it this shared VM's noise? Counts against a baseline.

jackd names the client that had not finished its cycle when an xrun struck (tests/jackrig.py: `blame`); the
rest are its own timer waking late, the machine's doing. On this VM a vCPU is now and then held up for
milliseconds by the host; such a stall makes an xrun of whichever client is computing when it strikes, so a
client's share of them grows with the time its callbacks spend on the CPU, whatever its code does. The verdict
therefore weighs each client's xruns by its callbacks' CPU time, measured in the same run: an engine that
waits on a lock, allocates or blocks misses deadlines beyond its share and fails; the cost of its DSP is
judged by its own budget (benchmarks/test_block_cost.py). The counts by wall time are shown beside.
"""
from __future__ import annotations

from collections import Counter

from scipy.stats import binom

XRUN_BUDGET = "xruns the engine causes, per second of its callbacks, not above the trivial client's (p >= 0.05)"


def xruns_above_baseline(engine: int, baseline: int, engine_seconds: float = 1.0,
                         baseline_seconds: float = 1.0) -> float:
    """How likely `engine` or more of the xruns would have fallen on the engine if both had the same xrun rate
    per second of exposure (one-sided exact binomial test on the counts, weighted by the exposures). Below
    0.05 the engine causes xruns of its own; above, the difference is noise: a plain `<=` on two noisy counts
    fails half the time when the two are equal."""
    n, share = engine + baseline, engine_seconds / (engine_seconds + baseline_seconds)
    return float(binom.sf(engine - 1, n, share))  # P(X >= engine); a sum of math.comb terms overflowed past ~1,000


def describe(total: int, causes: Counter, own: str, cpu_seconds: float) -> str:
    """'12 xruns (3 its own over 1.2 s of callbacks, 5 timer, 4 segue-probe)'."""
    parts = [f"{causes[own]} its own over {cpu_seconds:.1f} s of callbacks"] + [
        f"{n} {'timer' if who == 'driver' else who}" for who, n in sorted(causes.items()) if who != own]
    return f"{total} xruns ({', '.join(parts)})"


def verdict(engine, baseline, own: str, base_own: str, engine_seconds: float,
            baseline_seconds: float) -> tuple[float, str]:
    """The p-value the budget is judged on (by callback time) and the figure: both runs' xruns by cause and
    the p-value by wall time too. `engine`, `baseline`: tests/jackrig.py's Xruns."""
    ours, theirs = engine.causes[own], baseline.causes[base_own]
    by_cpu = xruns_above_baseline(ours, theirs, engine.cpu_seconds, baseline.cpu_seconds)
    by_wall = xruns_above_baseline(ours, theirs, engine_seconds, baseline_seconds)
    return by_cpu, (f"{describe(engine.total, engine.causes, own, engine.cpu_seconds)}; trivial client: "
                    f"{describe(baseline.total, baseline.causes, base_own, baseline.cpu_seconds)}; "
                    f"p = {by_cpu:.2g} by callback time ({by_wall:.2g} by wall time)")
