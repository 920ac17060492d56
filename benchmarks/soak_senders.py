"""Traffic for the live soak, from a process of its own (a sender in the engine's process would share its GIL).

    python benchmarks/soak_senders.py legal PORT SECONDS SCRIPT      the script's messages, looped, from 127.0.0.1
    python benchmarks/soak_senders.py hostile PORT SECONDS           what an untrusted network sends, from 127.0.0.2

Both print one JSON line at the end: what they sent. The hostile sender uses another loopback address so
that the engine's per-sender limits (rate, timetag hold, subscriptions) meet it, not the legal sender.
"""
from __future__ import annotations

import json
import socket
import struct
import sys
import time
from pathlib import Path

import yaml
from pythonosc.osc_bundle_builder import OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

HOSTILE_SOURCE = "127.0.0.2"
FAR_FUTURE = 2_050_000_000  # Unix seconds, in 2034 (python-osc converts to an NTP timetag)


def built(address: str, *args):
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build()


def message(address: str, *args) -> bytes:
    return built(address, *args).dgram


def legal(port: int, seconds: float, script: Path) -> dict:
    """The script's messages at their times, the script repeated for as long as asked."""
    spec = yaml.safe_load(script.read_text())
    cycle = float(spec["duration"])
    items = [(float(m["at"]), message(m["address"], *m.get("args", []))) for m in spec["messages"]]
    start, sent, cycles = time.monotonic(), 0, 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while (cycles + 1) * cycle <= seconds:
            for at, dgram in items:
                delay = start + cycles * cycle + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                s.sendto(dgram, ("127.0.0.1", port))
                sent += 1
            cycles += 1
        time.sleep(max(0.0, start + cycles * cycle - time.monotonic()))
    return {"cycles": cycles, "messages": sent, "cycle_seconds": cycle}


def bad_bundles() -> list[bytes]:
    head = b"#bundle\0" + struct.pack(">Q", 1)
    return [head + struct.pack(">i", -4),                      # a negative element size
            head + struct.pack(">i", 0) * 8,                   # empty elements
            head + struct.pack(">i", 4096) + b"\0" * 8,        # an element past the end of the packet
            head + struct.pack(">i", 6) + b"/a\0\0,\0",        # a size that is not a multiple of 4
            (head + struct.pack(">i", 0)) * 1 + b"#bundle",    # truncated
            b"\xff" * 64]


def far_future_bundle(i: int) -> bytes:
    b = OscBundleBuilder(FAR_FUTURE + i)
    b.add_content(built("/segue/param/intensity", 0.5))
    return b.build().dgram


def hostile(port: int, seconds: float) -> dict:
    """Each second: malformed bundles and garbage; every 10 s: a stinger and cue flood, 1,100 bundles dated 2034,
    subscriptions aimed at other ports; every 30 s: 20 TCP connections left idle."""
    counts = {"bad": 0, "flood": 0, "far": 0, "subscribe": 0, "tcp_idle": 0}
    idle: list[socket.socket] = []
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOSTILE_SOURCE, 0))
        tick = 0
        while time.monotonic() - start < seconds:
            for dgram in bad_bundles():
                s.sendto(dgram, ("127.0.0.1", port))
                counts["bad"] += 1
            if tick % 10 == 0:
                for address in ("/segue/stinger/goal", "/segue/cue/goal", "/segue/generate/arp/lock"):
                    for _ in range(1000):
                        s.sendto(message(address), ("127.0.0.1", port))
                        counts["flood"] += 1
                for i in range(1100):
                    s.sendto(far_future_bundle(i), ("127.0.0.1", port))
                    counts["far"] += 1
                for target in range(20):
                    s.sendto(message("/segue/subscribe", 40000 + target), ("127.0.0.1", port))
                    counts["subscribe"] += 1
            if tick % 30 == 0:
                for c in idle:
                    c.close()
                idle = []
                for _ in range(20):
                    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    c.bind((HOSTILE_SOURCE, 0))
                    try:
                        c.connect(("127.0.0.1", port))
                        idle.append(c)
                        counts["tcp_idle"] += 1
                    except OSError:
                        c.close()
            tick += 1
            time.sleep(max(0.0, start + tick - time.monotonic()))
    for c in idle:
        c.close()
    return counts


if __name__ == "__main__":
    kind, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    result = legal(port, seconds, Path(sys.argv[4])) if kind == "legal" else hostile(port, seconds)
    print(json.dumps(result), flush=True)
