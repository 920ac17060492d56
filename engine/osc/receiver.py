"""The OSC receiver process: receives, checks, parses and routes OSC, and writes telemetry records into the
ring the engine's audio block reads. Started by OscRelay with the sockets already bound; not run by hand.

    python -m engine.osc.receiver UDP_FD TCP_FD RING_FD HANDOVER_FD
(TCP_FD is -1 without TCP; HANDOVER_FD a Unix socket to the engine's feedback, for TCP subscribers.) Everything
else comes on stdin, one JSON line each, from the engine's memory: never from the machine file, which may have
changed or broken since the engine validated it.
    {"config": {"routes": ..., "allow": ..., "rate": ..., "tcp_idle": ...}}  first, once
    {"load": ROUTES}   a reload: its new addresses are routed from now on (the engine keeps them until the new
                       machine takes over)
    {"swap": true}     the reloaded routes become the only ones (at that bar line)
End of stdin (the engine closed it, or died) stops the process. Each refused packet is one line on stderr
(throttled), which the engine logs as its own.
"""
from __future__ import annotations

import json
import logging
import signal
import socket
import sys

from engine.events import Telemetry
from engine.osc import ring
from engine.osc.handover import Handover
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
    udp_fd, tcp_fd, ring_fd, handover_fd = (int(a) for a in argv[:4])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the engine, which then closes our stdin
    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=logging.WARNING)
    first = sys.stdin.readline()
    if not first:
        return 0  # the engine went away before it said anything
    config = json.loads(first)["config"]
    writer = ring.RingWriter(ring.attach(ring_fd))
    routes = Routes(Router.from_table(config["routes"]))
    osc_input = RelayedInput(routes, writer, Gate(parse_allowlist(config["allow"] or None), config["rate"]),
                             Handover(socket.socket(fileno=handover_fd)))
    sockets = socket.socket(fileno=udp_fd), socket.socket(fileno=tcp_fd) if tcp_fd >= 0 else None
    service = OscService(osc_input, sockets=sockets, tcp_idle=config["tcp_idle"]).start()
    writer.ready()
    loads = 0
    for line in sys.stdin:
        command = json.loads(line)
        if "load" in command:
            loads += 1
            routes.next = Router.from_table(command["load"])
            writer.loaded(loads)
        elif "swap" in command and routes.next is not None:
            routes.now, routes.next = routes.next, None
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
