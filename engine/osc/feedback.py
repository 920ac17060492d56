"""OSC out: beats, bars, state changes and meters to subscribers, and replies to status queries.

The audio block only appends to a bounded outbox; a sender thread builds and sends the packets.
"""
from __future__ import annotations

import socket
import threading
import time
from collections import deque

from pythonosc.osc_message_builder import OscMessageBuilder

MAX_SUBSCRIBERS = 16


class Feedback:
    def __init__(self, capacity: int = 4096):
        self.subscribers: list[tuple[str, int]] = []
        self._outbox: deque[tuple[tuple[str, int] | None, str, tuple]] = deque()
        self.capacity = capacity
        self.sent = 0
        self.dropped = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="segue-feedback", daemon=True)
        self._thread.start()

    def subscribe(self, ip: str, port: int) -> bool:
        if (ip, port) in self.subscribers:
            return True
        if len(self.subscribers) >= MAX_SUBSCRIBERS or not 0 < port < 65536:
            return False
        self.subscribers = self.subscribers + [(ip, port)]  # replaced, never mutated: readers see a whole list
        return True

    def unsubscribe(self, ip: str, port: int) -> None:
        self.subscribers = [s for s in self.subscribers if s != (ip, port)]

    def publish(self, address: str, *args) -> None:
        """To every subscriber. Cheap enough for the audio block: one bounded append, no lock."""
        if self.subscribers:
            self._put(None, address, args)

    def reply(self, target: tuple[str, int], address: str, *args) -> None:
        self._put(target, address, args)

    def _put(self, target, address: str, args: tuple) -> None:
        if len(self._outbox) >= self.capacity:
            self.dropped += 1
            return
        self._outbox.append((target, address, args))

    def _run(self) -> None:
        while not self._stop:
            if not self._outbox:
                # a poll, not a lock the audio thread would have to take; rare while nobody listens, since every
                # wake-up of a Python thread is a moment the audio callback may wait for the GIL
                time.sleep(0.005 if self.subscribers else 0.1)
                continue
            target, address, args = self._outbox.popleft()
            builder = OscMessageBuilder(address)
            for a in args:
                builder.add_arg(a)
            dgram = builder.build().dgram
            for t in [target] if target else self.subscribers:
                try:
                    self._sock.sendto(dgram, t)
                    self.sent += 1
                except OSError:
                    self.dropped += 1

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self._sock.close()
