"""Live soak: `segue run --audio jack --watch` for SOAK_LIVE_SECONDS (default 30 minutes) under JACK (dummy, 256
frames), driven by the demo's play-through looped over OSC from one process while another sends what an
untrusted network sends (malformed bundles, floods, far-future timetags, idle TCP connections, subscriptions
aimed elsewhere), the machine file is broken and mended every 20 s, and the generator and the OSC receiver are
stopped and killed. At the end: every legal state change happened, on its boundary; problems were reported in a
bounded number of lines (throttled and counted, never one per packet); the engine's xruns are not above a
trivial JACK client's measured in the same run; its memory is flat over the second half.

    SOAK_LIVE_SECONDS=120 python -m pytest benchmarks/test_soak_live.py -s     # a two-minute smoke run
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

from xruns import XRUN_BUDGET, verdict
from jackrig import CLIENTS, JackServer, Xruns, callback_seconds, free_udp_port, wait_line

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("SOAK_LIVE_SECONDS", 1800))
SCRIPT = ROOT / "statemachines" / "demo.telemetry.yaml"
CYCLE = ["combat", "danger", "combat", "victory", "victory", "explore"]  # what one pass of the script makes
LINES_PER_MINUTE = 120  # problem lines the hostile traffic (400 packets a second) may cost: throttled, counted
RSS_GROWTH_MB = 25  # over the second half: the engine's tables (decision log, timings) are bounded, so RSS levels
BROKEN = ["states: [unclosed\n", "initial: nowhere\n", "when: " + "not " * 1000 + "x\n"]


def helper(engine: int, module: str) -> int | None:
    """The pid of the engine's helper process running `module` (its generator or OSC receiver)."""
    for task in os.listdir(f"/proc/{engine}/task"):
        with open(f"/proc/{engine}/task/{task}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/cmdline", "rb") as c:
                    if module.encode() in c.read():
                        return int(child)
    return None


