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
