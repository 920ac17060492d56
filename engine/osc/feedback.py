"""OSC out: beats, bars, state changes and meters to subscribers, and replies to status queries.

The audio block only appends to bounded queues; a sender thread applies (un)subscriptions, builds and sends the
packets. A subscription is a lease: it ends LEASE seconds after the last /segue/subscribe unless renewed (so a
spoofed UDP source cannot have feedback aimed at it for longer than that), a sender (IP) holds at most
PER_SENDER of them, and one subscribed over TCP gets its feedback SLIP-framed on that connection, which ends it
when it closes.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass

from pythonosc.osc_message_builder import OscMessageBuilder

from engine.osc import slip
from engine.osc.throttle import Throttle, held_note

log = logging.getLogger("segue.osc")
MAX_SUBSCRIBERS = 16
PER_SENDER = 2  # subscriptions one IP may hold
LEASE = 10.0  # seconds a subscription lasts unless /segue/subscribe renews it
MAX_REQUESTS = 256  # (un)subscriptions waiting for the sender thread
EXPIRY_EVERY = 0.1  # seconds between looks for leases run out


@dataclass
class Subscriber:
    ip: str
    expires: float  # time.monotonic()
    address: tuple[str, int] | None = None  # UDP: where to send
    stream: socket.socket | None = None  # TCP: the subscriber's own connection


class Feedback:
    def __init__(self, capacity: int = 4096, lease: float = LEASE):
        self.subscribers: tuple[Subscriber, ...] = ()  # replaced, never mutated: readers see a whole tuple
        self._by_key: dict[object, Subscriber] = {}  # the sender thread's own
        self._requests: deque[tuple] = deque()
        self._outbox: deque[tuple[tuple[str, int] | None, str, tuple]] = deque()
        self.capacity = capacity
        self.lease = lease
        self._told = Throttle(per_key=1)
        self._next_expiry = 0.0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="segue-feedback", daemon=True)
        self._thread.start()

    def subscribe(self, ip: str, port: int) -> None:
        """UDP feedback to ip:port for LEASE seconds (again from now, if it is subscribed already)."""
        self._request(("subscribe", (ip, port), ip, None))

    def unsubscribe(self, ip: str, port: int) -> None:
        self._request(("unsubscribe", (ip, port), ip, None))

    def subscribe_stream(self, ip: str, peer: str, stream: socket.socket) -> None:
        """Feedback on a TCP client's own connection (the receiver hands it over on /segue/subscribe)."""
        self._request(("subscribe", peer, ip, stream))

    def unsubscribe_stream(self, ip: str, peer: str) -> None:
        self._request(("unsubscribe", peer, ip, None))

    def _request(self, request: tuple) -> None:
        if len(self._requests) < MAX_REQUESTS:
            self._requests.append(request)
        elif request[3] is not None:
            request[3].close()

    @property
    def listening(self) -> bool:
        """Anyone subscribed, or about to be (the sender thread applies a subscription before what follows it)."""
        return bool(self.subscribers or self._requests)

    def publish(self, address: str, *args) -> None:
        """To every subscriber. Cheap enough for the audio block: one bounded append, no lock."""
        if self.listening:
            self._put(None, address, args)

    def reply(self, target: tuple[str, int], address: str, *args) -> None:
        self._put(target, address, args)

    def _put(self, target, address: str, args: tuple) -> None:
        if len(self._outbox) < self.capacity:  # else dropped: feedback is a view, the next message renews it
            self._outbox.append((target, address, args))

    # -- the sender thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop:
            self._apply_requests()
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
            if target:  # a reply: on the asker's TCP connection if it subscribed on one
                on_tcp = self._by_key.get(f"{target[0]}:{target[1]}")
                if on_tcp is not None:
                    self._send_on(on_tcp, dgram)
                else:
                    self._send_to(target, dgram)
                continue
            for s in self.subscribers:
                if s.stream is not None:
                    self._send_on(s, dgram)
                else:
                    self._send_to(s.address, dgram)

    def _send_to(self, target: tuple[str, int], dgram: bytes) -> None:
        try:
            self._sock.sendto(dgram, target)
        except OSError:  # a full socket buffer or an unreachable subscriber: this message is lost, no more
            pass

    def _send_on(self, s: Subscriber, dgram: bytes) -> None:
        """Never waits: a frame the connection has no room for is dropped (the next starts with END, so the
        client's decoder resynchronises); a connection that failed ends the subscription."""
        try:
            s.stream.send(slip.encode(dgram), socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass
        except OSError:
            s.expires = self._next_expiry = 0.0  # the client is gone: ended on the next pass

    def _apply_requests(self) -> None:
        now = time.monotonic()
        changed = False
        while self._requests:
            action, key, ip, stream = self._requests.popleft()
            changed |= self._subscribe(key, ip, stream, now) if action == "subscribe" else self._end(key)
        if now >= self._next_expiry:
            self._next_expiry = now + EXPIRY_EVERY
            for key in [k for k, s in self._by_key.items() if s.expires <= now]:
                changed |= self._end(key)
        if changed:
            self.subscribers = tuple(self._by_key.values())

    def _subscribe(self, key, ip: str, stream: socket.socket | None, now: float) -> bool:
        known = self._by_key.get(key)
        if known is not None:  # a renewal
            known.expires = now + self.lease
            if stream is not None:
                stream.close()  # the receiver handed the same connection over again
            return False
        why = None
        if sum(s.ip == ip for s in self._by_key.values()) >= PER_SENDER:
            why = f"it holds {PER_SENDER} subscriptions already (each lasts {self.lease:g} s unless renewed)"
        elif len(self._by_key) >= MAX_SUBSCRIBERS:
            why = f"{MAX_SUBSCRIBERS} subscribers already"
        elif stream is None and not 0 < key[1] < 65536:
            why = f"{key[1]} is not a port"
        if why:
            held = self._told.admit(ip)
            if held is not None:
                log.warning("OSC from %s: /segue/subscribe refused: %s%s", ip, why, held_note(held))
            if stream is not None:
                stream.close()
            return False
        self._by_key[key] = Subscriber(ip, now + self.lease, None if stream else key, stream)
        return True

    def _end(self, key) -> bool:
        s = self._by_key.pop(key, None)
        if s is None:
            return False
        if s.stream is not None:
            s.stream.close()
        return True

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self._sock.close()
        for s in self._by_key.values():
            if s.stream is not None:
                s.stream.close()
