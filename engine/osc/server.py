"""OSC in over UDP and TCP (SLIP-framed, OSC 1.1). The threads here receive, check, parse, route and
enqueue; they run in the OSC receiver process (receiver.py), never beside the audio. Bad packets are dropped
with one log line naming sender, address, reason.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import select
import socket
import threading
import time

from engine.errors import SegueError
from engine.events import EventQueue, Kind, Telemetry
from engine.osc.handover import Handover
from engine.osc.ring import RingWriter
from engine.osc.routes import OscInputError, Router
from engine.osc.security import Gate
from engine.osc.slip import Decoder
from engine.osc.strict import BUNDLE, Malformed, parse_packet
from engine.osc.throttle import Throttle, held_note

log = logging.getLogger("segue.osc")

RECEIVE_BUFFER = 16 * 1024 * 1024  # ~40,000 small datagrams: 2 s of a 20,000 msg/s flood, should the receiver stall
DATAGRAM_COST = 416  # bytes of receive buffer the kernel counts for one small datagram (measured on loopback)
MAX_DATAGRAM = 65535
MAX_TCP_CLIENTS = 16
TCP_IDLE = 30.0  # seconds a TCP client may stay without sending a complete message before it is closed
FUTURE_SLACK = 0.001  # a bundle time less than this ahead counts as "now"
CONTROLS = ("/segue/subscribe", "/segue/unsubscribe", "/segue/status")
CONTROL_RATE, MAX_CONTROLS = 10, 100  # control messages a second per sender, and from all senders together
BATCH = 64  # datagrams read without waiting before what they asked is handed over (1.6 ms of a 40k/s flood)
POLL = 0.2  # seconds a receiving thread waits before it looks whether it should stop


class OscInput:
    """One packet in: gate, parse, strict check, control messages, route, timetag, enqueue. Never raises."""

    def __init__(self, router: Router, queue: EventQueue | RingWriter, gate: Gate, handover: Handover | None = None):
        self.router, self.queue, self.gate = router, queue, gate
        self.handover = handover  # where a TCP client's subscription goes (the engine's feedback), if anywhere
        self.datagrams = 0
        self.rejected = 0
        # bad packets: ten lines per sender every ten seconds, the rest counted and told: a designer sees each of
        # a few mistakes, and a show that runs for hours beside a broken or hostile sender gets a readable log
        self._told = Throttle(interval=10.0, per_key=10)
        self._refusals = Throttle(per_key=1)  # refused senders: one line a second each
        self._controls = Throttle(per_key=CONTROL_RATE, total=MAX_CONTROLS)  # a rate, not a log: nothing said

    def handle(self, data: bytes, ip: str, port: int, arrived_ns: int, stream: socket.socket | None = None) -> None:
        """`stream`: the TCP connection it came on, if it did (a subscription's feedback goes back on it)."""
        self.datagrams += 1
        sender = f"{ip}:{port}"
        if not self.gate.allowed(ip):
            self._refuse(ip, f"OSC from {ip} refused: not in the allowlist (see --allow)")
            return
        if not self.gate.within_rate(ip):
            self._refuse(ip, f"OSC from {ip} over its rate limit ({self.gate.rate:.0f}/s): messages dropped")
            return
        try:
            messages = parse_packet(data)
        except Malformed as exc:
            self._reject(sender, "-", f"not a valid OSC packet ({exc})")
            return
        now = time.time() if data.startswith(BUNDLE) else 0.0
        for when, address, args in messages:
            due = when if when > now + FUTURE_SLACK else 0.0  # a bundle for later
            self._dispatch(address, args, due, sender, ip, port, arrived_ns, stream)

    def flush(self) -> None:
        """Hand over what the queue held back (floods are merged there); report what did not fit."""
        dropped = self.queue.flush()
        if dropped:
            self._reject("-", "-", f"{dropped} messages dropped: the engine's input queue stayed full")

    def _dispatch(self, address: str, args, due: float, sender: str, ip: str, port: int, arrived_ns: int,
                  stream: socket.socket | None) -> None:
        if self._control(address, args, ip, port, arrived_ns, stream):
            return
        try:
            item = self.router.route(address, args, arrived_ns)
        except OscInputError as exc:
            self._reject(sender, address, str(exc))
            return
        if item is None:
            return
        if due:  # the heartbeat plays it at that time
            item = dataclasses.replace(item, due=due, sender=ip)
        if not self.queue.put(item):
            self._reject(sender, address, "dropped: the engine's input queue is full")

    def _control(self, address: str, args, ip: str, port: int, arrived_ns: int, stream: socket.socket | None) -> bool:
        """/segue/subscribe [port], /segue/unsubscribe [port], /segue/status: passed on to the engine, which
        answers from its feedback sender (the reply goes to `port`, or to the sender's own port). Over TCP a
        subscription's feedback goes back on the connection: the connection itself is handed over. A few a
        second per sender at most: each may make the engine send, and a UDP source address can be forged."""
        if address not in CONTROLS:
            return False
        if self._controls.admit(ip) is None:
            self._reject(f"{ip}:{port}", address, f"more than {CONTROL_RATE} control messages a second: ignored")
            return True
        if stream is not None and address != "/segue/status":
            if self.handover is None or not self.handover.give(address.rsplit("/", 1)[1], ip, port, stream):
                self._reject(f"{ip}:{port}", address, "feedback over this TCP connection is not available now")
            return True
        reply_port = int(args[0]) if args and isinstance(args[0], int) and not isinstance(args[0], bool) else port
        if not 0 < reply_port < 65536:
            self._reject(f"{ip}:{port}", address, f"{reply_port} is not a port to answer to")
        elif not self.queue.put(Telemetry(Kind.CONTROL, address.rsplit("/", 1)[1], float(reply_port), ip, arrived_ns)):
            self._reject(f"{ip}:{port}", address, "dropped: the engine's input queue is full")
        return True

    def tell_held(self) -> None:
        """Say how many lines about bad or refused packets were held back, once their interval is over."""
        for ip, held in self._told.overdue() + self._refusals.overdue():
            log.warning("OSC from %s: %d more refused packets not logged", ip, held)

    def _reject(self, sender: str, address: str, why: str) -> None:
        self.rejected += 1
        held = self._told.admit(sender.rsplit(":", 1)[0])
        if held is not None:
            log.warning("OSC from %s: %s: %s%s", sender, address, why, held_note(held))

    def _refuse(self, ip: str, text: str) -> None:
        self.rejected += 1
        held = self._refusals.admit(ip)
        if held is not None:
            log.warning("%s%s", text, held_note(held))


def _bind(kind: int, host: str, port: int, what: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind)
    if kind == socket.SOCK_DGRAM:
        _size_receive_buffer(sock)
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
        raise SegueError(f"OSC {what} port {port} on {host} {why}; choose another with --osc-port") from None
    return sock


def _size_receive_buffer(sock: socket.socket) -> None:
    """Past the system's cap (net.core.rmem_max) where we may, so a burst waits instead of vanishing; where
    we may not, say once what a burst can then lose and how to raise the cap."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # Linux reports twice what it holds
    if granted < RECEIVE_BUFFER:
        log.warning("OSC: the UDP receive buffer is %d KiB, not %d KiB (the system's cap, net.core.rmem_max): a "
                    "burst of more than about %d messages at once may be lost; raise the cap with "
                    "`sysctl -w net.core.rmem_max=%d`", granted // 1024, RECEIVE_BUFFER // 1024,
                    granted // DATAGRAM_COST, RECEIVE_BUFFER)


def bind_sockets(host: str, port: int, tcp: bool = True) -> tuple[socket.socket, socket.socket | None]:
    """The UDP socket and, on the same port, the listening TCP one; a clear SegueError if either is taken."""
    udp = _bind(socket.SOCK_DGRAM, host, port, "UDP")
    if not tcp:
        return udp, None
    try:
        stream = _bind(socket.SOCK_STREAM, host, udp.getsockname()[1], "TCP")
    except SegueError:
        udp.close()
        raise
    stream.listen(MAX_TCP_CLIENTS)
    return udp, stream


class OscService:
    """The UDP server, and the TCP one beside it, feeding one OscInput."""

    def __init__(self, osc_input: OscInput, host: str = "127.0.0.1", port: int = 9000, tcp: bool = True,
                 sockets: tuple[socket.socket, socket.socket | None] | None = None, tcp_idle: float = TCP_IDLE):
        self.input = osc_input
        self.tcp_idle = tcp_idle
        self._refusals = Throttle(per_key=1)  # TCP clients turned away or closed: a line a second each
        self._udp, self._tcp = sockets or bind_sockets(host, port, tcp)
        self.address = self._udp.getsockname()[:2]
        self.tcp_address = self._tcp.getsockname()[:2] if self._tcp else None
        self._udp.setblocking(False)  # select() waits; recvfrom() then takes what is there, never more
        if self._tcp:
            self._tcp.settimeout(POLL)
        self._stop = threading.Event()
        self._clients: list[threading.Thread] = []
        self._threads = [threading.Thread(target=self._serve_udp, name="segue-osc-udp", daemon=True)]
        if self._tcp:
            self._threads.append(threading.Thread(target=self._serve_tcp, name="segue-osc-tcp", daemon=True))

    @property
    def datagrams(self) -> int:
        return self.input.datagrams

    def start(self) -> "OscService":
        for t in self._threads:
            t.start()
        return self

    def close(self) -> None:
        self._stop.set()
        for t in self._threads + self._clients:
            if t.is_alive():
                t.join(timeout=2)
        self._udp.close()
        if self._tcp:
            self._tcp.close()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            self.input.tell_held()
            try:
                if not select.select([self._udp], [], [], POLL)[0]:
                    continue
            except (OSError, ValueError):
                return  # socket closed
            for _ in range(BATCH):  # what is waiting now, then hand it all over at once
                try:
                    data, sender = self._udp.recvfrom(MAX_DATAGRAM)
                except BlockingIOError:
                    break
                except OSError:
                    return
                self.input.handle(data, sender[0], sender[1], time.perf_counter_ns())
            self.input.flush()

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            for ip, held in self._refusals.overdue():
                log.warning("OSC over TCP from %s: %d more refused or closed connections not logged", ip, held)
            try:
                conn, sender = self._tcp.accept()
            except (socket.timeout, BlockingIOError):
                continue
            except OSError:
                return
            self._clients = [t for t in self._clients if t.is_alive()]
            if len(self._clients) >= MAX_TCP_CLIENTS or not self.input.gate.allowed(sender[0]):
                self._say(sender[0], f"OSC over TCP from {sender[0]}:{sender[1]} refused (not allowed, or "
                                     f"{MAX_TCP_CLIENTS} clients already)")
                conn.close()
                continue
            client = threading.Thread(target=self._serve_client, args=(conn, sender), daemon=True,
                                      name=f"segue-osc-tcp-{sender[0]}:{sender[1]}")
            self._clients.append(client)
            client.start()

    def _say(self, ip: str, text: str) -> None:
        held = self._refusals.admit(ip)
        if held is not None:
            log.warning("%s%s", text, held_note(held))

    def _serve_client(self, conn: socket.socket, sender) -> None:
        """One TCP client, until it hangs up or stays idle (no complete message) for tcp_idle seconds: idle
        connections must not hold the table of clients against everyone else."""
        decoder = Decoder(limit=MAX_DATAGRAM)
        conn.settimeout(POLL)
        heard = time.monotonic()
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    if time.monotonic() - heard > self.tcp_idle:
                        self._say(sender[0], f"OSC over TCP from {sender[0]}:{sender[1]} closed: no complete "
                                             f"message for {self.tcp_idle:g} s")
                        with contextlib.suppress(OSError):
                            conn.shutdown(socket.SHUT_RDWR)
                        return
                    continue
                except OSError:
                    return
                if not data:
                    return  # the sender hung up
                oversized = decoder.oversized
                frames = decoder.feed(data)
                if frames:
                    heard = time.monotonic()
                for frame in frames:
                    self.input.handle(frame, sender[0], sender[1], time.perf_counter_ns(), conn)
                self.input.flush()
                if decoder.oversized > oversized:
                    self.input._reject(f"{sender[0]}:{sender[1]}", "-", "SLIP frame larger than 64 KiB dropped")