def drain(stream) -> list[str]:
    """Read a pipe to its end in a thread, so a chatty engine never blocks on a full pipe."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(stream), daemon=True).start()
    return lines


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def xruns_while(jack: JackServer, pid: int, seconds: float, act=None) -> Xruns:
    """jackd's xruns (by cause) and the client's callback time over `seconds`; `act(t)` runs about 10 times a
    second meanwhile."""
    mark, cpu, start = jack.mark(), callback_seconds(pid), time.monotonic()
    while (t := time.monotonic() - start) < seconds:
        if act:
            act(t)
        time.sleep(0.1)
    return Xruns(jack.blame_since(mark), callback_seconds(pid) - cpu)


class Later:
    """An act that thinks `offset` seconds have already passed (the second half of the run)."""

    def __init__(self, act, offset: float):
        self.act, self.offset = act, offset

    def __call__(self, t: float) -> None:
        self.act(t + self.offset)


class Disturbances:
    """What the benchmark does to the engine itself: a reload storm with broken files, the generator stopped
    and killed, the OSC receiver killed. Destructive acts fall in the quiet end of a script pass, between
    its last message (47 s) and the next pass's first state change (7.3 s after its start)."""

    def __init__(self, engine: int, machine: Path, good: str, cycle: float):
        self.engine, self.machine, self.good, self.cycle = engine, machine, good, cycle
        self.done: dict[str, int] = {"broken": 0, "mended": 0, "stopped": 0, "killed_generator": 0,
                                     "killed_receiver": 0}
        self._next_reload, self._stopped = 20.0, None

    def __call__(self, t: float) -> None:
        if t >= self._next_reload:  # break the file; mend it 5 s later
            if self.done["broken"] == self.done["mended"]:
                self.machine.write_text(self.good + BROKEN[self.done["broken"] % len(BROKEN)])
                self.done["broken"] += 1
                self._next_reload = t + 5
            else:
                self.machine.write_text(self.good)
                self.done["mended"] += 1
                self._next_reload = t + 15
        into, n = t % self.cycle, int(t // self.cycle)
        if self._stopped and t > self._stopped[1] + 5:
            os.kill(self._stopped[0], signal.SIGCONT)
            self._stopped = None
        if 48 <= into < 48.1 and n % 2 == 1:
            if (pid := helper(self.engine, "engine.generate.serve")) and n % 6 != 5:
                os.kill(pid, signal.SIGSTOP)
                self._stopped = (pid, t)
                self.done["stopped"] += 1
            elif pid:
                os.kill(pid, signal.SIGKILL)
                self.done["killed_generator"] += 1
        if 48 <= into < 48.1 and n % 4 == 2 and (pid := helper(self.engine, "engine.osc.receiver")):
            os.kill(pid, signal.SIGKILL)
            self.done["killed_receiver"] += 1


def test_the_engine_live_for_half_an_hour_under_hostile_traffic(benchmark, budget_report, tmp_path):
    (tmp_path / "stems").symlink_to(ROOT / "stems")
    good = (ROOT / "statemachines" / "demo.yaml").read_text().replace("pack: ../stems/demo", "pack: stems/demo")
    machine = tmp_path / "soak.yaml"
    machine.write_text(good)
    base_seconds = max(60.0, SECONDS / 4)
    with JackServer(period=256) as jack:
        def run():
            sine = jack.spawn(str(ROOT / "tests" / "jack_sine.py"), str(free_udp_port()))
            wait_line(sine, "ready")
            base = xruns_while(jack, sine.pid, base_seconds)
            sine.kill()
            port = free_udp_port()
            engine = jack.spawn("-m", "engine.cli", "run", str(machine), "--audio", "jack", "--osc-port", str(port),
                                "--watch", cwd=str(ROOT))
            wait_line(engine, "OSC on")
            out, err = drain(engine.stdout), drain(engine.stderr)
            legal = jack.spawn(str(ROOT / "benchmarks" / "soak_senders.py"), "legal", str(port), str(SECONDS),
                               str(SCRIPT))
            hostile = jack.spawn(str(ROOT / "benchmarks" / "soak_senders.py"), "hostile", str(port), str(SECONDS))
            disturb = Disturbances(engine.pid, machine, good, 56.0)
            time.sleep(1.0)
            rss_start = rss_mb(engine.pid)
            xruns = xruns_while(jack, engine.pid, SECONDS / 2, disturb)
            rss_half = rss_mb(engine.pid)
            xruns = xruns + xruns_while(jack, engine.pid, SECONDS / 2, Later(disturb, SECONDS / 2))
            rss_end = rss_mb(engine.pid)
            sent = json.loads(legal.communicate(timeout=120)[0])
            attacks = json.loads(hostile.communicate(timeout=120)[0])
            machine.write_text(good)
            time.sleep(1.0)
            engine.send_signal(signal.SIGINT)
            engine.wait(timeout=60)
            time.sleep(0.5)  # the drains read the last lines
            return (base, xruns, sent, attacks, disturb.done, out, err, engine.returncode,
                    (rss_start, rss_half, rss_end))

        base, xruns, sent, attacks, done, out_lines, err_lines, code, (rss_start, rss_half, rss_end) = \
        benchmark.pedantic(run, rounds=1, iterations=1)
    out, err = "".join(out_lines), "".join(err_lines)
    chance, figure = verdict(xruns, base, CLIENTS["engine"], CLIENTS["sine"], SECONDS, base_seconds)
    changes = [line for line in out.splitlines() if " -> " in line and "(initial state)" not in line]
    targets = [line.split("-> ")[1].split()[0] for line in changes]
    positions = [line.split("bar ")[1].split()[0] for line in changes]
    off_boundary = [line for line in changes if "." in line.split("bar ")[1].split()[0]]
    bar_synced = [p for p, t in zip(positions, targets) if t != "danger"]  # danger waits for a beat, the rest a bar
    expected = CYCLE * sent["cycles"]
    lines = err.splitlines()
    summary = (f"{len(changes)}/{len(expected)} state changes, {len(off_boundary)} off their boundary; "
               f"{len(lines)} problem lines ({len(lines) * 60 / SECONDS:.0f} a minute) for {sum(attacks.values())} hostile packets and {done}; "
               f"RSS {rss_start:.0f} -> {rss_half:.0f} (half way) -> {rss_end:.0f} MB; {figure}")
    ok = (code == 0 and targets == expected and not off_boundary and all(p.endswith(":1") for p in bar_synced)
          and len(lines) < LINES_PER_MINUTE * SECONDS / 60 and rss_end - rss_half < RSS_GROWTH_MB and chance >= 0.05)
    budget_report(benchmark, f"live soak {SECONDS / 60:.0f} min under hostile traffic", summary,
                  "every legal change on its boundary; problems reported once each; " + XRUN_BUDGET, ok)
    assert code == 0 and "Traceback" not in err, err[-3000:]
    assert targets == expected, (targets[:40], expected[:40])
    assert not off_boundary and all(p.endswith(":1") for p in bar_synced), off_boundary
    assert len(lines) < LINES_PER_MINUTE * SECONDS / 60, "\n".join(lines[:50])
    assert rss_end - rss_half < RSS_GROWTH_MB
