"""The engine's side of the OSC receiver process: binds the ports (so a busy one fails here, clearly), starts
the receiver with them and hands it its routes from memory, reads its ring from the audio block, and logs its
lines as the engine's own. A receiver that dies is started again, with backoff, until RESTART_DEADLINE."""
from __future__ import annotations

import fcntl
import json
import logging
import os
import select
import socket
import subprocess
import threading
import time
from collections import deque

from engine.errors import SegueError
from engine.osc import handover, ring
from engine.osc.feedback import Feedback
from engine.osc.ring import RingReader
from engine.osc.routes import Router
from engine.osc.server import TCP_IDLE, bind_sockets
from engine.processes import spawn

log = logging.getLogger("segue.osc")
START_TIMEOUT = 30.0  # seconds for the receiver to start (slow CI machines included)
RESTART_DEADLINE = 60.0  # seconds of failed restarts after which OSC input is given up (said once)
FIRST_RETRY, LAST_RETRY = 0.5, 8.0  # seconds between restart attempts: doubling from the first to the last


class OscRelay:
    def __init__(self, router: Router, host: str, port: int, tcp: bool, allow: str | None, rate_limit: float,
                 tcp_idle: float = TCP_IDLE, feedback: Feedback | None = None):
        self._feedback = feedback  # where TCP clients' subscriptions are handed over to
        self._config = {"routes": router.table(), "allow": allow or "", "rate": rate_limit, "tcp_idle": tcp_idle}
        self._next: dict | None = None  # a reloaded machine's routes, until it takes over at its bar line
        self._host, self._tcp = host, tcp
        self._down: float | None = None  # when the receiver was found dead, while it is being restarted
        self._retry_at, self._retry_delay, self._why = 0.0, FIRST_RETRY, ""
        self.given_up = False
        self._ring_fd, memory = ring.create()  # kept: a restarted receiver writes on where the last one stopped
        self.reader = RingReader(memory)
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
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = (udp.fileno(), stream.fileno() if stream else -1, self._ring_fd, theirs.fileno())
        try:
            self._proc = spawn("engine.osc.receiver", *map(str, fds), pass_fds=tuple(f for f in fds if f >= 0),
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except BaseException:
            ours.close()
            raise
        finally:  # the receiver holds its own copies now
            udp.close()
            theirs.close()
            if stream:
                stream.close()
        if self._feedback:
            threading.Thread(target=handover.take, args=(ours, self._feedback), name="segue-osc-handover",
                             daemon=True).start()
        else:
            ours.close()
        fcntl.fcntl(self._proc.stdin, fcntl.F_SETFL, fcntl.fcntl(self._proc.stdin, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._lines = threading.Thread(target=self._relay_lines, args=(self._proc,), name="segue-osc-log",
                                       daemon=True)
        self._lines.start()
        deadline = time.monotonic() + START_TIMEOUT
        self._loads = 1 if self._next is not None else 0
        try:
            self._send({"config": self._config}, deadline)
            if self._next is not None:
                self._send({"load": self._next}, deadline)
            while not self.reader.is_ready:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise SegueError(f"the OSC receiver did not start: "
                                     f"{' / '.join(self._last_lines) or 'no reason given'}")
                time.sleep(0.01)
        except SegueError:
            self._stop()
            raise

    def check(self) -> None:
        """From the main loop: a receiver that died (it should not) is started again on the same port, with its
        routes from memory; failed attempts are retried with backoff until RESTART_DEADLINE. Said once when it
        stops, and once more only if it is given up."""
        if self.given_up or self._proc.poll() is None:
            return
        now = time.monotonic()
        if self._down is None:
            log.error("the OSC receiver stopped (exit code %s); starting it again on port %d",
                      self._proc.returncode, self.address[1])
            self._down, self._retry_at, self._retry_delay = now, now, FIRST_RETRY
            self.reader.restart()
        if now < self._retry_at:
            return
        try:
            self._spawn(self.address[1])
        except SegueError as exc:
            self._why = str(exc)
            if now - self._down >= RESTART_DEADLINE:
                self.given_up = True
                log.error("OSC input is off: the receiver could not be restarted for %.0f s (%s); restart segue",
                          now - self._down, self._why)
            self._retry_at, self._retry_delay = now + self._retry_delay, min(2 * self._retry_delay, LAST_RETRY)
            return
        self._down = None
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

    def load(self, router: Router, timeout: float = 10.0) -> None:
        """Have the receiver route a reloaded machine's new addresses too (the engine checked it); returns once
        it does, so nothing sent from here on is refused as unknown."""
        self._next = router.table()
        self._loads += 1
        deadline = time.monotonic() + timeout
        try:
            self._send({"load": self._next}, deadline)
        except SegueError:
            return  # the receiver is gone: its restart loads these routes
        while self.reader.loaded < self._loads and self._proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)

    def swap(self, targets: frozenset) -> None:
        """The reloaded machine took over: its routes only, from now on, and only telemetry for `targets` (the
        (kind, name) pairs they reach) through the ring. Safe from the audio block."""
        self.reader.known = targets
        if self._next is not None:
            self._config = {**self._config, "routes": self._next}
            self._next = None
        try:  # one small write to a non-blocking pipe
            os.write(self._proc.stdin.fileno(), b'{"swap": true}\n')
        except OSError:  # the receiver is gone or its pipe is full: the routes it has stay; nothing else breaks
            pass

    def _send(self, command: dict, deadline: float) -> None:
        """One JSON line to the receiver, however long, waiting for room in the pipe until the deadline."""
        data = memoryview(json.dumps(command).encode() + b"\n")
        fd = self._proc.stdin.fileno()
        while data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise SegueError("the OSC receiver did not take its routes in time")
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise SegueError(f"the OSC receiver stopped taking its routes ({exc.strerror})") from None

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
