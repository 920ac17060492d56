"""The engine's side of the OSC receiver process: binds the ports (so a busy one fails here, clearly), starts
the receiver with them, reads its ring from the audio block, and logs its lines as the engine's own."""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import threading
import time
from collections import deque
from pathlib import Path

from engine.errors import SegueError
from engine.osc import ring
from engine.osc.ring import RingReader
from engine.osc.server import bind_sockets
from engine.processes import spawn

log = logging.getLogger("segue.osc")
START_TIMEOUT = 30.0  # seconds for the receiver to import and load the machine (slow CI machines included)


class OscRelay:
    def __init__(self, machine_path: Path | str, host: str, port: int, tcp: bool, allow: str | None,
                 rate_limit: float):
        self._args = [str(machine_path), allow or "", str(rate_limit)]
        self._host, self._tcp = host, tcp
        self._ring_fd, memory = ring.create()  # kept: a restarted receiver writes on where the last one stopped
        self.reader = RingReader(memory)
        self._loads = 0
        self._last_lines: deque[str] = deque(maxlen=20)
        self.restarts = 0
        try:
            self._spawn(port)
        except BaseException:
            os.close(self._ring_fd)
            raise

    def _spawn(self, port: int) -> None:
        udp, stream = bind_sockets(self._host, port, self._tcp)
        self.address = udp.getsockname()[:2]
        self.tcp_address = stream.getsockname()[:2] if stream else None
        fds = (udp.fileno(), stream.fileno() if stream else -1, self._ring_fd)
        try:
            self._proc = spawn("engine.osc.receiver", *map(str, fds), *self._args,
                               pass_fds=tuple(f for f in fds if f >= 0), stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:  # the receiver holds its own copies now
            udp.close()
            if stream:
                stream.close()
        fcntl.fcntl(self._proc.stdin, fcntl.F_SETFL, fcntl.fcntl(self._proc.stdin, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._lines = threading.Thread(target=self._relay_lines, args=(self._proc,), name="segue-osc-log",
                                       daemon=True)
        self._lines.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.reader.is_ready:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._stop()
                raise SegueError(f"the OSC receiver did not start: {' / '.join(self._last_lines) or 'no reason given'}")
            time.sleep(0.01)

    def check(self) -> None:
        """From the main loop: a receiver that died (it should not) is started again on the same port."""
        if self._proc.poll() is None:
            return
        log.error("the OSC receiver stopped (exit code %s); starting it again on port %d", self._proc.returncode,
                  self.address[1])
        self._loads = 0
        self.reader.restart()
        try:
            self._spawn(self.address[1])
        except SegueError as exc:
            log.error("%s; trying again in a moment", exc)
            return
        self.restarts += 1

    @property
    def pid(self) -> int:
        """The receiver's process id, for process monitors (and the test that kills it)."""
        return self._proc.pid

    @property
    def datagrams(self) -> int:
        return self.reader.datagrams

    @property
    def rejected(self) -> int:
        return self.reader.rejected

    def load(self, timeout: float = 10.0) -> None:
        """Have the receiver read the machine file again (after the engine checked it) and route its new
        addresses too; returns once it has, so nothing sent from here on is refused as unknown."""
        self._loads += 1
        self._command(b"load\n")
        deadline = time.monotonic() + timeout
        while self.reader.loaded < self._loads and self._proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)

    def swap(self) -> None:
        """The reloaded machine took over: its routes only, from now on. Safe from the audio block."""
        self._command(b"swap\n")

    def _command(self, line: bytes) -> None:
        try:  # one small write to a non-blocking pipe
            os.write(self._proc.stdin.fileno(), line)
        except OSError:  # the receiver is gone or its pipe is full: the routes it has stay; nothing else breaks
            pass

    def _relay_lines(self, proc: subprocess.Popen) -> None:
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            if line:
                self._last_lines.append(line)
                log.warning("%s", line)

    def close(self) -> None:
        self._stop()
        os.close(self._ring_fd)

    def _stop(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._lines.join(timeout=2)
