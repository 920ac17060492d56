"""From its own process: a flood of OSC at RATE messages a second for SECONDS, then a summary as JSON.

    python tests/osc_flood.py PORT RATE SECONDS
Nine in ten are /segue/param/intensity with a rising value (so the newest is known), one in ten is
/segue/event/enemy_lost (harmless in the demo's explore state, and counted).
"""
from __future__ import annotations

import json
import socket
import sys
import time

from pythonosc.osc_message_builder import OscMessageBuilder


def packet(address: str, value: float | None = None) -> bytes:
    b = OscMessageBuilder(address)
    if value is not None:
        b.add_arg(value, "d")
    return b.build().dgram


def main(port: int, rate: float, seconds: float) -> None:
    total = int(rate * seconds)
    event = packet("/segue/event/enemy_lost")
    sent = events = 0
    last = 0.0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.perf_counter()
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                if sent % 10 == 9:
                    s.sendto(event, ("127.0.0.1", port))
                    events += 1
                else:
                    last = (sent % 1000) / 1000
                    s.sendto(packet("/segue/param/intensity", last), ("127.0.0.1", port))
                sent += 1
            time.sleep(0.0005)  # time passing is the point: the sender keeps to its rate
        elapsed = time.perf_counter() - start
    print(json.dumps({"sent": sent, "events": events, "last": last, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]))
