"""A real JACK server (dummy driver) for real-time tests and benchmarks, and the helper processes around it.

Each helper runs in its own process, so none of them shares the engine's GIL.
"""
from __future__ import annotations

import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


HERE = Path(__file__).resolve().parent


PR_SET_PDEATHSIG = 1


def dies_with_parent(sig: signal.Signals = signal.SIGKILL) -> Callable[[], None]:
    """A `preexec_fn` that has the kernel send `sig` to the child when the process that started it dies, however
    it dies (SIGKILL included), so no helper or server outlives the process that owns it. Linux only: elsewhere
    it does nothing."""
    parent = os.getpid()

    def arm() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def ensure_jackd() -> str:
    """The jackd binary; installs Debian's jackd2 when it is missing and we may (root with apt-get)."""
    found = shutil.which("jackd")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "jackd2"], env=env, capture_output=True, timeout=600)
        if not shutil.which("jackd"):
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "jackd2"], env=env, capture_output=True, timeout=600)
    found = shutil.which("jackd")
    if not found:
        raise RuntimeError("these real-time tests need a JACK server: apt-get install jackd2")
    return found


_UNFINISHED = re.compile(r"JackEngine::XRun: client = (\S+) was not finished")


PROBE = "segue-probe"  # the recording client: last in every graph here, it runs once the others finished


def blame(log: str) -> Counter:
    """Who caused each xrun in a stretch of jackd's log: the client that had not finished its cycle when the
    next one began (jackd names every unfinished client; the probe, downstream of all, is unfinished whenever
    the client it records is, so it is blamed only when it alone was late), or 'driver' when the server's own
    timer woke more than a period late (with the dummy driver: the machine, not a client)."""
    causes: Counter = Counter()
    pending: set[str] = set()
    for line in log.splitlines():
        if found := _UNFINISHED.search(line):
            pending.add(found.group(1))
        elif "Process error" in line:
            causes.update((pending - {PROBE}) or pending or {"unnamed"})
            pending = set()
        elif "JackTimedDriver::Process XRun" in line:
            causes["driver"] += 1
    return causes


def jackd_running() -> bool:
    """Any JACK server on this machine, ours or a user's (jackd, or jackdbus on a desktop)."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("jackd", "jackdbus"):
                return True
        except OSError:  # the process ended meanwhile
            continue
    return False


def clear_stale_registry() -> None:
    """JACK's shared-memory registry holds at most 8 servers and frees a dead server's entry only when a server
    of the same name starts again, so servers that were killed (a test run killed half-way) leave entries behind;
    after eight, no jackd starts ('Too many servers already active'). With no jackd running at all every entry
    is stale: remove the registry's files and JACK writes a fresh one."""
    if jackd_running():
        return
    for path in Path("/dev/shm").glob("jack*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


class JackServer:
    """jackd -d dummy with its own name; children started with `env` talk to it and to nothing else.
    Its log is kept: `mark()` then `blame_since(mark)` says who caused the xruns in between."""

    def __init__(self, period: int = 256, rate: int = 48000):
        self.period, self.rate = period, rate
        self.name = f"segue-test-{os.getpid()}-{period}"
        self.env = {**os.environ, "JACK_DEFAULT_SERVER": self.name, "JACK_NO_START_SERVER": "1",
                    "PYTHONUNBUFFERED": "1"}
        self.proc: subprocess.Popen | None = None
        self.log = None

    def __enter__(self) -> "JackServer":
        jackd = ensure_jackd()
        clear_stale_registry()
        self.log = tempfile.NamedTemporaryFile(prefix="jackd-", suffix=".log")  # noqa: SIM115 (closed in exit)
        self.proc = subprocess.Popen([jackd, "-n", self.name, "-d", "dummy", "-r", str(self.rate),
                                      "-p", str(self.period)], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=self.log, preexec_fn=dies_with_parent(signal.SIGTERM))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ok = subprocess.run([sys.executable, "-c", "import jack; jack.Client('up', no_start_server=True)"],
                                env=self.env, capture_output=True)
            if ok.returncode == 0:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("jackd (dummy driver) did not come up")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.log:
            self.log.close()

    def mark(self) -> int:
        return os.path.getsize(self.log.name)

    def blame_since(self, mark: int) -> Counter:
        with open(self.log.name, "rb") as f:
            f.seek(mark)
            return blame(f.read().decode(errors="replace"))

    def spawn(self, *args: str, **kw) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=dies_with_parent(), **kw)


def wait_line(proc: subprocess.Popen, word: str, timeout: float = 20.0) -> str:
    """Read the process's stdout until a line containing `word`, `timeout` seconds at most (or fail, showing its
    stderr). A byte at a time behind select(): a process that stops talking without exiting (a JACK client stuck
    in jack_deactivate once hung a benchmark here for 25 minutes) cannot block the read past the deadline, and
    nothing after the line is consumed (a later readline or communicate gets it)."""
    fd, line = proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0 and select.select([fd], [], [], left)[0]:
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
        if byte == b"\n":
            if word in line.decode(errors="replace"):
                return line.decode(errors="replace")
            line = b""
    proc.kill()
    raise RuntimeError(f"no '{word}' within {timeout:g} s from {proc.args}: {tail(proc.stderr, 5.0)}")


def tail(stream, seconds: float) -> str:
    """The last 2,000 characters a pipe gives within `seconds` (a helper holding it open must not block us)."""
    fd, data = stream.fileno(), b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0 and select.select([fd], [], [], left)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data = (data + chunk)[-2000:]
    return data.decode(errors="replace")


