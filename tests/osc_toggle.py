"""From its own process: COUNT messages alternating ON and OFF addresses, RATE a second; prints send times.

    python tests/osc_toggle.py PORT COUNT RATE ON_ADDRESS OFF_ADDRESS
"""
from __future__ import annotations

import json
import socket
import sys
import time

from pythonosc.osc_message_builder import OscMessageBuilder


def main(port: int, count: int, rate: float, on: str, off: str) -> None:
    packets = [OscMessageBuilder(address).build().dgram for address in (on, off)]
    sent = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.perf_counter()
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # time passing is the point: messages paced at the rate
            sent.append(time.perf_counter_ns())
            s.sendto(packets[i % 2], ("127.0.0.1", port))
    print(json.dumps(sent), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5])
