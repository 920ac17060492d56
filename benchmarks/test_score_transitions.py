"""Transitions on a cold one-hour score under JACK (issue #11): dummy driver, 256 frames; for
SEGUE_TRANSITION_SECONDS (600) an OSC sender in another process sends a random exit of the machine every two
bars (`/segue/event/x<k>`: every state of the generated machine has them all, each leading to another segment
on the next bar), after every file of the score was dropped from the page cache (fsync, then
posix_fadvise(POSIX_FADV_DONTNEED); `fincore` says how much stayed).

- No stem starts late or with a gap: the engine (benchmarks/score_engine.py, a process of its own) records its
  own output (pyo's recorder: the blocks it computed); every segment start in its decision log is compared,
  from the end of its 5 ms fade to the next start, with the sum of the target segment's stems read from the
  files (benchmarks/score_check.py; it checks itself first on a mix it makes with a stem one sample late and
  one with a 10 ms gap).
- No xrun beyond the same-run trivial client's (jack_sine, playing, before the engine for a quarter of the
  time, at least 30 s): benchmarks/xruns.py's verdict, per second of each one's callbacks.
- The engine's RSS while playing <= 250 MB: its peak less JACK's server segments (/dev/shm/jack*: jackd's port
  buffers, which every client maps, the trivial client too; both figures are reported beside it).

    SEGUE_SCORE_MINUTES=1 SEGUE_TRANSITION_SECONDS=30 python -m pytest benchmarks/test_score_transitions.py -s
    SEGUE_SCORE_SEGMENTS (12), SEGUE_SCORE_STEMS (6); SEGUE_RSS_CAP_MB (4096): the engine is stopped past it
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from pythonosc.osc_message_builder import OscMessageBuilder

from jackrig import CLIENTS, JackServer, Xruns, callback_seconds, free_udp_port, wait_line
from make_score import BAR, SR, Score, from_env
from procstat import Watch, jack_shared_mb, rss_mb
from score_check import aligned_first, check, self_test, starts_in
from xruns import XRUN_BUDGET, verdict

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SECONDS = float(os.environ.get("SEGUE_TRANSITION_SECONDS", 600))
EVERY_BARS = 2
RSS_MB = 250  # issue #11: the engine process while it plays the one-hour score


def drop_from_page_cache(files: list[Path]) -> None:
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # a page still dirty would stay
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def resident_mb(files: list[Path]) -> float | None:
    """How much of the files is in the page cache (util-linux's fincore), or None without it."""
    if not shutil.which("fincore"):
        return None
    done = subprocess.run(["fincore", "-b", "-n", "-r", "-o", "RES", *map(str, files)], capture_output=True,
                          text=True)
    return sum(int(x) for x in done.stdout.split()) / 2 ** 20 if done.returncode == 0 else None


def baseline(jack: JackServer, seconds: float) -> tuple[Xruns, tuple[float, float]]:
    """The trivial client, playing its sine, alone for `seconds`: its xruns and its callbacks' CPU time, and its
    (RSS, JACK's server segments in it) in MB at the end."""
    port = free_udp_port()
    sine = jack.spawn(str(ROOT / "tests" / "jack_sine.py"), str(port))
    try:
        wait_line(sine, "ready")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(OscMessageBuilder("/on").build().dgram, ("127.0.0.1", port))
        mark, cpu = jack.mark(), callback_seconds(sine.pid)
        time.sleep(seconds)
        return (Xruns(jack.blame_since(mark), callback_seconds(sine.pid) - cpu),
                (rss_mb(sine.pid), jack_shared_mb(sine.pid)))
    finally:
        sine.kill()
        sine.wait()


def play(jack: JackServer, score: Score, seconds: float, out: Path, log: Path) -> dict:
    """The engine under JACK for `seconds` of transitions: its xruns, its log, and how it went."""
    port = free_udp_port()
    engine = jack.spawn(str(HERE / "score_engine.py"), "jack", str(score.machine), str(port), str(out), str(log),
                        cwd=str(ROOT))
    watch = Watch(engine.pid)
    errors: list[str] = []  # drained, so a chatty engine never blocks on a full pipe
    threading.Thread(target=lambda: errors.extend(engine.stderr), daemon=True).start()
    result: dict = {"stopped": ""}
    try:
        ready = json.loads(wait_line(engine, "ready", timeout=900))
        result["ready"] = ready["ready"]
        sender = jack.spawn(str(HERE / "score_engine.py"), "send", str(port), str(seconds),
                            str(EVERY_BARS * BAR / SR), str(len(score.offsets())), "11")
        mark, cpu, started = jack.mark(), callback_seconds(engine.pid), time.monotonic()
        watch.reset_peak()
        while time.monotonic() - started < seconds + 1 and engine.poll() is None:
            time.sleep(0.2)
        result["xruns"] = Xruns(jack.blame_since(mark), callback_seconds(engine.pid) - cpu)
        result["sent"] = json.loads(sender.communicate(timeout=60)[0] or "{}").get("sent", 0)
        engine.send_signal(2)
        wait_line(engine, "done", timeout=120)
        engine.wait(timeout=60)
    except RuntimeError as exc:
        result["stopped"] = watch.over() or f"{str(exc)[-300:]} {''.join(errors)[-500:]}"
    finally:
        watch.stop()
        if engine.poll() is None:
            engine.kill()
    result["rss_peak_mb"], result["own_peak_mb"], result["jack_mb"] = watch.peak, watch.own_peak, watch.jack_mb
    return result


def test_transitions_on_a_cold_score_under_jack(benchmark, budget_report, tmp_path):
    score = from_env()
    self_test(score)
    files = score.files()
    base_seconds = max(30.0, SECONDS / 4)
    out, log = tmp_path / "engine.wav", tmp_path / "engine.log.json"
    with JackServer(period=256) as jack:
        def run():
            base = baseline(jack, base_seconds)
            drop_from_page_cache(files)
            cached = resident_mb(files)
            return base, cached, play(jack, score, SECONDS, out, log)

        (base, (sine_rss, sine_jack)), cached, result = benchmark.pedantic(run, rounds=1, iterations=1)
    size = sum(p.stat().st_size for p in files) / 2 ** 20
    cold = f"{cached:.0f} of {size:.0f} MB cached at start" if cached is not None else f"{size:.0f} MB dropped"
    name = (f"transitions every {EVERY_BARS} bars for {SECONDS:g} s, {score.segments} x {score.minutes:g} "
            f"min x {score.stems} stems, cold cache, JACK 256 fr")
    if result["stopped"]:
        figure = f"the engine {result['stopped']} (RSS peak {result['rss_peak_mb']:.0f} MB; {cold})"
        budget_report(benchmark, name + ": stems on time", figure, "0 late or gapped", False)
        budget_report(benchmark, name + ": xruns", "not measured: " + figure, XRUN_BUDGET, False)
        raise AssertionError(figure)
    body = json.loads(log.read_text())
    starts = starts_in(body["entries"], score)
    first = aligned_first(out, body["first"], starts, score, body["block"])
    found = check(out, first, starts, score)
    moves = len(starts) - 1
    figure = (f"{found}; {moves} transitions for {result['sent']} requests; recording aligned "
              f"{first - body['first']:+d} samples; {cold}; ready in {result['ready']:.1f} s")
    on_time = not found.problems and found.checked >= moves and moves >= result["sent"] * 0.9
    budget_report(benchmark, name + ": stems on time", figure, "0 late or gapped", on_time)
    chance, xruns = verdict(result["xruns"], base, CLIENTS["engine"], CLIENTS["sine"], SECONDS, base_seconds)
    budget_report(benchmark, name + ": xruns", xruns, XRUN_BUDGET, chance >= 0.05)
    own = result["own_peak_mb"]
    budget_report(benchmark, name + ": engine RSS while playing",
                  f"{own:.0f} MB peak, less JACK's server segments ({result['rss_peak_mb']:.0f} MB with the "
                  f"{result['jack_mb']:.0f} MB of /dev/shm/jack* that every client maps; the trivial client: "
                  f"{sine_rss:.0f} MB, {sine_jack:.0f} MB of them)", f"<= {RSS_MB:.0f} MB", own <= RSS_MB)
    assert on_time, figure
    assert chance >= 0.05, xruns
    assert own <= RSS_MB, own