CLIENTS = {"sine": "segue-sine", "engine": "segue"}  # JACK client names: the trivial baseline, the engine


def callback_seconds(pid: int) -> float:
    """CPU time so far of the process's real-time (SCHED_FIFO/RR) threads: its JACK callbacks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        if int(fields[38]) in (1, 2):  # policy: SCHED_FIFO, SCHED_RR
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Xruns:
    """The xruns while the probe listened, by cause, from jackd's log (see `blame`), and how long the measured
    client's callbacks ran meanwhile. Counted from the log, not by the probe's xrun callback: JACK calls that
    once per unfinished client, so one xrun can count twice."""
    causes: Counter
    cpu_seconds: float = 0.0

    def __add__(self, other: "Xruns") -> "Xruns":
        return Xruns(self.causes + other.causes, self.cpu_seconds + other.cpu_seconds)

    @property
    def total(self) -> int:
        return sum(self.causes.values())


class Probe:
    """The recording probe (tests/jack_probe.py) on the first output port matching `pattern`; `done()` waits
    for the end of its run and says how many xruns there were, and whose."""

    def __init__(self, jack: JackServer, pattern: str, seconds: float, out: Path, client: int):
        """`client`: the measured client's process id (its callbacks' CPU time goes with its xruns)."""
        self.jack, self.seconds, self.client = jack, seconds, client
        self.proc = jack.spawn(str(HERE / "jack_probe.py"), pattern, str(seconds), str(out))
        wait_line(self.proc, "ready")
        self.mark, self.cpu = jack.mark(), callback_seconds(client)

    def done(self, timeout: float | None = None) -> Xruns:
        wait_line(self.proc, "done", timeout or self.seconds + 30)
        return Xruns(self.jack.blame_since(self.mark), callback_seconds(self.client) - self.cpu)


LATENCY_MACHINE = """\
pack: tones
events: [up, down]
initial: quiet
states:
  quiet: {segment: calm, layers: {}}
  loud: {segment: calm, layers: {a: 0 dB}}
transitions:
  - {from: quiet, to: loud, when: event up, sync: immediate}
  - {from: loud, to: quiet, when: event down, sync: immediate}
"""


def reaction_latencies(sent_ns: list[int], audio, cycles, rate: int, block: int, threshold: float = 1e-4):
    """For each 'on' message (every other one, from the first): ms from its send to the first output sample
    that reflects it, placed in time by the start of the JACK cycle that carried it (the sound card plays a
    cycle at a fixed offset from its start). None where no reaction was found."""
    import numpy as np  # noqa: PLC0415

    starts = cycles[:, 1]
    loud = np.abs(audio) > threshold
    out = []
    for t_send in sent_ns[::2]:
        # the cycle under way at the send: a client whose callback had not yet run may still change it
        c = max(int(np.searchsorted(starts, t_send, side="right")) - 1, 0)
        if c >= len(starts) - 1:
            out.append(None)
            continue
        ahead = np.flatnonzero(loud[c * block:(c + 8) * block])
        if not len(ahead):
            out.append(None)
            continue
        s = c * block + int(ahead[0])
        out.append((starts[s // block] + (s % block) / rate * 1e9 - t_send) / 1e6)
    return out


def block_timing(out: str) -> str:
    """'heartbeat p99 0.31 ms; longest gap between blocks 8.6 ms' from the engine's closing lines."""
    health = next(line for line in out.splitlines() if "blocks of" in line)
    return health.split("; ", 1)[1].split("; ")[0] + "; " + health.split("; ")[2]


def free_udp_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_reactions(jack: JackServer, who: str, machine: Path, out_dir: Path, events: int, rate: float) -> dict:
    """Run `who` ('sine': the trivial baseline client, or 'engine': `segue run --audio jack`) under `jack`,
    toggle it `events` times over OSC from another process, record its output with the probe, and measure."""
    import json  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    port = free_udp_port()
    if who == "sine":
        target = jack.spawn(str(HERE / "jack_sine.py"), str(port))
        pattern, on, off, ready = "segue-sine:out", "/on", "/off", "ready"
    else:
        target = jack.spawn("-m", "engine.cli", "run", str(machine), "--audio", "jack", "--osc-port", str(port),
                            "--block", str(jack.period), cwd=str(HERE.parent))
        pattern, on, off, ready = "segue:output_1", "/segue/event/up", "/segue/event/down", "OSC on"
    try:
        wait_line(target, ready)
        npz = out_dir / f"{who}-{jack.period}.npz"
        seconds = events / rate + 2.0
        probe = Probe(jack, pattern, seconds, npz, target.pid)
        sender = jack.spawn(str(HERE / "osc_toggle.py"), str(port), str(events), str(rate), on, off)
        sent = json.loads(sender.communicate(timeout=events / rate + 60)[0])
        xruns = probe.done()
    finally:
        target.send_signal(2)
        try:
            out, _ = target.communicate(timeout=10)
        except Exception:
            target.kill()
            out = ""
    data = np.load(npz)
    found = reaction_latencies(sent, data["audio"], data["cycles"], int(data["rate"]), int(data["block"]))
    ok = [x for x in found if x is not None]
    finished = (data["cycles"][:, 2] - data["cycles"][:, 1]) / 1e6  # how late in each cycle the probe ran
    return {"who": who, "client": CLIENTS[who], "period": jack.period, "events": len(found), "reacted": len(ok),
            "latencies_ms": ok, "xruns": xruns, "probe_lag_ms": finished.tolist(),
            "health": [line for line in (out or "").splitlines() if "blocks of" in line]}
