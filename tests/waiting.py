"""Awaiting what a test waits for (a condition, a line from a child process, an engine's answer), each with a
deadline and a failure that names what never happened: no test sleeps a guessed time for something to happen."""
from __future__ import annotations

import queue
import socket
import threading
import time
from typing import Callable, TextIO

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

POLL = 0.005  # seconds between looks at a condition nothing announces


def wait_until(predicate: Callable[[], object], timeout: float, what: str | Callable[[], str],
               poll: float = POLL) -> None:
    """Return as soon as `predicate()` is true; fail naming `what` if it is still false after `timeout` seconds
    (`what` may be a function, to say how far things got when the time ran out). `poll`: seconds between looks."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {timeout:g} s: {what() if callable(what) else what}")
        time.sleep(poll)


class Lines:
    """A child process's text stream, read line by line in a thread, so a test can await one line with a deadline
    (a blocking readline would hang the test when the line never comes)."""

    def __init__(self, stream: TextIO):
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: TextIO) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def expect(self, text: str, timeout: float) -> str:
        """The next line that contains `text` (the lines before it are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line with {text!r} within {timeout:g} s; last lines: {self.seen[-5:]}")
            if line is None:
                self._queue.put(None)  # the end stays the end for the next caller
                raise AssertionError(f"the stream ended with no line with {text!r}; last lines: {self.seen[-5:]}")
            self.seen.append(line)
            if text in line:
                return line

    def rest(self, timeout: float) -> str:
        """Everything the stream said, once it has ended (its process has exited)."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the stream did not end within {timeout:g} s"
        while (line := self._queue.get()) is not None:
            self.seen.append(line)
        self._queue.put(None)
        return "".join(self.seen)


def status(port: int, timeout: float = 5.0) -> list:
    """Ask the engine listening on UDP `port` for /segue/status and return its answer (state, bar, beat, tempo...).

    An answer comes from an audio block, so it also proves the engine's loop is running."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        ask = OscMessageBuilder("/segue/status")
        ask.add_arg(s.getsockname()[1])
        s.sendto(ask.build().dgram, ("127.0.0.1", port))
        try:
            return OscMessage(s.recv(65536)).params
        except socket.timeout:
            raise AssertionError(f"the engine on port {port} did not answer /segue/status within {timeout:g} s")


def printed_port(line: str) -> int:
    """The UDP port in `segue run`'s first line ("segue: playing ...; OSC on 127.0.0.1:PORT; Ctrl-C stops")."""
    return int(line.split("OSC on ")[1].split(";")[0].rsplit(":", 1)[1])
