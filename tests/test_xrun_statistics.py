"""The benchmarks' xrun verdict: a one-sided exact binomial test of the engine's count against the baseline's."""
from __future__ import annotations

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("segue_xruns", ROOT / "benchmarks" / "xruns.py")
xruns = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(xruns)


def test_equal_counts_are_noise_and_a_clear_excess_is_not():
    assert xruns.xruns_above_baseline(0, 0) == 1.0
    assert xruns.xruns_above_baseline(3, 3) > 0.5
    assert abs(xruns.xruns_above_baseline(1, 0) - 0.5) < 1e-12  # one xrun: as likely on either run
    assert xruns.xruns_above_baseline(448, 258) < 1e-6
    assert xruns.xruns_above_baseline(10, 0) < 0.001  # 1/1024


def test_thousands_of_xruns_are_judged_too():
    """At 64 frames on a noisy VM both clients had over a thousand: the exact sum of binomial terms overflowed a
    float (a benchmark failed with OverflowError instead of a verdict)."""
    assert xruns.xruns_above_baseline(1500, 1400, engine_seconds=8, baseline_seconds=3) == 1.0
    assert xruns.xruns_above_baseline(3000, 1000) < 1e-6


def test_a_longer_engine_run_is_allowed_proportionally_more():
    same = xruns.xruns_above_baseline(20, 10)
    assert same < 0.05
    assert xruns.xruns_above_baseline(20, 10, engine_seconds=2, baseline_seconds=1) > 0.5


def test_jackd_log_blames_the_unfinished_client_not_the_probe_downstream_of_it():
    from jackrig import blame

    log = """\
JackEngine::XRun: client = segue was not finished, state = Running
JackEngine::XRun: client = segue-probe was not finished, state = Triggered
JackAudioDriver::ProcessGraphAsyncMaster: Process error
JackTimedDriver::Process XRun = 14 usec
JackEngine::XRun: client = segue-probe was not finished, state = Running
JackAudioDriver::ProcessGraphAsyncMaster: Process error
JackEngine::XRun: client = segue was not finished, state = Triggered
JackAudioDriver::ProcessGraphAsyncMaster: Process error
"""
    assert blame(log) == {"segue": 2, "segue-probe": 1, "driver": 1}


def test_the_verdict_weighs_each_side_by_its_callbacks_cpu_time():
    from collections import Counter

    from jackrig import Xruns

    base = Xruns(Counter({"segue-sine": 4, "driver": 9}), cpu_seconds=1.0)
    busier = Xruns(Counter({"segue": 12, "segue-probe": 30}), cpu_seconds=3.0)  # 3x the CPU, 3x the xruns
    stalling = Xruns(Counter({"segue": 12}), cpu_seconds=1.0)  # as many, with no more CPU: waits, not work
    assert xruns.verdict(busier, base, "segue", "segue-sine", 60, 60)[0] > 0.3
    p, figure = xruns.verdict(stalling, base, "segue", "segue-sine", 60, 60)
    assert p < 0.05
    assert "12 xruns (12 its own over 1.0 s of callbacks)" in figure and "9 timer" in figure
