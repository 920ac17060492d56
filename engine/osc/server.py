"""UDP OSC input: one thread that receives, parses, routes and enqueues. It never touches audio.

Bad packets are dropped with one log line naming the sender, the address and the reason.
"""
from __future__ import annotations

import errno
import logging
import socket
import threading
import time

from pythonosc.osc_packet import OscPacket

from engine.errors import SegueError
from engine.events import EventQueue
from engine.osc.routes import OscInputError, Router
from engine.osc.strict import truncation

log = logging.getLogger("segue.osc")

RECEIVE_BUFFER = 4 * 1024 * 1024  # room for a burst while the thread waits for the GIL
MAX_DATAGRAM = 65535


class OscServer:
    def __init__(self, router: Router, queue: EventQueue, host: str = "127.0.0.1", port: int = 9000):
        self.router, self.queue = router, queue
        self.datagrams = 0
        self.rejected = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
            raise SegueError(f"OSC port {port} on {host} {why}; choose another with --osc-port") from None
        self._sock.settimeout(0.2)
        self.address = self._sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="segue-osc", daemon=True)

    def start(self) -> "OscServer":
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(MAX_DATAGRAM)
            except (socket.timeout, BlockingIOError):
                continue
            except OSError:
                return  # socket closed
            self.handle(data, f"{sender[0]}:{sender[1]}", time.perf_counter_ns())

    def handle(self, data: bytes, sender: str, arrived_ns: int) -> None:
        """Parse one datagram and enqueue what it means; never raises."""
        self.datagrams += 1
        try:
            messages = [m.message for m in OscPacket(data).messages]
        except Exception as exc:  # python-osc raises ParseError and, on some garbage, other errors
            self._reject(sender, "-", f"not a valid OSC packet ({exc})")
            return
        for msg in messages:
            if (why := truncation(msg.dgram)) is not None:
                self._reject(sender, msg.address, f"malformed: {why}")
                continue
            try:
                item = self.router.route(msg.address, msg.params, arrived_ns)
            except OscInputError as exc:
                self._reject(sender, msg.address, str(exc))
                continue
            if item is not None and not self.queue.put(item):
                self._reject(sender, msg.address, "dropped: the engine's input queue is full")

    def _reject(self, sender: str, address: str, why: str) -> None:
        self.rejected += 1
        log.warning("OSC from %s: %s: %s", sender, address, why)
