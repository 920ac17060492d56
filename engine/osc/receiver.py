"""The OSC receiver process: receives, checks, parses and routes OSC, and writes telemetry records into the
ring the engine's audio block reads. Started by OscRelay with the sockets already bound; not run by hand.

    python -m engine.osc.receiver UDP_FD TCP_FD RING_FD MACHINE ALLOW RATE_LIMIT
(TCP_FD is -1 without TCP; ALLOW is '' for loopback only.) Each refused packet is one line on stderr, which
the engine logs as its own. On stdin: 'load' reads MACHINE again (a reload: its new addresses are routed from
now on, the engine keeps them until the new machine takes over), 'swap' makes its routes the only ones (at that
bar line); end of stdin (the engine closed it, or died) stops the process.
"""
from __future__ import annotations

import logging
import signal
import socket
import sys

from engine.errors import SegueError
from engine.events import Telemetry
from engine.machine.loader import load_machine
from engine.osc import ring
from engine.osc.routes import Router
from engine.osc.security import Gate, parse_allowlist
from engine.osc.server import OscInput, OscService

log = logging.getLogger("segue.osc")


class Routes:
    """The playing machine's routes and, between a reload and its bar line, the next machine's as well."""

    def __init__(self, router: Router):
        self.now, self.next = router, None

    def route(self, address: str, args, arrived_ns: int = 0) -> Telemetry | None:
        if self.next is not None and address not in self.now.routes and address in self.next.routes:
            return self.next.route(address, args, arrived_ns)
        return self.now.route(address, args, arrived_ns)


class RelayedInput(OscInput):
    """OscInput whose counts the engine can read from the ring's header."""

    def flush(self) -> None:
        super().flush()
        self.queue.counts(self.datagrams, self.rejected)  # after the records: a count seen means they are in


def main(argv: list[str]) -> int:
    udp_fd, tcp_fd, ring_fd = (int(a) for a in argv[:3])
    machine_path, allow, rate = argv[3], argv[4] or None, float(argv[5])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the engine, which then closes our stdin
    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=logging.WARNING)
    writer = ring.RingWriter(ring.attach(ring_fd))
    routes = Routes(Router(load_machine(machine_path)))
    osc_input = RelayedInput(routes, writer, Gate(parse_allowlist(allow), rate))
    sockets = socket.socket(fileno=udp_fd), socket.socket(fileno=tcp_fd) if tcp_fd >= 0 else None
    service = OscService(osc_input, sockets=sockets).start()
    writer.ready()
    loads = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "load":
            loads += 1
            try:
                routes.next = Router(load_machine(machine_path))
            except SegueError as exc:  # the engine checked this file a moment ago; it changed again since
                log.warning("OSC routes not reloaded: %s", exc)
            writer.loaded(loads)
        elif command == "swap" and routes.next is not None:
            routes.now, routes.next = routes.next, None
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
