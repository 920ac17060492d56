"""What a process and its helpers cost, read from /proc: CPU time (ns, from each thread's schedstat: the
scheduler's own count, finer than /proc/<pid>/stat's clock ticks, which are 10 ms: scsynth playing eight
files spends about 2.5 ticks in ten seconds) and resident memory, with a watchdog that stops a process whose
memory passes a cap (a score decoded whole can take gigabytes: on a shared machine the benchmark must stop it,
say how far it got and fail with that figure)."""
from __future__ import annotations

import os
import signal
import threading
import time

CAP_MB = float(os.environ.get("SEGUE_RSS_CAP_MB", 4096))


def tree(pid: int) -> list[int]:
    """The process and its descendants (its helpers: the OSC receiver, a reader process...)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:  # it ended meanwhile
            continue
    return out


def cpu_ns(pid: int) -> int:
    """CPU time so far of every thread of the process (running threads only: a thread that ended is gone)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def tree_cpu_ns(pid: int) -> dict[int, int]:
    return {p: cpu_ns(p) for p in tree(pid)}


def cpu_percent(before: dict[int, int], after: dict[int, int], seconds: float) -> float:
    """% of one core over `seconds`, for the processes present at both reads."""
    used = sum(after[p] - before[p] for p in after if p in before)
    return used / 1e9 / seconds * 100


def rss_mb(pid: int | str) -> float:
    return status_mb(pid, "VmRSS")


def status_mb(pid: int | str, field: str) -> float:
    """A memory field of /proc/<pid>/status (VmRSS, VmHWM...) in MB; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(field + ":")), 0) / 1024
    except OSError:
        return 0.0


def jack_shared_mb(pid: int | str) -> float:
    """What of the process's RSS is JACK's server memory: the segments under /dev/shm/jack* that jackd creates
    and every JACK client maps (its port buffers, about 100 MB with jackd's defaults). They are jackd's, counted
    once on the machine however many clients map them, and the trivial client has them too; 0 without JACK."""
    kb, jack = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if line[0] in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                    jack = " /dev/shm/jack" in line
                elif jack and line.startswith("Rss:"):
                    kb += int(line.split()[1])
    except OSError:
        return 0.0
    return kb / 1024


class Watch:
    """Samples the process's RSS (and its tree's) every `every` seconds in a thread; kills the process
    (SIGKILL) if its own RSS passes `cap_mb`. `peak`, `tree_peak`: the largest seen; `own_peak`: the largest
    RSS less JACK's server segments (`jack_shared_mb`, read again at each candidate peak); `killed_at`: seconds
    from the start of the watch when it was stopped, else None."""

    def __init__(self, pid: int, cap_mb: float = CAP_MB, every: float = 0.05):
        self.pid, self.cap, self.every = pid, cap_mb, every
        self.peak = self.tree_peak = self.own_peak = self.jack_mb = 0.0
        self.killed_at: float | None = None
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            own = rss_mb(self.pid)
            self.peak = max(self.peak, own)
            if own - self.jack_mb > self.own_peak:  # a new peak, perhaps: JACK's share read again (smaps is slow)
                self.jack_mb = jack_shared_mb(self.pid)
                self.own_peak = max(self.own_peak, own - self.jack_mb)
            self.tree_peak = max(self.tree_peak, sum(rss_mb(p) for p in tree(self.pid)))
            if own > self.cap and self.killed_at is None:
                self.killed_at = time.monotonic() - self._start
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return

    def reset_peak(self) -> None:
        self.peak = self.tree_peak = self.own_peak = 0.0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)

    def over(self) -> str:
        """'' or why the process was stopped, as a figure."""
        return (f"passed the {self.cap:.0f} MB cap (SEGUE_RSS_CAP_MB) {self.killed_at:.1f} s in and was stopped"
                if self.killed_at is not None else "")
