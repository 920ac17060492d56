"""A separate process that sends timed OSC messages, so the engine's GIL is not shared with the sender.

    python benchmarks/osc_sender.py PORT COUNT RATE ADDRESS

Sends COUNT float messages (value i / COUNT) to 127.0.0.1:PORT at RATE per second and prints the
send time of each (time.perf_counter_ns, CLOCK_MONOTONIC: comparable across processes) as JSON.
"""
from __future__ import annotations

import json
import socket
import sys
import time

from pythonosc.osc_message_builder import OscMessageBuilder


def main(port: int, count: int, rate: float, address: str) -> None:
    packets = []
    for i in range(count):
        b = OscMessageBuilder(address)
        b.add_arg(i / count, "d")  # double: the value is the message's id, exactly
        packets.append(b.build().dgram)
    sent = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.perf_counter()
        for i, dgram in enumerate(packets):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent.append(time.perf_counter_ns())
            s.sendto(dgram, ("127.0.0.1", port))
    json.dump(sent, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
