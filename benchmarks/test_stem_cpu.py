"""CPU per audible stem (issue #11), under JACK (dummy driver, 256 frames), three players taking turns in one run
so that a noisy minute on this shared VM does not land on one of them only:

- the engine on a score of 9 segments x 8 stereo stems (72 loaded), its initial state playing segment 0's 8;
- the engine on a score of those 8 stems only (make_score with the same seed: the same files' audio);
- scsynth playing the same 8 files (DiskIn, looping; benchmarks/scsynth.py), when `scsynth` is installed.

Each runs alone under the same jackd; after SETTLE seconds its output is recorded for a second (it must not be
silent), then its CPU (every thread of it and its helper processes, from /proc/<pid>/task/*/schedstat) is read
over SEGUE_CPU_SECONDS (10). Median over SEGUE_CPU_ROUNDS rounds (2). Budgets: the engine's CPU per audible stem
(72 loaded) <= scsynth's; 8 audible of 72 loaded cost what 8 alone cost (<= 1.2x, the run-to-run noise here).

    SEGUE_CPU_SECONDS=5 SEGUE_CPU_ROUNDS=1 python -m pytest benchmarks/test_stem_cpu.py -s     # a smoke run
    SEGUE_CPU_MINUTES (1): each segment's length (the engine decodes all of it today: 72 x 1 min is ~1.7 GB)
"""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from jackrig import JackServer, free_udp_port, wait_line
from make_score import make_score
from procstat import Watch, cpu_percent, tree_cpu_ns
from scsynth import Scsynth, installed

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("SEGUE_CPU_SECONDS", 10))
ROUNDS = int(os.environ.get("SEGUE_CPU_ROUNDS", 2))
MINUTES = float(os.environ.get("SEGUE_CPU_MINUTES", 1))
SETTLE = 2.0
AUDIBLE, SEGMENTS = 8, 9
RATIO_SCSYNTH, RATIO_LOADED = 1.0, 1.2


def measure(pid: int, jack: JackServer, port: str, out: Path) -> tuple[float, float]:
    """(% of one core over SECONDS, RMS of a second of its output) for the process tree at `pid`."""
    time.sleep(SETTLE)
    probe = jack.spawn(str(ROOT / "tests" / "jack_probe.py"), port, "1", str(out))
    wait_line(probe, "ready")
    wait_line(probe, "done", 30)
    probe.wait(10)
    audio = np.load(out)["audio"]
    before = tree_cpu_ns(pid)
    time.sleep(SECONDS)
    return cpu_percent(before, tree_cpu_ns(pid), SECONDS), float(np.sqrt(np.mean(audio ** 2)))


def engine_round(jack: JackServer, machine: Path, out: Path) -> tuple[float, float, str]:
    engine = jack.spawn("-m", "engine.cli", "run", str(machine), "--audio", "jack", "--osc-port",
                        str(free_udp_port()), "--block", "256", cwd=str(ROOT))
    watch = Watch(engine.pid)
    try:
        wait_line(engine, "OSC on", timeout=600)
        cpu, rms = measure(engine.pid, jack, "segue:output_1", out)
        return cpu, rms, ""
    except RuntimeError as exc:
        return float("nan"), 0.0, watch.over() or str(exc)[-300:]
    finally:
        watch.stop()
        engine.send_signal(2)
        try:
            engine.wait(timeout=20)
        except Exception:
            engine.kill()


def scsynth_round(jack: JackServer, files: list[Path], out: Path) -> tuple[float, float, str]:
    with Scsynth(jack.env, free_udp_port()) as sc:
        synths = sc.play(files)
        cpu, rms = measure(sc.pid, jack, "SuperCollider:out_1", out)
    return cpu, rms, "" if synths == len(files) else f"{synths} synths running, not {len(files)}"


def test_cpu_per_audible_stem(benchmark, budget_report, tmp_path):
    if not installed():
        pytest.skip("scsynth is not installed (Debian: apt-get install supercollider-server)")
    loaded = make_score(MINUTES, SEGMENTS, AUDIBLE)
    alone = make_score(MINUTES, 1, AUDIBLE)
    files = [alone.path(0, k) for k in range(AUDIBLE)]
    with JackServer(period=256) as jack:
        def run():
            runs = {"loaded": [], "alone": [], "scsynth": []}
            for r in range(ROUNDS):
                runs["alone"].append(engine_round(jack, alone.machine, tmp_path / f"alone{r}.npz"))
                runs["loaded"].append(engine_round(jack, loaded.machine, tmp_path / f"loaded{r}.npz"))
                runs["scsynth"].append(scsynth_round(jack, files, tmp_path / f"sc{r}.npz"))
            return runs

        runs = benchmark.pedantic(run, rounds=1, iterations=1)
    problems = [f"{who}: {why}" for who, rs in runs.items() for _, rms, why in rs if why or rms <= 1e-4]
    cpu = {who: statistics.median(c for c, *_ in rs) for who, rs in runs.items()}
    each = {who: ", ".join(f"{c:.2f}" for c, *_ in rs) for who, rs in runs.items()}
    per = {who: c / AUDIBLE for who, c in cpu.items()}
    vs_sc = per["loaded"] / per["scsynth"] if per["scsynth"] > 0 else float("inf")
    vs_alone = cpu["loaded"] / cpu["alone"] if cpu["alone"] > 0 else float("inf")
    trouble = f"; {'; '.join(problems)}" if problems else ""
    budget_report(benchmark, f"CPU per audible stem, engine ({AUDIBLE} of {AUDIBLE * SEGMENTS} loaded) vs scsynth "
                  f"(DiskIn, same files), JACK 256 fr",
                  f"{vs_sc:.1f}x: {per['loaded']:.3f} vs {per['scsynth']:.3f} % of a core per stem (whole process: "
                  f"{each['loaded']} vs {each['scsynth']} %; engine with only the {AUDIBLE}: "
                  f"{per['alone'] / per['scsynth'] if per['scsynth'] else float('inf'):.1f}x){trouble}",
                  f"<= {RATIO_SCSYNTH:.1f}x", vs_sc <= RATIO_SCSYNTH and not problems)
    budget_report(benchmark, f"{AUDIBLE} audible stems of {AUDIBLE * SEGMENTS} loaded vs a score of those {AUDIBLE}",
                  f"{vs_alone:.2f}x: {each['loaded']} vs {each['alone']} % of a core (median of {ROUNDS}, "
                  f"{SECONDS:g} s each){trouble}", f"<= {RATIO_LOADED:.1f}x", vs_alone <= RATIO_LOADED and not problems)
    assert not problems, problems
    assert vs_sc <= RATIO_SCSYNTH and vs_alone <= RATIO_LOADED, (vs_sc, vs_alone)
